"""The contributor's path in the browser: log in, open a model, edit it in the bpmn-js Modeler,
save it as a draft with a message and submit it; plus a save that meets a newer revision."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from app.authz import system_actor
from app.db import Database
from app.identity.models import Authority
from app.library.models import ProcessModel, RevisionStatus
from app.review import services as review
from app.review.comments import add_comment
from tests.e2e.conftest import check_accessibility, demo_login
from tests.factories import make_model, make_process, make_revision, seed_model_bytes

pytestmark = pytest.mark.browser

CONTRIBUTOR = "Hanna Hamm – Stadt Hamm, Beitragende"
ORIGINAL = seed_model_bytes("wohnsitz-anmelden")

# The drawing itself through the bpmn-js API (dragging from the palette is not what is tested):
# rename a task and add a new one inside the pool.
DRAW = """() => {
  const modeler = document.getElementById('editor-canvas').bpmnModeler;
  const registry = modeler.get('elementRegistry');
  const modeling = modeler.get('modeling');
  modeling.updateLabel(registry.get('Task_UnterlagenPruefen'), 'Unterlagen sichten');
  const task = modeler.get('elementFactory').createShape({ type: 'bpmn:Task' });
  const lane = registry.get('Lane_1_BuergerbueroFrontOffice');
  const added = modeling.createShape(task, { x: lane.x + 320, y: lane.y + lane.height - 60 }, lane);
  modeling.updateLabel(added, 'Gebühr kassieren');
  return added.id;
}"""


def hamm_model(database_url: str, title: str, comment: str | None = None) -> uuid.UUID:
    database = Database(database_url)
    try:
        with database.transaction() as session:
            hamm = session.scalar(select(Authority).where(Authority.slug == "hamm"))
            process = make_process(session, hamm, title=title)
            model = make_model(session, process, title=f"{title} (Hamm)")
            revision = make_revision(session, model, ORIGINAL, status=RevisionStatus.PUBLISHED)
            if comment:
                add_comment(
                    session, system_actor("Redaktion"), revision, comment,
                    element_id="Task_UnterlagenPruefen",
                )  # fmt: skip
            return model.id
    finally:
        database.dispose()


def withdraw_submissions(database_url: str, model_id: uuid.UUID) -> None:
    """Leave the shared demo register's review queue as it was (other browser tests count on it)."""
    database = Database(database_url)
    try:
        with database.transaction() as session:
            for revision in session.get(ProcessModel, model_id).revisions:
                if revision.status is RevisionStatus.SUBMITTED:
                    review.withdraw(session, system_actor("Test"), revision)
    finally:
        database.dispose()


def open_editor(page: Page, site: str, model_id: uuid.UUID, *, check: bool = True) -> None:
    page.goto(f"{site}/modelle/{model_id}")
    if check:
        check_accessibility(page)
    page.get_by_role("link", name="Im Editor öffnen").click()
    expect(page.locator("#editor-canvas[data-state='ready']")).to_be_attached(timeout=20_000)


def test_a_contributor_edits_a_model_saves_a_draft_and_submits_it(
    demo_site, demo_database_url, page, screenshot
):
    model_id = hamm_model(demo_database_url, "Hund anmelden", "Bitte die Frist nennen.")
    try:
        edit_save_and_submit(page, demo_site, model_id, screenshot)
    finally:
        withdraw_submissions(demo_database_url, model_id)


def edit_save_and_submit(page: Page, demo_site: str, model_id: uuid.UUID, screenshot) -> None:
    demo_login(page, demo_site, "Stadt Hamm", CONTRIBUTOR)
    check_accessibility(page)
    open_editor(page, demo_site, model_id)
    # the comments of the revision being edited are pinned in the editor too
    page.get_by_role("button", name="Kommentar 1 zu „Unterlagen prüfen“ anzeigen").click()
    comment = page.locator("article.comment").first
    expect(comment).to_be_focused()
    expect(comment).to_contain_text("Bitte die Frist nennen.")
    expect(page.locator("#hinweise-stand")).to_contain_text("Revision 1")
    expect(page.get_by_text("Keine Hinweise.")).to_be_visible()  # the Musterprozess is clean

    added = page.evaluate(DRAW)
    page.get_by_role("button", name="Jetzt prüfen, ohne zu speichern").click()
    expect(page.locator("#hinweise-stand")).to_contain_text("ungespeicherte Fassung")
    expect(page.locator("#hinweise-liste")).to_contain_text("„Gebühr kassieren“")
    page.get_by_role("button", name="Speichern als Entwurf").click()
    expect(page.get_by_role("alert")).to_contain_text("Bitte beschreiben Sie kurz")
    page.get_by_label("Was haben Sie geändert? (Pflicht)").fill(
        "Unterlagen sichten statt prüfen; Gebühr kassieren ergänzt"
    )
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the focused "Speichern als Entwurf"
    notice = page.locator("#editor-meldung")
    expect(notice).to_contain_text("Revision 2 ist als Entwurf gespeichert.", timeout=20_000)
    expect(page.locator("#hinweise-stand")).to_contain_text("Revision 2")
    # the server's lint of the new draft, on the diagram: the new task is not connected
    expect(page.locator("#hinweise-liste")).to_contain_text("„Gebühr kassieren“")
    expect(page.locator(f"[data-element-id='{added}'].lint--markiert")).to_be_attached()
    check_accessibility(page)  # the editor with its overlays, pins and messages
    screenshot("editor-gespeichert")

    page.get_by_role("link", name="Zur Modellseite (dort zur Prüfung einreichen)").click()
    expect(page.locator("main")).to_contain_text("Unterlagen sichten statt prüfen")
    page.get_by_role("button", name="Revision 2 zur Prüfung einreichen").click()
    expect(page.locator("main")).to_contain_text("Revision 2 ist zur Prüfung eingereicht.")
    check_accessibility(page)
    screenshot("editor-eingereicht")


def test_a_save_after_someone_elses_save_keeps_the_diagram_and_offers_it(
    demo_site, demo_database_url, browser: Browser
):
    # an own context: the shared page fixture fails on any 4xx, and a 409 is expected here
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    try:
        meet_a_conflict(context.new_page(), demo_site, demo_database_url)
    finally:
        context.close()


def meet_a_conflict(page: Page, demo_site: str, demo_database_url: str) -> None:
    model_id = hamm_model(demo_database_url, "Hund abmelden")
    demo_login(page, demo_site, "Stadt Hamm", CONTRIBUTOR)
    open_editor(page, demo_site, model_id, check=False)  # the journey above checks these pages
    page.evaluate(DRAW)
    database = Database(demo_database_url)  # a colleague saves meanwhile
    try:
        with database.transaction() as session:
            make_revision(session, session.get(ProcessModel, model_id), ORIGINAL)
    finally:
        database.dispose()
    page.get_by_label("Was haben Sie geändert? (Pflicht)").fill("Meine Änderung")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Speichern als Entwurf").click()
    assert answer.value.status == 409
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("inzwischen gibt es aber Revision 2")
    expect(alert.get_by_role("link", name="Ihre Fassung herunterladen (BPMN)")).to_be_visible()
    with page.expect_download() as download:
        alert.get_by_role("link", name="Ihre Fassung herunterladen (BPMN)").click()
    assert "Gebühr kassieren" in download.value.path().read_text(encoding="utf-8")
    names = page.evaluate(
        "() => document.getElementById('editor-canvas').bpmnModeler.get('elementRegistry')"
        ".get('Task_UnterlagenPruefen').businessObject.name"
    )
    assert names == "Unterlagen sichten"  # nothing lost in the editor
    check_accessibility(page)  # the conflict message with its links, as a screen reader meets it
