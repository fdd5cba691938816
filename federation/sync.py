"""Pull one peer's feed from a cursor, page by page, into an :class:`Importer`.

Per event: choose the keys by the claimed origin (``keys_for``; None = untrusted), verify the
signature, validate the payload, ``apply`` (which commits), then ``advance`` the cursor. An event
that fails any check, or whose blob is missing or does not match its hash, is ``refuse``-d and the
cursor moves past it. A page that cannot be fetched or is malformed (:class:`PeerUnavailable`,
:class:`BadResponse`) is retried with exponential backoff; when retries or the deadline run out
the run stops *without* advancing. An unexpected error in ``apply`` stops the run before that
event, so the next run retries it. Exceptions raised by the importer's other methods propagate
(the cursor is still consistent). Only one page is held in memory at a time.

The deadline bounds backoff sleeps and is checked between events; a request in flight is bounded
by the client's own timeouts. Stopping at the deadline while making progress is not an error.

While one event is applied, the blobs of the next few ``published`` events of the page are fetched
in the background (:class:`_Prefetch`, at most ``prefetch`` blobs fetched or held at a time, so
memory stays bounded). Which blob to fetch is read from the event before it is verified; the bytes
are checked against their hash as always and handed to ``apply`` only when the verified event asks
for that hash. A failed prefetch surfaces exactly as the same fetch during ``apply`` would.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from federation.client import FederationClient, FeedEntry
from federation.errors import (
    BadResponse,
    BlobMismatch,
    BlobMissing,
    FederationError,
    PeerUnavailable,
    UntrustedOrigin,
)
from federation.feed import peek_origin, peek_payload, verify_event
from federation.payload import validate_payload

T = TypeVar("T")
PREFETCH = 8  # blobs fetched ahead of the event being applied
PREFETCH_THREADS = 4
_SHA256 = re.compile(r"[0-9a-f]{64}")
TRANSIENT = (PeerUnavailable, BadResponse)
REFUSE_BLOB = (BlobMismatch, BlobMissing)


class Importer(Protocol):
    """What the application provides to :func:`sync_peer` for one peer."""

    def keys_for(self, origin: str) -> dict[str, Any] | None:
        """The JWKS trusted for events of ``origin``; None if that origin is not trusted."""

    def apply(
        self, seq: int, event: dict[str, Any], fetch_blob: Callable[[str], bytes], jws: str
    ) -> None:
        """Import one verified event idempotently in its own transaction and commit.

        ``jws`` is the event as signed by its origin, for relaying it unchanged."""

    def advance(self, seq: int) -> None:
        """Store the cursor; called only after ``apply`` committed (or after ``refuse``)."""

    def refuse(self, seq: int, event_id: str | None, reason: str) -> None:
        """Log a refused event; the cursor then advances past it."""

    def report(self, *, latest: int | None, error: str | None) -> None:
        """Record the outcome of the run (peer's latest seq, error or None)."""

    # Optional: ``prepare(event, blob)`` – called from a prefetching thread with the *unverified*
    # payload of a coming ``published`` event and its hash-checked blob, so that the importer can
    # start work that depends only on those bytes (e.g. analysing them). Whatever it prepares
    # must be keyed by the bytes, and used in ``apply`` only for the same bytes. Its errors are
    # ignored. Optional: ``before_prefetch()`` – called once, from the thread that called
    # ``sync_peer``, before the first prefetching thread starts (only if there is a blob to get).


@dataclass
class SyncReport:
    applied: int = 0
    refused: int = 0
    pages: int = 0
    cursor: int = 0
    latest: int | None = None
    error: str | None = None


class _Stop(Exception):
    """Ends the run without advancing; the message becomes the report's error."""


def sync_peer(
    client: FederationClient,
    importer: Importer,
    cursor: int,
    *,
    page_size: int = 100,
    deadline_s: float = 60,
    max_retries: int = 5,
    backoff: tuple[float, float, float] = (0.5, 2.0, 30.0),
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    prefetch: int = PREFETCH,
) -> SyncReport:
    """Pull events after ``cursor`` until the peer has no more, or retries or time run out.

    ``prefetch``: how many blobs of the coming events are fetched ahead (0: none)."""
    if isinstance(cursor, bool) or not isinstance(cursor, int) or cursor < 0:
        raise ValueError("cursor must be an integer >= 0")
    policy = _Policy(page_size, max_retries, backoff, sleep, clock, clock() + deadline_s)
    hooks = (getattr(importer, "prepare", None), getattr(importer, "before_prefetch", None))
    with _Prefetch(lambda sha256: client.blob(sha256), prefetch, *hooks) as ahead:
        return _Run(client, importer, cursor, policy, ahead).run()


@dataclass(frozen=True)
class _Policy:
    page_size: int
    max_retries: int
    backoff: tuple[float, float, float]
    sleep: Callable[[float], None]
    clock: Callable[[], float]
    deadline: float


class _Run:
    def __init__(
        self,
        client: FederationClient,
        importer: Importer,
        cursor: int,
        policy: _Policy,
        ahead: _Prefetch,
    ) -> None:
        self.client, self.importer, self.policy, self.ahead = client, importer, policy, ahead
        self.report = SyncReport(cursor=cursor)
        self.blob_error: FederationError | None = None

    def run(self) -> SyncReport:
        try:
            while self._pull_page():
                pass
        except _Stop as stop:
            self.report.error = str(stop)
        self.importer.report(latest=self.report.latest, error=self.report.error)
        return self.report

    def _pull_page(self) -> bool:
        """One page; True if there is more to pull and time left."""
        after = self.report.cursor
        page = self._retrying(lambda: self.client.changes(after, self.policy.page_size))
        self.report.pages += 1
        self.report.latest = page.latest
        self.ahead.start_page(page.events)
        for index, entry in enumerate(page.events):
            self.ahead.reach(index)
            if entry.seq > self.report.cursor:  # never apply an event twice
                self._handle(entry)
            if self.policy.clock() >= self.policy.deadline:
                return False
        return page.more and bool(page.events)

    def _handle(self, entry: FeedEntry) -> None:
        try:
            event = self._verified(entry.jws)
        except FederationError as exc:
            return self._refuse(entry, exc)
        try:
            self._retrying(lambda: self._apply(entry.seq, event, entry.jws))
        except REFUSE_BLOB as exc:
            return self._refuse(entry, exc)
        self.importer.advance(entry.seq)
        self.report.cursor = entry.seq
        self.report.applied += 1
        return None

    def _verified(self, token: str) -> dict[str, Any]:
        origin = peek_origin(token)
        jwks = self.importer.keys_for(origin)
        if jwks is None:
            raise UntrustedOrigin(origin[:300])
        return validate_payload(verify_event(token, jwks))

    def _apply(self, seq: int, event: dict[str, Any], jws: str) -> None:
        self.blob_error = None
        try:
            self.importer.apply(seq, event, self._fetch_blob, jws)
        except Exception as exc:
            # a blob error counts even if the importer wrapped it in its own exception
            error = self.blob_error or exc
            if isinstance(error, REFUSE_BLOB + TRANSIENT):
                raise error from None if error is exc else exc
            raise _Stop(f"apply failed at seq {seq}: {type(exc).__name__}: {exc}") from exc

    def _fetch_blob(self, sha256: str) -> bytes:
        try:
            return self.ahead.take(sha256)
        except FederationError as exc:
            self.blob_error = exc
            raise

    def _refuse(self, entry: FeedEntry, exc: FederationError) -> None:
        reason = f"{_label(exc)}: {exc}"
        self.importer.refuse(entry.seq, _event_id(entry.jws), reason)
        self.importer.advance(entry.seq)
        self.report.cursor = entry.seq
        self.report.refused += 1

    def _retrying(self, action: Callable[[], T]) -> T:
        """Run ``action``; on a transient peer error sleep with capped exponential backoff and
        retry, at most ``max_retries`` times and never past the deadline."""
        policy = self.policy
        base, factor, cap = policy.backoff
        for attempt in range(policy.max_retries + 1):
            try:
                return action()
            except TRANSIENT as exc:
                delay = min(cap, base * factor**attempt)
                if attempt == policy.max_retries or policy.clock() + delay > policy.deadline:
                    raise _Stop(f"{_label(exc)}: {exc}") from exc
                policy.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


class _Prefetch:
    """Blobs of the current page's coming ``published`` events, fetched by a few threads.

    ``reach(i)`` is called before event ``i`` is handled: it drops what earlier events left
    unused and keeps the blobs of events ``i .. i + size - 1`` fetched or on their way; ``take``
    hands out the current event's blob (or fetches it now if it was not prefetched)."""

    def __init__(
        self,
        fetch: Callable[[str], bytes],
        size: int,
        prepare: Callable[[dict[str, Any], bytes], object] | None = None,
        before_start: Callable[[], object] | None = None,
    ) -> None:
        self.fetch, self.size, self.prepare = fetch, max(size, 0), prepare
        self.before_start = before_start
        self.pool: ThreadPoolExecutor | None = None
        self.wanted: list[tuple[str, dict[str, Any]] | None] = []
        self.window: dict[int, tuple[str, Future[bytes]]] = {}
        self.next = 0

    def __enter__(self) -> _Prefetch:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._drop(len(self.wanted))
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def start_page(self, entries: tuple[FeedEntry, ...]) -> None:
        self._drop(len(self.wanted))
        self.wanted = [_published_blob(entry.jws) for entry in entries] if self.size else []
        self.next = 0

    def reach(self, index: int) -> None:
        self._drop(index)
        self.next = max(self.next, index)
        while self.next < min(index + self.size, len(self.wanted)):
            wanted = self.wanted[self.next]
            if wanted is not None:
                future = self._pool().submit(self._fetch_and_prepare, *wanted)
                self.window[self.next] = (wanted[0], future)
            self.next += 1

    def take(self, sha256: str) -> bytes:
        for index, (wanted, future) in sorted(self.window.items()):
            if wanted == sha256:
                del self.window[index]
                return future.result()
        return self.fetch(sha256)

    def _fetch_and_prepare(self, sha256: str, payload: dict[str, Any]) -> bytes:
        data = self.fetch(sha256)
        if self.prepare is not None:
            with contextlib.suppress(Exception):  # a head start only: apply does it otherwise
                self.prepare(payload, data)
        return data

    def _drop(self, before: int) -> None:
        for index in [i for i in self.window if i < before]:
            self.window.pop(index)[1].cancel()

    def _pool(self) -> ThreadPoolExecutor:
        if self.pool is None:
            if self.before_start is not None:
                self.before_start()  # still in the calling thread, before any other starts
            threads = min(PREFETCH_THREADS, self.size)
            self.pool = ThreadPoolExecutor(threads, thread_name_prefix="federation-blob")
        return self.pool


def _published_blob(token: str) -> tuple[str, dict[str, Any]] | None:
    """The hash a ``published`` event claims, with its payload (unverified: only to choose what
    to prefetch)."""
    try:
        payload = peek_payload(token)
    except FederationError:
        return None
    revision = payload.get("revision")
    sha256 = revision.get("sha256") if isinstance(revision, dict) else None
    published = payload.get("kind") == "published" and isinstance(sha256, str)
    return (sha256, payload) if published and _SHA256.fullmatch(sha256) else None


def _label(exc: BaseException) -> str:
    return {
        "PeerUnavailable": "peer unavailable",
        "BadResponse": "bad response",
        "BlobMismatch": "blob hash mismatch",
        "BlobMissing": "blob missing",
        "SignatureInvalid": "signature invalid",
        "BadEvent": "bad event",
        "UntrustedOrigin": "untrusted origin",
    }.get(type(exc).__name__, type(exc).__name__)


def _event_id(token: str) -> str | None:
    """The event id claimed by a (possibly unverifiable) event, for the refusal log only."""
    try:
        value = peek_payload(token).get("event_id")
    except FederationError:
        return None
    return value if isinstance(value, str) and 0 < len(value) <= 64 else None
