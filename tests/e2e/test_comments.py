"""A comment pinned to a BPMN element in the browser: written on the model page, shown as a pin
on the diagram, and the pin leads to the comment."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.db import Database
from app.identity.models import Authority
from app.library.models import RevisionStatus
from tests.e2e.conftest import demo_login
from tests.factories import make_model, make_process, make_revision, seed_model_bytes

pytestmark = pytest.mark.browser


@pytest.fixture()
def published_model(demo_database_url, demo_site):
    database = Database(demo_database_url)
    try:
        with database.transaction() as session:
            hamm = session.scalar(select(Authority).where(Authority.slug == "hamm"))
            model = make_model(
                session,
                make_process(session, hamm, title="Wohnsitz anmelden"),
                title="Wohnsitz anmelden (Hamm, kommentiert)",
            )
            make_revision(
                session, model, seed_model_bytes("wohnsitz-anmelden"), RevisionStatus.PUBLISHED
            )
            return model.id
    finally:
        database.dispose()


def test_a_comment_pinned_to_an_element_is_reached_from_its_pin(
    demo_site, published_model, page: Page, screenshot
):
    demo_login(
        page, demo_site, "Kreis Steinfurt",
        "Konrad Kreis – Kreis Steinfurt, Prüfende und Behördenadmin",
    )  # fmt: skip
    page.goto(f"{demo_site}/modelle/{published_model}")
    page.get_by_label("Ihr Kommentar").fill("Hier fehlt die **Frist** für die Nachforderung.")
    page.get_by_label("An ein Element des Diagramms heften (optional)").select_option(
        "Task_UnterlagenPruefen"
    )
    page.get_by_role("button", name="Kommentar speichern").click()
    main = page.locator("main")
    expect(main).to_contain_text("Ihr Kommentar ist gespeichert.")
    expect(main.locator(".comment__body strong")).to_have_text("Frist")

    pin = page.get_by_role("button", name="Kommentar 1 zu „Unterlagen prüfen“ anzeigen")
    expect(pin).to_be_visible(timeout=20_000)
    thread = page.locator("details.comment-thread").first
    thread.locator(":scope > summary").click()  # fold the thread away, the pin must open it again
    expect(thread).not_to_have_attribute("open", "")
    pin.click()
    expect(thread).to_have_attribute("open", "")
    comment = thread.locator("article.comment").first
    expect(comment).to_be_focused()
    expect(comment).to_be_in_viewport()
    expect(comment).to_contain_text("Hier fehlt die Frist für die Nachforderung.")
    screenshot("kommentar-pin")

    pin.focus()  # the pin is a button: the keyboard reaches it too
    page.keyboard.press("Enter")
    expect(comment).to_be_focused()
