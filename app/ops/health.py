"""Readiness: can this process serve, i.e. do the database and the search index answer?

``/healthz`` (app/web/views.py) only says the process is alive; a process manager restarts a
process that fails it. ``/readyz`` says whether it should get traffic: a load balancer takes a
process out while its database or index is unreachable, without restarting it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text

from app.db import Database
from app.search.indexing import SearchRuntime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    milliseconds: float
    detail: str

    def as_json(self) -> dict[str, object]:
        return {"ok": self.ok, "ms": round(self.milliseconds, 1), "detail": self.detail}


def _timed(name: str, check: Callable[[], str], failure: str) -> CheckResult:
    started = time.perf_counter()
    try:
        detail, ok = check(), True
    except Exception as error:  # whatever broke, the answer is "not ready", never a 500
        log.warning("Bereitschaft: %s: %s: %s", name, type(error).__name__, error)
        detail, ok = f"{failure} ({type(error).__name__})", False
    return CheckResult(name, ok, (time.perf_counter() - started) * 1000, detail)


def check_database(database: Database) -> CheckResult:
    def query() -> str:
        with database.session(write=False) as session:
            session.execute(text("SELECT 1")).scalar_one()
        return "erreichbar"

    return _timed("database", query, "Datenbank nicht erreichbar")


def check_search(database: Database, runtime: SearchRuntime) -> CheckResult:
    def count() -> str:
        with database.session(write=False) as session:
            documents = runtime.backend.document_count(session)
        return f"{runtime.backend.name}: {documents} Dokumente"

    return _timed("search", count, "Suchindex nicht lesbar")


def readiness(database: Database, runtime: SearchRuntime) -> tuple[bool, dict[str, object]]:
    """Every check, and whether all passed; the body names the failing part."""
    results = [check_database(database), check_search(database, runtime)]
    ready = all(result.ok for result in results)
    body = {
        "status": "bereit" if ready else "nicht bereit",
        "checks": {result.name: result.as_json() for result in results},
    }
    return ready, body
