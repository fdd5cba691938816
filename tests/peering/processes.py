"""Real register instances as separate server processes, and what the federation tests do with
them: run ``musterregister`` commands against an instance, write to its database directly (with
the instance's signing key, so its feed records what happens) and peer two instances."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import pytest
from sqlalchemy.orm import Session

from app.db import Database
from app.library.models import ProcessModel
from app.peering import outbox
from tests.conftest import new_database
from tests.peering.helpers import published_model
from tests.support.server import ROOT, RegisterProcess

SERVER_SECRET = "browser-test-secret-key-long-enough-for-production"  # RegisterProcess's
T = TypeVar("T")


def instance(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    label: str,
    name: str | None = None,
) -> RegisterProcess:
    """A register process (not started yet) with its own, freshly migrated database."""
    url = new_database(request, tmp_path_factory, f"federation_{label}")
    environ = {"MUSTERREGISTER_NAME": name} if name else None
    return RegisterProcess(url, tmp_path_factory.mktemp(f"instance-{label}"), environ=environ)


def command_args(*args: str) -> list[str]:
    return [sys.executable, "-m", "app.cli", *args]


def run_command(server: RegisterProcess, *args: str) -> subprocess.CompletedProcess[str]:
    """``musterregister ARGS`` for ``server``'s database and settings, as its operator runs it."""
    return subprocess.run(
        command_args(*args),
        cwd=ROOT,
        env=server.environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def command(server: RegisterProcess, *args: str) -> str:
    """Like :func:`run_command`, but the command must succeed; returns its output."""
    result = run_command(server, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def start_command(server: RegisterProcess, *args: str) -> subprocess.Popen[str]:
    """``musterregister ARGS`` in the background (the caller waits for it)."""
    return subprocess.Popen(
        command_args(*args),
        cwd=ROOT,
        env=server.environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@contextmanager
def database_of(server: RegisterProcess) -> Iterator[Database]:
    """The instance's database; sessions sign feed events with the instance's key."""
    signing = outbox.session_info(server.url, SERVER_SECRET)
    database = Database(server.environ["MUSTERREGISTER_DATABASE_URL"], session_info=signing)
    try:
        yield database
    finally:
        database.dispose()


def write(server: RegisterProcess, work: Callable[[Session], T]) -> T:
    """``work`` in one committed transaction of the instance's database."""
    with database_of(server) as database, database.transaction() as session:
        return work(session)


def read(server: RegisterProcess, work: Callable[[Session], T]) -> T:
    with database_of(server) as database, database.session(write=False) as session:
        return work(session)


def publish_on(server: RegisterProcess) -> ProcessModel:
    """A model of a fresh authority with one revision published through review."""
    return write(server, published_model)


def add_peer(server: RegisterProcess, name: str, peer: RegisterProcess) -> str:
    """``peers add`` and ``peers confirm`` with the fingerprint ``add`` showed; returns it."""
    added = command(server, "peers", "add", name, peer.url)
    fingerprint = next(
        line.split(":", 1)[1].strip() for line in added.splitlines() if line.startswith("Finger")
    )
    command(server, "peers", "confirm", name, "--fingerprint", fingerprint)
    return fingerprint
