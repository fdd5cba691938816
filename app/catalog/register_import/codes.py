"""Keys, categories and stages: LeiKa keys, OZG-IDs, digitisation potential, maturity stages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from app.catalog.fields import MATURITY_DIMENSIONS
from app.catalog.register_import.cells import (
    WORD,
    Cell,
    Invalid,
    as_text,
    at_most,
    display,
    is_ascii_digits,
    lower,
    short,
)
from app.catalog.register_import.model import MAX_LEIKA_KEYS
from app.fim.leika import LEIKA_KEY_LENGTH, is_leika_key

_LEIKA_TOKEN = re.compile(
    r"\d[.,]\d+\s*e[+-]?\d+|\d[\d .]*\d(?:[.,]0+)?(?![\d])|\d", re.IGNORECASE | re.ASCII
)
_LEIKA_SEPARATORS = re.compile(r"[\s,;]*")
_TRAILING_ZEROS = re.compile(r"(\d+)[.,]0+", re.ASCII)
_SCIENTIFIC = re.compile(r"(\d)[.,](\d+)\s*e\+?(\d+)", re.IGNORECASE | re.ASCII)


def _leika_keys(value: Cell, notes: list[str]) -> list[str]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        tokens = [as_text(value)]
    elif isinstance(value, str) and len(value) == LEIKA_KEY_LENGTH and is_ascii_digits(value):
        return [value]
    else:
        text = as_text(value)
        tokens = _LEIKA_TOKEN.findall(text)
        if not _LEIKA_SEPARATORS.fullmatch(_LEIKA_TOKEN.sub(" ", text)):
            raise Invalid(f"„{short(text, 40)}“ ist kein LeiKa-Schlüssel (14 Ziffern).")
    keys = [key for token in tokens for key in _leika_token(token)]
    unique = list(dict.fromkeys(keys))
    for key in sorted({key for key in keys if keys.count(key) > 1}):
        notes.append(f"Der LeiKa-Schlüssel {key} steht doppelt und wird einmal übernommen.")
    return at_most(unique, MAX_LEIKA_KEYS)


def _leika_token(token: str) -> list[str]:
    scientific = _SCIENTIFIC.fullmatch(token)
    if scientific:
        return [_leika_scientific(token, scientific)]
    parts = token.split()
    if len(parts) > 1 and all(is_leika_key(part) for part in parts):
        return parts  # several keys separated by spaces
    zeros = _TRAILING_ZEROS.fullmatch(token)
    for candidate in (zeros.group(1) if zeros else "", token.replace(" ", "").replace(".", "")):
        if is_leika_key(candidate):
            return [candidate]
    raise Invalid(f"„{short(token, 40)}“ ist kein LeiKa-Schlüssel (14 Ziffern).")


def _leika_scientific(token: str, match: re.Match[str]) -> str:
    """ "9.9115005104E13" is exact; Excel's "9,9115E+13" lost digits, so it is refused."""
    digits = (match.group(1) + match.group(2)).rstrip("0")
    exponent = int(match.group(3))
    if len(digits) < 7 or len(digits) > exponent + 1:
        raise Invalid(
            f"„{token}“ ist kein vollständiger LeiKa-Schlüssel: Excel hat die Zahl "
            "gekürzt. Bitte die Spalte in Excel als Text formatieren und die Schlüssel "
            "erneut eintragen."
        )
    key = digits.ljust(exponent + 1, "0")
    if not is_leika_key(key):
        raise Invalid(f"„{token}“ ist kein LeiKa-Schlüssel (14 Ziffern).")
    return key


def _ozg_id(value: Cell, notes: list[str]) -> str:
    text = display(value)
    zeros = _TRAILING_ZEROS.fullmatch(text)
    ozg_id = zeros.group(1) if zeros else text.replace(" ", "")
    if isinstance(value, bool) or not re.fullmatch(r"[0-9]{1,10}", ozg_id):
        raise Invalid(f"„{short(value, 40)}“ ist keine OZG-ID (1 bis 10 Ziffern).")
    return ozg_id


_POTENTIAL = {
    **dict.fromkeys(("hoch", "hohes", "sehrhoch", "gross", "grosses", "high"), "high"),
    **dict.fromkeys(("mittel", "mittleres", "mittelmaessig", "medium"), "medium"),
    **dict.fromkeys(("gering", "geringes", "niedrig", "niedriges", "klein", "kleines", "low",
                     "sehrgering", "sehrniedrig", "kaum"), "low"),
}  # fmt: skip


def _potential(value: Cell, notes: list[str]) -> str:
    words = WORD.findall(lower(as_text(value)))
    for key in ("".join(words), "".join(words[:2]), "".join(words[:1])):
        if key in _POTENTIAL:
            return _POTENTIAL[key]
    raise Invalid(
        f"„{short(value, 40)}“ ist kein Digitalisierungspotenzial (hoch, mittel oder gering)."
    )


_STAGE = re.compile(r"(?:stufe|reifegrad|level)?\s*(\d+)(?:[.,]0+)?\s*(?:$|[-–—:(/]|[^\W\d])")


def _stage(value: Cell, notes: list[str]) -> int:
    stage: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        stage = value
    elif isinstance(value, float):
        stage = int(value) if value.is_integer() else None
    elif isinstance(value, str):
        match = _STAGE.match(lower(value))
        stage = int(match.group(1)) if match else None
    if stage is None or not 0 <= stage <= 3:
        raise Invalid(f"„{short(value, 40)}“ ist keine Reifegradstufe (0 bis 3).")
    return stage


CONVERTERS: dict[str, Callable[[Cell, list[str]], Any]] = {
    "leika_keys": _leika_keys,
    "ozg_id": _ozg_id,
    "digitisation_potential": _potential,
    **{f"maturity.{dimension}": _stage for dimension in MATURITY_DIMENSIONS},
}
