import base64
import hashlib
import hmac
import json

import pytest
from joserfc import jws
from joserfc.errors import UnsupportedAlgorithmError
from joserfc.jwk import OctKey, OKPKey

from federation import feed, keys
from federation.errors import BadEvent, InvalidKey, SignatureInvalid
from tests.federation.fake_peer import ORIGIN, event_payload


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(header: dict, payload: dict, signature: bytes = b"sig") -> str:
    return ".".join(
        [b64(json.dumps(header).encode()), b64(feed.canonical_json(payload)), b64(signature)]
    )


@pytest.fixture(scope="module")
def key_pair():
    return keys.generate_key()


@pytest.fixture(scope="module")
def jwks(key_pair):
    return {"keys": [key_pair[1]]}


def test_sign_and_verify_round_trip(key_pair, jwks):
    payload = event_payload("published")
    token = feed.sign_event(payload, key_pair[0])
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "EdDSA", "kid": key_pair[1]["kid"]}
    assert feed.verify_event(token, jwks) == payload
    assert feed.peek_origin(token) == ORIGIN


def test_signed_bytes_are_canonical_json(key_pair):
    payload = event_payload("process-updated")
    token = feed.sign_event(payload, key_pair[0])
    signed = base64.urlsafe_b64decode(token.split(".")[1] + "==")
    assert signed == feed.canonical_json(payload)
    assert feed.canonical_json({"b": 1, "a": "ä"}) == '{"a":"ä","b":1}'.encode()
    with pytest.raises(ValueError):
        feed.canonical_json({"x": float("nan")})


def test_protocol_version_is_the_contract_string():
    assert feed.PROTOCOL_VERSION == "1"


def test_verify_with_rotated_keys_accepts_old_and_new(key_pair):
    new_private, new_public = keys.generate_key()
    jwks = {"keys": [key_pair[1], new_public]}
    for private in (key_pair[0], new_private):
        token = feed.sign_event(event_payload("authority-updated"), private)
        assert feed.verify_event(token, jwks)["kind"] == "authority-updated"


def test_sign_validates_the_payload_and_the_key(key_pair):
    with pytest.raises(BadEvent, match=r"event\.kind"):
        feed.sign_event({**event_payload(), "kind": "deleted"}, key_pair[0])
    with pytest.raises(InvalidKey):
        feed.sign_event(event_payload(), {"kty": "oct", "k": "c2VjcmV0"})


def test_tampered_payload_is_refused(key_pair, jwks):
    token = feed.sign_event(event_payload(), key_pair[0])
    header, _, signature = token.split(".")
    forged = {**event_payload(), "origin": "https://evil.example"}
    with pytest.raises(SignatureInvalid):
        feed.verify_event(f"{header}.{b64(feed.canonical_json(forged))}.{signature}", jwks)


def test_signature_by_another_key_under_a_trusted_kid_is_refused(key_pair, jwks):
    other_private, _ = keys.generate_key()
    token = feed.sign_event(event_payload(), {**other_private, "kid": key_pair[1]["kid"]})
    with pytest.raises(SignatureInvalid):
        feed.verify_event(token, jwks)


def test_unknown_kid_is_refused(jwks):
    other_private, _ = keys.generate_key()
    token = feed.sign_event(event_payload(), other_private)
    with pytest.raises(SignatureInvalid, match="unknown kid"):
        feed.verify_event(token, jwks)


def test_alg_none_is_refused(key_pair, jwks):
    unsigned = compact({"alg": "none", "kid": key_pair[1]["kid"]}, event_payload(), b"")
    assert unsigned.endswith(".")
    with pytest.raises(SignatureInvalid, match="not a compact JWS"):
        feed.verify_event(unsigned, jwks)
    with pytest.raises(SignatureInvalid, match="algorithm not allowed"):
        feed.verify_event(unsigned + "AA", jwks)
    for alg in ("None", "NONE", "Ed25519", "ES256", "RS256", None):
        token = compact({"alg": alg, "kid": key_pair[1]["kid"]}, event_payload())
        with pytest.raises(SignatureInvalid, match="algorithm not allowed"):
            feed.verify_event(token, jwks)


def test_hs256_with_the_public_key_as_secret_is_refused(key_pair, jwks):
    secret = key_pair[1]["x"].encode()
    header = {"alg": "HS256", "kid": key_pair[1]["kid"]}
    signing_input = (
        f"{b64(json.dumps(header).encode())}.{b64(feed.canonical_json(event_payload()))}"
    )
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(SignatureInvalid, match="algorithm not allowed"):
        feed.verify_event(f"{signing_input}.{b64(mac)}", jwks)
    # also with joserfc's own HS256 and the raw public key bytes
    raw = base64.urlsafe_b64decode(key_pair[1]["x"] + "=")
    token = jws.serialize_compact(header, b"{}", OctKey.import_key(raw), algorithms=["HS256"])
    with pytest.raises(SignatureInvalid):
        feed.verify_event(token, jwks)


@pytest.mark.parametrize("member", ["jwk", "jku", "x5u", "x5c", "crit", "b64"])
def test_keys_or_options_in_the_header_are_not_honoured(member, jwks):
    attacker_private, attacker_public = keys.generate_key()
    header = {"alg": "EdDSA", "kid": attacker_public["kid"], member: attacker_public}
    payload = feed.canonical_json(event_payload())
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(payload)}".encode()
    key = OKPKey.import_key(attacker_private).private_key
    token = f"{signing_input.decode()}.{b64(key.sign(signing_input))}"
    with pytest.raises(SignatureInvalid):
        feed.verify_event(token, jwks)
    # embedding the attacker's key does not make it trusted, even with its own JWKS absent
    with pytest.raises(SignatureInvalid):
        feed.verify_event(token, {"keys": [attacker_public]})


def test_trusted_jwks_with_a_mislabelled_or_foreign_key_does_not_verify(key_pair):
    token = feed.sign_event(event_payload(), key_pair[0])
    kid = key_pair[1]["kid"]
    other = keys.generate_key()[1]
    with pytest.raises(SignatureInvalid, match="trusted keys"):
        feed.verify_event(token, {"keys": [{**other, "kid": kid}]})
    with pytest.raises(SignatureInvalid, match="trusted keys"):
        feed.verify_event(token, {"keys": []})


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "a.b",
        "a.b.c.d",
        "a.b.c",
        "..",
        "!!!.###.$$$",
        b64(b"[1]") + ".e30.c2ln",
        b64(b"not json") + ".e30.c2ln",
        "x" * (feed.MAX_JWS_LENGTH + 1),
        None,
        42,
    ],
)
def test_garbage_is_refused(token, jwks):
    with pytest.raises(SignatureInvalid):
        feed.verify_event(token, jwks)


def test_missing_kid_is_refused(jwks):
    with pytest.raises(SignatureInvalid, match="unknown kid"):
        feed.verify_event(compact({"alg": "EdDSA"}, event_payload()), jwks)


def test_valid_signature_over_a_non_object_is_a_bad_event(key_pair, jwks):
    header = {"alg": "EdDSA", "kid": key_pair[1]["kid"]}
    key = OKPKey.import_key(key_pair[0])
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(b'[1, 2]')}".encode()
    token = f"{signing_input.decode()}.{b64(key.private_key.sign(signing_input))}"
    with pytest.raises(BadEvent, match="object"):
        feed.verify_event(token, jwks)


def test_peek_origin_reads_without_verifying():
    token = compact({"alg": "EdDSA", "kid": "k"}, {"origin": "https://a.example"})
    assert feed.peek_origin(token) == "https://a.example"
    with pytest.raises(BadEvent):
        feed.peek_origin(compact({"alg": "EdDSA"}, {"origin": 5}))
    with pytest.raises(SignatureInvalid):
        feed.peek_origin("garbage")
    with pytest.raises(BadEvent, match="not JSON"):
        feed.peek_origin(f"{b64(b'{}')}.{b64(b'not json')}.c2ln")


def test_the_registry_itself_allows_only_eddsa():
    with pytest.raises(UnsupportedAlgorithmError):
        feed._REGISTRY.get_alg("HS256")
