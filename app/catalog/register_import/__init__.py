"""Reading a process register (Prozessregister, Prozesslandkarte) as authorities keep it.

Pure: bytes of a CSV or XLSX file in, a table of Steckbrief dicts with German row errors and warnings
out; no Flask, no database. The headings row is found among the first rows (a title block above it
is skipped) and matched against ``HEADING_SYNONYMS``; each row becomes the Steckbrief dict that
``app.catalog.services`` takes, converted forgivingly ("ca. 1.200 Fälle", "Stufe 2", LeiKa keys as
Excel floats) and checked against the limits of ``SteckbriefSchema`` (mirrored here, kept in step by a
test). A row with errors keeps what could be converted. Line numbers are rows as a spreadsheet shows
them: a CSV record spanning several text lines (a cell with line breaks) is one row, as in Excel.
"""

from app.catalog.register_import.headings import HEADING_SYNONYMS, field_for_heading
from app.catalog.register_import.model import (
    FIELD_LABELS,
    LEGAL_BASIS_LENGTH,
    LIST_ITEM_LENGTH,
    LIST_LIMITS,
    MAX_LEIKA_KEYS,
    MAX_UNPACKED_BYTES,
    MIB,
    NUMBER_LIMITS,
    TEXT_LIMITS,
    RegisterImportError,
    RegisterRow,
    RegisterTable,
)
from app.catalog.register_import.reader import read_register

__all__ = [
    "FIELD_LABELS",
    "HEADING_SYNONYMS",
    "LEGAL_BASIS_LENGTH",
    "LIST_ITEM_LENGTH",
    "LIST_LIMITS",
    "MAX_LEIKA_KEYS",
    "MAX_UNPACKED_BYTES",
    "MIB",
    "NUMBER_LIMITS",
    "TEXT_LIMITS",
    "RegisterImportError",
    "RegisterRow",
    "RegisterTable",
    "field_for_heading",
    "read_register",
]
