"""Quantities as people write them: "ca. 1.200 Fälle", "20 Min. je Fall", "3 Wochen", 0:45."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from app.catalog.register_import.cells import WORD, Cell, Invalid, de, is_ascii_digits, lower, short
from app.catalog.register_import.model import NUMBER_LIMITS

_NUMBER = re.compile(r"[-−]?\d+(?:[ .,'’]\d+)*")
_HOURS_MINUTES = re.compile(r"\s*(\d{1,4}):([0-5]\d)\s*")
_SEPARATOR = re.compile(r"[ .,'’]")
_FILLER = {
    "ca", "circa", "zirka", "etwa", "rund", "rd", "ungefaehr", "ungef", "geschaetzt", "schaetzung",
    "durchschnittlich", "durchschn", "im", "schnitt", "mittel", "pro", "je", "per", "a", "p", "max",
    "maximal", "mind", "mindestens", "hoechstens", "ueber", "unter", "bis", "knapp", "mehr", "als",
}  # fmt: skip
_CASE_UNITS = dict.fromkeys(
    ("fall", "faelle", "faellen", "vorgang", "vorgaenge", "antrag", "antraege", "jahr", "jaehrlich",
     "pa", "stueck", "stk"), 1.0)  # fmt: skip
_MINUTE_UNITS = {"min": 1.0, "mins": 1.0, "minute": 1.0, "minuten": 1.0, "std": 60.0,
                 "stunde": 60.0, "stunden": 60.0, "h": 60.0, "fall": 1.0, "vorgang": 1.0,
                 "antrag": 1.0}  # fmt: skip
_DAY_UNITS = {"tag": 1.0, "tage": 1.0, "tagen": 1.0, "d": 1.0, "werktag": 1.0, "werktage": 1.0,
              "werktagen": 1.0, "arbeitstag": 1.0, "arbeitstage": 1.0, "arbeitstagen": 1.0,
              "kalendertag": 1.0, "kalendertage": 1.0, "kalendertagen": 1.0, "woche": 7.0,
              "wochen": 7.0, "monat": 30.0, "monate": 30.0, "monaten": 30.0}  # fmt: skip


@dataclass(frozen=True)
class _Measure:
    limit: int
    unit: str  # German, plural, for messages
    words: dict[str, float]  # unit words allowed after the number, with their factor
    seconds: int | None  # seconds per unit, so Excel durations (0:20) convert; None: not a duration
    integer: bool = False


def _number(measure: _Measure) -> Callable[[Cell, list[str]], float | int]:
    def convert(value: Cell, notes: list[str]) -> float | int:
        number = _number_value(value, measure)
        if number < 0:
            raise Invalid(f"„{short(value, 40)}“ ist negativ; erlaubt sind Zahlen ab 0.")
        if number > measure.limit:
            raise Invalid(
                f"„{short(value, 40)}“ ist zu groß; erlaubt sind höchstens "
                f"{de(measure.limit)} {measure.unit}."
            )
        if not measure.integer:
            return float(number)
        rounded = math.floor(number + 0.5)
        if rounded != number:
            notes.append(f"„{short(value, 40)}“ wurde auf {de(rounded)} gerundet.")
        return rounded

    return convert


def _number_value(value: Cell, measure: _Measure) -> float:
    if isinstance(value, datetime | date):
        raise Invalid(
            f"„{short(value)}“ ist ein Datum, keine Zahl. Bitte die Spalte in Excel "
            "als Zahl formatieren."
        )
    if isinstance(value, time | timedelta) and measure.seconds:
        return _seconds(value) / measure.seconds
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # may be beyond any float; compared with the limit before use
    if isinstance(value, float) and math.isfinite(value):
        return value
    if not isinstance(value, str):
        raise Invalid(f"„{short(value)}“ ist keine Zahl.")
    return _parse_number(value, measure)


def _seconds(value: time | timedelta) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value.hour * 3600 + value.minute * 60 + value.second


def _parse_number(text: str, measure: _Measure) -> float:
    if is_ascii_digits(text):
        return float(text)
    folded = lower(text)
    clock = _HOURS_MINUTES.fullmatch(folded) if ":" in folded else None
    if clock and measure.seconds:
        return (int(clock.group(1)) * 3600 + int(clock.group(2)) * 60) / measure.seconds
    tokens = _NUMBER.findall(folded)
    if len(tokens) > 1:
        raise Invalid(f"„{short(text, 40)}“ enthält mehrere Zahlen; bitte genau eine angeben.")
    number = _german_number(tokens[0]) if tokens else None
    factor = _unit_factor(folded, measure.words)
    if number is None or factor is None:
        raise Invalid(f"„{short(text, 40)}“ ist keine Zahl.")
    return number * factor


def _unit_factor(text: str, words: dict[str, float]) -> float | None:
    factor = 1.0
    for word in WORD.findall(text):
        if word in words:
            factor *= words[word]
        elif word not in _FILLER:
            return None
    return factor


def _german_number(token: str) -> float | None:
    """ "1.200" and "1 200" are 1200, "12,5" and "1.200,5" have decimals; "12.5" too."""
    if is_ascii_digits(token):
        return float(token)
    negative = token[0] in "-−"
    groups = _SEPARATOR.split(token.lstrip("-−"))
    separators = _SEPARATOR.findall(token)
    if separators and _is_decimal_separator(separators, groups):
        whole, fraction = groups[:-1], groups[-1]
    else:
        whole, fraction = groups, "0"
    if len(whole) > 1 and (len(whole[0]) > 3 or any(len(g) != 3 for g in whole[1:])):
        return None  # "1.20.0" or "5 3" are no thousands groups
    number = float(f"{''.join(whole)}.{fraction}")
    return -number if negative else number


def _is_decimal_separator(separators: list[str], groups: list[str]) -> bool:
    last = separators[-1]
    if last == ",":
        return separators.count(",") == 1
    if last != "." or separators.count(".") > 1:
        return False
    return "," in separators or len(groups[-1]) != 3 or groups[0] in ("", "0")


CONVERTERS: dict[str, Callable[[Cell, list[str]], Any]] = {
    "cases_per_year": _number(
        _Measure(NUMBER_LIMITS["cases_per_year"], "Fälle", _CASE_UNITS, None, integer=True)
    ),
    "minutes_per_case": _number(
        _Measure(NUMBER_LIMITS["minutes_per_case"], "Minuten", _MINUTE_UNITS, 60)
    ),
    "cycle_time_days": _number(
        _Measure(NUMBER_LIMITS["cycle_time_days"], "Tage", _DAY_UNITS, 86_400)
    ),
}
