"""The reviewer's path in the browser: a contributor submits, a reviewer of another authority
looks at the changes and approves, and the model is published."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from app.db import Database
from app.identity.models import Authority
from app.library.models import RevisionStatus
from tests.e2e.conftest import ARTIFACTS, demo_login
from tests.factories import make_model, make_process, make_revision, seed_model_bytes

pytestmark = pytest.mark.browser

ORIGINAL = seed_model_bytes("wohnsitz-anmelden")
CHANGED = ORIGINAL.replace("Unterlagen prüfen".encode(), "Unterlagen vollständig prüfen".encode())


@pytest.fixture()
def hamm_model(demo_database_url, demo_site):
    database = Database(demo_database_url)
    try:
        with database.transaction() as session:
            hamm = session.scalar(select(Authority).where(Authority.slug == "hamm"))
            model = make_model(
                session, make_process(session, hamm, title="Sondernutzung beantragen"),
                title="Sondernutzung beantragen (Hamm)",
            )  # fmt: skip
            make_revision(session, model, ORIGINAL, status=RevisionStatus.PUBLISHED)
            make_revision(session, model, CHANGED)
            return model.id
    finally:
        database.dispose()


def test_a_reviewer_of_another_authority_approves_a_submission(
    demo_site, hamm_model, page, browser: Browser, screenshot
):
    demo_login(page, demo_site, "Stadt Hamm", "Hanna Hamm – Stadt Hamm, Beitragende")
    page.goto(f"{demo_site}/modelle/{hamm_model}")
    page.get_by_role("button", name="Revision 2 zur Prüfung einreichen").click()
    expect(page.locator("main")).to_contain_text("Revision 2 ist zur Prüfung eingereicht.")

    reviewer = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    try:
        review_page = reviewer.new_page()
        demo_login(
            review_page, demo_site, "Kreis Steinfurt",
            "Konrad Kreis – Kreis Steinfurt, Prüfende und Behördenadmin",
        )  # fmt: skip
        review_page.get_by_role("link", name="Prüfung", exact=True).click()
        review_page.get_by_role("link", name="Sondernutzung beantragen (Hamm), Revision 2").click()
        main = review_page.locator("main")
        expect(main).to_contain_text("Gegenüber Revision 1: 0 hinzugefügt, 0 entfernt, 1 geändert")
        expect(main).to_contain_text("Unterlagen vollständig prüfen")
        expect(review_page.locator(".diagram__canvas svg").first).to_be_visible(timeout=20_000)
        review_page.get_by_label("Freigeben").check()
        review_page.get_by_label("Kommentar", exact=True).fill("Sauber modelliert, danke.")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        review_page.screenshot(path=str(ARTIFACTS / "pruefung-entscheidung.png"), full_page=True)
        review_page.get_by_role("button", name="Entscheidung speichern").click()
        expect(review_page.locator("main")).to_contain_text(
            "„Sondernutzung beantragen (Hamm)“, Revision 2, ist veröffentlicht."
        )
        # back on the queue, which other tests of the shared demo site may have filled
        expect(review_page.get_by_role("heading", name="Prüfliste")).to_be_visible()
        expect(
            review_page.get_by_role("link", name="Sondernutzung beantragen (Hamm), Revision 2")
        ).to_have_count(0)
    finally:
        reviewer.close()
    page.goto(f"{demo_site}/modelle/{hamm_model}")
    expect(page.locator("main")).to_contain_text("Abgelöst")
    screenshot("pruefung-freigegeben")
