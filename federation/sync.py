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
"""

from __future__ import annotations

import time
from collections.abc import Callable
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
) -> SyncReport:
    """Pull events after ``cursor`` until the peer has no more, or retries or time run out."""
    if isinstance(cursor, bool) or not isinstance(cursor, int) or cursor < 0:
        raise ValueError("cursor must be an integer >= 0")
    policy = _Policy(page_size, max_retries, backoff, sleep, clock, clock() + deadline_s)
    return _Run(client, importer, cursor, policy).run()


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
        self, client: FederationClient, importer: Importer, cursor: int, policy: _Policy
    ) -> None:
        self.client, self.importer, self.policy = client, importer, policy
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
        for entry in page.events:
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
            return self.client.blob(sha256)
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
