"""Strict settings: unknown keys refused, secrets required outside demo mode."""

from __future__ import annotations

import pytest

from app import create_app
from app.config import ConfigError, load_settings


def test_production_needs_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings(environ={"MUSTERREGISTER_INSTANCE_PATH": str(tmp_path)})


def test_short_secret_key_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="zu kurz"):
        load_settings(environ={"MUSTERREGISTER_SECRET_KEY": "dev"})


def test_unknown_environment_variable_is_refused():
    with pytest.raises(ConfigError, match="MUSTERREGISTER_DATABSE_URL"):
        load_settings(
            environ={"MUSTERREGISTER_DATABSE_URL": "sqlite://", "MUSTERREGISTER_DEMO": "1"}
        )


def test_unknown_override_is_refused():
    with pytest.raises(ConfigError, match="colour"):
        load_settings({"colour": "blue", "demo": True}, environ={})


def test_values_are_typed_and_checked(tmp_path):
    settings = load_settings(
        environ={
            "MUSTERREGISTER_DEMO": "ja",
            "MUSTERREGISTER_INSTANCE_PATH": str(tmp_path),
            "MUSTERREGISTER_MAX_UPLOAD_BYTES": "2048",
        }
    )
    assert settings.demo is True and settings.max_upload_bytes == 2048
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'musterregister.sqlite3'}"
    with pytest.raises(ConfigError, match="ganze Zahl"):
        load_settings(
            environ={"MUSTERREGISTER_DEMO": "1", "MUSTERREGISTER_MAX_UPLOAD_BYTES": "viel"}
        )
    with pytest.raises(ConfigError, match="größer als 0"):
        load_settings(environ={"MUSTERREGISTER_DEMO": "1", "MUSTERREGISTER_MAX_UPLOAD_BYTES": "0"})
    with pytest.raises(ConfigError, match="Wahrheitswert"):
        load_settings(environ={"MUSTERREGISTER_DEMO": "vielleicht"})


def test_secret_key_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s" * 40 + "\n")
    settings = load_settings(environ={"MUSTERREGISTER_SECRET_KEY_FILE": str(secret)})
    assert settings.secret_key == "s" * 40
    with pytest.raises(ConfigError, match="nicht lesbar"):
        load_settings(environ={"MUSTERREGISTER_SECRET_KEY_FILE": str(tmp_path / "fehlt")})


def test_demo_mode_creates_and_keeps_a_private_secret(tmp_path):
    first = load_settings(
        environ={"MUSTERREGISTER_DEMO": "1", "MUSTERREGISTER_INSTANCE_PATH": str(tmp_path)}
    )
    second = load_settings(
        environ={"MUSTERREGISTER_DEMO": "1", "MUSTERREGISTER_INSTANCE_PATH": str(tmp_path)}
    )
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 32
    assert (tmp_path / "demo-secret-key").stat().st_mode & 0o077 == 0


def test_create_app_refuses_an_incomplete_configuration(tmp_path, monkeypatch):
    monkeypatch.delenv("MUSTERREGISTER_DEMO", raising=False)
    monkeypatch.delenv("MUSTERREGISTER_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app({"instance_path": tmp_path})
