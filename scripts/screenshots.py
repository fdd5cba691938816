"""Take the README's screenshots from a running register (Debian's Chromium, 1280 px wide).

    ./scripts/run &                                   # the seeded demo register on port 5000
    .venv/bin/python scripts/screenshots.py [http://127.0.0.1:5000] [docs/bilder]

Each picture shows one screen of a page (1280 × 860), as a visitor sees it; the banner of the
demo mode is left out, as a register in real use has none.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 860}


def _first_process_model(page: Page, base: str) -> None:
    page.goto(f"{base}/katalog?nur=musterprozesse&q=Wohnsitz+anmelden")
    page.get_by_role("link", name="Wohnsitz anmelden").first.click()
    page.wait_for_selector(".diagram__canvas svg", timeout=15_000)


def _process_map(page: Page, base: str) -> None:
    page.goto(f"{base}/prozesslandkarte?status=veroeffentlicht")
    page.evaluate("window.scrollTo(0, document.querySelector('.map-summary').offsetTop - 16)")


def _key_figures(page: Page, base: str) -> None:
    page.goto(f"{base}/kennzahlen")
    page.evaluate("document.querySelector('#prio-title').scrollIntoView()")


PAGES = [
    ("startseite", lambda page, base: page.goto(f"{base}/")),
    ("katalog", lambda page, base: page.goto(f"{base}/katalog?nur=musterprozesse")),
    ("prozesslandkarte", _process_map),
    ("prozessseite", _first_process_model),
    ("statistik", lambda page, base: page.goto(f"{base}/statistik")),
    ("kennzahlen-register", _key_figures),
]
HIDE_DEMO_BANNER = ".demo-banner { display: none !important; }"


def main(base: str = "http://127.0.0.1:5000", folder: str = "docs/bilder") -> None:
    target = ROOT / folder
    target.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(locale="de-DE", viewport=VIEWPORT)  # type: ignore[arg-type]
        page = context.new_page()
        for name, visit in PAGES:
            visit(page, base.rstrip("/"))
            page.wait_for_load_state("networkidle")
            page.add_style_tag(content=HIDE_DEMO_BANNER)
            path = target / f"{name}.png"
            page.screenshot(path=str(path))
            print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
