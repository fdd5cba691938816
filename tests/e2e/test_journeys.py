"""The journeys of a visitor, a 115 agent and a register admin — axe-core on every page visited,
a screenshot of the last step in test-artifacts/e2e — and the main pages on a 320 px screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import distinct, func, select

from app.db import Database
from app.library.models import ProcessModel, Revision, RevisionStatus
from tests.e2e.conftest import check_accessibility, demo_login
from tests.e2e.test_hotline import wait_for_index

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 640}
MAIN_PAGES = (
    "/",
    "/katalog",
    "/suche?q=hund",
    "/115",
    "/behoerden",
    "/behoerden/hamm",
    "/prozesslandkarte",
    "/behoerden/hamm/prozesslandkarte",
    "/kennzahlen",
    "/statistik",
    "/anmelden",
)


def go(page: Page, action) -> None:
    """One step of a journey: act, wait until the page is complete, check it with axe."""
    action()
    page.wait_for_load_state("networkidle")
    check_accessibility(page)


def test_visitor_browses_the_catalogue_to_a_model(live_server, page, screenshot):
    go(page, lambda: page.goto(live_server))
    go(page, lambda: page.get_by_role("link", name="Katalog", exact=True).click())
    expect(page).to_have_title("Katalog – Musterregister")
    page.get_by_label("Suchbegriff").fill("Wohnsitz anmelden")
    go(page, lambda: page.get_by_role("button", name="Filtern").click())
    go(page, lambda: page.get_by_role("link", name="Wohnsitz anmelden", exact=True).first.click())
    expect(page.locator("h1")).to_have_text("Wohnsitz anmelden")
    go(page, lambda: page.locator("main a[href^='/modelle/']").first.click())
    expect(page.locator('[data-bpmn-url][data-state="ready"]')).to_be_visible(timeout=20_000)
    assert page.url.startswith(f"{live_server}/modelle/")
    check_accessibility(page)  # again, with the diagram drawn
    screenshot("reise-besucher-modell")


def published_processes(database_url: str) -> int:
    """Processes with a published model, straight from the database behind the server."""
    database = Database(database_url)
    try:
        with database.session() as session:
            published = (
                select(ProcessModel.process_id)
                .join(Revision, Revision.model_id == ProcessModel.id)
                .where(Revision.status == RevisionStatus.PUBLISHED)
            )
            return session.scalar(select(func.count(distinct(published.subquery().c.process_id))))
    finally:
        database.dispose()


def test_visitor_finds_a_published_model_on_the_process_map(
    live_server, seeded_database_url, page, screenshot
):
    expected = published_processes(seeded_database_url)
    assert expected > 0
    go(page, lambda: page.goto(live_server))
    go(page, lambda: page.get_by_role("link", name="Prozesslandkarte", exact=True).click())
    expect(page).to_have_title("Prozesslandkarte des Registers – Musterregister")
    go(page, lambda: page.get_by_role("link", name=f"{expected} veröffentlicht").click())
    expect(page.locator(".map-chip")).to_have_count(expected)
    expect(page.locator(".map-chip.map-chip--veroeffentlicht")).to_have_count(expected)
    screenshot("reise-besucher-prozesslandkarte")
    go(page, lambda: page.get_by_role("link", name="Wohnsitz anmelden").first.click())
    expect(page.locator("h1")).to_have_text("Wohnsitz anmelden")


def test_agent_finds_a_service_with_the_keyboard_only(live_server, page, screenshot):
    wait_for_index(live_server)
    go(page, lambda: page.goto(live_server))
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Zum Inhalt springen")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()  # hidden until focused, then visible
    hotline_link = page.get_by_role("link", name="115-Suche", exact=True)
    for _ in range(20):  # Tab through the header to the 115 search, as a keyboard user does
        page.keyboard.press("Tab")
        if hotline_link.evaluate("link => link === document.activeElement"):
            break
    expect(hotline_link).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    check_accessibility(page)
    box = page.get_by_role("combobox", name="Anliegen")
    expect(box).to_be_focused()
    page.keyboard.type("hund anmelden", delay=30)
    options = page.get_by_role("listbox", name="Treffer").get_by_role("option")
    expect(options.first).to_contain_text("Hund")
    page.keyboard.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    card = page.locator("#hotline-karte")
    expect(card).to_be_focused()
    expect(card.get_by_role("heading", level=2)).to_contain_text("Hund")
    expect(card).to_contain_text("Rechtsgrundlagen")
    check_accessibility(page)  # with hits and the answer open
    screenshot("reise-115-antwort")


def test_register_admin_adds_an_authority(demo_site, page, screenshot):
    go(page, lambda: demo_login(
        page, demo_site, "Redaktion Musterregister",
        "Rita Redaktion – Redaktion Musterregister, Registeradmin",
    ))  # fmt: skip
    go(page, lambda: page.get_by_role("link", name="Verwaltung", exact=True).click())
    expect(page.locator("h1")).to_have_text("Behörden verwalten")
    go(page, lambda: page.get_by_role("link", name="Behörde anlegen").click())
    page.get_by_label("Kürzel (in Adressen)").fill("gemeinde-barrierefrei")
    page.get_by_label("Name", exact=True).fill("Gemeinde Barrierefrei")
    page.get_by_label("Art").select_option(value="gemeinde")
    page.get_by_label("Land").select_option(value="NW")
    go(page, lambda: page.get_by_role("button", name="Anlegen").click())
    expect(page.get_by_role("status").first).to_contain_text(
        "Die Behörde „Gemeinde Barrierefrei“ ist angelegt."
    )
    assert page.url == f"{demo_site}/verwaltung/behoerden/gemeinde-barrierefrei"
    screenshot("reise-admin-behoerde-angelegt")
    go(page, lambda: page.goto(f"{demo_site}/behoerden/gemeinde-barrierefrei"))
    expect(page.locator("h1")).to_have_text("Gemeinde Barrierefrei")


def test_a_wrong_entry_is_explained_next_to_its_field(demo_site, browser):
    """The admin's form with errors (a 422 answer): labelled, described, and still passing axe."""
    context = browser.new_context(locale="de-DE")
    try:
        page = context.new_page()
        demo_login(
            page, demo_site, "Redaktion Musterregister",
            "Rita Redaktion – Redaktion Musterregister, Registeradmin",
        )  # fmt: skip
        page.goto(f"{demo_site}/verwaltung/behoerden/neu")
        page.get_by_label("Kürzel (in Adressen)").fill("Groß Buchstaben")
        with page.expect_response(lambda response: response.status == 422):
            page.get_by_role("button", name="Anlegen").click()
        field = page.get_by_label("Kürzel (in Adressen)")
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_role("alert").first).to_contain_text("Kleinbuchstaben")
        check_accessibility(page)
    finally:
        context.close()


def test_main_pages_fit_a_320_pixel_screen(live_server, page):
    page.set_viewport_size(NARROW)
    too_wide = {}
    for path in MAIN_PAGES:
        page.goto(live_server + path)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > NARROW["width"]:
            too_wide[path] = width
    assert too_wide == {}
