"""LeiKa keys (Leistungsschlüssel): 14 digits, grouped 2-3-3-3-3.

Structure: prefix, Leistungsgruppierung, Leistungskennung, Verrichtung, Verrichtungsdetail. A group of
``000`` at the end means "not specified further", so such a key covers every key that continues it
(``99115001000000`` names the object "Wohnsitz" and covers ``99115001104000``, its Anmeldung).
"""

from __future__ import annotations

import re

LEIKA_KEY_LENGTH = 14
_KEY = re.compile(r"\d{14}")
_PREFIX = re.compile(r"\d{1,14}")
_GROUP_ENDS = (14, 11, 8)  # where Verrichtungsdetail, Verrichtung and Leistungskennung end


def is_leika_key(value: str) -> bool:
    return bool(_KEY.fullmatch(value))


def is_leika_prefix(value: str) -> bool:
    return bool(_PREFIX.fullmatch(value))


def covering_prefix(key_or_prefix: str) -> str:
    """The prefix a filter matches: trailing unspecified groups of a full key are dropped."""
    if not is_leika_key(key_or_prefix):
        return key_or_prefix
    prefix = key_or_prefix
    for end in _GROUP_ENDS[:2]:
        if prefix[end - 3 : end] != "000" or len(prefix) != end:
            break
        prefix = prefix[: end - 3]
    return prefix
