"""Limits, field lists, the error, and the rows and table a register becomes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.catalog.register_import.cells import de

MIB = 1024 * 1024
MAX_UNPACKED_BYTES = 200 * MIB  # all members of an XLSX together, uncompressed (zip bombs)
MAX_ZIP_MEMBERS = 10_000
MAX_COLUMNS = 200  # columns beyond are not read
HEADER_SEARCH_ROWS = 10  # a title block above the headings is skipped within this many rows
CSV_EXTENSIONS = (".csv", ".tsv", ".txt")
XLSX_EXTENSIONS = (".xlsx",)

LIST_FIELDS = ("legal_bases", "required_documents", "keywords", "synonyms")
TEXT_LIMITS = {
    "title": 300,
    "description": 20_000,
    "responsible_unit": 300,
    "trigger": 5_000,
    "result": 5_000,
    "fees": 2_000,
}
NUMBER_LIMITS = {
    "cases_per_year": 100_000_000,
    "minutes_per_case": 100_000,
    "cycle_time_days": 3_650,
}
LIST_LIMITS = {"required_documents": 100, "keywords": 100, "synonyms": 100, "legal_bases": 50}
LIST_ITEM_LENGTH = 300
LEGAL_BASIS_LENGTH = 500  # text and URL each
MAX_LEIKA_KEYS = 20

FIELD_LABELS = {
    "title": "Titel",
    "description": "Beschreibung",
    "leika_keys": "LeiKa-Schlüssel",
    "ozg_id": "OZG-ID",
    "legal_bases": "Rechtsgrundlagen",
    "responsible_unit": "Zuständige Stelle",
    "trigger": "Auslöser",
    "result": "Ergebnis",
    "required_documents": "Mitzubringende Unterlagen",
    "fees": "Gebühren",
    "cases_per_year": "Fallzahl pro Jahr",
    "minutes_per_case": "Bearbeitungszeit in Minuten",
    "cycle_time_days": "Durchlaufzeit in Tagen",
    "digitisation_potential": "Digitalisierungspotenzial",
    "keywords": "Schlagwörter",
    "synonyms": "Synonyme",
    "maturity.documentation": "Reifegrad Dokumentation",
    "maturity.it_support": "Reifegrad IT-Unterstützung",
    "maturity.cross_unit": "Reifegrad organisationsübergreifend",
    "maturity.evaluation": "Reifegrad Evaluation",
}


class RegisterImportError(Exception):
    """The file as a whole cannot be read; ``message`` is German and meant for the user."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class RegisterRow:
    line: int
    steckbrief: dict[str, Any]
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegisterTable:
    rows: tuple[RegisterRow, ...]
    columns: dict[str, str | None]  # heading -> field ("maturity.<dimension>") or None (ignored)
    warnings: tuple[str, ...] = ()

    @property
    def valid_rows(self) -> tuple[RegisterRow, ...]:
        return tuple(row for row in self.rows if not row.errors)

    @property
    def invalid_rows(self) -> tuple[RegisterRow, ...]:
        return tuple(row for row in self.rows if row.errors)

    @property
    def fields(self) -> frozenset[str]:
        """Fields the file has a column for; the others are empty in every Steckbrief."""
        return frozenset(field for field in self.columns.values() if field)

    def report(self, max_messages: int = 20) -> str:
        """German plain-text summary for a dry run."""
        invalid = len(self.invalid_rows)
        lines = [
            f"{de(len(self.rows))} Einträge gelesen: {de(len(self.rows) - invalid)} fehlerfrei, "
            f"{de(invalid)} mit Fehlern.",
            "",
            "Spalten:",
            *(f"- „{heading}“ → {_column_label(field)}" for heading, field in self.columns.items()),
        ]
        lines += _section("Hinweise zur Datei", list(self.warnings), max_messages)
        lines += _section("Fehler", [e for row in self.rows for e in row.errors], max_messages)
        lines += _section("Hinweise", [w for row in self.rows for w in row.warnings], max_messages)
        return "\n".join(lines)


def _column_label(field: str | None) -> str:
    return FIELD_LABELS[field] if field else "wird nicht übernommen"


def _section(title: str, messages: list[str], limit: int) -> list[str]:
    if not messages:
        return []
    shown = f" (die ersten {limit} von {de(len(messages))})" if len(messages) > limit else ""
    return ["", f"{title}{shown}:", *(f"- {message}" for message in messages[:limit])]
