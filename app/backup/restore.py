"""Restore an archive into an empty instance: all rows in one transaction, or nothing at all.

First every checksum is checked (a pass over the whole archive), then, in one write transaction,
the target must be empty and at the archive's schema revision. Rows go in table by table in
foreign-key order; a reference to a row that comes later (a revision's parent, a fork's upstream
revision) is written as NULL first and set once every table is in. Afterwards PostgreSQL's
sequences continue after the highest restored number. The search index is derived, so the caller
rebuilds it after the commit.
"""

from __future__ import annotations

import json
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Column, Connection, Table, and_, bindparam, insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.backup import BackupError
from app.backup.archive import (
    BLOB_MEMBER,
    MANIFEST,
    TABLE_MEMBER,
    HashingReader,
    Member,
    Progress,
    no_progress,
    read_members,
    verify_archive,
)
from app.backup.tables import (
    BLOB_DATA_COLUMN,
    BLOBS_TABLE,
    EXCLUDED_TABLES,
    KEYS_TABLE,
    PRIVATE_KEY_COLUMN,
    Codec,
    all_model_tables,
    backup_tables,
    code_heads,
    codec_for,
    decode_row,
    exported_columns,
    insert_target,
)
from app.db import Database, utcnow

KEYS_FILE = f"tables/{KEYS_TABLE}.jsonl"
INSERT_BATCH = 500
STAGE = "Einspielen"
UNCHANGED = "Nichts wurde geändert."


@dataclass
class RestoreReport:
    manifest: dict[str, Any]
    rows: dict[str, int] = field(default_factory=dict)
    blobs: int = 0
    private_keys: bool = False


def restore_instance(
    database: Database,
    path: Path,
    *,
    secret_key: str,
    without_keys: bool = False,
    progress: Progress = no_progress,
) -> RestoreReport:
    """Check ``path`` and restore it into the empty ``database``; raises :class:`BackupError`."""
    verified = verify_archive(path, progress, keep=frozenset({KEYS_FILE}))
    manifest = verified.manifest
    check_archive_revision(manifest)
    plans = plan_tables(manifest)
    report = RestoreReport(
        manifest, private_keys=bool(manifest.get("with_keys")) and not without_keys
    )
    with database.transaction() as session:
        connection = session.connection()
        check_target_revision(connection)
        check_empty(connection)
        if report.private_keys:
            check_secret(plans[KEYS_TABLE], verified.kept.get(KEYS_FILE, b""), secret_key)
        loader = _Loader(connection, manifest, plans, report, progress)
        loader.load(path)
        _after_load(session, connection, plans)
    database.refresh_statistics()
    return report


# --- checks before anything is written ---------------------------------------------------------


@dataclass
class TablePlan:
    table: Table
    names: list[str]
    codecs: list[Codec]
    deferred: list[str]  # references to rows of the same or a later table: set after all inserts

    def row(self, values: list[Any]) -> dict[str, Any]:
        return dict(zip(self.names, decode_row(self.codecs, values), strict=True))


def plan_tables(manifest: dict[str, Any]) -> dict[str, TablePlan]:
    """How each table of the archive goes in; refuses an archive whose tables do not fit."""
    tables = {table.name: table for table in backup_tables()}
    listed = manifest["tables"]
    if set(listed) != set(tables):
        missing, extra = sorted(set(tables) - set(listed)), sorted(set(listed) - set(tables))
        raise BackupError(
            f"Die Tabellen der Sicherung passen nicht zu diesem Schema (fehlen: {missing or '-'}, "
            f"unbekannt: {extra or '-'}). {UNCHANGED}"
        )
    order = {name: index for index, name in enumerate(tables)}
    return {name: _plan(tables[name], listed[name], order) for name in tables}


def _plan(table: Table, entry: dict[str, Any], order: dict[str, int]) -> TablePlan:
    names = [column["name"] for column in entry["columns"]]
    allowed = [col.name for col in exported_columns(table, with_keys=True)]
    required = [col.name for col in exported_columns(table, with_keys=False)]
    if not set(required) <= set(names) <= set(allowed) or len(set(names)) != len(names):
        raise BackupError(
            f"Die Spalten von {table.name} in der Sicherung passen nicht zu diesem Schema. "
            f"{UNCHANGED}"
        )
    codecs = [codec_for(table.c[name]) for name in names]
    return TablePlan(table, names, codecs, _deferred_columns(table, order))


def _deferred_columns(table: Table, order: dict[str, int]) -> list[str]:
    deferred = []
    for col in table.columns:
        if any(order.get(fk.column.table.name, -1) >= order[table.name] for fk in col.foreign_keys):
            if not col.nullable:  # pragma: no cover - a schema that could never be restored
                raise BackupError(f"{table.name}.{col.name}: Ringverweis ohne NULL-Möglichkeit.")
            deferred.append(col.name)
    return deferred


def check_archive_revision(manifest: dict[str, Any]) -> None:
    heads, archived = code_heads(), manifest.get("schema_revision")
    if (archived,) != heads:
        raise BackupError(
            f"Die Sicherung hat den Schemastand {archived} (Version "
            f"{manifest.get('app_version')}), dieses Register {', '.join(heads)}. Bitte mit der "
            "Version einspielen, die die Sicherung geschrieben hat, und danach aktualisieren "
            f"('musterregister db upgrade'). {UNCHANGED}"
        )


def check_target_revision(connection: Connection) -> None:
    from alembic.runtime.migration import MigrationContext

    heads = code_heads()
    current = tuple(MigrationContext.configure(connection).get_current_heads())
    if current != heads:
        raise BackupError(
            f"Das Zielregister hat den Schemastand {', '.join(current) or 'leer'}, diese Version "
            f"erwartet {', '.join(heads)}: zuerst 'musterregister db upgrade'. {UNCHANGED}"
        )


def check_empty(connection: Connection) -> None:
    filled = [
        table.name
        for table in all_model_tables()
        if table.name not in EXCLUDED_TABLES
        and connection.execute(select(*table.primary_key.columns).limit(1)).first() is not None
    ]
    if filled:
        raise BackupError(
            f"Das Zielregister ist nicht leer (Daten in: {', '.join(sorted(filled))}). Eine "
            "Sicherung wird nur in ein leeres Register eingespielt: neue Datenbank anlegen, "
            f"'musterregister db upgrade', dann 'musterregister import'. {UNCHANGED}"
        )


def check_secret(plan: TablePlan, data: bytes, secret_key: str) -> None:
    """The active key must open with this instance's SECRET_KEY, or nothing is restored."""
    from app.peering.keys import KeyUnavailable, decrypt_private

    if PRIVATE_KEY_COLUMN not in plan.names:
        raise BackupError(f"Die Sicherung nennt sich 'mit Schlüsseln', hat aber keine. {UNCHANGED}")
    for line in data.splitlines():
        try:
            row = plan.row(json.loads(line))
        except (ValueError, TypeError) as error:
            raise BackupError(f"{KEYS_TABLE}: unlesbar ({error}). {UNCHANGED}") from None
        if row["retired_at"] is None:
            try:
                decrypt_private(row[PRIVATE_KEY_COLUMN], secret_key)
            except KeyUnavailable:
                raise BackupError(
                    "Die Sicherung enthält den privaten Signierschlüssel, verschlüsselt mit dem "
                    "SECRET_KEY des gesicherten Registers. Mit dem SECRET_KEY dieses Registers "
                    "lässt er sich nicht entschlüsseln. Entweder denselben "
                    "MUSTERREGISTER_SECRET_KEY setzen oder mit --without-keys einspielen (dann "
                    "erhält das Register beim ersten Signieren einen neuen Schlüssel, und "
                    f"Partnerinstanzen müssen den neuen Fingerabdruck bestätigen). {UNCHANGED}"
                ) from None


# --- loading -----------------------------------------------------------------------------------


class _Loader:
    def __init__(
        self,
        connection: Connection,
        manifest: dict[str, Any],
        plans: dict[str, TablePlan],
        report: RestoreReport,
        progress: Progress,
    ) -> None:
        self.connection, self.manifest, self.plans, self.report = (
            connection,
            manifest,
            plans,
            report,
        )
        self.progress, self.done = progress, 0
        self.total = sum(table["rows"] for table in manifest["tables"].values())
        self.blob_rows: dict[str, dict[str, Any]] = {}
        self.deferred: dict[tuple[str, str], IO[bytes]] = {}
        self.restored_at = utcnow()

    def load(self, path: Path) -> None:
        self.progress(STAGE, 0, self.total)
        try:
            for member in read_members(path, no_progress, STAGE):
                self._load_member(member)
            if self.blob_rows:
                raise BackupError(f"Zu {len(self.blob_rows)} Blobs fehlen die Bytes. {UNCHANGED}")
            self._apply_deferred()
        finally:
            for spool in self.deferred.values():
                spool.close()

    def _load_member(self, member: Member) -> None:
        if member.name == MANIFEST:
            return
        reader = HashingReader(member, self.manifest["files"].get(member.name, {}))
        if match := TABLE_MEMBER.fullmatch(member.name):
            plan = self.plans.get(match.group(1))
            if plan is None:
                raise BackupError(f"{member.name} gehört zu keiner Tabelle. {UNCHANGED}")
            self._load_table(plan, reader)
        elif match := BLOB_MEMBER.fullmatch(member.name):
            self._load_blob(match.group(1), reader.read_all())
        else:
            raise BackupError(f"Unerwarteter Eintrag {member.name} in der Sicherung. {UNCHANGED}")

    def _load_table(self, plan: TablePlan, reader: HashingReader) -> None:
        target = insert_target(plan.table, self._insert_names(plan))
        batch: list[dict[str, Any]] = []
        count = 0
        for count, line in enumerate(reader.lines(), 1):
            row = self._row(plan, line, count)
            if plan.table.name == BLOBS_TABLE:
                self.blob_rows[row["sha256"]] = row  # inserted with the bytes that follow
                continue
            batch.append(row)
            if len(batch) >= INSERT_BATCH:
                self._insert(plan, target, batch)
                batch = []
        if batch:
            self._insert(plan, target, batch)
        self.report.rows[plan.table.name] = count

    def _insert_names(self, plan: TablePlan) -> list[str]:
        extra = {BLOBS_TABLE: [BLOB_DATA_COLUMN], KEYS_TABLE: [PRIVATE_KEY_COLUMN]}
        return list(dict.fromkeys([*plan.names, *extra.get(plan.table.name, [])]))

    def _row(self, plan: TablePlan, line: bytes, number: int) -> dict[str, Any]:
        try:
            values = json.loads(line)
            if not isinstance(values, list) or len(values) != len(plan.names):
                raise ValueError(f"{len(plan.names)} Werte erwartet")
            row = plan.row(values)
        except (ValueError, TypeError) as error:
            raise BackupError(
                f"{plan.table.name}, Zeile {number}: unlesbar ({error}). {UNCHANGED}"
            ) from None
        for name in plan.deferred:
            if row[name] is not None:
                self._defer(plan, row, name)
                row[name] = None
        if plan.table.name == KEYS_TABLE and not self.report.private_keys:
            row[PRIVATE_KEY_COLUMN] = b""  # public part only: verifies old events, signs nothing
            row["retired_at"] = row["retired_at"] or self.restored_at
        return row

    def _insert(self, plan: TablePlan, target: Any, rows: list[dict[str, Any]]) -> None:
        self._execute(plan.table.name, insert(target), rows)
        self._tick(len(rows))

    def _execute(self, table_name: str, statement: Any, rows: list[dict[str, Any]]) -> None:
        try:
            self.connection.execute(statement, rows)
        except SQLAlchemyError as error:
            detail = str(getattr(error, "orig", None) or error).splitlines()[0]
            raise BackupError(
                f"{table_name}: Zeilen lassen sich nicht einspielen ({detail}). {UNCHANGED}"
            ) from None

    def _load_blob(self, sha256: str, data: bytes) -> None:
        row = self.blob_rows.pop(sha256, None)
        if row is None or row["size"] != len(data):
            raise BackupError(f"Blob {sha256} passt nicht zur Tabelle blobs. {UNCHANGED}")
        plan = self.plans[BLOBS_TABLE]
        target = insert_target(plan.table, self._insert_names(plan))
        self._execute(BLOBS_TABLE, insert(target), [{**row, BLOB_DATA_COLUMN: data}])
        self.report.blobs += 1
        self._tick(1)

    def _tick(self, count: int) -> None:
        self.done += count
        self.progress(STAGE, self.done, self.total)

    # --- references set after all rows are in -------------------------------------------------

    def _defer(self, plan: TablePlan, row: dict[str, Any], name: str) -> None:
        key = (plan.table.name, name)
        if key not in self.deferred:
            self.deferred[key] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in load())
        keys = {col.name: _encoded(col, row[col.name]) for col in plan.table.primary_key.columns}
        value = _encoded(plan.table.c[name], row[name])
        self.deferred[key].write(json.dumps([keys, value]).encode() + b"\n")

    def _apply_deferred(self) -> None:
        for (table_name, name), spool in self.deferred.items():
            table = self.plans[table_name].table
            statement = _update_statement(table, table.c[name])
            for batch in _batches(_spooled(spool, table, table.c[name])):
                self._execute(table_name, statement, batch)


def _encoded(col: Column[Any], value: Any) -> Any:
    return codec_for(col).encode(value)


def _update_statement(table: Table, target: Column[Any]) -> Any:
    """A bare UPDATE: no ``onupdate`` default may touch ``updated_at`` while restoring."""
    keys = list(table.primary_key.columns)
    bare = insert_target(table, [*(col.name for col in keys), target.name])
    condition = and_(
        *(bare.c[col.name] == bindparam(f"key_{col.name}", type_=col.type) for col in keys)
    )
    return update(bare).where(condition).values({target.name: bindparam("value")})


def _spooled(spool: IO[bytes], table: Table, target: Column[Any]) -> Iterator[dict[str, Any]]:
    spool.seek(0)
    value_codec = codec_for(target)
    for line in spool:
        keys, value = json.loads(line)
        params = {f"key_{name}": codec_for(table.c[name]).decode(raw) for name, raw in keys.items()}
        yield {**params, "value": value_codec.decode(value)}


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= INSERT_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


# --- after the rows ----------------------------------------------------------------------------


def _after_load(session: Session, connection: Connection, plans: dict[str, TablePlan]) -> None:
    from app.cache import GENERATION_ROW, RegisterGeneration
    from app.search.linguistics import SYNONYMS, bump

    if connection.dialect.name == "postgresql":
        for plan in plans.values():
            _continue_sequence(connection, plan.table)
    generation = RegisterGeneration.__table__
    connection.execute(
        update(generation)
        .where(generation.c.id == GENERATION_ROW)
        .values(value=secrets.randbits(62))
    )
    bump(session, SYNONYMS)  # running processes load the restored synonyms


def _continue_sequence(connection: Connection, table: Table) -> None:
    col = table.autoincrement_column
    if col is None:
        return
    connection.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{col.name}'), "
            f"COALESCE((SELECT MAX({col.name}) FROM {table.name}), 0) + 1, false)"
        )
    )
