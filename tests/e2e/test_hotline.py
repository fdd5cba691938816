"""A 115 agent types what the caller says, picks the answer and copies it, without a mouse."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from app.search.indexing import POLL_SECONDS
from tests.e2e.conftest import TEST_DATABASE

pytestmark = pytest.mark.browser

DOCS_IMAGE = Path(__file__).resolve().parents[2] / "docs" / "bilder" / "suche-115.png"
INDEX_TIMEOUT_SECONDS = 90


def wait_for_index(live_server: str) -> None:
    """The test server builds its index in the background, started by its first request.

    That first request is not a search: a search on a server without an index folder creates an
    empty one, and the indexer then finds no new folder to fill (its first round comes after
    ``POLL_SECONDS``).
    """
    requests.get(f"{live_server}/healthz", timeout=10)
    time.sleep(POLL_SECONDS + 1)
    deadline = time.monotonic() + INDEX_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            response = requests.get(
                f"{live_server}/api/v1/search", params={"q": "hund"}, timeout=INDEX_TIMEOUT_SECONDS
            )
        except requests.Timeout:
            continue
        if response.ok and response.json()["total"] > 0:
            return
        time.sleep(0.5)
    pytest.fail("Der Suchindex des Testservers wurde nicht rechtzeitig fertig.")


def clipboard_text(page: Page) -> str:
    return page.evaluate("navigator.clipboard.readText()")


def test_agent_finds_opens_and_copies_an_answer_with_the_keyboard(live_server, page, screenshot):
    wait_for_index(live_server)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.goto(f"{live_server}/115")
    box = page.get_by_role("combobox", name="Anliegen")
    expect(box).to_be_focused()
    expect(page.locator("#hotline-tasten")).to_contain_text("Antwort kopieren")

    box.press_sequentially("perso weg", delay=40)
    options = page.get_by_role("listbox", name="Treffer").get_by_role("option")
    expect(options.first).to_contain_text("Personalausweis")
    expect(page.get_by_role("status").first).to_contain_text("Treffer")

    page.keyboard.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", options.first.get_attribute("id"))
    # the Musterprozess, if it is among the hits: its card has the steps of its model
    texts = options.all_inner_texts()
    chosen = next((n for n, text in enumerate(texts) if "Musterprozess" in text), 0)
    for _ in range(chosen):
        page.keyboard.press("ArrowDown")
    expect(options.nth(chosen)).to_have_attribute("aria-selected", "true")
    title = options.nth(chosen).locator(".hotline__hit-title").inner_text()

    page.keyboard.press("Enter")
    card = page.locator("#hotline-karte")
    expect(card).to_be_visible()
    expect(card).to_be_focused()
    expect(card.get_by_role("heading", level=2)).to_have_text(title)
    assert "Personalausweis" in title
    expect(card).to_contain_text("Rechtsgrundlagen")

    page.keyboard.press("c")
    expect(page.locator("#hotline-kopiert")).to_contain_text("Kopiert")
    copied = clipboard_text(page)
    assert copied.splitlines()[0] == title
    assert "Rechtsgrundlagen:" in copied and "LeiKa-Schlüssel: 99" in copied
    assert f"{live_server}/prozesse/" in copied or f"{live_server}/modelle/" in copied

    path = screenshot("suche-115")
    if TEST_DATABASE == "sqlite":  # the two runs of scripts/test go at once; one writes the picture
        shutil.copyfile(path, DOCS_IMAGE)

    page.keyboard.press("Escape")
    expect(box).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(options.nth(chosen - 1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Escape")
    expect(box).to_have_value("")
    expect(page.get_by_role("listbox", name="Treffer")).to_be_hidden()
    expect(card).to_be_hidden()


def test_hotline_fits_a_narrow_screen_and_enter_answers_at_once(live_server, page):
    wait_for_index(live_server)
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"{live_server}/115")
    box = page.get_by_role("combobox", name="Anliegen")
    box.press_sequentially("hund anmelden", delay=10)
    page.keyboard.press("Enter")  # before the answer arrived: the first hit opens when it does
    card = page.locator("#hotline-karte")
    expect(card).to_be_focused()
    expect(card.get_by_role("heading", level=2)).to_contain_text("Hund")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_without_javascript_the_hotline_submits_to_the_search_page(live_server, browser):
    wait_for_index(live_server)
    context = browser.new_context(java_script_enabled=False, locale="de-DE")
    try:
        page = context.new_page()
        page.goto(f"{live_server}/115")
        page.get_by_role("searchbox", name="Anliegen").fill("perso weg")
        page.keyboard.press("Enter")
        page.wait_for_url("**/suche?q=perso+weg")
        expect(page.locator(".hits")).to_contain_text("Personalausweis")
    finally:
        context.close()
