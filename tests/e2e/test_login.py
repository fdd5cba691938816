"""A newcomer logs in through the demo login in two clicks, in Debian's chromium."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_newcomer_logs_in_as_contributor_of_stadt_hamm_in_two_clicks(demo_site, page, screenshot):
    page.goto(demo_site)
    assert page.get_by_role("note").inner_text().startswith("Demo")
    page.get_by_role("link", name="Anmelden", exact=True).click()
    page.get_by_role("searchbox", name="Behörde").fill("Hamm")
    page.get_by_role("link", name="Stadt Hamm").click()  # first click
    page.get_by_role("button", name="Hanna Hamm – Stadt Hamm, Beitragende").click()  # second click
    page.wait_for_url(f"{demo_site}/konto")
    assert page.locator("h1").inner_text() == "Mein Konto"
    assert "Beitragende/r" in page.locator("main").inner_text()
    assert page.get_by_role("link", name="Konto: Hanna Hamm").is_visible()
    screenshot("anmeldung-demo-konto")

    page.get_by_role("button", name="Abmelden").click()
    page.get_by_role("button", name="Ja, abmelden").click()
    page.wait_for_url(f"{demo_site}/abgemeldet")
    assert page.get_by_role("link", name="Anmelden", exact=True).is_visible()
