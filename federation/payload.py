"""Strict schema of a signed event payload (version 1), see ``federation/CONTRACT.md``.

:func:`validate_payload` returns a normalised copy (sections a kind does not carry are ``None``)
or raises :class:`~federation.errors.BadEvent` with a message naming the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from federation.errors import BadEvent

PAYLOAD_VERSION = 1
MAX_PAYLOAD_BYTES = 256 * 1024
SHORT, LONG, MAX_ITEMS, MAX_BLOB_SIZE = 1000, 100_000, 500, 1 << 34
SECTIONS = ("authority", "process", "model", "revision")
#: Which sections each kind carries; the others must be null or absent.
KINDS: dict[str, frozenset[str]] = {
    "published": frozenset(SECTIONS),
    "withdrawn": frozenset(SECTIONS),
    "superseded": frozenset(SECTIONS),
    "process-updated": frozenset({"authority", "process"}),
    "authority-updated": frozenset({"authority"}),
}
_HEX32 = re.compile(r"[0-9a-f]{32}")
_SHA256 = re.compile(r"[0-9a-f]{64}")

Check = Callable[[Any, str], Any]


def _fail(path: str, problem: str) -> BadEvent:
    return BadEvent(f"{path}: {problem}")


def text(max_len: int = SHORT, *, optional: bool = False, empty: bool = True) -> Check:
    def check(value: Any, path: str) -> Any:
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise _fail(path, "expected a string")
        if len(value) > max_len or (not value and not empty):
            raise _fail(path, f"length must be {0 if empty else 1}..{max_len}")
        return value

    return check


def integer(minimum: int, maximum: int) -> Check:
    def check(value: Any, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(path, "expected an integer")
        if not minimum <= value <= maximum:
            raise _fail(path, f"must be in {minimum}..{maximum}")
        return value

    return check


def pattern(regex: re.Pattern[str], what: str) -> Check:
    def check(value: Any, path: str) -> Any:
        if not isinstance(value, str) or not regex.fullmatch(value):
            raise _fail(path, f"expected {what}")
        return value

    return check


def timestamp(*, optional: bool = False) -> Check:
    def check(value: Any, path: str) -> Any:
        if value is None and optional:
            return None
        if not isinstance(value, str) or len(value) > 40:
            raise _fail(path, "expected an ISO 8601 timestamp")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise _fail(path, "expected an ISO 8601 timestamp") from None
        if parsed.utcoffset() != timedelta(0):
            raise _fail(path, "timestamp must be in UTC")
        return value

    return check


def choice(options: Collection[str]) -> Check:
    def check(value: Any, path: str) -> Any:
        if not isinstance(value, str) or value not in options:
            raise _fail(path, f"expected one of {', '.join(options)}")
        return value

    return check


def list_of(item: Check) -> Check:
    def check(value: Any, path: str) -> Any:
        if not isinstance(value, list) or len(value) > MAX_ITEMS:
            raise _fail(path, f"expected a list of at most {MAX_ITEMS} items")
        return [item(element, f"{path}[{i}]") for i, element in enumerate(value)]

    return check


def flat_object(*, optional: bool = False) -> Check:
    """An object of short string keys to strings, integers or null (legal bases, upstream)."""
    scalar = text(LONG, optional=True)

    def check(value: Any, path: str) -> Any:
        if value is None and optional:
            return None
        if not isinstance(value, dict) or len(value) > 20:
            raise _fail(path, "expected an object of at most 20 members")
        out = {}
        for key, member in value.items():
            if not isinstance(key, str) or len(key) > 100:
                raise _fail(path, "member name too long")
            is_int = isinstance(member, int) and not isinstance(member, bool)
            out[key] = member if is_int else scalar(member, f"{path}.{key}")
        return out

    return check


def origin_url(value: Any, path: str) -> Any:
    text(300, empty=False)(value, path)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _fail(path, "expected an http(s) URL")
    if value.endswith("/") or parts.query or parts.fragment or "#" in value or "?" in value:
        raise _fail(path, "base URL without trailing slash, query or fragment")
    return value


ID = text(100, empty=False)
STRINGS = list_of(text(SHORT))
AUTHORITY: dict[str, Check] = {
    "id": ID,
    "slug": text(200, empty=False),
    "name": text(SHORT, empty=False),
    "kind": text(100, empty=False),
    "state": text(20, optional=True),
    "ars": text(20, optional=True),
}
PROCESS: dict[str, Check] = {
    "id": ID,
    "title": text(SHORT, empty=False),
    "description": text(LONG, optional=True),
    "leika_keys": list_of(text(30, empty=False)),
    "ozg_id": text(30, optional=True),
    "legal_bases": list_of(flat_object()),
    "responsible_unit": text(SHORT, optional=True),
    "trigger": text(LONG, optional=True),
    "result": text(LONG, optional=True),
    "required_documents": STRINGS,
    "fees": text(LONG, optional=True),
    "keywords": STRINGS,
    "synonyms": STRINGS,
}
MODEL: dict[str, Check] = {
    "id": ID,
    "title": text(SHORT, empty=False),
    "description": text(LONG, optional=True),
    "upstream": flat_object(optional=True),
}
REVISION: dict[str, Check] = {
    "id": ID,
    "number": integer(1, 1_000_000_000),
    "sha256": pattern(_SHA256, "a SHA-256 digest (64 lowercase hex digits)"),
    "size": integer(0, MAX_BLOB_SIZE),
    "filename": text(255, empty=False),
    "media_type": text(100, empty=False),
    "message": text(LONG, optional=True),
    "author_name": text(SHORT),
    "published_at": timestamp(optional=True),
}
SECTION_SCHEMAS = {"authority": AUTHORITY, "process": PROCESS, "model": MODEL, "revision": REVISION}
HEADER: dict[str, Check] = {
    "v": integer(PAYLOAD_VERSION, PAYLOAD_VERSION),
    "event_id": pattern(_HEX32, "a UUID4 as 32 lowercase hex digits"),
    "kind": choice(KINDS),
    "origin": origin_url,
    "occurred_at": timestamp(),
}


def obj(value: Any, schema: dict[str, Check], path: str, extra: Collection[str] = ()) -> dict:
    """Check an object against a schema: its keys required, no others but ``extra`` allowed."""
    if not isinstance(value, dict):
        raise _fail(path, "expected an object")
    unknown = sorted(set(value) - set(schema) - set(extra), key=str)
    if unknown:
        raise _fail(path, f"unknown member(s) {', '.join(map(str, unknown))}")
    missing = [key for key in schema if key not in value]
    if missing:
        raise _fail(path, f"missing member(s) {', '.join(missing)}")
    return {key: check(value[key], f"{path}.{key}") for key, check in schema.items()}


def validate_payload(payload: Any) -> dict[str, Any]:
    """Check a payload strictly against the v1 schema; return a normalised copy."""
    if not isinstance(payload, dict):
        raise BadEvent("payload: expected an object")
    _check_size(payload)
    out = obj(payload, HEADER, "event", extra=SECTIONS)
    carried = KINDS[out["kind"]]
    for section in SECTIONS:
        out[section] = _section(payload.get(section), section, section in carried)
    return out


def _section(value: Any, name: str, carried: bool) -> dict[str, Any] | None:
    if not carried:
        if value is not None:
            raise _fail(name, "must be null for this kind")
        return None
    if value is None:
        raise _fail(name, "required for this kind")
    return obj(value, SECTION_SCHEMAS[name], name)


def _check_size(payload: dict[str, Any]) -> None:
    try:
        size = len(json.dumps(payload, ensure_ascii=False, allow_nan=False).encode())
    except (TypeError, ValueError) as exc:
        raise BadEvent("payload: not representable as JSON") from exc
    if size > MAX_PAYLOAD_BYTES:
        raise BadEvent(f"payload: larger than {MAX_PAYLOAD_BYTES} bytes")
