"""A contributor imports her authority's process register in the browser: check, go-ahead, progress."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import demo_login

pytestmark = pytest.mark.browser

ROWS = 1_500


def register_csv(rows: int) -> str:
    lines = ["Prozessname;Org.-Einheit;LeiKa-Schlüssel;Fälle pro Jahr;Bearbeitungszeit (Min.)"]
    lines += [f"Prozess {n} im Test;Amt {n % 7};;{n * 3};{n % 90 + 5}" for n in range(1, rows + 1)]
    lines.append("Prozess mit Fehler;Amt 1;;viele;10")
    return "\n".join(lines) + "\n"


def test_a_contributor_imports_a_register_and_watches_the_progress(
    demo_site, page, screenshot, tmp_path
):
    demo_login(page, demo_site, "Stadt Hamm", "Hanna Hamm – Stadt Hamm, Beitragende")
    page.get_by_role("link", name="Import").click()
    upload = tmp_path / "prozessregister-hamm.csv"
    upload.write_text(register_csv(ROWS), encoding="utf-8")
    page.get_by_label("Datei (CSV oder Excel .xlsx)").set_input_files(upload)
    page.get_by_role("button", name="Datei prüfen").click()

    main = page.locator("main")
    expect(main).to_contain_text("1.501 Zeilen gelesen, davon 1.500 gültig und 1 mit Fehlern.")
    expect(main).to_contain_text("„viele“ ist keine Zahl")
    progress = page.get_by_role("progressbar")
    expect(progress).to_be_hidden()
    screenshot("import-geprueft")

    page.get_by_role("button", name="1.500 gültige Zeilen importieren").click()
    expect(progress).to_be_visible()
    status = page.get_by_role("status")
    expect(status).to_have_text("Fertig: 1.500 neu, 0 aktualisiert, 0 unverändert.", timeout=60_000)
    assert progress.get_attribute("max") == str(ROWS)
    assert page.evaluate("document.querySelector('progress').value") == ROWS
    screenshot("import-fertig")

    page.goto(f"{demo_site}/katalog?q=Prozess+1499+im+Test")
    expect(page.locator("main")).to_contain_text("Prozess 1499 im Test")
