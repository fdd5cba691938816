"""HTTP client for a peer's federation endpoints, with bounded time and size per request.

Errors: :class:`PeerUnavailable` (connection, timeout, 5xx, 408/429: retry later),
:class:`BadResponse` (garbage, truncated, oversized, redirected, off the schema, other 4xx),
:class:`BlobMissing` (404 on a blob), :class:`BlobMismatch` (bytes do not match the hash).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from typing import Any

import requests
import urllib3.exceptions

from federation.errors import (
    BadEvent,
    BadResponse,
    BlobMismatch,
    BlobMissing,
    InvalidKey,
    PeerUnavailable,
)
from federation.keys import public_jwks
from federation.payload import origin_url

USER_AGENT = "Musterregister-Federation/1"
MAX_LIMIT = 500
DEFAULT_MAX_BYTES = 16 * 1024 * 1024
_CHUNK = 64 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
_TRANSIENT = frozenset({408, 429})


@dataclass(frozen=True, slots=True)
class FeedEntry:
    seq: int
    jws: str


@dataclass(frozen=True, slots=True)
class ChangesPage:
    """One validated page of ``/changes``: seqs strictly increasing, all after the request's
    ``after``, at most ``limit`` of them; ``next`` is the last seq (or ``after``)."""

    events: tuple[FeedEntry, ...]
    next: int
    latest: int
    more: bool


class FederationClient:
    """Talks to one peer. ``timeout`` is (connect, read) per socket operation; ``total_timeout``
    bounds a whole request including the body; ``max_bytes`` bounds every body."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: tuple[float, float] = (3.05, 10),
        max_bytes: int = DEFAULT_MAX_BYTES,
        total_timeout: float = 60.0,
        session: requests.Session | None = None,
    ) -> None:
        try:
            self.base_url = origin_url(base_url, "base_url")
        except BadEvent as exc:
            raise ValueError(str(exc)) from None
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.total_timeout = total_timeout
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> FederationClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def instance(self) -> dict[str, Any]:
        """The peer's instance document, with its JWKS and vouches checked and normalised."""
        return parse_instance(self._json("/federation/v1/instance"))

    def changes(self, after: int, limit: int) -> ChangesPage:
        """One page of events with seq > ``after``, validated (see :class:`ChangesPage`)."""
        if after < 0 or not 1 <= limit <= MAX_LIMIT:
            raise ValueError("after >= 0 and 1 <= limit <= 500")
        doc = self._json("/federation/v1/changes", {"after": after, "limit": limit})
        return parse_page(doc, after, limit)

    def blob(self, sha256: str) -> bytes:
        """The bytes of a blob, checked against ``sha256`` (:class:`BlobMismatch` otherwise)."""
        if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
            raise ValueError("sha256 must be 64 lowercase hex digits")
        data = self._get(f"/federation/v1/blobs/{sha256}", None, blob=True)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise BlobMismatch(f"blob {sha256[:12]}… does not match its hash")
        return data

    def _json(self, path: str, params: dict[str, int] | None = None) -> dict[str, Any]:
        body = self._get(path, params, blob=False)
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadResponse(f"{path}: not JSON") from exc
        if not isinstance(doc, dict):
            raise BadResponse(f"{path}: not a JSON object")
        return doc

    def _get(self, path: str, params: dict[str, int] | None, *, blob: bool) -> bytes:
        started = time.monotonic()
        try:
            response = self.session.get(
                self.base_url + path,
                params=params,
                timeout=self.timeout,
                stream=True,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise PeerUnavailable(f"{path}: {_describe(exc)}") from exc
        with response:
            _check_status(response, path, blob=blob)
            return self._read(response, path, started)

    def _read(self, response: requests.Response, path: str, started: float) -> bytes:
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            raise BadResponse(f"{path}: larger than {self.max_bytes} bytes")
        chunks, size = [], 0
        try:
            while chunk := response.raw.read1(_CHUNK, decode_content=True):
                size += len(chunk)
                if size > self.max_bytes:
                    raise BadResponse(f"{path}: larger than {self.max_bytes} bytes")
                if time.monotonic() - started > self.total_timeout:
                    raise PeerUnavailable(f"{path}: slower than {self.total_timeout} s")
                chunks.append(chunk)
        except urllib3.exceptions.DecodeError as exc:
            raise BadResponse(f"{path}: undecodable body") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise PeerUnavailable(f"{path}: {_describe(exc)}") from exc
        return b"".join(chunks)


def _check_status(response: requests.Response, path: str, *, blob: bool) -> None:
    status = response.status_code
    if status == 200:
        return
    if status >= 500 or status in _TRANSIENT:
        raise PeerUnavailable(f"{path}: HTTP {status}")
    if blob and status == 404:
        raise BlobMissing(f"{path}: not found")
    raise BadResponse(f"{path}: HTTP {status}")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, requests.Timeout | urllib3.exceptions.TimeoutError | TimeoutError):
        return "timed out"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed"
    return f"transfer failed ({type(exc).__name__})"


def parse_page(doc: dict[str, Any], after: int, limit: int) -> ChangesPage:
    """Validate a ``/changes`` document against the request; :class:`BadResponse` otherwise."""
    raw = doc.get("events")
    if not isinstance(raw, list) or len(raw) > limit:
        raise BadResponse(f"changes: 'events' must be a list of at most {limit}")
    events = tuple(_entry(item) for item in raw)
    previous = after
    for entry in events:
        if entry.seq <= previous:
            raise BadResponse(f"changes: seq {entry.seq} after {previous} (not increasing)")
        previous = entry.seq
    nxt, latest, more = doc.get("next"), doc.get("latest"), doc.get("more")
    if not (_is_int(nxt) and _is_int(latest) and isinstance(more, bool)):
        raise BadResponse("changes: 'next', 'latest' must be integers, 'more' a boolean")
    if nxt != previous or latest < nxt:
        raise BadResponse(f"changes: next={nxt}, latest={latest} inconsistent with the events")
    return ChangesPage(events=events, next=nxt, latest=latest, more=more)


def _entry(item: Any) -> FeedEntry:
    if not isinstance(item, dict):
        raise BadResponse("changes: event is not an object")
    seq, token = item.get("seq"), item.get("jws")
    if not _is_int(seq) or seq < 1 or not isinstance(token, str) or not token:
        raise BadResponse("changes: event needs an integer 'seq' > 0 and a string 'jws'")
    return FeedEntry(seq=seq, jws=token)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_instance(doc: dict[str, Any]) -> dict[str, Any]:
    """Validate an ``/instance`` document; JWKS reduced to public Ed25519 keys."""
    try:
        out = _instance_entry(doc, "instance")
        version = doc.get("protocol_version")
        if not isinstance(version, str) or not 0 < len(version) <= 20:
            raise BadResponse("instance: 'protocol_version' must be a string")
        vouches = doc.get("vouches", [])
        if not isinstance(vouches, list) or len(vouches) > 200:
            raise BadResponse("instance: 'vouches' must be a list")
        items = [_instance_entry(item, "vouch") for item in vouches]
    except InvalidKey as exc:
        raise BadResponse(f"instance: {exc}") from exc
    return {**out, "protocol_version": version, "vouches": items}


def _instance_entry(doc: Any, what: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise BadResponse(f"{what}: not an object")
    name, base_url = doc.get("name"), doc.get("base_url")
    if not isinstance(name, str) or not 0 < len(name) <= 200:
        raise BadResponse(f"{what}: 'name' must be a string")
    try:
        origin_url(base_url, "base_url")
    except BadEvent as exc:
        raise BadResponse(f"{what}: {exc}") from exc
    return {"name": name, "base_url": base_url, "jwks": public_jwks(doc.get("jwks"))}
