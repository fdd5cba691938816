"""The federation protocol as a library: keys, feed format, HTTP client and the sync loop.

It never imports ``app``; the application provides the endpoints and an :class:`Importer`.

- :mod:`federation.keys`: Ed25519 keys (JWK), RFC 7638 thumbprints (``kid``), fingerprints.
- :mod:`federation.feed`: signing and verifying events (compact JWS, EdDSA only).
- :mod:`federation.payload`: the strict v1 event schema (:func:`validate_payload`).
- :mod:`federation.client`: :class:`FederationClient` with bounded time and size per request.
- :mod:`federation.sync`: :func:`sync_peer`, resumable from a cursor, page by page.

The wire protocol is described in ``federation/CONTRACT.md``.
"""

from federation.client import ChangesPage, FederationClient, FeedEntry
from federation.errors import (
    BadEvent,
    BadResponse,
    BlobMismatch,
    BlobMissing,
    FederationError,
    InvalidKey,
    PeerUnavailable,
    SignatureInvalid,
    UntrustedOrigin,
)
from federation.feed import PROTOCOL_VERSION, peek_origin, sign_event, verify_event
from federation.keys import fingerprint, generate_key, thumbprint
from federation.payload import validate_payload
from federation.sync import Importer, SyncReport, sync_peer

__all__ = [
    "PROTOCOL_VERSION",
    "BadEvent",
    "BadResponse",
    "BlobMismatch",
    "BlobMissing",
    "ChangesPage",
    "FederationClient",
    "FederationError",
    "FeedEntry",
    "Importer",
    "InvalidKey",
    "PeerUnavailable",
    "SignatureInvalid",
    "SyncReport",
    "UntrustedOrigin",
    "fingerprint",
    "generate_key",
    "peek_origin",
    "sign_event",
    "sync_peer",
    "thumbprint",
    "validate_payload",
    "verify_event",
]
