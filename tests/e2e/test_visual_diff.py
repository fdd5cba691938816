"""The reviewer's path with the visual diff: open a submission, compare both diagrams (side by
side, overlaid, with and without layout-only changes), jump to an element, approve."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.authz import system_actor
from app.db import Database
from app.identity.models import Authority
from app.library.models import RevisionStatus
from app.review import services as review
from tests.e2e.conftest import check_accessibility, demo_login
from tests.factories import make_model, make_process, make_revision, seed_model_bytes

pytestmark = pytest.mark.browser

REVIEWER = "Konrad Kreis – Kreis Steinfurt, Prüfende und Behördenadmin"
TITLE = "Gewerbe anmelden (Hamm)"
ORIGINAL = seed_model_bytes("wohnsitz-anmelden")
MOVED_FROM = b'<dc:Bounds x="425" y="200" width="130" height="80"/>'
CHANGED = (
    ORIGINAL.replace("Unterlagen prüfen".encode(), b"Unterlagen sichten")
    .replace(MOVED_FROM, b'<dc:Bounds x="425" y="215" width="130" height="80"/>')
    .replace(
        b"</bpmn:process>",
        b'<bpmn:textAnnotation id="Note_Frist"><bpmn:text>Frist: 2 Wochen</bpmn:text>'
        b"</bpmn:textAnnotation></bpmn:process>",
    )
    .replace(
        b"</bpmndi:BPMNPlane>",
        b'<bpmndi:BPMNShape id="Note_Frist_di" bpmnElement="Note_Frist">'
        b'<dc:Bounds x="610" y="120" width="120" height="40"/></bpmndi:BPMNShape>'
        b"</bpmndi:BPMNPlane>",
    )
)


@pytest.fixture()
def submission(demo_database_url, demo_site) -> uuid.UUID:
    database = Database(demo_database_url)
    try:
        with database.transaction() as session:
            hamm = session.scalar(select(Authority).where(Authority.slug == "hamm"))
            model = make_model(session, make_process(session, hamm, title="Gewerbe"), title=TITLE)
            make_revision(session, model, ORIGINAL, status=RevisionStatus.PUBLISHED)
            review.submit(session, system_actor("Test"), make_revision(session, model, CHANGED))
            return model.id
    finally:
        database.dispose()


def compare_and_look(page: Page, screenshot) -> None:
    page.get_by_role("link", name="Visueller Vergleich mit Revision 1").click()
    expect(page.locator("#vergleich[data-state='ready']")).to_be_attached(timeout=20_000)
    table = page.locator(".vergleich-tabelle")
    expect(table).to_contain_text("geändert")
    expect(table).to_contain_text("Unterlagen sichten")
    expect(table).to_contain_text("Frist: 2 Wochen")
    layout_row = table.locator("tr[data-status='layout']")
    expect(layout_row).to_be_hidden()
    expect(page.locator("#diagramm-neu .diff--changed")).to_have_count(1)
    expect(page.locator("#diagramm-neu .diff--added")).to_have_count(1)
    check_accessibility(page)
    page.get_by_label("Auch reine Layout-Änderungen zeigen (1)").check()
    expect(layout_row).to_contain_text("Identität prüfen")
    expect(layout_row).to_contain_text("verschoben")
    expect(page.locator("#diagramm-alt .diff--layout")).to_have_count(1)
    table.get_by_role("button", name="Unterlagen sichten").click()
    expect(page.locator("#vergleich-ansage")).to_contain_text("in beiden Diagrammen hervorgehoben")
    screenshot("vergleich-nebeneinander")
    page.get_by_label("Überlagert (vorher blass darunter)").check()
    expect(page.locator("#vergleich")).to_have_class("visual-diff visual-diff--ueberlagert")
    check_accessibility(page)
    screenshot("vergleich-ueberlagert")


def test_a_reviewer_compares_visually_and_approves(demo_site, submission, page, screenshot):
    demo_login(page, demo_site, "Kreis Steinfurt", REVIEWER)
    check_accessibility(page)
    page.get_by_role("link", name="Prüfung", exact=True).click()
    check_accessibility(page)
    page.get_by_role("link", name=f"{TITLE}, Revision 2").click()
    check_accessibility(page)
    compare_and_look(page, screenshot)
    page.get_by_role("link", name="Zurück zur Prüfung von Revision 2").click()
    page.get_by_label("Freigeben").check()
    page.get_by_label("Kommentar", exact=True).fill("Geprüft im visuellen Vergleich.")
    page.get_by_role("button", name="Entscheidung speichern").click()
    expect(page.locator("main")).to_contain_text(f"„{TITLE}“, Revision 2, ist veröffentlicht.")
    check_accessibility(page)
    screenshot("vergleich-freigegeben")
