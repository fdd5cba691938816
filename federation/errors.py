"""Errors of the federation protocol. Every error the library raises is a :class:`FederationError`."""

from __future__ import annotations


class FederationError(Exception):
    """Base class of all federation errors."""


class PeerUnavailable(FederationError):
    """The peer could not be reached, timed out, or answered 5xx (worth retrying later)."""


class BadResponse(FederationError):
    """The peer answered, but with garbage: not JSON, truncated, oversized, or off the schema."""


class BlobMismatch(FederationError):
    """A blob's bytes do not hash to the SHA-256 they were asked for."""


class BlobMissing(FederationError):
    """The peer does not have the blob (404)."""


class SignatureInvalid(FederationError):
    """An event's JWS does not verify against the trusted keys."""


class BadEvent(FederationError):
    """An event payload is off the schema (the message names the field)."""


class UntrustedOrigin(FederationError):
    """An event claims an origin whose keys this instance does not trust."""


class InvalidKey(FederationError, ValueError):
    """A JWK or JWKS is malformed or not an Ed25519 public key where one is required."""
