"""Browser tests: a real register process and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from app.authz import system_actor
from app.config import load_settings
from app.db import Database
from app.identity.demo import provider_config, wire_demo_logins
from app.seed import SeedReport, seed_authorities
from tests.conftest import SEED_PATH, TEST_SECRET, new_database
from tests.support.oidc import OidcProvider
from tests.support.server import RegisterProcess

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TEST_DATABASE = os.environ.get("TEST_DATABASE", "sqlite")
# One folder per database: scripts/test runs both at once, and CI keeps test-artifacts/.
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e" / TEST_DATABASE
AXE_SOURCE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="session")
def live_server(
    seeded_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    server = RegisterProcess(seeded_database_url, tmp_path_factory.mktemp("live-instance"))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def demo_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """The database of :func:`demo_site`, for tests that prepare data behind the browser's back."""
    return new_database(request, tmp_path_factory, "musterregister_demo")


@pytest.fixture(scope="session")
def demo_site(demo_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A register in demo mode with its demo OpenID provider: the one `scripts/run` starts."""
    instance = tmp_path_factory.mktemp("demo-instance")
    url = demo_database_url
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


def demo_login(page: Page, site: str, authority: str, persona: str) -> None:
    """Log in through the demo provider: pick the authority, then the persona's button."""
    page.goto(f"{site}/anmelden")
    page.get_by_role("searchbox", name="Behörde").fill(authority)
    page.get_by_role("link", name=authority).click()
    page.get_by_role("button", name=persona).click()
    page.wait_for_url(f"{site}/konto")


def check_accessibility(page: Page) -> list[dict]:
    """Run axe-core (WCAG 2.0/2.1 A and AA) on the page as it is now; fail on serious or critical.

    The script is evaluated through the DevTools protocol, so the page's Content-Security-Policy
    (no inline scripts) does not stop it. Returns all violations, the minor ones included.
    """
    if not AXE_SOURCE.exists():
        raise RuntimeError("axe-core fehlt: 'npm ci' installiert es nach node_modules/.")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(f"() => {{ {AXE_SOURCE.read_text(encoding='utf-8')}\n}}")
    violations = page.evaluate(
        """async (tags) => {
            const result = await window.axe.run(document, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
            });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map((node) => node.target.join(" ")),
            }));
        }""",
        AXE_TAGS,
    )
    blocking = [v for v in violations if v["impact"] in AXE_BLOCKING]
    assert not blocking, f"axe-core auf {page.url}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} — {', '.join(v['targets'][:8])}"
        for v in blocking
    )
    return violations


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError("Chromium fehlt: 'bash scripts/install-system-deps' installiert es.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on(
        "response",
        lambda response: problems.append(f"{response.status} {response.url}")
        if response.status >= 400
        else None,
    )
    yield page
    context.close()
    assert problems == []


@pytest.fixture()
def screenshot(page: Page, request: pytest.FixtureRequest):
    def take(name: str | None = None) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name or request.node.name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
