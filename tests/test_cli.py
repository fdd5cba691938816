"""The musterregister command line on a fresh instance."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from app.cli import main


@pytest.fixture()
def cli(tmp_path):
    runner = CliRunner()
    env = {"MUSTERREGISTER_DEMO": "1", "MUSTERREGISTER_INSTANCE_PATH": str(tmp_path)}

    def run(*args: str, ok: bool = True):
        result = runner.invoke(main, list(args), env=env, catch_exceptions=False)
        assert (result.exit_code == 0) is ok, result.output
        return result.output

    run("db", "upgrade")
    return run


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
