"""Write an instance's content into one archive, from one consistent snapshot of the database."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, func, select

from app.backup import BackupError
from app.backup.archive import (
    FORMAT,
    FORMAT_VERSION,
    ArchiveWriter,
    Progress,
    no_progress,
    sha256_hex,
)
from app.backup.tables import (
    BLOB_DATA_COLUMN,
    BLOBS_TABLE,
    EXCLUDED_TABLES,
    KEYS_TABLE,
    backup_tables,
    code_heads,
    codec_for,
    encode_row,
    exported_columns,
    select_expression,
)
from app.db import Database, utcnow

STREAM_BATCH = 500
BLOB_BATCH = 20
STAGE = "Sichern"


@contextmanager
def snapshot(database: Database) -> Iterator[Connection]:
    """A read transaction that sees one state of the database from its first to its last row."""
    with database.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            yield connection


def export_instance(
    connection: Connection,
    path: Path,
    *,
    instance: dict[str, str],
    with_keys: bool = False,
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """Write the archive ``path`` from ``connection`` (inside its transaction); the manifest."""
    revision = schema_revision(connection)
    tables = backup_tables()
    counts = {table.name: _count(connection, table) for table in tables}
    ticker = _Ticker(progress, sum(counts.values()) + counts.get(BLOBS_TABLE, 0))
    writer = ArchiveWriter(path)
    try:
        entries = {}
        for table in tables:
            entries[table.name] = _write_table(writer, connection, table, with_keys, ticker)
            if table.name == BLOBS_TABLE:
                _write_blobs(writer, connection, table, ticker)
        manifest = _manifest(connection, revision, instance, with_keys, entries, writer.files)
        writer.finish(manifest)
    except OSError as error:  # disk full, folder gone: no half-written archive stays behind
        writer.abort()
        raise BackupError(f"Sicherung nicht geschrieben: {error}") from None
    except BaseException:
        writer.abort()
        raise
    return manifest


def schema_revision(connection: Connection) -> str:
    """The Alembic revision of the database; refuses one that is not at this version's head."""
    from alembic.runtime.migration import MigrationContext

    heads = code_heads()
    current = tuple(MigrationContext.configure(connection).get_current_heads())
    if current != heads:
        raise BackupError(
            f"Das Datenbankschema hat den Stand {', '.join(current) or 'leer'}, diese Version "
            f"erwartet {', '.join(heads)}: zuerst 'musterregister db upgrade'."
        )
    return heads[0]


class _Ticker:
    def __init__(self, progress: Progress, total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0
        progress(STAGE, 0, total)

    def __call__(self, count: int = 1) -> None:
        self.done += count
        self.progress(STAGE, self.done, self.total)


def _count(connection: Connection, table: Table) -> int:
    return connection.scalar(select(func.count()).select_from(table)) or 0


def _write_table(
    writer: ArchiveWriter,
    connection: Connection,
    table: Table,
    with_keys: bool,
    tick: Callable[[int], None],
) -> dict[str, Any]:
    columns = exported_columns(table, with_keys=with_keys)
    codecs = [codec_for(col) for col in columns]
    statement = (
        select(*(select_expression(col) for col in columns))
        .order_by(*table.primary_key.columns)
        .execution_options(yield_per=STREAM_BATCH)
    )
    member = writer.new_member()
    for partition in connection.execute(statement).partitions():
        for row in partition:
            member.write_line(_json_line(encode_row(codecs, row)))
        tick(len(partition))
    file = f"tables/{table.name}.jsonl"
    rows = member.lines
    writer.add_member(file, member)
    return {
        "file": file,
        "rows": rows,
        "columns": [
            {"name": col.name, "type": codec.kind}
            for col, codec in zip(columns, codecs, strict=True)
        ],
    }


def _json_line(values: list[Any]) -> bytes:
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()


def _write_blobs(
    writer: ArchiveWriter, connection: Connection, blobs: Table, tick: Callable[[int], None]
) -> None:
    """Each blob's bytes as ``blobs/<sha256>``, checked against its name on the way out."""
    statement = (
        select(blobs.c.sha256, blobs.c[BLOB_DATA_COLUMN])
        .order_by(blobs.c.sha256)
        .execution_options(yield_per=BLOB_BATCH)
    )
    for sha256, data in connection.execute(statement):
        if sha256_hex(data) != sha256:
            raise BackupError(
                f"Blob {sha256} in der Datenbank passt nicht zu seiner Prüfsumme: "
                "die Datenbank ist beschädigt. Keine Sicherung geschrieben."
            )
        writer.add_bytes(f"blobs/{sha256}", data)
        tick(1)


def _manifest(
    connection: Connection,
    revision: str,
    instance: dict[str, str],
    with_keys: bool,
    tables: dict[str, dict[str, Any]],
    files: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    blob_files = [entry for name, entry in files.items() if name.startswith("blobs/")]
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": utcnow().isoformat(),
        "app_version": app_version(),
        "schema_revision": revision,
        "database": connection.dialect.name,
        "instance": instance,
        "with_keys": with_keys,
        "keys_note": _keys_note(with_keys),
        "table_order": list(tables),
        "tables": tables,
        "excluded_tables": EXCLUDED_TABLES,
        "blobs": {"count": len(blob_files), "bytes": sum(entry["bytes"] for entry in blob_files)},
        "files": files,
    }


def _keys_note(with_keys: bool) -> str:
    if with_keys:
        return (
            f"{KEYS_TABLE} mit privaten Schlüsseln, verschlüsselt mit dem SECRET_KEY des "
            "gesicherten Registers: das Ziel braucht denselben SECRET_KEY."
        )
    return f"{KEYS_TABLE} nur mit öffentlichen Schlüsseln (ohne --with-keys gesichert)."


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("musterregister")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unbekannt"
