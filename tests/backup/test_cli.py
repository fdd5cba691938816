"""``musterregister export``, ``export --verify`` and ``import`` on two small SQLite instances."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from app.backup import BackupError
from app.backup.archive import ArchiveWriter
from app.cli import main
from tests.conftest import TEST_SECRET


def instance(folder: Path):
    runner = CliRunner()
    env = {
        "MUSTERREGISTER_DEMO": "1",
        "MUSTERREGISTER_INSTANCE_PATH": str(folder),
        "MUSTERREGISTER_SECRET_KEY": TEST_SECRET,
    }

    def run(*args: str, ok: bool = True) -> str:
        result = runner.invoke(main, list(args), env=env, catch_exceptions=False)
        assert (result.exit_code == 0) is ok, result.output
        return result.output

    run("db", "upgrade")
    return run


def fingerprint(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("Fingerabdruck"))


def test_export_verify_and_import_without_keys(tmp_path):
    source, target = instance(tmp_path / "quelle"), instance(tmp_path / "ziel")
    source("authorities", "create", "--slug", "hamm", "--name", "Stadt Hamm", "--kind", "gemeinde")
    first_identity = source("federation", "identity")
    archive = tmp_path / "sicherung.tar.gz"
    assert "Sicherung geschrieben" in source("export", str(archive))
    assert "Sicherung unversehrt" in source("export", "--verify", str(archive))

    output = target("import", str(archive))
    assert "Eingespielt" in output and "Suchindex neu aufgebaut" in output
    assert "Ohne privaten Signierschlüssel eingespielt" in output
    assert "Stadt Hamm" in target("authorities", "list")
    assert "Index und Datenbank stimmen überein" in target("search", "check")
    identity = target("federation", "identity")
    old_kid = first_identity.split()[0]
    assert f"{old_kid}  im Ruhestand" in identity, "the old public key still verifies"
    assert fingerprint(identity) != fingerprint(first_identity), "a new key signs from now on"


def test_an_archive_is_never_overwritten_and_must_be_a_tar(tmp_path):
    existing = tmp_path / "da.tar.gz"
    existing.write_bytes(b"alt")
    with pytest.raises(BackupError, match="gibt es schon"):
        ArchiveWriter(existing)
    assert existing.read_bytes() == b"alt"
    with pytest.raises(BackupError, match=r"\.tar\.gz, \.tgz oder \.tar"):
        ArchiveWriter(tmp_path / "sicherung.zip")
