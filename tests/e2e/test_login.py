"""A newcomer logs in through the demo login in two clicks, in Debian's chromium."""

from __future__ import annotations

import pytest

from app.authz import system_actor
from app.config import load_settings
from app.db import Database
from app.identity.demo import provider_config, wire_demo_logins
from app.seed import SeedReport, seed_authorities
from tests.conftest import SEED_PATH, TEST_SECRET, new_database
from tests.support.oidc import OidcProvider
from tests.support.server import RegisterProcess

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_site(request, tmp_path_factory):
    instance = tmp_path_factory.mktemp("demo-instance")
    url = new_database(request, tmp_path_factory, "musterregister_demo")
    server = RegisterProcess(url, instance, environ={"MUSTERREGISTER_DEMO": "true"})
    settings = load_settings(
        {
            "demo": True,
            "secret_key": TEST_SECRET,
            "base_url": server.url,
            "instance_path": instance,
        },
        environ={},
    )
    config = provider_config(settings)
    provider = OidcProvider(instance, "demo", config["clients"], config["accounts"]).start()
    database = Database(url)
    try:
        with database.transaction() as session:
            seed_authorities(session, system_actor("Test"), SEED_PATH, SeedReport())
            wire_demo_logins(session, system_actor("Test"), SEED_PATH, provider.issuer)
    finally:
        database.dispose()
    server.environ["MUSTERREGISTER_DEMO_OIDC_ISSUER"] = provider.issuer
    try:
        yield server.start()
    finally:
        server.stop()
        provider.stop()


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
