"""Rows: each record of a register becomes a Steckbrief with its errors and warnings."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from app.catalog.fields import MATURITY_DIMENSIONS, SCALAR_FIELDS
from app.catalog.register_import import codes, quantities, texts
from app.catalog.register_import.cells import (
    Cell,
    Invalid,
    clean,
    column_letter,
    de,
    display,
    short,
)
from app.catalog.register_import.headings import Column, find_header, map_columns
from app.catalog.register_import.model import LIST_FIELDS, RegisterRow, RegisterTable


def build_table(records: Iterator[tuple[int, Sequence[Cell]]]) -> RegisterTable:
    header_line, header = find_header(records)
    columns, mapping, notes = map_columns(header)
    rows, skipped, unnamed = _build_rows(records, columns, header)
    if header_line > 1:
        notes.insert(0, f"Die Überschriften stehen in Zeile {header_line}; die Zeilen darüber "
                        "wurden übersprungen.")  # fmt: skip
    if skipped:
        count = "1 Zeile" if len(skipped) == 1 else f"{de(len(skipped))} Zeilen"
        notes.append(f"{count} ohne Werte in übernommenen Spalten übersprungen (zuerst Zeile "
                     f"{skipped[0]}).")  # fmt: skip
    notes += [
        f"Spalte {column_letter(index)} hat keine Überschrift, enthält aber Werte (zuerst in "
        f"Zeile {line}); sie werden nicht übernommen."
        for index, line in sorted(unnamed.items())
    ]
    return RegisterTable(rows=tuple(rows), columns=mapping, warnings=tuple(notes))


def _build_rows(
    records: Iterator[tuple[int, Sequence[Cell]]], columns: list[Column], header: Sequence[Cell]
) -> tuple[list[RegisterRow], list[int], dict[int, int]]:
    """The rows; lines with nothing to take (say, only a running number); unnamed columns used."""
    named = [index for index, cell in enumerate(header) if display(cell)]
    width = named[-1] + 1  # the title heading at least is there
    blank = sorted(set(range(width)) - set(named))
    rows: list[RegisterRow] = []
    skipped: list[int] = []
    unnamed: dict[int, int] = {}  # column index -> first line with a value there
    titles: dict[tuple[str, str], int] = {}
    memo: _Memo = {}
    for line, cells in records:
        for index in _values_outside(cells, width, blank):
            unnamed.setdefault(index, line)
        raw = [clean(cells[c.index]) if c.index < len(cells) else None for c in columns]
        if raw.count(None) == len(raw):
            skipped.append(line)
        else:
            rows.append(_check_duplicate(_build_row(line, raw, columns, memo), titles))
    return rows, skipped, unnamed


def _values_outside(cells: Sequence[Cell], width: int, blank: list[int]) -> Iterator[int]:
    """Indices of values in columns without a heading."""
    tail = cells[width:]
    if tail.count(None) + tail.count("") < len(tail):  # C speed for the usual empty tail
        yield from (width + i for i, cell in enumerate(tail) if clean(cell) is not None)
    yield from (i for i in blank if i < len(cells) and clean(cells[i]) is not None)


def _build_row(line: int, raw: list[Cell], columns: list[Column], memo: _Memo) -> RegisterRow:
    """One Steckbrief from the cleaned values of the mapped columns."""
    values: dict[str, Any] = {}
    errors: list[str] = []
    notes: list[str] = []
    for column, value in zip(columns, raw, strict=True):
        if value is None:
            if column.field == "title":
                errors.append(_where(line, column) + "Der Titel fehlt.")
            continue
        result, cell_notes, error = _convert(column.field, value, memo)
        if error:
            errors.append(_where(line, column) + error)
        else:
            values[column.field] = result
        if cell_notes:
            notes += [_where(line, column) + note for note in cell_notes]
    return RegisterRow(line, _steckbrief(values), tuple(errors), tuple(notes))


# field -> converter: the value (notes appended to the list given) or Invalid with the reason
_CONVERTERS: dict[str, Callable[[Cell, list[str]], Any]] = {
    **texts.CONVERTERS,
    **codes.CONVERTERS,
    **quantities.CONVERTERS,
}
_Converted = tuple[Any, tuple[str, ...], str | None]  # value, notes, error
_Memo = dict[tuple[str, type, Cell], _Converted]
_MEMO_TEXT_LENGTH = 200  # registers repeat short values (units, stages, fees): convert each once


def _convert(field: str, value: Cell, memo: _Memo) -> _Converted:
    key = (field, type(value), value)
    converted = memo.get(key)
    if converted is None:
        notes: list[str] = []
        try:
            converted = (_CONVERTERS[field](value, notes), tuple(notes), None)
        except Invalid as exc:
            converted = (None, tuple(notes), str(exc))
        if not isinstance(value, str) or len(value) <= _MEMO_TEXT_LENGTH:
            memo[key] = converted
    result, notes_, error = converted
    if isinstance(result, list):  # every row gets lists (and legal basis dicts) of its own
        result = [dict(item) if isinstance(item, dict) else item for item in result]
    return result, notes_, error


def _where(line: int, column: Column) -> str:
    return f"Zeile {line}, Spalte „{short(column.heading, 60)}“: "


def _steckbrief(values: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = dict.fromkeys(SCALAR_FIELDS)
    data.update({name: [] for name in LIST_FIELDS}, leika_keys=[])
    data["maturity"] = dict.fromkeys(MATURITY_DIMENSIONS)
    for field, value in values.items():
        if field.startswith("maturity."):
            data["maturity"][field.removeprefix("maturity.")] = value
        else:
            data[field] = value
    return data


def _check_duplicate(row: RegisterRow, titles: dict[tuple[str, str], int]) -> RegisterRow:
    title, unit = row.steckbrief["title"], row.steckbrief["responsible_unit"]
    if not title:
        return row
    key = (" ".join(title.casefold().split()), " ".join((unit or "").casefold().split()))
    first = titles.setdefault(key, row.line)
    if first == row.line:
        return row
    where = f"bei „{short(unit, 60)}“" if unit else "ohne zuständige Stelle"
    note = f"Zeile {row.line}: „{short(title, 60)}“ {where} steht schon in Zeile {first}."
    return RegisterRow(row.line, row.steckbrief, row.errors, (*row.warnings, note))
