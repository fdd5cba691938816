import base64

import pytest
from joserfc.jwk import OKPKey

from federation import keys
from federation.errors import InvalidKey

# RFC 7638, section 3.1 (RSA) and RFC 8037, appendix A.3 (Ed25519)
RFC7638_KEY = {
    "kty": "RSA",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJ"
    "ECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2Q"
    "vzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6W"
    "eZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC8037_KEY = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}


def test_thumbprint_matches_the_rfc_examples():
    assert keys.thumbprint(RFC7638_KEY) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    assert keys.thumbprint(RFC8037_KEY) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_generated_key_pair_is_ed25519_with_thumbprint_kid():
    private, public = keys.generate_key()
    assert "d" in private and "d" not in public
    assert public["kty"] == "OKP" and public["crv"] == "Ed25519" and public["alg"] == "EdDSA"
    assert private["kid"] == public["kid"] == keys.thumbprint(public) == keys.thumbprint(private)
    assert public["kid"] == OKPKey.import_key(public).thumbprint()
    assert keys.generate_key()[1]["kid"] != public["kid"]


def test_fingerprint_is_stable_grouped_hex_over_sorted_keys():
    one, two = keys.generate_key()[1], keys.generate_key()[1]
    value = keys.fingerprint({"keys": [one, two]})
    assert value == keys.fingerprint({"keys": [two, one]})
    groups = value.split(" ")
    assert len(groups) == 16 and all(len(g) == 4 for g in groups)
    assert int(value.replace(" ", ""), 16) >= 0
    assert value != keys.fingerprint({"keys": [one]})


def test_fingerprint_of_one_key_is_its_thumbprint_in_hex():
    _, public = keys.generate_key()
    raw = base64.urlsafe_b64decode(public["kid"] + "=")
    assert keys.fingerprint({"keys": [public]}).replace(" ", "") == raw.hex()
    # members outside the thumbprint input do not change it
    assert keys.fingerprint({"keys": [{**public, "use": "sig", "extra": 1}]}) == keys.fingerprint(
        {"keys": [public]}
    )


def test_fingerprint_pinned_value_does_not_drift():
    jwks = {"keys": [{**RFC8037_KEY, "kid": keys.thumbprint(RFC8037_KEY)}]}
    expected = base64.urlsafe_b64decode("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k=").hex()
    assert keys.fingerprint(jwks) == " ".join(expected[i : i + 4] for i in range(0, 64, 4))


@pytest.mark.parametrize(
    "jwks",
    [None, {}, {"keys": []}, {"keys": "x"}, {"keys": [{"kty": "XYZ"}]}, {"keys": [{"kty": "OKP"}]}],
)
def test_fingerprint_rejects_malformed_jwks(jwks):
    with pytest.raises(InvalidKey):
        keys.fingerprint(jwks)


def test_thumbprint_rejects_non_objects():
    with pytest.raises(InvalidKey):
        keys.thumbprint("not a key")  # type: ignore[arg-type]


def test_public_jwks_drops_private_members_and_checks_kid():
    private, public = keys.generate_key()
    assert keys.public_jwks({"keys": [private]}) == {"keys": [public]}
    with pytest.raises(InvalidKey, match="kid"):
        keys.public_jwks({"keys": [{**public, "kid": "other"}]})


@pytest.mark.parametrize(
    "change",
    [
        {"crv": "X25519"},
        {"kty": "EC"},
        {"alg": "RS256"},
        {"use": "enc"},
        {"x": "AAAA"},
    ],
)
def test_public_jwks_accepts_only_ed25519_signing_keys(change):
    _, public = keys.generate_key()
    key = {**public, **change}
    key["kid"] = keys.thumbprint(key) if key["kty"] == "OKP" else public["kid"]
    with pytest.raises(InvalidKey):
        keys.public_jwks({"keys": [key]})


def test_public_jwks_bounds_the_number_of_keys():
    _, public = keys.generate_key()
    with pytest.raises(InvalidKey, match="more than"):
        keys.public_jwks({"keys": [public] * (keys.MAX_KEYS + 1)})


def test_find_key_by_kid():
    _, one = keys.generate_key()
    _, two = keys.generate_key()
    jwks = {"keys": [one, two]}
    assert keys.find_key(jwks, two["kid"]) == two
    assert keys.find_key(jwks, "unknown") is None
