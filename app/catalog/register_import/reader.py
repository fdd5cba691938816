"""Reading a register file: the one entry point."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from app.catalog.register_import.cells import Cell
from app.catalog.register_import.files import capped, csv_records, file_kind, xlsx_records
from app.catalog.register_import.model import MIB, RegisterTable
from app.catalog.register_import.rows import build_table


def read_register(
    data: bytes, *, filename: str, max_bytes: int = 20 * MIB, max_rows: int = 20_000
) -> RegisterTable:
    """Read and check a register file; raises ``RegisterImportError`` if it cannot be read at all."""
    kind = file_kind(data, filename, max_bytes)
    if kind == "xlsx":
        records: Iterable[tuple[int, Sequence[Cell]]] = xlsx_records(data, max_rows)
    else:
        records = capped(csv_records(data), max_rows)
    return build_table(iter(records))
