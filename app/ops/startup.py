"""What ``musterregister serve`` checks before it starts gunicorn.

The settings themselves are checked for every command (app.ops.config_rules); here come the checks
that need the database and the machine: is the database there and up to date, can the instance
folder be written. A refusal names what to do; a warning starts the server all the same.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import migrate
from app.config import ENV_PREFIX, Settings
from app.db import Database
from app.ops.config_rules import is_loopback_host


@dataclass
class StartupReport:
    refusals: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_startup(settings: Settings, database: Database, host: str) -> StartupReport:
    report = StartupReport()
    database_problem = _database_problem(settings, database)
    if database_problem:
        report.refusals.append(database_problem)
    folder_problem = _instance_folder_problem(settings.instance_path)
    if folder_problem:
        report.refusals.append(folder_problem)
    report.warnings.extend(_exposure_warnings(settings, host))
    return report


def _database_problem(settings: Settings, database: Database) -> str | None:
    try:
        with database.session(write=False) as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        return (
            f"Die Datenbank ist nicht erreichbar ({type(error).__name__}): bitte "
            f"{ENV_PREFIX}DATABASE_URL und den Datenbankserver prüfen."
        )
    if not migrate.is_up_to_date(settings.effective_database_url):
        return "Das Datenbankschema ist nicht aktuell: zuerst 'musterregister db upgrade'."
    return None


def _instance_folder_problem(path: Path) -> str | None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        return (
            f"Der Instanzordner {path} ist nicht beschreibbar ({error.strerror}): "
            f"{ENV_PREFIX}INSTANCE_PATH auf einen Ordner des Dienstkontos setzen."
        )
    return None


def _exposure_warnings(settings: Settings, host: str) -> list[str]:
    if is_loopback_host(host):
        return []
    if settings.demo:
        return [
            f"Demo-Modus auf {host}: von anderen Rechnern erreichbar, mit Demo-Konten und einem "
            "selbst erzeugten Geheimnis. Nur für Schulungen in einem geschlossenen Netz."
        ]
    if not settings.trusted_proxies:
        return [
            f"Der Server lauscht auf {host}, {ENV_PREFIX}TRUSTED_PROXIES ist 0: hinter einem "
            "Reverse-Proxy sehen Protokoll, Metrik-Zugang und Ratenbegrenzung nur dessen Adresse "
            "(meist ist 1 richtig)."
        ]
    return []


def prepare_multiprocess_metrics() -> Path:
    """An empty folder for the workers' metric files (an old run's counts must not add up)."""
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    folder = Path(configured) if configured else Path(tempfile.mkdtemp(prefix="metriken-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder
