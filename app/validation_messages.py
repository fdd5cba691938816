"""German wording for marshmallow's and webargs' English validation messages.

Translated in one place, when an error response is built, so every schema keeps marshmallow's
defaults and clients still get German text. Unknown messages pass through unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_EXACT = {
    "Missing data for required field.": "Pflichtfeld fehlt.",
    "Field may not be null.": "Darf nicht null sein.",
    "Invalid value.": "Ungültiger Wert.",
    "Invalid type.": "Ungültiger Typ.",
    "Invalid input type.": "Ungültiger Eingabetyp.",
    "Invalid input.": "Ungültige Eingabe.",
    "Unknown field.": "Unbekanntes Feld.",
    "Not a valid list.": "Keine gültige Liste.",
    "Not a valid string.": "Kein gültiger Text.",
    "Not a valid utf-8 string.": "Kein gültiger UTF-8-Text.",
    "Not a valid UUID.": "Keine gültige UUID.",
    "Not a valid number.": "Keine gültige Zahl.",
    "Number too large.": "Zahl zu groß.",
    "Not a valid integer.": "Keine gültige ganze Zahl.",
    "Special numeric values (nan or infinity) are not permitted.": "NaN und Unendlich sind nicht erlaubt.",
    "Not a valid boolean.": "Kein gültiger Wahrheitswert.",
    "Not a valid mapping type.": "Kein gültiges Objekt.",
    "Not a valid URL.": "Keine gültige URL (http oder https).",
    "Not a valid email address.": "Keine gültige E-Mail-Adresse.",
    "String does not match expected pattern.": "Entspricht nicht dem erwarteten Format.",
}

_PATTERNS = [
    (
        re.compile(r"^Must be greater than or equal to (.+) and less than or equal to (.+)\.$"),
        "Muss zwischen {0} und {1} liegen.",
    ),
    (re.compile(r"^Must be greater than or equal to (.+)\.$"), "Muss mindestens {0} sein."),
    (re.compile(r"^Must be less than or equal to (.+)\.$"), "Darf höchstens {0} sein."),
    (
        re.compile(r"^Length must be between (\d+) and (\d+)\.$"),
        "Länge muss zwischen {0} und {1} liegen.",
    ),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), "Länger als {0} Zeichen."),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), "Kürzer als {0} Zeichen."),
    (re.compile(r"^Must be one of: (.+)\.$"), "Muss einer dieser Werte sein: {0}."),
    (
        re.compile(r"^Not a valid (aware )?datetime\.$"),
        "Kein gültiger Zeitpunkt (ISO 8601 mit Zeitzone).",
    ),
]


def german(message: str) -> str:
    if message in _EXACT:
        return _EXACT[message]
    for pattern, template in _PATTERNS:
        match = pattern.match(message)
        if match:
            return template.format(*match.groups())
    return message


def translate(messages: Any) -> Any:
    """Translate every message in a (nested) marshmallow error structure."""
    if isinstance(messages, str):
        return german(messages)
    if isinstance(messages, Mapping):
        return {key: translate(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [translate(value) for value in messages]
    return messages
