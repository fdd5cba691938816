"""Headings: the synonyms people write for each field, and the heading row of a register."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

from app.catalog.register_import.cells import Cell, display, short
from app.catalog.register_import.model import FIELD_LABELS, HEADER_SEARCH_ROWS, RegisterImportError
from app.text import fold

# Field -> headings people write for it. Matched ignoring case, spaces, punctuation and umlaut
# spelling ("Fälle pro Jahr" = "FAELLE-PRO-JAHR"); a trailing year ("Fallzahl 2023") is ignored.
HEADING_SYNONYMS: dict[str, tuple[str, ...]] = {
    "title": ("Titel", "Prozess", "Prozessname", "Prozessbezeichnung", "Name", "Bezeichnung",
              "Leistung", "Leistungsname", "Leistungsbezeichnung", "Verwaltungsleistung"),
    "description": ("Beschreibung", "Prozessbeschreibung", "Kurzbeschreibung",
                    "Leistungsbeschreibung"),
    "leika_keys": ("LeiKa", "LeiKa-Schlüssel", "LeiKa-Schlüssel (14-stellig)", "Leistungsschlüssel",
                   "LeiKa-Nr.", "LeiKa-Nummer", "LeiKa-ID", "LeiKa-Leistungsschlüssel"),
    "ozg_id": ("OZG-ID", "OZG-Leistung (ID)", "OZG-Nr.", "OZG-Nummer", "OZG-Leistungs-ID"),
    "legal_bases": ("Rechtsgrundlage", "Rechtsgrundlagen", "Rechtsgrundlage(n)",
                    "Gesetzliche Grundlage(n)", "Rechtsnorm(en)"),
    "responsible_unit": ("Organisationseinheit", "OE", "Org.-Einheit", "Zuständige Stelle",
                         "Zuständige Organisationseinheit", "Zuständigkeit", "Fachbereich", "Amt",
                         "Fachamt", "Fachdienst", "Abteilung", "Sachgebiet"),
    "trigger": ("Auslöser", "Prozessauslöser", "Anlass", "Startereignis"),
    "result": ("Ergebnis", "Prozessergebnis", "Output"),
    "required_documents": ("Unterlagen", "Mitzubringende Unterlagen", "Erforderliche Unterlagen",
                           "Benötigte Unterlagen", "Nachweise"),
    "fees": ("Gebühren", "Gebühr", "Gebühren/Kosten", "Kosten/Gebühren"),
    "cases_per_year": ("Fallzahl", "Fallzahlen", "Fälle pro Jahr", "Fälle/Jahr", "Fälle p.a.",
                       "Fallzahl/Jahr", "Fallzahl pro Jahr", "Fallzahl p.a.", "Anzahl Fälle",
                       "Anzahl der Fälle", "Anzahl Fälle pro Jahr", "Jährliche Fallzahl"),
    "minutes_per_case": ("Bearbeitungszeit (Min.)", "Bearbeitungszeit in Minuten", "Bearbeitungszeit",
                         "Minuten je Fall", "Minuten pro Fall", "Bearbeitungsdauer in Minuten",
                         "Bearbeitungsdauer (Min.)", "Bearbeitungsdauer",
                         "Bearbeitungszeit je Fall (Min.)"),
    "cycle_time_days": ("Durchlaufzeit (Tage)", "Durchlaufzeit in Tagen", "Durchlaufzeit",
                        "Verfahrensdauer (Tage)", "Verfahrensdauer"),
    "digitisation_potential": ("Digitalisierungspotenzial", "Digitalisierungspotential",
                               "Digitalisierbarkeit", "Potenzial Digitalisierung"),
    "keywords": ("Schlagwörter", "Schlagworte", "Stichworte", "Stichwörter", "Suchbegriffe",
                 "Keywords", "Tags"),
    "synonyms": ("Synonyme", "Andere Bezeichnungen", "Alternative Bezeichnungen"),
    "maturity.documentation": ("Reifegrad Dokumentation", "Reifegrad (Dokumentation)"),
    "maturity.it_support": ("Reifegrad IT-Unterstützung", "Reifegrad IT"),
    "maturity.cross_unit": ("Reifegrad organisationsübergreifend", "Reifegrad OE-übergreifend",
                            "Reifegrad organisationsübergreifende Zusammenarbeit"),
    "maturity.evaluation": ("Reifegrad Evaluation", "Reifegrad Evaluierung"),
}  # fmt: skip

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_YEAR_SUFFIX = re.compile(r"(?:19|20)\d\d$")


def _heading_key(heading: str) -> str:
    return _NOT_ALNUM.sub("", fold(heading))


_HEADINGS = {_heading_key(s): field for field, names in HEADING_SYNONYMS.items() for s in names}


def field_for_heading(heading: str) -> str | None:
    key = _heading_key(heading)
    return _HEADINGS.get(key) or _HEADINGS.get(_YEAR_SUFFIX.sub("", key))


@dataclass(frozen=True)
class Column:
    index: int
    heading: str
    field: str


def find_header(records: Iterator[tuple[int, Sequence[Cell]]]) -> tuple[int, Sequence[Cell]]:
    """The first row with a title heading, among the first few non-empty rows."""
    seen: list[tuple[int, Sequence[Cell]]] = []
    for line, cells in islice(records, HEADER_SEARCH_ROWS):
        seen.append((line, cells))
        if any(field_for_heading(display(cell)) == "title" for cell in cells):
            return line, cells
    if not seen:
        raise RegisterImportError("empty", "Die Datei enthält keine Zeilen.")
    found = ", ".join(f"„{short(display(c), 40)}“" for c in seen[0][1] if display(c)) or "keine"
    raise RegisterImportError(
        "missing_title_column",
        "Keine Spalte für den Prozesstitel gefunden. Erwartet wird eine Überschrift wie „Prozess“, "
        f"„Prozessname“, „Bezeichnung“ oder „Leistung“. Gefundene Überschriften: {found}.",
    )


def map_columns(cells: Sequence[Cell]) -> tuple[list[Column], dict[str, str | None], list[str]]:
    """The columns taken; heading -> field (None: not taken); notes on the headings not taken."""
    columns: list[Column] = []
    mapping: dict[str, str | None] = {}
    notes: list[str] = []
    taken: dict[str, str] = {}  # field -> the heading that supplies it
    for index, cell in enumerate(cells):
        heading = display(cell)
        if heading in mapping:
            notes.append(
                f"Die Überschrift „{short(heading)}“ kommt mehrfach vor; übernommen wird "
                "nur die erste Spalte."
            )
        elif heading:
            field, note = _column_field(heading, taken)
            if field:
                taken[field] = heading
                columns.append(Column(index, heading, field))
            else:
                notes.append(note)
            mapping[heading] = field
    return columns, mapping, notes


def _column_field(heading: str, taken: dict[str, str]) -> tuple[str | None, str]:
    """The field a heading supplies, or None and why not."""
    field = field_for_heading(heading)
    if field is None:
        return None, f"Die Spalte „{short(heading)}“ ist unbekannt und wird nicht übernommen."
    if field in taken:
        return None, (
            f"Die Spalte „{short(heading)}“ wird nicht übernommen: „{taken[field]}“ "
            f"liefert schon {FIELD_LABELS[field]}."
        )
    return field, ""
