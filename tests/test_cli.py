"""The musterregister command line on a fresh instance."""

from __future__ import annotations

from click.testing import CliRunner

from app.cli import main


def test_authorities_accounts_and_tokens(cli):
    assert "Behörde angelegt: hamm" in cli(
        "authorities",
        "create",
        "--slug",
        "hamm",
        "--name",
        "Stadt Hamm",
        "--kind",
        "gemeinde",
        "--state",
        "NW",
        "--ars",
        "059150000000",
    )
    assert "Stadt Hamm" in cli("authorities", "list", "--suche", "hamm")
    assert "Konto angelegt: anna" in cli(
        "accounts",
        "create",
        "--authority",
        "hamm",
        "--name",
        "Anna",
        "--role",
        "contributor",
        "--subject",
        "anna",
    )
    assert "contributor" in cli("accounts", "list", "--authority", "hamm")
    output = cli("tokens", "create", "--account", "anna", "--name", "CI", "--days", "7")
    token_line = [line for line in output.splitlines() if line.startswith("mr_")]
    assert len(token_line) == 1
    listing = cli("tokens", "list", "--account", "anna")
    assert "aktiv" in listing and token_line[0] not in listing
    token_id = listing.split()[0]
    assert "widerrufen" in cli("tokens", "revoke", token_id)
    assert "widerrufen" in cli("tokens", "list", "--account", "anna")


def test_refusals_are_clean_errors(cli):
    cli("authorities", "create", "--slug", "x", "--name", "X", "--kind", "kreis")
    assert "gibt es schon" in cli(
        "authorities", "create", "--slug", "x", "--name", "X", "--kind", "kreis", ok=False
    )
    assert "12 Ziffern" in cli(
        "authorities",
        "create",
        "--slug",
        "y",
        "--name",
        "Y",
        "--kind",
        "kreis",
        "--ars",
        "12",
        ok=False,
    )
    assert "gibt es nicht" in cli(
        "accounts",
        "create",
        "--authority",
        "nirgendwo",
        "--name",
        "N",
        "--role",
        "reviewer",
        ok=False,
    )
    assert "gibt es nicht" in cli(
        "tokens", "create", "--account", "niemand", "--name", "x", ok=False
    )
    assert "gibt es nicht" in cli(
        "tokens", "revoke", "00000000-0000-0000-0000-000000000000", ok=False
    )


def test_db_check_and_current(cli):
    cli("db", "check")
    cli("db", "current")
    cli("db", "downgrade", "base")
    cli("db", "upgrade")


def test_configuration_errors_are_reported_without_traceback(tmp_path):
    result = CliRunner().invoke(
        main,
        ["db", "upgrade"],
        env={
            "MUSTERREGISTER_INSTANCE_PATH": str(tmp_path),
            "MUSTERREGISTER_DEMO": None,
            "MUSTERREGISTER_SECRET_KEY": None,
        },
    )
    assert result.exit_code != 0
    assert "SECRET_KEY" in result.output


def test_authority_login_is_configured_on_the_command_line(cli):
    cli("authorities", "create", "--slug", "hamm", "--name", "Stadt Hamm", "--kind", "gemeinde")
    output = cli(
        "authorities",
        "login",
        "hamm",
        "--issuer",
        "https://login.hamm.example/realms/stadt",
        "--client-id",
        "musterregister",
        "--client-secret-env",
        "OIDC_SECRET_HAMM",
        "--roles-claim",
        "groups",
        "--role",
        "prozessmanagement=contributor",
        "--role",
        "qs=reviewer",
    )
    assert "gespeichert" in output
    shown = cli("authorities", "show", "hamm")
    assert "anmeldung.client_secret_ref: env:OIDC_SECRET_HAMM" in shown
    assert "'prozessmanagement': 'contributor'" in shown
    refused = cli(
        "authorities",
        "login",
        "hamm",
        "--issuer",
        "https://x.example",
        "--client-id",
        "c",
        "--role",
        "chef=register-admin",
        ok=False,
    )
    assert "nicht erlaubte Rolle" in refused


def test_demo_provider_configuration(cli, tmp_path):
    import json

    target = tmp_path / "provider.json"
    cli("demo-provider-config", "--output", str(target))
    config = json.loads(target.read_text(encoding="utf-8"))
    assert config["issuer"] == "http://127.0.0.1:5001"
    assert config["clients"][0]["redirect_uris"] == ["http://127.0.0.1:5000/anmelden/rueckkehr"]
    assert any(account["claims"]["org"] == "kreis-steinfurt" for account in config["accounts"])


def test_production_refuses_to_start_with_demo_logins(tmp_path):
    from app import migrate
    from app.authz import system_actor
    from app.db import Database
    from app.identity.demo import wire_demo_logins
    from app.seed import SeedReport, seed_authorities
    from tests.conftest import SEED_PATH, TEST_SECRET

    url = f"sqlite:///{tmp_path / 'prod.sqlite3'}"
    migrate.upgrade(url)
    database = Database(url)
    try:
        with database.transaction() as session:
            seed_authorities(session, system_actor("Test"), SEED_PATH, SeedReport())
            wire_demo_logins(session, system_actor("Test"), SEED_PATH, "http://127.0.0.1:5001")
    finally:
        database.dispose()
    env = {
        "MUSTERREGISTER_INSTANCE_PATH": str(tmp_path),
        "MUSTERREGISTER_DATABASE_URL": url,
        "MUSTERREGISTER_SECRET_KEY": TEST_SECRET,
        "MUSTERREGISTER_DEMO": None,
    }
    result = CliRunner().invoke(main, ["serve", "--port", "1"], env=env)
    assert result.exit_code != 0
    assert "Demo-Anmeldedienst" in result.output
    demo = CliRunner().invoke(
        main, ["demo-provider-config", "--output", str(tmp_path / "x.json")], env=env
    )
    assert demo.exit_code != 0 and "nur im Demo-Modus" in demo.output


def test_revisions_are_checked_again_after_an_update(cli, tmp_path):
    from app.db import Database
    from app.identity.services import get_authority
    from app.library.models import Revision
    from tests.factories import make_model, make_process, make_revision

    cli("authorities", "create", "--slug", "alt", "--name", "Alte Stadt", "--kind", "gemeinde")
    database = Database(f"sqlite:///{tmp_path / 'musterregister.sqlite3'}")
    try:
        with database.transaction() as session:
            process = make_process(session, get_authority(session, "alt"))
            revision = make_revision(session, make_model(session, process))
            revision.is_valid = False  # as migration 0003 leaves revisions stored before it
            revision_id = revision.id
        assert "1 Revisionen geprüft, bei 1 hat sich das Ergebnis geändert." in cli(
            "revisions", "analyse"
        )
        assert "bei 0 hat sich" in cli("revisions", "analyse")
        with database.session() as session:
            assert session.get(Revision, revision_id).is_valid
    finally:
        database.dispose()
