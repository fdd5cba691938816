"""What a restore refuses, before it changes anything: damaged archives, a target at another schema
revision, private keys that the target's SECRET_KEY cannot open."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from app.backup import BackupError
from app.backup.archive import verify_archive
from app.backup.restore import restore_instance
from app.backup.tables import all_model_tables
from app.db import get_database
from tests.backup.conftest import Source
from tests.conftest import TEST_SECRET


@pytest.fixture(scope="module")
def empty_target(new_target) -> Flask:
    return new_target()


@pytest.fixture(scope="module")
def plain_tar(source: Source, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tar") / "register.tar"
    with gzip.open(source.archive) as packed, open(path, "wb") as plain:
        shutil.copyfileobj(packed, plain)
    return path


def refused(app: Flask, archive: Path, match: str, secret: str = TEST_SECRET) -> None:
    with app.app_context(), pytest.raises(BackupError, match=match) as caught:
        restore_instance(get_database(app), archive, secret_key=secret)
    assert "Nichts wurde geändert" in str(caught.value)
    assert_empty(app)


def assert_empty(app: Flask) -> None:
    with get_database(app).engine.connect() as connection:
        counts = {
            table.name: connection.scalar(select(func.count()).select_from(table))
            for table in all_model_tables()
            if table.name != "register_generation"
        }
    assert not any(counts.values()), counts


def changed_copy(plain_tar: Path, tmp_path: Path, member: str, change) -> Path:
    """A copy of the archive with ``change`` applied to one member's bytes (``None``: left out)."""
    copy = tmp_path / "geaendert.tar"
    with tarfile.open(plain_tar) as source, tarfile.open(copy, "w") as target:
        for info in source:
            data = source.extractfile(info).read()
            data = change(data) if info.name == member else data
            if data is None:
                continue
            info.size = len(data)
            target.addfile(info, io.BytesIO(data))
    return copy


def test_a_changed_byte_is_found_by_verify_and_refused(empty_target, plain_tar, tmp_path):
    assert verify_archive(plain_tar).manifest["files"]
    tampered = tmp_path / "manipuliert.tar"
    shutil.copyfile(plain_tar, tampered)
    with tarfile.open(plain_tar) as archive:
        offset = archive.getmember("tables/processes.jsonl").offset_data + 100
    data = bytearray(tampered.read_bytes())
    data[offset] ^= 0x01
    tampered.write_bytes(bytes(data))
    with pytest.raises(BackupError, match=r"Prüfsumme falsch: tables/processes\.jsonl"):
        verify_archive(tampered)
    refused(empty_target, tampered, r"Prüfsumme falsch: tables/processes\.jsonl")


def test_a_missing_blob_is_refused(empty_target, plain_tar, tmp_path):
    with tarfile.open(plain_tar) as archive:
        blob = next(name for name in archive.getnames() if name.startswith("blobs/"))
    refused(
        empty_target, changed_copy(plain_tar, tmp_path, blob, lambda _data: None), f"fehlt: {blob}"
    )


def test_a_truncated_archive_is_refused(empty_target, source, tmp_path):
    truncated = tmp_path / "abgeschnitten.tar.gz"
    truncated.write_bytes(source.archive.read_bytes()[: source.archive.stat().st_size // 2])
    refused(empty_target, truncated, "beschädigt")


def test_an_archive_of_another_schema_revision_is_refused(empty_target, plain_tar, tmp_path):
    def older(data: bytes) -> bytes:
        return json.dumps({**json.loads(data), "schema_revision": "0008"}).encode()

    refused(
        empty_target,
        changed_copy(plain_tar, tmp_path, "manifest.json", older),
        "Sicherung hat den Schemastand 0008",
    )


def test_a_target_at_another_schema_revision_is_refused(empty_target, plain_tar):
    database = get_database(empty_target)
    with database.transaction() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '0008'"))
    try:
        refused(empty_target, plain_tar, "Zielregister hat den Schemastand 0008.*db upgrade")
    finally:
        with database.transaction() as session:
            session.execute(text("UPDATE alembic_version SET version_num = '0009'"))


def test_private_keys_need_the_same_secret_key(empty_target, plain_tar):
    refused(empty_target, plain_tar, "SECRET_KEY.*--without-keys", secret="x" * 40)
