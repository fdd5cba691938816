"""German wording for marshmallow's and webargs' English validation messages.

Translated in one place, when an error response is built, so every schema keeps marshmallow's
defaults and clients still get German text (or the reader's language, through gettext: the German
wording is the msgid). Unknown messages pass through unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.i18n import _l

_EXACT = {
    "Missing data for required field.": _l("Pflichtfeld fehlt."),
    "Field may not be null.": _l("Darf nicht null sein."),
    "Invalid value.": _l("Ungültiger Wert."),
    "Invalid type.": _l("Ungültiger Typ."),
    "Invalid input type.": _l("Ungültiger Eingabetyp."),
    "Invalid input.": _l("Ungültige Eingabe."),
    "Unknown field.": _l("Unbekanntes Feld."),
    "Not a valid list.": _l("Keine gültige Liste."),
    "Not a valid string.": _l("Kein gültiger Text."),
    "Not a valid utf-8 string.": _l("Kein gültiger UTF-8-Text."),
    "Not a valid UUID.": _l("Keine gültige UUID."),
    "Not a valid number.": _l("Keine gültige Zahl."),
    "Number too large.": _l("Zahl zu groß."),
    "Not a valid integer.": _l("Keine gültige ganze Zahl."),
    "Special numeric values (nan or infinity) are not permitted.": _l(
        "NaN und Unendlich sind nicht erlaubt."
    ),
    "Not a valid boolean.": _l("Kein gültiger Wahrheitswert."),
    "Not a valid mapping type.": _l("Kein gültiges Objekt."),
    "Not a valid URL.": _l("Keine gültige URL (http oder https)."),
    "Not a valid email address.": _l("Keine gültige E-Mail-Adresse."),
    "String does not match expected pattern.": _l("Entspricht nicht dem erwarteten Format."),
}

# marshmallow's message pattern → German with the pattern's groups as placeholders.
_TEMPLATES = {
    r"^Must be greater than or equal to (?P<minimum>.+) and less than or equal to "
    r"(?P<maximum>.+)\.$": _l("Muss zwischen %(minimum)s und %(maximum)s liegen."),
    r"^Must be greater than or equal to (?P<minimum>.+)\.$": _l(
        "Muss mindestens %(minimum)s sein."
    ),
    r"^Must be less than or equal to (?P<maximum>.+)\.$": _l("Darf höchstens %(maximum)s sein."),
    r"^Length must be between (?P<minimum>\d+) and (?P<maximum>\d+)\.$": _l(
        "Länge muss zwischen %(minimum)s und %(maximum)s liegen."
    ),
    r"^Longer than maximum length (?P<maximum>\d+)\.$": _l("Länger als %(maximum)s Zeichen."),
    r"^Shorter than minimum length (?P<minimum>\d+)\.$": _l("Kürzer als %(minimum)s Zeichen."),
    r"^Must be one of: (?P<choices>.+)\.$": _l("Muss einer dieser Werte sein: %(choices)s."),
    r"^Not a valid (?:aware )?datetime\.$": _l("Kein gültiger Zeitpunkt (ISO 8601 mit Zeitzone)."),
}
_PATTERNS = [(re.compile(pattern), template) for pattern, template in _TEMPLATES.items()]


def german(message: str) -> str:
    """The message in the reader's language (German unless a catalogue translates it)."""
    if message in _EXACT:
        return str(_EXACT[message])
    for pattern, template in _PATTERNS:
        match = pattern.match(message)
        if match:
            return str(template) % match.groupdict()
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
