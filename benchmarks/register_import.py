"""Reading a process register: rows per second for CSV and XLSX (app.catalog.register_import).

    .venv/bin/python benchmarks/register_import.py [--rows 10000] [--runs 3]

Generates a register as authorities keep it (a title block above the headings, German numbers with
units, LeiKa keys with spaces, legal bases with links, lists in cells with line breaks), once as CSV
the way German Excel saves it (semicolons, cp1252) and once as XLSX written by openpyxl into a
temporary folder. A first read checks that every row is taken without errors; then each file is read
``--runs`` times and the median gives the rows per second.
It measures reading and checking (the dry run), not writing the Steckbriefe. Last run on the 2-core
machine: CSV about 11,000 rows/s, XLSX about 1,200 rows/s (bound by openpyxl's read-only parser).
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from openpyxl import Workbook  # noqa: E402

from app.catalog.register_import import read_register  # noqa: E402

HEADINGS = ["Lfd. Nr.", "Prozessname", "Org.-Einheit", "LeiKa-Schlüssel", "OZG-ID",
            "Fälle pro Jahr", "Bearbeitungszeit (Min.)", "Durchlaufzeit (Tage)",
            "Digitalisierungspotenzial", "Reifegrad Dokumentation", "Reifegrad IT-Unterstützung",
            "Rechtsgrundlage(n)", "Mitzubringende Unterlagen", "Schlagwörter", "Beschreibung",
            "Gebühren"]  # fmt: skip
OBJECTS = ["Hund", "Gewerbe", "Wohnsitz", "Führungszeugnis", "Wohngeld", "Baugenehmigung",
           "Parkausweis", "Fischereischein", "Sondernutzung", "Kita-Platz", "Elterngeld",
           "Meldebescheinigung"]  # fmt: skip
ACTIONS = ["anmelden", "ummelden", "abmelden", "beantragen", "verlängern", "ändern"]
UNITS = ["Bürgerbüro", "Ordnungsamt", "Steueramt", "Sozialamt", "Bauaufsicht", "Jugendamt"]
CASES = ["ca. 1.200", "300 Fälle", "4500", "rund 2.000 Fälle p.a.", "k. A.", "85"]
MINUTES = ["12,5", "20 Min.", "1,5 h", "0:45", "30", "ca. 10 Min. je Fall"]
DAYS = ["3 Wochen", "10 Arbeitstage", "14", "2 Monate", "1", "ca. 5 Tage"]
POTENTIAL = ["hoch", "mittel", "gering", "sehr hoch", "niedrig"]
STAGES = ["Stufe 2", "3", "1 - teilweise", "0", "Stufe 1"]
DOCUMENTS = ["Personalausweis", "- Personalausweis\n- Meldebescheinigung", "Lichtbild; Formular"]


def register_rows(count: int) -> list[list[Any]]:
    """A title block, an empty row, the headings and ``count`` processes."""
    rows: list[list[Any]] = [["Prozessregister Stadt Musterstadt – Stand 01/2025"], [], HEADINGS]
    rows += [register_row(i) for i in range(count)]
    return rows


def register_row(i: int) -> list[Any]:
    title = f"{OBJECTS[i % len(OBJECTS)]} {ACTIONS[i % len(ACTIONS)]} ({i // 72 + 1})"
    section = i % 90 + 1
    legal = f"§ {section} BMG [https://www.gesetze-im-internet.de/bmg/__{section}.html]\nSatzung"
    return [
        i + 1, title, UNITS[i % len(UNITS)], f"99 115 {i % 1000:03} 104 000", str(10_000 + i % 500),
        CASES[i % len(CASES)], MINUTES[i % len(MINUTES)], DAYS[i % len(DAYS)],
        POTENTIAL[i % len(POTENTIAL)], STAGES[i % len(STAGES)], str(i % 4), legal,
        DOCUMENTS[i % len(DOCUMENTS)], "Hund, Steuer; Anmeldung",
        f"{title}: so wie der Prozess im Interview mit der Fachabteilung erhoben wurde. " * 2,
        f"{i % 50 + 5} €",
    ]  # fmt: skip


def csv_file(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("cp1252")


def xlsx_file(rows: list[list[Any]], folder: Path) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Prozessregister")
    for row in rows:
        sheet.append(row)
    path = folder / "prozessregister.xlsx"
    workbook.save(path)
    return path.read_bytes()


def check(data: bytes, filename: str, count: int) -> None:
    table = read_register(data, filename=filename)
    if len(table.valid_rows) != count:
        sys.exit(
            f"{filename}: {len(table.valid_rows)} von {count} Zeilen fehlerfrei.\n" + table.report()
        )


def rate(data: bytes, filename: str, count: int, runs: int) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        read_register(data, filename=filename)
        timings.append(time.perf_counter() - start)
    return count / statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = register_rows(args.rows)
    with tempfile.TemporaryDirectory(prefix="musterregister-register-") as folder:
        files = {"CSV": (csv_file(rows), "prozessregister.csv")}
        files["XLSX"] = (xlsx_file(rows, Path(folder)), "prozessregister.xlsx")
    count = f"{args.rows:,}".replace(",", ".")
    print(f"Prozessregister mit {count} Zeilen, Median aus {args.runs} Läufen:")
    for kind, (data, filename) in files.items():
        check(data, filename, args.rows)
        per_second = rate(data, filename, args.rows, args.runs)
        print(
            f"  {kind:<5}{len(data) // 1024:>7} KB{per_second:>10,.0f} Zeilen/s".replace(",", ".")
        )


if __name__ == "__main__":
    main()
