"""The file: its kind and size, CSV decoding and delimiter, XLSX reading with zip-bomb checks."""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from app.catalog.register_import.cells import Cell, de, is_empty, short
from app.catalog.register_import.headings import field_for_heading
from app.catalog.register_import.model import (
    CSV_EXTENSIONS,
    HEADER_SEARCH_ROWS,
    MAX_COLUMNS,
    MAX_UNPACKED_BYTES,
    MAX_ZIP_MEMBERS,
    MIB,
    XLSX_EXTENSIONS,
    RegisterImportError,
)

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and password-protected .xlsx


# --- the file ----------------------------------------------------------------------------------


def file_kind(data: bytes, filename: str, max_bytes: int) -> str:
    name = filename.lower().strip()
    if not name.endswith(CSV_EXTENSIONS + XLSX_EXTENSIONS):
        raise RegisterImportError(
            "unsupported_format",
            f"„{short(filename)}“ ist weder eine CSV- noch eine Excel-Datei (.xlsx). Bitte in Excel "
            "oder LibreOffice als „.xlsx“ oder „CSV (Trennzeichen-getrennt)“ speichern.",
        )
    if len(data) > max_bytes:
        raise RegisterImportError(
            "too_large",
            f"Die Datei ist größer als {_size(max_bytes)}. Bitte in mehrere Dateien aufteilen.",
        )
    if not data.strip():
        raise RegisterImportError("empty", "Die Datei ist leer.")
    if data.startswith(_OLE_MAGIC):
        raise RegisterImportError(
            "legacy_excel",
            "Die Datei ist im alten Excel-Format (.xls) oder kennwortgeschützt. Bitte ohne Kennwort "
            "als Excel-Arbeitsmappe (.xlsx) speichern.",
        )
    return "xlsx" if data.startswith(_ZIP_MAGIC) or name.endswith(XLSX_EXTENSIONS) else "csv"


def capped(records: Iterable[tuple[int, Sequence[Cell]]], max_rows: int) -> Iterator:
    """Non-empty rows only; refuses the file once it has more than ``max_rows`` of them besides
    the heading row (a title block above the headings counts too)."""
    count = 0
    for line, cells in records:
        if not is_empty(cells):
            count += 1
            if count > max_rows + 1:
                raise RegisterImportError(
                    "too_many_rows",
                    f"Die Datei hat mehr als {de(max_rows)} Zeilen. Bitte in mehrere Dateien aufteilen.",
                )
            yield line, cells


def _size(size: int) -> str:
    return f"{de(round(size / MIB, 1))} MB" if size >= MIB else f"{de(size // 1024)} KB"


# --- CSV ---------------------------------------------------------------------------------------

_CSV_DELIMITERS = (";", "\t", ",")  # on a tie the first wins: ";" is German Excel's default
_SEP_LINE = re.compile(r'"?sep=(.)"?[ \t]*(?:\r\n|\r|\n|$)')  # Excel's delimiter hint line
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1f]")


def csv_records(data: bytes) -> Iterator[tuple[int, list[str]]]:
    text = _decode(data)
    hint = _SEP_LINE.match(text)
    if hint and hint.group(1) in _CSV_DELIMITERS:
        text, delimiter = text[hint.end() :], hint.group(1)
    else:
        delimiter = _guess_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    line = 0
    try:
        for line, record in enumerate(reader, start=1):
            yield line, record
    except csv.Error as exc:
        raise RegisterImportError(
            "invalid_csv",
            f"Die CSV-Datei ist ab Zeile {de(line + 1)} nicht lesbar; vermutlich fehlt dort ein "
            "schließendes Anführungszeichen.",
        ) from exc


def _decode(data: bytes) -> str:
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    sample = data[:65_536]
    if not utf16 and (b"\x00" in sample or len(_CONTROL.findall(sample)) > len(sample) // 20):
        raise _not_text()
    try:
        text = data.decode("utf-16") if utf16 else _decode_8bit(data)
    except UnicodeDecodeError as exc:
        raise RegisterImportError(
            "encoding",
            "Die Zeichenkodierung der Datei ist nicht erkennbar. Bitte als „CSV UTF-8“ speichern.",
        ) from exc
    if "\x00" in text:
        raise _not_text()
    return text


def _not_text() -> RegisterImportError:
    return RegisterImportError(
        "not_text", "Die Datei ist keine Textdatei (CSV). Bitte als CSV oder .xlsx speichern."
    )


def _decode_8bit(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")  # Excel's "CSV (Trennzeichen-getrennt)" in German Windows


def _guess_delimiter(text: str) -> str:
    sample = text[:65_536]
    if len(text) > len(sample):
        sample = sample[: max(sample.rfind("\n"), 1)]
    return max(_CSV_DELIMITERS, key=lambda delimiter: _delimiter_score(sample, delimiter))


def _delimiter_score(sample: str, delimiter: str) -> tuple[int, int, int]:
    """Known headings in one of the first rows; how many records share the most common width
    above one; that width."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    records = list(islice(reader, 50))  # no NUL (refused before); fields under the size limit
    known = max((_known_headings(r) for r in records[:HEADER_SEARCH_ROWS]), default=0)
    widths = [len(record) for record in records if len(record) > 1]
    width = max(set(widths), key=lambda w: (widths.count(w), w), default=0)
    return (known, widths.count(width), width)


def _known_headings(cells: Sequence[str]) -> int:
    return sum(1 for cell in cells if len(cell) < 80 and field_for_heading(cell))


# --- XLSX --------------------------------------------------------------------------------------


def xlsx_records(data: bytes, max_rows: int) -> list[tuple[int, Sequence[Cell]]]:
    _check_zip(data)
    # openpyxl parses the sheet XML through defusedxml (a pinned dependency) when it is installed,
    # which refuses DTD entities, so XXE and entity expansion fail as invalid_xlsx.
    from openpyxl import load_workbook  # heavy import, only when an XLSX arrives

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        try:
            return list(capped(_sheet_rows(workbook), max_rows))
        finally:
            workbook.close()
    except RegisterImportError:
        raise
    except Exception as exc:  # anything openpyxl, zipfile or the XML parser raise on a bad file
        raise _invalid_xlsx() from exc


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except Exception as exc:  # BadZipFile, NotImplementedError (zip version), EOFError, ...
        raise _invalid_xlsx() from exc
    unpacked = sum(member.file_size for member in members)
    if len(members) > MAX_ZIP_MEMBERS or unpacked > MAX_UNPACKED_BYTES:
        raise RegisterImportError(
            "xlsx_too_large",
            f"Die Excel-Datei ist entpackt größer als {_size(MAX_UNPACKED_BYTES)}. "
            "Bitte in mehrere Dateien aufteilen.",
        )
    if any(m.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for m in members):
        raise _invalid_xlsx()


def _invalid_xlsx() -> RegisterImportError:
    return RegisterImportError(
        "invalid_xlsx",
        "Die Excel-Datei ist beschädigt oder keine gültige .xlsx-Datei. Bitte in Excel öffnen und "
        "erneut als Excel-Arbeitsmappe (.xlsx) speichern.",
    )


def _sheet_rows(workbook: Any) -> Iterator[tuple[int, Sequence[Cell]]]:
    sheet = next((ws for ws in workbook.worksheets if ws.sheet_state == "visible"), None)
    if sheet is None:
        raise RegisterImportError(
            "no_sheet", "Die Excel-Datei enthält kein sichtbares Tabellenblatt."
        )
    sheet.reset_dimensions()  # some writers store wrong dimensions; read what is there
    blank = None
    for line, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), 1):
        if cells is blank:  # openpyxl fills gaps with one shared row: skip a million quickly
            continue
        if is_empty(cells):
            blank = cells
            continue
        yield line, cells
