"""The feed format: canonical JSON, signing and verifying events (compact JWS, EdDSA/Ed25519).

Only ``alg`` ``EdDSA`` with an Ed25519 key from the caller's JWKS (chosen by ``kid``) verifies;
``none``, HMAC and every other algorithm are refused, and keys embedded in the header (``jwk``,
``jku``, ``x5u``, ``x5c``) are never looked at: the header may hold ``alg``, ``kid`` and ``typ``.
"""

from __future__ import annotations

import base64
import binascii
import json
from functools import lru_cache
from typing import Any

from joserfc import jws as jose
from joserfc.errors import JoseError, UnsupportedAlgorithmError
from joserfc.jwk import OKPKey
from joserfc.jws import JWSRegistry

from federation.errors import BadEvent, InvalidKey, SignatureInvalid
from federation.keys import ALGORITHM, CURVE, find_key
from federation.payload import MAX_PAYLOAD_BYTES, validate_payload

__all__ = [
    "MAX_JWS_LENGTH",
    "PROTOCOL_VERSION",
    "canonical_json",
    "peek_origin",
    "sign_event",
    "validate_payload",
    "verify_event",
]

PROTOCOL_VERSION = "1"
MAX_JWS_LENGTH = 2 * MAX_PAYLOAD_BYTES
ALLOWED_HEADER = frozenset({"alg", "kid", "typ"})


class _EdDSARegistry(JWSRegistry):
    """Allows exactly EdDSA. joserfc warns that RFC 9864 deprecates the polymorphic "EdDSA" in
    favour of "Ed25519"; the contract fixes "EdDSA" and keys are checked to be Ed25519, so the
    ambiguity the RFC addresses does not arise here and the warning is not raised."""

    max_payload_length = MAX_PAYLOAD_BYTES

    def get_alg(self, name: str) -> Any:
        if name != ALGORITHM:
            raise UnsupportedAlgorithmError(f"Algorithm of '{name}' is not allowed")
        return self.algorithms[ALGORITHM]


_REGISTRY = _EdDSARegistry(algorithms=[ALGORITHM])


def canonical_json(value: Any) -> bytes:
    """Deterministic UTF-8 JSON: sorted keys, no whitespace, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sign_event(payload: dict[str, Any], private_jwk: dict[str, Any]) -> str:
    """Validate ``payload`` and sign its canonical JSON as a compact JWS with the private key."""
    checked = validate_payload(payload)
    if (
        private_jwk.get("kty") != "OKP"
        or private_jwk.get("crv") != CURVE
        or "kid" not in private_jwk
    ):
        raise InvalidKey("signing needs an Ed25519 private JWK with kid")
    key = OKPKey.import_key(private_jwk)
    header = {"alg": ALGORITHM, "kid": private_jwk["kid"]}
    return jose.serialize_compact(header, canonical_json(checked), key, registry=_REGISTRY)


def verify_event(jws: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """Verify a compact JWS against ``jwks`` and return its payload (a JSON object).

    Raises :class:`SignatureInvalid` for anything that is not a valid EdDSA signature by a key of
    ``jwks``, and :class:`BadEvent` if a valid signature covers something that is not an object."""
    header = _header(jws)
    kid = header.get("kid")
    try:
        jwk = find_key(jwks, kid) if isinstance(kid, str) else None
    except InvalidKey as exc:
        raise SignatureInvalid(f"trusted keys unusable: {exc}") from exc
    if jwk is None:
        raise SignatureInvalid("unknown kid")
    try:
        obj = jose.deserialize_compact(jws, _verifying_key(jwk["x"]), registry=_REGISTRY)
    except (JoseError, ValueError) as exc:
        raise SignatureInvalid(f"signature does not verify ({type(exc).__name__})") from exc
    return _object(obj.payload)


@lru_cache(maxsize=64)
def _verifying_key(x: str) -> OKPKey:
    """The imported public key (checked by ``find_key``); imported once, not per event."""
    return OKPKey.import_key({"kty": "OKP", "crv": CURVE, "x": x})


def peek_origin(jws: str) -> str:
    """The ``origin`` claimed by an event, WITHOUT verifying it: only to choose whose keys apply."""
    payload = peek_payload(jws)
    origin = payload.get("origin")
    if not isinstance(origin, str) or not origin:
        raise BadEvent("event.origin: expected a string")
    return origin


def peek_payload(jws: str) -> dict[str, Any]:
    """The unverified payload object of a compact JWS (for choosing keys and logging only)."""
    return _object(_segment(_segments(jws)[1]))


def _segments(token: Any) -> list[str]:
    if not isinstance(token, str) or len(token) > MAX_JWS_LENGTH:
        raise SignatureInvalid("not a compact JWS")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise SignatureInvalid("not a compact JWS")
    return parts


def _segment(part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError) as exc:
        raise SignatureInvalid("not a compact JWS (base64url)") from exc


def _header(token: str) -> dict[str, Any]:
    try:
        header = json.loads(_segment(_segments(token)[0]))
    except ValueError as exc:
        raise SignatureInvalid("JWS header is not JSON") from exc
    if not isinstance(header, dict):
        raise SignatureInvalid("JWS header is not an object")
    if header.get("alg") != ALGORITHM:
        raise SignatureInvalid(f"algorithm not allowed: {str(header.get('alg'))[:20]!r}")
    extra = sorted(set(header) - ALLOWED_HEADER)
    if extra:
        raise SignatureInvalid(f"JWS header member(s) not allowed: {', '.join(extra)[:100]}")
    return header


def _object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise BadEvent("payload: not JSON") from exc
    if not isinstance(value, dict):
        raise BadEvent("payload: expected an object")
    return value
