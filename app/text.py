"""Small text helpers shared by features (no Flask, no database)."""

from __future__ import annotations

import re
import unicodedata

_GERMAN_FOLDS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NOT_WORD = re.compile(r"[^\w§]+")
_SLUG_INVALID = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Case- and umlaut-insensitive form: 'Führungszeugnis' and 'FUEHRUNGSZEUGNIS' meet."""
    text = text.casefold().translate(_GERMAN_FOLDS)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def folded_words(*parts: str | None) -> str:
    """One space-separated, folded string of all words in ``parts``, for substring filters."""
    joined = " ".join(part for part in parts if part)
    return " ".join(_NOT_WORD.sub(" ", fold(joined)).split())


def slugify(text: str, max_length: int = 80) -> str:
    slug = _SLUG_INVALID.sub("-", fold(text)).strip("-")
    return slug[:max_length].rstrip("-") or "eintrag"
