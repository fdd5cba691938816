"""Cell values: the type, cleaning, and rendering them (and numbers) as Germans read them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

Cell = str | int | float | bool | datetime | date | time | timedelta | None


class Invalid(ValueError):
    """One cell's value cannot be taken; the message is German and names the value."""


_PLACEHOLDERS = {"-", "--", "---", "–", "—", "?", "/", "ka", "k.a.", "n/a", "n.a.", "keineangabe"}
_PLACEHOLDERS |= {"keineangaben", "unbekannt"}
_PLACEHOLDER_STARTS = frozenset("-–—?/kKnNuU")
_SPACES = re.compile(r"[\u00a0\u2007\u202f]")
_NEWLINES = re.compile(r"\r\n?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")  # Excel stores a CR in a cell as "_x000D_"
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
WORD = re.compile(r"[a-z]+")  # the words of a value folded by lower()


def clean(value: Cell) -> Cell:
    """Surrounding space and control characters removed; empty cells and placeholders such as
    "k. A." become None."""
    if not isinstance(value, str):
        return value
    text = _EXCEL_ESCAPE.sub(_unescape, value) if "_x" in value else value
    text = (text if text.isprintable() else _unprintable(text)).strip()
    if not text or (text[0] in _PLACEHOLDER_STARTS and _is_placeholder(text)):
        return None
    return text


def _is_placeholder(text: str) -> bool:
    return len(text) < 16 and "".join(text.casefold().split()) in _PLACEHOLDERS


def _unescape(match: re.Match[str]) -> str:
    return chr(int(match.group(1), 16))


def _unprintable(text: str) -> str:
    return _CONTROLS.sub("", _NEWLINES.sub("\n", _SPACES.sub(" ", text)))


def lower(text: str) -> str:
    """Case and umlaut spelling folded, quicker than app.text.fold for short cell values."""
    return text.casefold().translate(_UMLAUTS)


def display(value: Cell) -> str:
    return " ".join(as_text(value).split()) if value is not None else ""


def as_text(value: Cell) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M" if value.time() != time() else "%d.%m.%Y")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, int | float):
        return str(value).replace(".", ",")  # 12,5 as Germans write it; never 1.200 (a key?)
    return str(value)


def de(number: float) -> str:
    """A number as Germans write it: 1.200 and 12,5."""
    if isinstance(number, float) and number.is_integer() and abs(number) < 1e15:
        number = int(number)
    text = f"{number:,}" if isinstance(number, int) else f"{number:,.10g}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def short(value: Cell, limit: int = 80) -> str:
    text = display(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def is_empty(cells: Sequence[Cell]) -> bool:
    if cells.count(None) + cells.count("") == len(cells):  # C speed: Excel pads rows and gaps
        return True
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def at_most(items: list[Any], limit: int) -> list[Any]:
    if len(items) > limit:
        raise Invalid(f"{de(len(items))} Einträge; erlaubt sind höchstens {limit}.")
    return items
