"""Reading process registers (CSV, XLSX) as authorities keep them: app.catalog.register_import.

Correctness only; how fast 10,000 rows are read is measured by benchmarks/register_import.py.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from app.catalog import register_import as ri
from app.catalog.fields import MATURITY_DIMENSIONS, SCALAR_FIELDS, STECKBRIEF_FIELDS
from app.catalog.models import DigitisationPotential
from app.catalog.register_import import RegisterImportError, field_for_heading, read_register
from app.catalog.register_import import files as ri_files
from app.catalog.register_import.cells import as_text, column_letter, de, is_empty
from app.catalog.register_import.codes import _POTENTIAL
from app.catalog.register_import.rows import build_table
from app.catalog.schemas import SteckbriefSchema

DATA = Path(__file__).parent / "data"
FUZZ = settings(max_examples=150, deadline=None, database=None, derandomize=True)


# --- helpers -----------------------------------------------------------------------------------


def csv_bytes(
    rows: list[list[Any]], *, delimiter: str = ";", encoding: str = "utf-8", bom: bool = False
) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]], tmp_path: Path, *, hidden_first: bool = False) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if hidden_first:
        sheet.append(["Bezeichnung"])
        sheet.append(["aus dem verborgenen Blatt"])
        sheet.sheet_state = "hidden"
        sheet = workbook.create_sheet("Register")
    for row in rows:
        sheet.append(row)
    path = tmp_path / "register.xlsx"
    workbook.save(path)
    return path.read_bytes()


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_SML = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def excel_like_xlsx(rows: list[list[Any]]) -> bytes:
    """An XLSX as Excel writes it: shared strings and a dimension (openpyxl writes inline strings)."""
    strings: dict[str, int] = {}
    body = []
    for number, row in enumerate(rows, start=1):
        cells = []
        for column, value in enumerate(row, start=1):
            ref = f"{get_column_letter(column)}{number}"
            if isinstance(value, str):
                index = strings.setdefault(value, len(strings))
                cells.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
            elif value is not None:
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        body.append(f'<row r="{number}">{"".join(cells)}</row>')
    size = f"A1:{get_column_letter(max(map(len, rows)))}{len(rows)}"
    shared = "".join(f'<si><t xml:space="preserve">{escape(text)}</t></si>' for text in strings)
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_SML}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_SML}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_SML}.sharedStrings+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            '<sheet name="Prozessregister" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{_PKG}">'
            f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/sharedStrings.xml": f'<sst xmlns="{_MAIN}" uniqueCount="{len(strings)}">{shared}</sst>',
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{_MAIN}"><dimension ref="{size}"/>'
            f"<sheetData>{''.join(body)}</sheetData></worksheet>"
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            archive.writestr(name, xml)
    return out.getvalue()


def read_csv(rows: list[list[Any]], **kwargs: Any) -> ri.RegisterTable:
    return read_register(csv_bytes(rows), filename="register.csv", **kwargs)


def one_row(heading: str, value: Any) -> ri.RegisterRow:
    table = read_csv([["Prozess", heading], ["Hund anmelden", value]])
    (row,) = table.rows
    return row


def cell_value(heading: str, value: Any) -> Any:
    row = one_row(heading, value)
    assert row.errors == ()
    field = field_for_heading(heading)
    assert field is not None
    if field.startswith("maturity."):
        return row.steckbrief["maturity"][field.removeprefix("maturity.")]
    return row.steckbrief[field]


def cell_error(heading: str, value: Any) -> str:
    row = one_row(heading, value)
    (error,) = row.errors
    return error


def refusal(data: bytes, filename: str = "register.csv", **kwargs: Any) -> RegisterImportError:
    with pytest.raises(RegisterImportError) as caught:
        read_register(data, filename=filename, **kwargs)
    return caught.value


def rezipped(xlsx: bytes, replace: dict[str, bytes] | None = None, **extra: bytes) -> bytes:
    """The XLSX with members replaced or added."""
    replace = {**(replace or {}), **extra}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for name in source.namelist():
            target.writestr(name, replace.pop(name, None) or source.read(name))
        for name, content in replace.items():
            target.writestr(name, content)
    return out.getvalue()


def assert_schema_valid(table: ri.RegisterTable) -> None:
    schema = SteckbriefSchema()
    for row in table.valid_rows:
        assert schema.validate(row.steckbrief) == {}, (row.line, row.steckbrief)


# --- the Steckbrief and the schema stay in step ------------------------------------------------


def test_steckbrief_has_exactly_the_fields_services_take() -> None:
    row = one_row("Fallzahl", "3")
    assert tuple(row.steckbrief) == STECKBRIEF_FIELDS
    assert set(row.steckbrief["maturity"]) == set(MATURITY_DIMENSIONS)
    assert row.steckbrief["leika_keys"] == [] and row.steckbrief["keywords"] == []


def test_limits_mirror_the_steckbrief_schema() -> None:
    fields = SteckbriefSchema().fields
    for name, limit in ri.TEXT_LIMITS.items():
        assert fields[name].validators[0].max == limit, name
    for name, limit in ri.NUMBER_LIMITS.items():
        assert fields[name].validators[0].max == limit, name
    for name, limit in ri.LIST_LIMITS.items():
        assert fields[name].validators[0].max == limit, name
    for name in ("required_documents", "keywords", "synonyms"):
        assert fields[name].inner.validators[0].max == ri.LIST_ITEM_LENGTH
    legal = fields["legal_bases"].inner.schema.fields
    assert legal["text"].validators[0].max == ri.LEGAL_BASIS_LENGTH
    assert legal["url"].validators[-1].max == ri.LEGAL_BASIS_LENGTH
    assert fields["leika_keys"].validators[0].max == ri.MAX_LEIKA_KEYS
    assert set(fields["maturity"].schema.fields) == set(MATURITY_DIMENSIONS)
    assert set(_POTENTIAL.values()) == {member.value for member in DigitisationPotential}


# --- encodings, delimiters, quoting ------------------------------------------------------------

UMLAUT_ROWS = [
    ["Prozessname", "Zuständige Stelle", "Fälle pro Jahr"],
    ["Führungszeugnis beantragen", "Bürgerbüro", "1.200"],
]


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", False), ("utf-8", True), ("cp1252", False), ("utf-16", False)]
)
def test_encodings(encoding: str, bom: bool) -> None:
    data = csv_bytes(UMLAUT_ROWS, encoding=encoding, bom=bom)
    table = read_register(data, filename="register.csv")
    assert table.columns == {
        "Prozessname": "title",
        "Zuständige Stelle": "responsible_unit",
        "Fälle pro Jahr": "cases_per_year",
    }
    (row,) = table.rows
    assert row.steckbrief["title"] == "Führungszeugnis beantragen"
    assert row.steckbrief["responsible_unit"] == "Bürgerbüro"
    assert row.steckbrief["cases_per_year"] == 1200


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_delimiters_and_quoting(delimiter: str) -> None:
    rows = [
        ["Prozess", "Beschreibung", "Fallzahl"],
        ["Hund anmelden", 'Mit "Marke"; auch, mit Komma\nzweite Zeile', "12,5"],
        ["Hund abmelden", "kurz", "7"],
    ]
    table = read_register(csv_bytes(rows, delimiter=delimiter), filename="register.tsv")
    first, second = table.rows
    assert first.steckbrief["description"] == 'Mit "Marke"; auch, mit Komma\nzweite Zeile'
    assert first.steckbrief["cases_per_year"] == 13  # rounded half up, with a note
    assert first.warnings == ("Zeile 2, Spalte „Fallzahl“: „12,5“ wurde auf 13 gerundet.",)
    assert (first.line, second.line) == (2, 3)  # spreadsheet rows, not text lines


def test_semicolon_wins_over_commas_inside_values() -> None:
    data = "Prozess;Beschreibung\r\nA;eins, zwei, drei\r\nB;vier, fünf\r\n".encode()
    table = read_register(data, filename="r.csv")
    assert [row.steckbrief["description"] for row in table.rows] == [
        "eins, zwei, drei",
        "vier, fünf",
    ]


def test_excel_sep_hint_line_is_honoured_and_not_counted() -> None:
    data = b"sep=,\r\nProzess,Fallzahl\r\nA,3\r\n"
    (row,) = read_register(data, filename="r.csv").rows
    assert (row.line, row.steckbrief["cases_per_year"]) == (2, 3)


def test_realistic_file_from_the_data_folder() -> None:
    data = (DATA / "prozesslandkarte_cp1252.csv").read_bytes()
    table = read_register(data, filename="prozesslandkarte_cp1252.csv")
    assert [row.line for row in table.rows] == [4, 5, 6, 8, 9]
    assert [row.line for row in table.valid_rows] == [4, 5, 9]
    first = table.rows[0].steckbrief
    assert first["legal_bases"] == [
        {"text": "§ 17 BMG", "url": "https://www.gesetze-im-internet.de/bmg/__17.html"},
        {"text": "Hundesteuersatzung", "url": None},
    ]
    assert first["required_documents"] == ["Personalausweis", "Nachweis Haftpflichtversicherung"]
    assert table.rows[1].steckbrief["cycle_time_days"] == 14
    assert "Spalte M hat keine Überschrift, enthält aber Werte (zuerst in Zeile 5)" in "\n".join(
        table.warnings
    )
    assert_schema_valid(table)


# --- headings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        ("  fälle PRO jahr ", "cases_per_year"),
        ("FAELLE-PRO-JAHR", "cases_per_year"),
        ("Fallzahl 2023", "cases_per_year"),
        ("Fallzahl/Jahr", "cases_per_year"),
        ("Bearbeitungszeit [min]", "minutes_per_case"),
        ("Bearbeitungsdauer in Minuten", "minutes_per_case"),
        ("Leika Schluessel", "leika_keys"),
        ("zustaendige stelle", "responsible_unit"),
        ("O.E.", "responsible_unit"),
        ("OZG-Leistung (ID)", "ozg_id"),
        ("Rechtsgrundlage(n)", "legal_bases"),
        ("Reifegrad – IT-Unterstützung", "maturity.it_support"),
        ("Reifegrad organisationsübergreifend", "maturity.cross_unit"),
        ("Bemerkung", None),
        ("Bearbeitungszeit (Std.)", None),  # hours are not minutes: better unknown than wrong
        ("", None),
    ],
)
def test_headings_match_loosely(heading: str, field: str | None) -> None:
    assert field_for_heading(heading) == field


def test_every_synonym_maps_to_its_field() -> None:
    for field, names in ri.HEADING_SYNONYMS.items():
        assert field in ri.FIELD_LABELS
        for name in names:
            assert field_for_heading(name) == field, name
    fields = {f for f in ri.HEADING_SYNONYMS if not f.startswith("maturity.")}
    assert fields == {*SCALAR_FIELDS, "leika_keys"}


def test_unknown_duplicate_and_unnamed_columns_are_reported() -> None:
    rows = [
        ["Prozess", "Bemerkung", "Bezeichnung", "Prozess", "", "Fallzahl"],
        ["A", "x", "B", "C", "verloren", "1", "auch verloren"],
    ]
    table = read_csv(rows)
    assert table.columns == {
        "Prozess": "title",
        "Bemerkung": None,
        "Bezeichnung": None,
        "Fallzahl": "cases_per_year",
    }
    assert table.warnings == (
        "Die Spalte „Bemerkung“ ist unbekannt und wird nicht übernommen.",
        "Die Spalte „Bezeichnung“ wird nicht übernommen: „Prozess“ liefert schon Titel.",
        "Die Überschrift „Prozess“ kommt mehrfach vor; übernommen wird nur die erste Spalte.",
        "Spalte E hat keine Überschrift, enthält aber Werte (zuerst in Zeile 2); sie werden "
        "nicht übernommen.",
        "Spalte G hat keine Überschrift, enthält aber Werte (zuerst in Zeile 2); sie werden "
        "nicht übernommen.",
    )
    assert table.rows[0].steckbrief["title"] == "A"
    assert table.fields == {"title", "cases_per_year"}


def test_title_block_above_the_headings_is_skipped() -> None:
    rows = [
        ["Prozessregister Stadt Musterstadt"],
        [],
        ["Stand: 2024", ""],
        ["Name", "OE"],
        ["A", "B"],
    ]
    table = read_csv(rows)
    assert table.warnings[0] == (
        "Die Überschriften stehen in Zeile 4; die Zeilen darüber wurden übersprungen."
    )
    assert [row.line for row in table.rows] == [5]


def test_missing_title_column_is_an_error_for_the_file() -> None:
    error = refusal(csv_bytes([["Fallzahl", "OE"], ["3", "Amt"]]))
    assert error.code == "missing_title_column"
    assert "Gefundene Überschriften: „Fallzahl“, „OE“." in error.message


def test_header_only_and_empty_rows() -> None:
    assert read_csv([["Prozess"]]).rows == ()
    table = read_csv(
        [["Prozess", "Lfd. Nr.", "OE"], [], ["", "", ""], ["", "7", ""], ["A", "", ""]]
    )
    assert [row.line for row in table.rows] == [5]
    assert table.warnings[-1] == (
        "1 Zeile ohne Werte in übernommenen Spalten übersprungen (zuerst Zeile 4)."
    )


# --- conversions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "value", "expected"),
    [
        ("Fallzahl", "1.200", 1200),
        ("Fallzahl", "1 200", 1200),
        ("Fallzahl", "ca. 300", 300),
        ("Fallzahl", "300 Fälle", 300),
        ("Fallzahl", "rund 1.200 Fälle p.a.", 1200),
        ("Fallzahl", "~ 40 pro Jahr", 40),
        ("Fallzahl", "0", 0),
        ("Fallzahl", "k. A.", None),
        ("Fallzahl", "-", None),
        ("Bearbeitungszeit (Min.)", "12,5", 12.5),
        ("Bearbeitungszeit (Min.)", "12.5", 12.5),
        ("Bearbeitungszeit (Min.)", "1.200,5", 1200.5),
        ("Bearbeitungszeit (Min.)", "20 Min. je Fall", 20),
        ("Bearbeitungszeit (Min.)", "2 Std.", 120),
        ("Bearbeitungszeit (Min.)", "1,5 h", 90),
        ("Bearbeitungszeit (Min.)", "0:45", 45),
        ("Durchlaufzeit (Tage)", "3 Wochen", 21),
        ("Durchlaufzeit (Tage)", "ca. 10 Arbeitstage", 10),
        ("Durchlaufzeit (Tage)", "2 Monate", 60),
    ],
)
def test_numbers_as_people_write_them(heading: str, value: str, expected: float | None) -> None:
    assert cell_value(heading, value) == expected


@pytest.mark.parametrize(
    ("heading", "value", "message"),
    [
        ("Fallzahl", "viele", "Zeile 2, Spalte „Fallzahl“: „viele“ ist keine Zahl."),
        (
            "Fallzahl",
            "300 pro Monat",
            "Zeile 2, Spalte „Fallzahl“: „300 pro Monat“ ist keine Zahl.",
        ),
        ("Fallzahl", "1.20.0", "Zeile 2, Spalte „Fallzahl“: „1.20.0“ ist keine Zahl."),
        (
            "Fallzahl",
            "200-300",
            "Zeile 2, Spalte „Fallzahl“: „200-300“ enthält mehrere Zahlen; bitte genau eine angeben.",
        ),
        (
            "Fallzahl",
            "-5",
            "Zeile 2, Spalte „Fallzahl“: „-5“ ist negativ; erlaubt sind Zahlen ab 0.",
        ),
        (
            "Fallzahl",
            "200.000.000",
            "Zeile 2, Spalte „Fallzahl“: „200.000.000“ ist zu groß; erlaubt sind höchstens "
            "100.000.000 Fälle.",
        ),
        (
            "Bearbeitungszeit (Min.)",
            "2000 Stunden",
            "Zeile 2, Spalte „Bearbeitungszeit (Min.)“: „2000 Stunden“ ist zu groß; erlaubt sind "
            "höchstens 100.000 Minuten.",
        ),
        (
            "Durchlaufzeit (Tage)",
            "3651",
            "Zeile 2, Spalte „Durchlaufzeit (Tage)“: „3651“ ist zu groß; erlaubt sind höchstens "
            "3.650 Tage.",
        ),
    ],
)
def test_number_errors(heading: str, value: str, message: str) -> None:
    assert cell_error(heading, value) == message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("99115005104000", ["99115005104000"]),
        ("99 115 005 104 000", ["99115005104000"]),
        ("99.115.005.104.000", ["99115005104000"]),
        ("9.9115005104E13", ["99115005104000"]),
        ("9.9115005104e+13", ["99115005104000"]),
        ("99115005104000.0", ["99115005104000"]),
        ("99115005104000,00", ["99115005104000"]),
        ("99115005104000, 99115005104001", ["99115005104000", "99115005104001"]),
        ("99115005104000;99115005104001", ["99115005104000", "99115005104001"]),
        ("99115005104000\n99 115 005 104 001", ["99115005104000", "99115005104001"]),
        ("99115005104000 99115005104001", ["99115005104000", "99115005104001"]),
    ],
)
def test_leika_keys_as_people_and_excel_write_them(value: str, expected: list[str]) -> None:
    assert cell_value("LeiKa-Schlüssel", value) == expected


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ("12345", "„12345“ ist kein LeiKa-Schlüssel (14 Ziffern)."),
        ("LeiKa 99115005104000", "„LeiKa 99115005104000“ ist kein LeiKa-Schlüssel (14 Ziffern)."),
        (
            "9,9115E+13",
            "„9,9115E+13“ ist kein vollständiger LeiKa-Schlüssel: Excel hat die Zahl gekürzt. "
            "Bitte die Spalte in Excel als Text formatieren und die Schlüssel erneut eintragen.",
        ),
        ("9.91150051043E+15", "„9.91150051043E+15“ ist kein LeiKa-Schlüssel (14 Ziffern)."),
        ("9.9115005104567E+12", "„9.9115005104567E+12“ ist kein vollständiger LeiKa-Schlüssel"),
        (
            ";".join(str(99115005104000 + i) for i in range(21)),
            "21 Einträge; erlaubt sind höchstens 20.",
        ),
    ],
)
def test_leika_key_errors(value: str, detail: str) -> None:
    assert cell_error("LeiKa", value).startswith(f"Zeile 2, Spalte „LeiKa“: {detail}")


def test_duplicate_leika_keys_are_taken_once_with_a_note() -> None:
    row = one_row("LeiKa", "99115005104000; 99 115 005 104 000")
    assert row.steckbrief["leika_keys"] == ["99115005104000"]
    assert row.warnings == (
        "Zeile 2, Spalte „LeiKa“: Der LeiKa-Schlüssel 99115005104000 steht doppelt und wird "
        "einmal übernommen.",
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("hoch", "high"),
        ("HOCH", "high"),
        ("sehr hoch", "high"),
        ("Hoch (Online-Antrag möglich)", "high"),
        ("mittel", "medium"),
        ("gering", "low"),
        ("niedrig", "low"),
        ("Low", "low"),
    ],
)
def test_digitisation_potential(value: str, expected: str) -> None:
    assert cell_value("Digitalisierungspotenzial", value) == expected


def test_digitisation_potential_error() -> None:
    assert cell_error("Digitalisierungspotenzial", "vielleicht") == (
        "Zeile 2, Spalte „Digitalisierungspotenzial“: „vielleicht“ ist kein "
        "Digitalisierungspotenzial (hoch, mittel oder gering)."
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 0), ("3", 3), ("Stufe 2", 2), ("stufe2", 2), ("2 - teilweise", 2), ("2,0", 2)],
)
def test_maturity_stages(value: str, expected: int) -> None:
    assert cell_value("Reifegrad Evaluation", value) == expected


@pytest.mark.parametrize("value", ["4", "Stufe 5", "2,5", "viel", "-1"])
def test_maturity_errors(value: str) -> None:
    assert cell_error("Reifegrad Dokumentation", value) == (
        f"Zeile 2, Spalte „Reifegrad Dokumentation“: „{value}“ ist keine Reifegradstufe (0 bis 3)."
    )


def test_all_four_maturity_dimensions() -> None:
    headings = [
        "Reifegrad Dokumentation",
        "Reifegrad IT-Unterstützung",
        "Reifegrad organisationsübergreifend",
        "Reifegrad Evaluation",
    ]
    (row,) = read_csv([["Prozess", *headings], ["A", "0", "1", "Stufe 2", "3"]]).rows
    assert row.steckbrief["maturity"] == {
        "documentation": 0,
        "it_support": 1,
        "cross_unit": 2,
        "evaluation": 3,
    }


@pytest.mark.parametrize(
    ("heading", "value", "expected"),
    [
        ("Unterlagen", "Personalausweis\nMeldebescheinigung", ["Personalausweis", "Meldebescheinigung"]),
        ("Unterlagen", "Personalausweis; Reisepass, falls vorhanden", ["Personalausweis", "Reisepass, falls vorhanden"]),
        ("Unterlagen", "- Ausweis\n• Foto\n1. Formular\n\nFoto", ["Ausweis", "Foto", "Formular"]),
        ("Schlagwörter", "Hund, Steuer; Marke\nTier", ["Hund", "Steuer", "Marke", "Tier"]),
        ("Synonyme", "Hundemarke, Hundesteuer", ["Hundemarke", "Hundesteuer"]),
    ],
)  # fmt: skip
def test_lists_in_a_cell(heading: str, value: str, expected: list[str]) -> None:
    assert cell_value(heading, value) == expected


def test_list_errors() -> None:
    assert cell_error("Unterlagen", "x" * 301) == (
        f"Zeile 2, Spalte „Unterlagen“: Der Eintrag „{'x' * 39}…“ ist länger als 300 Zeichen."
    )
    assert cell_error("Stichworte", ",".join(f"w{i}" for i in range(101))) == (
        "Zeile 2, Spalte „Stichworte“: 101 Einträge; erlaubt sind höchstens 100."
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("§ 17 BMG [https://www.gesetze-im-internet.de/bmg/__17.html]",
         [{"text": "§ 17 BMG", "url": "https://www.gesetze-im-internet.de/bmg/__17.html"}]),
        ("§ 17 BMG (https://example.org/bmg)", [{"text": "§ 17 BMG", "url": "https://example.org/bmg"}]),
        ("§ 17 BMG: https://example.org/bmg.", [{"text": "§ 17 BMG", "url": "https://example.org/bmg"}]),
        ("https://de.wikipedia.org/wiki/Melderecht_(Deutschland)",
         [{"text": "https://de.wikipedia.org/wiki/Melderecht_(Deutschland)",
           "url": "https://de.wikipedia.org/wiki/Melderecht_(Deutschland)"}]),
        ("§ 17 BMG; Hundesteuersatzung § 3", [{"text": "§ 17 BMG", "url": None},
                                             {"text": "Hundesteuersatzung § 3", "url": None}]),
        ("§ 17 Abs. 1, 2 BMG\n§ 17 Abs. 1, 2 BMG", [{"text": "§ 17 Abs. 1, 2 BMG", "url": None}]),
    ],
)  # fmt: skip
def test_legal_bases(value: str, expected: list[dict[str, str | None]]) -> None:
    assert cell_value("Rechtsgrundlage(n)", value) == expected


def test_legal_basis_errors() -> None:
    assert cell_error("Rechtsgrundlage", "§ 1 [https://localhost/x]") == (
        "Zeile 2, Spalte „Rechtsgrundlage“: „https://localhost/x“ ist keine gültige Internetadresse."
    )
    assert "ist länger als 500 Zeichen." in cell_error("Rechtsgrundlage", "§" * 501)
    many = "\n".join(f"§ {i} BMG" for i in range(51))
    assert cell_error("Rechtsgrundlage", many).endswith("51 Einträge; erlaubt sind höchstens 50.")


@pytest.mark.parametrize(
    ("value", "expected"), [("10056", "10056"), (" 10056 ", "10056"), ("10056,0", "10056")]
)
def test_ozg_id(value: str, expected: str) -> None:
    assert cell_value("OZG-ID", value) == expected


def test_ozg_id_error() -> None:
    assert cell_error("OZG-ID", "Wohnsitz") == (
        "Zeile 2, Spalte „OZG-ID“: „Wohnsitz“ ist keine OZG-ID (1 bis 10 Ziffern)."
    )


def test_texts_keep_lines_but_titles_do_not() -> None:
    headings = ["Prozess", "Beschreibung", "Gebühren", "Auslöser", "Ergebnis"]
    (row,) = read_csv(
        [headings, ["Hund\n  anmelden ", " Zeile 1\nZeile 2 ", "25 €", "Kauf", "Marke"]]
    ).rows
    data = row.steckbrief
    assert (data["title"], data["description"]) == ("Hund anmelden", "Zeile 1\nZeile 2")
    assert (data["fees"], data["trigger"], data["result"]) == ("25 €", "Kauf", "Marke")


def test_text_too_long_and_title_missing() -> None:
    table = read_csv([["Prozess", "Beschreibung"], ["x" * 301, "y" * 20_001], ["", "Nur Text"]])
    first, second = table.rows
    assert first.errors == (
        "Zeile 2, Spalte „Prozess“: Der Text ist 301 Zeichen lang; erlaubt sind höchstens 300.",
        "Zeile 2, Spalte „Beschreibung“: Der Text ist 20.001 Zeichen lang; erlaubt sind "
        "höchstens 20.000.",
    )
    assert second.errors == ("Zeile 3, Spalte „Prozess“: Der Titel fehlt.",)
    assert table.invalid_rows == (first, second) and table.valid_rows == ()


def test_duplicate_titles_within_a_unit_are_warned() -> None:
    rows = [
        ["Prozess", "OE"],
        ["Hund anmelden", "Steueramt"],
        ["Hund anmelden", "Ordnungsamt"],
        ["HUND ANMELDEN ", "steueramt"],
        ["Hund anmelden", ""],
        ["Hund anmelden", ""],
    ]
    table = read_csv(rows)
    assert [row.warnings for row in table.rows] == [
        (),
        (),
        ("Zeile 4: „HUND ANMELDEN“ bei „steueramt“ steht schon in Zeile 2.",),
        (),
        ("Zeile 6: „Hund anmelden“ ohne zuständige Stelle steht schon in Zeile 5.",),
    ]
    assert len(table.valid_rows) == 5


def test_report_for_a_dry_run() -> None:
    rows = [["Prozess", "Fallzahl", "Notiz"], *[[f"P{i}", "viele"] for i in range(5)], ["Q", "1"]]
    report = read_csv(rows).report(max_messages=2)
    assert report.startswith("6 Einträge gelesen: 1 fehlerfrei, 5 mit Fehlern.\n")
    assert "- „Fallzahl“ → Fallzahl pro Jahr\n- „Notiz“ → wird nicht übernommen" in report
    assert "Hinweise zur Datei:\n- Die Spalte „Notiz“ ist unbekannt" in report
    assert (
        "Fehler (die ersten 2 von 5):\n"
        "- Zeile 2, Spalte „Fallzahl“: „viele“ ist keine Zahl.\n"
        "- Zeile 3, Spalte „Fallzahl“: „viele“ ist keine Zahl."
    ) in report
    assert "Zeile 4" not in report


# --- XLSX --------------------------------------------------------------------------------------


def test_xlsx_with_excel_values(tmp_path: Path) -> None:
    headings = ["Prozess", "LeiKa-Schlüssel", "Fallzahl", "Bearbeitungszeit (Min.)",
                "Durchlaufzeit (Tage)", "Reifegrad Dokumentation", "OZG-ID"]  # fmt: skip
    rows = [
        ["Registerauszug"],
        [],
        headings,
        ["Hund anmelden", 9.9115005104e13, 1200.0, timedelta(minutes=20), 3, 2.0, 10056.0],
        [None] * 7,
        [12345, 99115005104000, 12.4, 12.5, 0.5, 1, 10056],
    ]
    table = read_register(xlsx_bytes(rows, tmp_path), filename="Register.XLSX")
    first, second = table.rows
    assert (first.line, second.line) == (4, 6)
    assert first.steckbrief["leika_keys"] == ["99115005104000"]
    assert first.steckbrief["cases_per_year"] == 1200
    assert first.steckbrief["minutes_per_case"] == 20
    assert first.steckbrief["maturity"]["documentation"] == 2
    assert first.steckbrief["ozg_id"] == "10056"
    assert second.steckbrief["title"] == "12345"
    assert second.steckbrief["cases_per_year"] == 12
    assert second.warnings == ("Zeile 6, Spalte „Fallzahl“: „12,4“ wurde auf 12 gerundet.",)
    assert_schema_valid(table)


def test_xlsx_errors_name_excel_values(tmp_path: Path) -> None:
    rows = [
        ["Prozess", "Fallzahl", "LeiKa", "Reifegrad IT"],
        ["A", datetime(2024, 2, 1), 1.5, True],
    ]
    (row,) = read_register(xlsx_bytes(rows, tmp_path), filename="r.xlsx").rows
    assert row.errors == (
        "Zeile 2, Spalte „Fallzahl“: „01.02.2024“ ist ein Datum, keine Zahl. Bitte die Spalte in "
        "Excel als Zahl formatieren.",
        "Zeile 2, Spalte „LeiKa“: „1,5“ ist kein LeiKa-Schlüssel (14 Ziffern).",
        "Zeile 2, Spalte „Reifegrad IT“: „ja“ ist keine Reifegradstufe (0 bis 3).",
    )


def test_xlsx_escapes_control_characters_and_huge_numbers() -> None:
    headings = ["Prozess", "Beschreibung", "Fallzahl", "Bearbeitungszeit", "Reifegrad IT", "LeiKa"]
    huge = 10**400
    rows = [headings, ["A_x0007_", "Zeile 1_x000D_\nZeile 2_x000B_", huge, huge, huge, huge]]
    (row,) = read_register(excel_like_xlsx(rows), filename="r.xlsx").rows
    assert row.steckbrief["title"] == "A"
    assert row.steckbrief["description"] == "Zeile 1\nZeile 2"
    assert [error.split(":")[0] for error in row.errors] == [
        "Zeile 2, Spalte „Fallzahl“",
        "Zeile 2, Spalte „Bearbeitungszeit“",
        "Zeile 2, Spalte „Reifegrad IT“",
        "Zeile 2, Spalte „LeiKa“",
    ]


def test_xlsx_float_stages() -> None:
    rows = [["Prozess", "Reifegrad Evaluation"], ["A", 2.0], ["B", 2.5]]
    first, second = read_register(excel_like_xlsx(rows), filename="r.xlsx").rows
    assert first.steckbrief["maturity"]["evaluation"] == 2
    assert second.errors == (
        "Zeile 3, Spalte „Reifegrad Evaluation“: „2,5“ ist keine Reifegradstufe (0 bis 3).",
    )


def test_xlsx_row_gaps_and_far_columns_are_skipped() -> None:
    data = excel_like_xlsx([["Prozess"], ["A"]])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    far = b'<row r="3"><c r="XFD3"><v>1</v></c></row>'
    last = b'<row r="1048576"><c r="A1048576" t="s"><v>0</v></c></row>'
    sheet = sheet.replace(b"</sheetData>", far + last + b"</sheetData>")
    table = read_register(rezipped(data, {"xl/worksheets/sheet1.xml": sheet}), filename="r.xlsx")
    assert [(row.line, row.steckbrief["title"]) for row in table.rows] == [
        (2, "A"),
        (1_048_576, "Prozess"),
    ]


def test_xlsx_reads_the_first_visible_sheet(tmp_path: Path) -> None:
    data = xlsx_bytes([["Prozess"], ["sichtbar"]], tmp_path, hidden_first=True)
    (row,) = read_register(data, filename="r.xlsx").rows
    assert row.steckbrief["title"] == "sichtbar"


def test_xlsx_takes_cached_values_never_formulas(tmp_path: Path) -> None:
    data = xlsx_bytes([["Prozess", "Fallzahl", "Beschreibung"], ["A", "=40+2", "=A2"]], tmp_path)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    sheet = sheet.replace(b"<f>40+2</f><v></v>", b"<f>40+2</f><v>42</v>")
    (row,) = read_register(
        rezipped(data, {"xl/worksheets/sheet1.xml": sheet}), filename="r.xlsx"
    ).rows
    assert row.steckbrief["cases_per_year"] == 42
    assert row.steckbrief["description"] is None  # no cached value: empty, not "=A2"


def test_xlsx_without_visible_sheet(tmp_path: Path) -> None:
    data = xlsx_bytes([["Prozess"], ["A"]], tmp_path)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        book = archive.read("xl/workbook.xml")
    book = book.replace(b'state="visible" r:id', b'state="hidden" r:id')
    assert refusal(rezipped(data, {"xl/workbook.xml": book}), "r.xlsx").code == "no_sheet"


def test_a_zip_named_csv_is_read_as_excel(tmp_path: Path) -> None:
    data = xlsx_bytes([["Prozess"], ["A"]], tmp_path)
    assert read_register(data, filename="export.csv").rows[0].steckbrief["title"] == "A"


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("filename", ["register.pdf", "register.xls", "register.ods", "register"])
def test_other_formats_are_refused(filename: str) -> None:
    error = refusal(b"Prozess\nA\n", filename)
    assert error.code == "unsupported_format"
    assert "ist weder eine CSV- noch eine Excel-Datei (.xlsx)" in error.message


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"", "r.csv", "empty"),
        (b" \r\n\r\n", "r.csv", "empty"),
        (b"\r\n;;\r\n", "r.csv", "empty"),
        (bytes(range(256)) * 4, "r.csv", "not_text"),
        (b"Prozess\nAmt f\x81r Ordnung\n", "r.csv", "encoding"),
        (b"\xff\xfeP\x00\xd8", "r.csv", "encoding"),
        (b"\xff\xfe" + "Prozess\x00\nA\n".encode("utf-16-le"), "r.csv", "not_text"),
        (b'Prozess;Beschreibung\nA;"' + b"x" * 200_000 + b"\n", "r.csv", "invalid_csv"),
        (b"Prozess\nA\n", "r.xlsx", "invalid_xlsx"),
        (b"PK\x03\x04" + bytes(100), "r.xlsx", "invalid_xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "r.xlsx", "legacy_excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "r.csv", "legacy_excel"),
    ],
)
def test_unreadable_files_are_refused(data: bytes, filename: str, code: str) -> None:
    assert refusal(data, filename).code == code


def test_oversized_file_is_refused() -> None:
    error = refusal(csv_bytes([["Prozess"], ["x" * 2000]]), max_bytes=1024)
    assert (error.code, error.message) == (
        "too_large",
        "Die Datei ist größer als 1 KB. Bitte in mehrere Dateien aufteilen.",
    )
    assert "größer als 20 MB." in refusal(b"x" * (21 * ri.MIB)).message
    assert ri_files._size(int(1.5 * ri.MIB)) == "1,5 MB"


def test_too_many_rows_are_refused(tmp_path: Path) -> None:
    rows = [["Prozess"], *[[f"P{i}"] for i in range(6)]]
    assert len(read_csv(rows, max_rows=6).rows) == 6
    error = refusal(csv_bytes(rows), max_rows=5)
    assert (error.code, error.message) == (
        "too_many_rows",
        "Die Datei hat mehr als 5 Zeilen. Bitte in mehrere Dateien aufteilen.",
    )
    assert refusal(xlsx_bytes(rows, tmp_path), "r.xlsx", max_rows=5).code == "too_many_rows"


def test_zip_bomb_is_refused_before_unpacking(tmp_path: Path) -> None:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx_bytes([["Prozess"], ["A"]], tmp_path))) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as bomb,
    ):
        for name in source.namelist():
            bomb.writestr(name, source.read(name))
        with bomb.open("xl/media/image1.png", "w", force_zip64=True) as member:
            chunk = bytes(4 * ri.MIB)
            for _ in range(ri.MAX_UNPACKED_BYTES // len(chunk) + 1):
                member.write(chunk)
    assert len(out.getvalue()) < ri.MIB
    error = refusal(out.getvalue(), "r.xlsx")
    assert (error.code, error.message) == (
        "xlsx_too_large",
        "Die Excel-Datei ist entpackt größer als 200 MB. Bitte in mehrere Dateien aufteilen.",
    )


def test_too_many_zip_members_and_odd_compression_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = xlsx_bytes([["Prozess"], ["A"]], tmp_path)
    monkeypatch.setattr(ri_files, "MAX_ZIP_MEMBERS", 5)
    assert refusal(data, "r.xlsx").code == "xlsx_too_large"
    monkeypatch.undo()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("[Content_Types].xml", b"<x/>")
    assert refusal(out.getvalue(), "r.xlsx").code == "invalid_xlsx"


def test_xml_entity_attacks_inside_xlsx_are_refused(tmp_path: Path) -> None:
    data = xlsx_bytes([["Prozess"], ["A"]], tmp_path)
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Prozess</t></is></c></row>'
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>'
    )
    external = laughs.replace(b'<!ENTITY lol "lol">', b'<!ENTITY lol SYSTEM "file:///etc/passwd">')
    for sheet in (laughs, external):
        patched = rezipped(data, {"xl/worksheets/sheet1.xml": sheet})
        assert refusal(patched, "r.xlsx").code == "invalid_xlsx"


@pytest.mark.parametrize(
    "member", ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "[Content_Types].xml"]
)
def test_xlsx_with_a_broken_part_is_refused(tmp_path: Path, member: str) -> None:
    data = rezipped(xlsx_bytes([["Prozess"], ["A"]], tmp_path), {member: b"<kaputt"})
    assert refusal(data, "r.xlsx").code == "invalid_xlsx"


# --- nothing but RegisterImportError escapes ---------------------------------------------------


def _read_or_refuse(data: bytes, filename: str) -> ri.RegisterTable | None:
    try:
        table = read_register(data, filename=filename)
    except RegisterImportError as error:
        assert error.code and error.message
        return None
    assert all(set(row.steckbrief) == set(STECKBRIEF_FIELDS) for row in table.rows)
    table.report()
    return table


@FUZZ
@given(data=st.binary(max_size=2000), filename=st.sampled_from(["r.csv", "r.xlsx", "r.txt"]))
def test_garbage_bytes_never_escape(data: bytes, filename: str) -> None:
    _read_or_refuse(data, filename)


@pytest.fixture(scope="module")
def small_xlsx_files(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    rows = [["Prozess", "Fallzahl", "LeiKa"], ["Hund anmelden", 12, "99115005104000"], ["B", 1.5]]
    return [xlsx_bytes(rows, tmp_path_factory.mktemp("xlsx")), excel_like_xlsx(rows)]


@FUZZ
@given(
    which=st.integers(min_value=0, max_value=1),
    flips=st.lists(
        st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=3
    ),
)
def test_damaged_xlsx_never_escapes(
    small_xlsx_files: list[bytes], which: int, flips: list[tuple[int, int]]
) -> None:
    damaged = bytearray(small_xlsx_files[which])
    for position, value in flips:
        damaged[position % len(damaged)] = value
    _read_or_refuse(bytes(damaged), "r.xlsx")


_CELL = st.one_of(
    st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=40),
    st.text(alphabet="0123456789.,;: -–eE+§[]()/ahtkminStufe\n", max_size=30),
    st.sampled_from(["k. A.", "9,9115E+13", "https://x.de/a", "Stufe 2", "hoch", "1.200,5"]),
)


@settings(FUZZ, suppress_health_check=[HealthCheck.too_slow])
@given(cells=st.lists(st.lists(_CELL, min_size=1, max_size=16), min_size=1, max_size=8))
def test_any_cells_give_rows_the_schema_accepts_or_errors(cells: list[list[str]]) -> None:
    headings = ["Prozess", "OE", "LeiKa", "OZG-ID", "Fallzahl", "Bearbeitungszeit", "Durchlaufzeit",
                "Digitalisierungspotenzial", "Reifegrad Evaluation", "Rechtsgrundlage",
                "Unterlagen", "Schlagwörter", "Gebühren", "Beschreibung", "Auslöser", "Ergebnis"]  # fmt: skip
    table = _read_or_refuse(csv_bytes([headings, *cells]), "r.csv")
    assert table is not None
    assert_schema_valid(table)


_TYPED_CELL = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.datetimes(),
    st.dates(),
    st.times(),
    st.timedeltas(),
    st.text(max_size=40),
    _CELL,
)


@FUZZ
@given(rows=st.lists(st.lists(_TYPED_CELL, max_size=18), max_size=6))
def test_any_excel_values_give_rows_the_schema_accepts_or_errors(rows: list[list[Any]]) -> None:
    """Cells as openpyxl hands them over, without writing a workbook for every example."""
    headings = ["Prozess", "OE", "LeiKa", "OZG-ID", "Fallzahl", "Bearbeitungszeit", "Durchlaufzeit",
                "Digitalisierungspotenzial", "Reifegrad Evaluation", "Rechtsgrundlage",
                "Unterlagen", "Schlagwörter", "Synonyme", "Gebühren", "Beschreibung", "Auslöser",
                "Ergebnis"]  # fmt: skip
    records = [(1, headings)] + [(n, row) for n, row in enumerate(rows, 2) if not is_empty(row)]
    table = build_table(iter(records))
    table.report()
    assert_schema_valid(table)


# --- a full-size register ---------------------------------------------------------------------


def register_rows(count: int) -> list[list[Any]]:
    headings = ["Lfd. Nr.", "Prozessname", "Organisationseinheit", "LeiKa-Schlüssel", "OZG-ID",
                "Fallzahl/Jahr", "Bearbeitungszeit (Min.)", "Durchlaufzeit (Tage)",
                "Digitalisierungspotenzial", "Reifegrad Dokumentation", "Reifegrad IT-Unterstützung",
                "Rechtsgrundlage(n)", "Mitzubringende Unterlagen", "Schlagwörter", "Beschreibung",
                "Gebühren"]  # fmt: skip
    rows: list[list[Any]] = [headings]
    for i in range(count):
        rows.append([
            i + 1, f"Prozess Nummer {i}", f"Amt {i % 40}", f"99 115 {i % 1000:03} 104 000",
            str(10_000 + i % 500), f"ca. {i % 5000}", "12,5", "3 Wochen", ("hoch", "mittel", "gering")[i % 3],
            f"Stufe {i % 4}", str(i % 4), f"§ {i % 90} BMG [https://www.gesetze-im-internet.de/bmg/__{i % 90}.html]",
            "Personalausweis\nMeldebescheinigung", "Hund; Steuer; Anmeldung",
            "Eine Beschreibung des Prozesses, wie sie im Interview erhoben wurde. " * 3, "25 €",
        ])  # fmt: skip
    return rows


def assert_all_rows_taken(table: ri.RegisterTable, count: int) -> None:
    assert len(table.rows) == count
    assert len(table.valid_rows) == count, table.report()
    assert [row.line for row in table.rows] == list(range(2, count + 2))
    assert table.warnings == ("Die Spalte „Lfd. Nr.“ ist unbekannt und wird nicht übernommen.",)
    assert len(table.fields) == 15


def test_ten_thousand_csv_rows() -> None:
    table = read_register(csv_bytes(register_rows(10_000)), filename="r.csv")
    assert_all_rows_taken(table, 10_000)


def test_ten_thousand_xlsx_rows() -> None:
    table = read_register(excel_like_xlsx(register_rows(10_000)), filename="r.xlsx")
    assert_all_rows_taken(table, 10_000)


def test_date_helpers_render_german() -> None:
    assert as_text(date(2024, 2, 1)) == "01.02.2024"
    assert as_text(datetime(2024, 2, 1, 8, 30)) == "01.02.2024 08:30"
    assert de(1234567.5) == "1.234.567,5" and column_letter(27) == "AB"
