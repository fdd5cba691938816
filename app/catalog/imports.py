"""Importing an authority's process register (CSV or XLSX) into its Steckbriefe.

Two steps, as people work: a dry run that reads and checks every row and lists the errors, then the
import of the valid rows, in batches of one transaction each, with its progress kept in the job row
so that a page (or the command line) can show it. A row becomes the Steckbrief with the same title
and unit; importing the same file again changes nothing, and a job that was cut off can simply be
run again.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.audit.services import record
from app.authz import Actor, Permission, is_member, owned_by, require
from app.catalog import services as catalog
from app.catalog.models import ImportJob, ImportStatus, OzgService, Process
from app.catalog.register_import import (
    RegisterImportError,
    RegisterRow,
    RegisterTable,
    read_register,
)
from app.db import Database, utcnow
from app.errors import Conflict, NotFound, ValidationFailed
from app.i18n import _
from app.identity.models import Authority
from app.library.services import read_blob, store_blob
from app.text import folded_words

BATCH_SIZE = 100
REPORT_ERRORS = 200
STALE_AFTER = timedelta(minutes=2)
EXTERNAL_PREFIX = "register:"
Progress = Callable[[int, int], None]


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: ImportCounts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


def read_file(data: bytes, filename: str, *, max_bytes: int) -> RegisterTable:
    try:
        return read_register(data, filename=filename, max_bytes=max_bytes)
    except RegisterImportError as error:
        raise ValidationFailed(
            error.message, errors={"file": [{"code": error.code, "message": error.message}]}
        ) from None


def register_ref(steckbrief: dict[str, object]) -> str:
    """The same title in the same unit is the same process (case, umlauts and spaces aside)."""
    key = f"{folded_words(str(steckbrief['title']))}|{folded_words(str(steckbrief.get('responsible_unit') or ''))}"
    return EXTERNAL_PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


def _known_ozg_ids(session: Session, rows: list[RegisterRow]) -> set[str]:
    wanted = {row.steckbrief["ozg_id"] for row in rows if row.steckbrief.get("ozg_id")}
    return (
        set(session.scalars(select(OzgService.ozg_id).where(OzgService.ozg_id.in_(wanted))))
        if wanted
        else set()
    )


def import_rows(
    session: Session,
    actor: Actor,
    authority: Authority,
    rows: list[RegisterRow],
    fields: frozenset[str],
) -> ImportCounts:
    """One batch of valid rows, created or updated as the authority's Steckbriefe.

    Only ``fields`` — the columns the file has — are written: a Steckbrief's fees stay as they
    are when the register has no fee column.
    """
    require(actor, Permission.PROCESS_CREATE, owned_by(authority.id))
    counts, known_ozg = ImportCounts(), _known_ozg_ids(session, rows)
    refs = {register_ref(row.steckbrief): row for row in rows}
    existing = {
        process.external_ref: process
        for process in session.scalars(
            select(Process).where(
                Process.authority_id == authority.id, Process.external_ref.in_(list(refs))
            )
        )
    }
    for ref, row in refs.items():
        steckbrief = only_columns(row.steckbrief, fields)
        if "ozg_id" in steckbrief and steckbrief["ozg_id"] not in known_ozg:
            steckbrief["ozg_id"] = None  # an OZG id the register does not know is left out
        process = existing.get(ref)
        message = f"Aus dem Prozessregister importiert (Zeile {row.line})"
        if process is None:
            catalog.create_process(
                session, actor, authority, steckbrief, external_ref=ref, message=message
            )
            counts.created += 1
        elif catalog.update_process(
            session, actor, process, steckbrief, expected_version=process.version, message=message
        ):
            counts.updated += 1
        else:
            counts.unchanged += 1
    return counts


def only_columns(steckbrief: dict[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    """The part of a row the file has columns for (maturity per dimension: ``maturity.<name>``)."""
    kept = {name: value for name, value in steckbrief.items() if name in fields or name == "title"}
    stages = {key.partition(".")[2] for key in fields if key.startswith("maturity.")}
    if stages:
        kept["maturity"] = {dimension: steckbrief["maturity"][dimension] for dimension in stages}
    return kept


def batches(rows: Iterable[RegisterRow], size: int = BATCH_SIZE) -> Iterator[list[RegisterRow]]:
    batch: list[RegisterRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- jobs for the browser ----------------------------------------------------------------------


def check_file(
    session: Session,
    actor: Actor,
    authority: Authority,
    data: bytes,
    filename: str,
    *,
    max_bytes: int,
) -> ImportJob:
    """The dry run: read and check the file, keep it and the report, import nothing yet."""
    require(actor, Permission.PROCESS_CREATE, owned_by(authority.id))
    table = read_file(data, filename, max_bytes=max_bytes)
    job = ImportJob(
        id=uuid.uuid4(),
        authority_id=authority.id,
        account_id=actor.account_id,
        filename=filename[:255],
        blob_sha256=store_blob(session, data),
        status=ImportStatus.CHECKED,
        total_rows=len(table.rows),
        valid_rows=len(table.valid_rows),
        report=_report(table),
    )
    session.add(job)
    session.flush()
    record(
        session,
        actor,
        "register_import.checked",
        object_type="import_job",
        object_id=job.id,
        authority_id=authority.id,
        details={"filename": job.filename, "rows": job.total_rows, "valid": job.valid_rows},
    )
    return job


def _report(table: RegisterTable) -> dict[str, object]:
    errors = [
        {"line": row.line, "message": message}
        for row in table.invalid_rows
        for message in row.errors
    ]
    return {
        "columns": {heading: field for heading, field in table.columns.items()},
        "file_warnings": list(table.warnings),
        "errors": errors[:REPORT_ERRORS],
        "more_errors": max(0, len(errors) - REPORT_ERRORS),
        "warnings": [w for row in table.rows for w in row.warnings][:REPORT_ERRORS],
    }


def get_job(session: Session, actor: Actor, job_id: uuid.UUID) -> ImportJob:
    job = session.get(ImportJob, job_id)
    if job is None or not is_member(actor, job.authority_id):
        raise NotFound(_("Diesen Import gibt es nicht."))
    return job


def start_job(session: Session, actor: Actor, job: ImportJob) -> None:
    require(actor, Permission.PROCESS_CREATE, job)
    if job.status is not ImportStatus.CHECKED:
        raise Conflict(_("Dieser Import läuft bereits oder ist abgeschlossen."))
    if job.valid_rows == 0:
        raise Conflict(_("Die Datei enthält keine gültige Zeile."))
    job.status = ImportStatus.PENDING


def runnable_jobs(session: Session) -> list[uuid.UUID]:
    """Jobs waiting to run, and running ones whose worker stopped reporting (to be run again)."""
    stale = utcnow() - STALE_AFTER
    return list(
        session.scalars(
            select(ImportJob.id).where(
                or_(
                    ImportJob.status == ImportStatus.PENDING,
                    (ImportJob.status == ImportStatus.RUNNING) & (ImportJob.heartbeat_at < stale),
                )
            )
        )
    )


def run_job(database: Database, job_id: uuid.UUID, actor: Actor, *, max_bytes: int) -> None:
    """Import a started job's valid rows batch by batch, reporting progress after each batch."""
    with database.transaction() as session:
        job = session.get(ImportJob, job_id)
        job.status, job.started_at, job.heartbeat_at = ImportStatus.RUNNING, utcnow(), utcnow()
        job.processed_rows = job.created_count = job.updated_count = job.unchanged_count = 0
        data, filename, authority_id = (
            read_blob(session, job.blob_sha256),
            job.filename,
            job.authority_id,
        )
    try:
        table = read_file(data, filename, max_bytes=max_bytes)
        for batch in batches(table.valid_rows):
            with database.transaction() as session:
                counts = import_rows(
                    session, actor, session.get(Authority, authority_id), batch, table.fields
                )
                _advance(session.get(ImportJob, job_id), len(batch), counts)
        _finish(database, job_id, actor, None)
    except Exception as error:
        _finish(database, job_id, actor, str(error) or type(error).__name__)


def _advance(job: ImportJob, rows: int, counts: ImportCounts) -> None:
    job.processed_rows += rows
    job.created_count += counts.created
    job.updated_count += counts.updated
    job.unchanged_count += counts.unchanged
    job.heartbeat_at = utcnow()


def _finish(database: Database, job_id: uuid.UUID, actor: Actor, error: str | None) -> None:
    with database.transaction() as session:
        job = session.get(ImportJob, job_id)
        job.status = ImportStatus.FAILED if error else ImportStatus.DONE
        job.error, job.finished_at = error, utcnow()
        record(
            session,
            actor,
            "register_import.finished",
            object_type="import_job",
            object_id=job.id,
            authority_id=job.authority_id,
            details={
                "status": job.status.value,
                "created": job.created_count,
                "updated": job.updated_count,
                "error": error,
            },
        )
