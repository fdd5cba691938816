"""The instance's signing keys: created once, encrypted at rest, rotatable, public parts only out."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import select, text

from app import migrate
from app.db import Database
from app.peering import keys
from app.peering.models import InstanceKey
from federation import keys as federation_keys
from tests.conftest import TEST_SECRET

OTHER_SECRET = "another-secret-key-that-is-long-enough-for-production"


def test_the_first_key_is_created_once(session):
    assert keys.active_key(session) is None
    first = keys.ensure_key(session, TEST_SECRET)
    assert keys.ensure_key(session, TEST_SECRET).kid == first.kid
    assert [key.kid for key in keys.all_keys(session)] == [first.kid]
    assert first.kid == federation_keys.thumbprint(first.public_jwk)


def test_signing_creates_the_key_on_first_use(session):
    private = keys.signing_key(session, TEST_SECRET)
    assert private["kid"] == keys.active_key(session).kid
    assert private["d"]


def test_the_private_key_is_encrypted_at_rest(session):
    private = keys.signing_key(session, TEST_SECRET)
    session.flush()
    raw = session.execute(text("SELECT private_key_encrypted, public_jwk FROM instance_keys")).one()
    stored = bytes(raw[0])
    assert private["d"].encode() not in stored
    assert b'"d"' not in stored
    assert private["d"] not in json.dumps(raw[1] if isinstance(raw[1], dict) else str(raw[1]))
    assert keys.decrypt_private(stored, TEST_SECRET) == private


def test_another_secret_key_cannot_decrypt_it(session):
    key = keys.ensure_key(session, TEST_SECRET)
    with pytest.raises(keys.KeyUnavailable, match="SECRET_KEY"):
        keys.decrypt_private(key.private_key_encrypted, OTHER_SECRET)


def test_the_jwks_holds_no_private_part(session):
    keys.ensure_key(session, TEST_SECRET)
    keys.rotate_key(session, TEST_SECRET)
    for jwk in keys.jwks(session)["keys"]:
        assert "d" not in jwk
        assert set(jwk) == {"kty", "crv", "x", "alg", "use", "kid"}
    assert federation_keys.public_jwks(keys.jwks(session)) == keys.jwks(session)


def test_rotation_retires_the_old_key_and_keeps_it_in_the_jwks(session):
    old = keys.ensure_key(session, TEST_SECRET)
    new = keys.rotate_key(session, TEST_SECRET)
    assert new.kid != old.kid
    assert old.retired_at is not None and new.retired_at is None
    assert keys.active_key(session).kid == new.kid
    assert keys.signing_key(session, TEST_SECRET)["kid"] == new.kid
    assert [jwk["kid"] for jwk in keys.jwks(session)["keys"]] == [old.kid, new.kid]


def test_the_fingerprint_covers_every_key(session):
    keys.ensure_key(session, TEST_SECRET)
    before = keys.fingerprint(session)
    keys.rotate_key(session, TEST_SECRET)
    after = keys.fingerprint(session)
    assert before != after
    assert len(after.split(" ")) == 16


def test_a_kid_that_exists_already_is_not_added_twice(session, monkeypatch):
    existing = keys.ensure_key(session, TEST_SECRET)
    twin = (keys.decrypt_private(existing.private_key_encrypted, TEST_SECRET), existing.public_jwk)
    monkeypatch.setattr(federation_keys, "generate_key", lambda: twin)
    session.flush()
    session.expunge(existing)  # as if another process had written it
    assert keys._add_key(session, TEST_SECRET) is None  # the lost race
    assert keys.ensure_key(session, TEST_SECRET).kid == existing.kid
    assert session.scalar(select(InstanceKey.kid)) == existing.kid


def test_processes_racing_for_the_first_key_create_exactly_one(tmp_path):
    url = f"sqlite:///{tmp_path / 'keys.sqlite3'}"
    migrate.upgrade(url)
    database = Database(url)
    start, errors = threading.Barrier(4), []

    def first_start() -> None:
        start.wait()
        try:
            with database.transaction() as session:
                keys.ensure_key(session, TEST_SECRET)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=first_start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with database.session() as session:
        assert errors == [] and len(keys.all_keys(session)) == 1
    database.dispose()


def test_the_operator_reads_the_fingerprint_and_rotates_the_key(cli):
    shown = cli("federation", "identity")
    assert "aktiv" in shown and "Fingerabdruck:" in shown
    assert cli("federation", "identity") == shown  # the key is created once
    rotated = cli("federation", "rotate-key")
    assert "Neuer Signierschlüssel" in rotated and "im Ruhestand seit" in rotated
    assert rotated.count("aktiv") == 1
    assert shown.split("Fingerabdruck: ")[1] not in rotated
