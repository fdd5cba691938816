"""A production configuration that is incomplete or insecure does not start, with a clear message."""

from __future__ import annotations

import ipaddress

import pytest
from click.testing import CliRunner

from app.cli import main
from app.config import ConfigError, load_settings
from tests.conftest import TEST_SECRET
from tests.support.postgres import free_port

PRODUCTION = {"MUSTERREGISTER_SECRET_KEY": TEST_SECRET}


def settings(**variables: str):
    environ = {**PRODUCTION, **{f"MUSTERREGISTER_{k.upper()}": v for k, v in variables.items()}}
    return load_settings(environ=environ)


def refusal(**variables: str) -> str:
    with pytest.raises(ConfigError) as raised:
        settings(**variables)
    return str(raised.value)


def test_a_public_address_without_tls_is_refused_outside_demo_mode():
    message = refusal(base_url="http://register.kreis-steinfurt.de")
    assert "MUSTERREGISTER_BASE_URL" in message and "https://" in message
    for local in ("http://127.0.0.1:5000", "http://localhost:8080", "http://[::1]:5000"):
        assert settings(base_url=local).base_url == local
    assert settings(base_url="https://register.kreis-steinfurt.de").base_url.startswith("https")
    demo = load_settings(
        environ={"MUSTERREGISTER_DEMO": "1", "MUSTERREGISTER_BASE_URL": "http://schulung.intern"}
    )
    assert demo.base_url == "http://schulung.intern"


def test_an_address_that_is_no_address_is_refused():
    assert "keine Adresse" in refusal(base_url="register.example.de")
    assert "weder '?' noch '#'" in refusal(base_url="https://register.example.de/?x=1")


def test_smtp_login_needs_user_password_and_encryption():
    assert "SMTP_PASSWORD" in refusal(smtp_host="mail.example.de", smtp_user="register")
    assert "SMTP_USER" in refusal(smtp_host="mail.example.de", smtp_password="geheim-genug")
    assert "SMTP_HOST" in refusal(smtp_user="register", smtp_password="geheim-genug")
    cleartext = refusal(
        smtp_host="mail.example.de", smtp_user="register", smtp_password="pw-geheim-123"
    )
    assert "SMTP_STARTTLS" in cleartext and "unverschlüsselt" in cleartext
    assert "pw-geheim-123" not in cleartext  # the message never shows the secret
    encrypted = settings(
        smtp_host="mail.example.de",
        smtp_port="587",
        smtp_user="register",
        smtp_password="pw",
        smtp_starttls="true",
    )
    assert encrypted.smtp_starttls
    # a relay on this machine (Postfix on localhost) may take the login without TLS
    assert settings(smtp_host="localhost", smtp_user="register", smtp_password="pw").smtp_user


def test_every_problem_is_named_at_once():
    message = refusal(
        base_url="http://register.example.de", smtp_user="register", metrics_token="kurz"
    )
    assert message.startswith("Die Konfiguration ist unvollständig oder unsicher:")
    assert message.count("\n- ") == 3


def test_operating_settings_are_typed_and_checked():
    typed = settings(
        trusted_proxies="1",
        metrics_networks="10.20.0.0/16; 2001:db8::/32",
        log_format="text",
        log_level="warning",
    )
    assert typed.trusted_proxies == 1 and typed.log_format == "text"
    assert typed.log_level == "WARNING"
    assert typed.metrics_networks == (
        ipaddress.ip_network("10.20.0.0/16"),
        ipaddress.ip_network("2001:db8::/32"),
    )
    defaults = settings()
    assert defaults.trusted_proxies == 0 and defaults.log_format == "json"
    assert [str(n) for n in defaults.metrics_networks] == ["127.0.0.0/8", "::1/128"]
    assert "0 bis 5" in refusal(trusted_proxies="-1")
    assert "keine ganze Zahl" in refusal(trusted_proxies="ein")
    assert "kein Netz" in refusal(metrics_networks="10.20.0.0/16,intranet")
    assert "Möglich: json, text" in refusal(log_format="xml")
    assert "METRICS_TOKEN ist zu kurz" in refusal(metrics_token="kurz")


def test_serve_refuses_an_unreachable_database_before_starting(tmp_path):
    url = f"postgresql+psycopg://musterregister@127.0.0.1:{free_port()}/musterregister"
    result = serve(tmp_path, url)
    assert result.exit_code != 0
    assert "Die Datenbank ist nicht erreichbar (OperationalError)" in result.output
    assert "Traceback" not in result.output


def test_serve_refuses_an_outdated_schema_and_warns_about_a_public_bind(tmp_path):
    result = serve(tmp_path, f"sqlite:///{tmp_path / 'leer.sqlite3'}", "--host", "0.0.0.0")
    assert result.exit_code != 0
    assert "Das Datenbankschema ist nicht aktuell: zuerst 'musterregister db upgrade'." in (
        result.output
    )
    assert "Warnung: Der Server lauscht auf 0.0.0.0" in result.output
    assert "MUSTERREGISTER_TRUSTED_PROXIES" in result.output
    demo = serve(tmp_path, f"sqlite:///{tmp_path / 'leer.sqlite3'}", "--host", "0.0.0.0", demo="1")
    assert demo.exit_code != 0 and "Warnung: Demo-Modus auf 0.0.0.0" in demo.output


def serve(instance, database_url: str, *options: str, demo: str | None = None):
    env = {
        "MUSTERREGISTER_INSTANCE_PATH": str(instance),
        "MUSTERREGISTER_DATABASE_URL": database_url,
        "MUSTERREGISTER_SECRET_KEY": TEST_SECRET,
        "MUSTERREGISTER_DEMO": demo,
        "PROMETHEUS_MULTIPROC_DIR": None,
    }
    return CliRunner().invoke(main, ["serve", "--port", "1", *options], env=env)
