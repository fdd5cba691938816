"""Ed25519 signing keys (JWK, via joserfc), RFC 7638 thumbprints and operator fingerprints.

The ``kid`` of every key is its RFC 7638 thumbprint. The fingerprint an operator confirms is the
SHA-256 (hex, grouped by four) of the thumbprint inputs of all keys of a JWKS, sorted by ``kid``
and joined by newlines; for a JWKS with one key it is the hex form of that key's thumbprint.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any

from joserfc.jwk import OKPKey

from federation.errors import InvalidKey

#: Members that make up the RFC 7638 thumbprint input, per key type.
REQUIRED_MEMBERS: dict[str, tuple[str, ...]] = {
    "OKP": ("crv", "kty", "x"),
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "oct": ("k", "kty"),
}
ALGORITHM = "EdDSA"
CURVE = "Ed25519"
MAX_KEYS = 20


def generate_key() -> tuple[dict[str, Any], dict[str, Any]]:
    """A new Ed25519 key pair as ``(private_jwk, public_jwk)``; both carry ``kid``."""
    key = OKPKey.generate_key(CURVE)
    private = {**key.as_dict(private=True), "alg": ALGORITHM, "use": "sig"}
    public = {member: private[member] for member in ("kty", "crv", "x", "alg", "use")}
    kid = thumbprint(public)
    return {**private, "kid": kid}, {**public, "kid": kid}


def thumbprint_input(jwk: dict[str, Any]) -> str:
    """The RFC 7638 thumbprint input: the required members, sorted, without whitespace."""
    if not isinstance(jwk, dict):
        raise InvalidKey("JWK must be an object")
    members = REQUIRED_MEMBERS.get(jwk.get("kty"))  # type: ignore[arg-type]
    if members is None:
        raise InvalidKey(f"unsupported key type: {jwk.get('kty')!r}")
    values = {member: jwk.get(member) for member in members}
    if not all(isinstance(value, str) and value for value in values.values()):
        raise InvalidKey(f"JWK misses one of {', '.join(members)}")
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def thumbprint(jwk: dict[str, Any]) -> str:
    """The RFC 7638 SHA-256 thumbprint of a JWK, base64url without padding."""
    digest = hashlib.sha256(thumbprint_input(jwk).encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def fingerprint(jwks: dict[str, Any]) -> str:
    """SHA-256 hex over the thumbprint inputs of all keys (sorted by kid), as ``ab12 cd34 …``."""
    keys = _key_list(jwks)
    inputs = sorted((thumbprint(key), thumbprint_input(key)) for key in keys)
    digest = hashlib.sha256("\n".join(text for _, text in inputs).encode("ascii")).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def public_jwks(jwks: Any) -> dict[str, Any]:
    """Validate a JWKS of Ed25519 public keys and return it with public members only.

    Every key needs ``kid`` equal to its thumbprint; private members (``d``) are dropped."""
    return {"keys": [_public_key(key) for key in _key_list(jwks)]}


def find_key(jwks: dict[str, Any], kid: str) -> dict[str, Any] | None:
    """The Ed25519 public key with that ``kid`` (checked against its thumbprint), or None."""
    for key in _key_list(jwks):
        if isinstance(key, dict) and key.get("kid") == kid:
            return _public_key(key)
    return None


def _key_list(jwks: Any) -> list[Any]:
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not keys:
        raise InvalidKey("JWKS needs a non-empty list 'keys'")
    if len(keys) > MAX_KEYS:
        raise InvalidKey(f"JWKS has more than {MAX_KEYS} keys")
    return keys


def _public_key(key: Any) -> dict[str, Any]:
    if isinstance(key, dict) and all(isinstance(value, str) for value in key.values()):
        return dict(_checked_public_key(tuple(sorted(key.items()))))  # a sync checks it per event
    return _check_public_key(key)


@lru_cache(maxsize=64)
def _checked_public_key(members: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple(_check_public_key(dict(members)).items())


def _check_public_key(key: Any) -> dict[str, Any]:
    if not isinstance(key, dict) or key.get("kty") != "OKP" or key.get("crv") != CURVE:
        raise InvalidKey("not an Ed25519 (OKP) key")
    if key.get("alg", ALGORITHM) != ALGORITHM or key.get("use", "sig") != "sig":
        raise InvalidKey("key is not for EdDSA signatures")
    kid = thumbprint(key)
    if key.get("kid") != kid:
        raise InvalidKey("kid is not the RFC 7638 thumbprint of the key")
    try:
        OKPKey.import_key({"kty": "OKP", "crv": CURVE, "x": key["x"]})
    except Exception as exc:  # joserfc/cryptography raise various types for a bad point
        raise InvalidKey("x is not an Ed25519 public key") from exc
    return {"kty": "OKP", "crv": CURVE, "x": key["x"], "alg": ALGORITHM, "use": "sig", "kid": kid}
