"""Which tables a backup holds, in which order, and how their values are written as JSON.

Values are encoded by the column's type, so an archive is the same whichever database wrote it:
UUIDs and decimals as strings, times as ISO 8601 with offset (UTC), bytes as Base64, and a JSON
column's value wrapped in a one-element list, so that SQL NULL (``null``) stays distinct from a
stored JSON ``null`` (``[null]``).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum as PythonEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ColumnElement,
    Enum,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    Uuid,
    cast,
    column,
)
from sqlalchemy import table as bare_table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.expression import TableClause

from app.backup import BackupError
from app.db import Base, UTCDateTime, import_all_models

KEYS_TABLE = "instance_keys"
PRIVATE_KEY_COLUMN = "private_key_encrypted"
BLOBS_TABLE = "blobs"
BLOB_DATA_COLUMN = "data"

# Left out of every archive, with the reason the manifest and the documentation give.
EXCLUDED_TABLES = {
    "web_sessions": "Anmeldesitzungen im Browser: kurzlebig; nach dem Einspielen neu anmelden",
    "search_queue": "abgeleitet: der Suchindex wird nach dem Einspielen neu aufgebaut",
    "search_vocabulary": "abgeleitet: entsteht beim Neuaufbau des Suchindex",
    "search_state": "abgeleitet: Zähler, die Serverprozesse zum Neuladen bringen",
    "register_generation": "Cache-Kennung: erhält beim Einspielen einen neuen Zufallswert",
}


@dataclass(frozen=True)
class Codec:
    kind: str
    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]


def backup_tables() -> list[Table]:
    """Every table of the schema that a backup holds, parents before children."""
    import_all_models()
    return [table for table in Base.metadata.sorted_tables if table.name not in EXCLUDED_TABLES]


def code_heads() -> tuple[str, ...]:
    """The schema revision this version of the software works with (Alembic heads)."""
    from alembic.script import ScriptDirectory

    from app.migrate import alembic_config

    return tuple(ScriptDirectory.from_config(alembic_config("")).get_heads())  # no database


def all_model_tables() -> list[Table]:
    import_all_models()
    return list(Base.metadata.sorted_tables)


def exported_columns(table: Table, *, with_keys: bool) -> list[Column[Any]]:
    """The columns written to the table's file (blob bytes go to files of their own)."""
    skipped = set()
    if table.name == BLOBS_TABLE:
        skipped.add(BLOB_DATA_COLUMN)
    if table.name == KEYS_TABLE and not with_keys:
        skipped.add(PRIVATE_KEY_COLUMN)
    return [col for col in table.columns if col.name not in skipped]


def select_expression(col: Column[Any]) -> ColumnElement[Any]:
    """JSON is read as its text, the only way to tell SQL NULL from a stored JSON ``null``."""
    if codec_for(col).kind == "json":
        return cast(col, Text).label(col.name)
    return col


def insert_target(table: Table, names: Sequence[str]) -> TableClause:
    """A bare table for inserting: no defaults, and JSON that writes SQL NULL for ``None``."""
    columns = (column(name, _insert_type(table.c[name])) for name in names)
    return bare_table(table.name, *columns)


def _insert_type(col: Column[Any]) -> Any:
    if codec_for(col).kind == "json":
        return JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
    return col.type


# --- codecs ------------------------------------------------------------------------------------


def _same(value: Any) -> Any:
    return value


def _enum_value(value: Any) -> Any:
    return value.value if isinstance(value, PythonEnum) else value


def _decode_datetime(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"Zeitangabe ohne Zeitzone: {value}")
    return parsed


def _encode_json_text(text: str) -> list[Any]:
    return [json.loads(text)]


def _decode_json(value: Any) -> Any:
    if not (isinstance(value, list) and len(value) == 1):
        raise ValueError("JSON-Wert muss als einelementige Liste vorliegen")
    return JSON.NULL if value[0] is None else value[0]


def _decode_bytes(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as error:
        raise ValueError(f"kein gültiges Base64: {error}") from None


CODECS = {
    "datetime": Codec("datetime", lambda value: value.isoformat(), _decode_datetime),
    "uuid": Codec("uuid", str, uuid.UUID),
    "json": Codec("json", _encode_json_text, _decode_json),
    "bytes": Codec("bytes", lambda value: base64.b64encode(value).decode("ascii"), _decode_bytes),
    "decimal": Codec("decimal", str, Decimal),
    "bool": Codec("bool", _same, _same),
    "int": Codec("int", _same, _same),
    "float": Codec("float", _same, float),
    "text": Codec("text", _enum_value, _same),
}
# Order matters: Enum is a String, Float a Numeric, UTCDateTime wraps DateTime.
_KINDS: list[tuple[type, str]] = [
    (UTCDateTime, "datetime"),
    (Uuid, "uuid"),
    (JSON, "json"),
    (LargeBinary, "bytes"),
    (Enum, "text"),
    (Boolean, "bool"),
    (Integer, "int"),
    (Float, "float"),
    (Numeric, "decimal"),
    (String, "text"),
]


def codec_for(col: Column[Any]) -> Codec:
    for type_class, kind in _KINDS:
        if isinstance(col.type, type_class):
            return CODECS[kind]
    raise BackupError(
        f"Spalte {col.table.name}.{col.name}: Typ {col.type!r} kann nicht gesichert werden."
    )


def encode_row(codecs: Sequence[Codec], row: Sequence[Any]) -> list[Any]:
    return [
        None if value is None else codec.encode(value)
        for codec, value in zip(codecs, row, strict=True)
    ]


def decode_row(codecs: Sequence[Codec], values: Sequence[Any]) -> list[Any]:
    return [
        None if value is None else codec.decode(value)
        for codec, value in zip(codecs, values, strict=True)
    ]
