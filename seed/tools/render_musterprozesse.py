"""Renders every seed model with bpmn-js in Debian's Chromium and writes PNGs, to check the layout.

    PYTHONPATH=. .venv/bin/python seed/tools/render_musterprozesse.py /tmp/renders

Needs `scripts/install` (bpmn-js in app/web/static/vendor) and /usr/bin/chromium.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "app" / "web" / "static" / "vendor" / "bpmn-js"
MODELS = ROOT / "seed" / "musterregister" / "musterprozesse"
PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="assets/diagram-js.css"><link rel="stylesheet" href="assets/bpmn-js.css">
<style>html,body,#canvas{margin:0;width:100%;height:100%;background:#fff}</style></head>
<body><div id="canvas"></div><script src="bpmn-navigated-viewer.production.min.js"></script></body></html>"""
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    page_path = VENDOR / "_render.html"
    page_path.write_text(PAGE, encoding="utf-8")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 2200, "height": 900})
            for model in sorted(MODELS.glob("*.bpmn")):
                page.goto(page_path.as_uri())
                warnings = page.evaluate(
                    """async (xml) => { const viewer = new BpmnJS({container: '#canvas'});
                       const result = await viewer.importXML(xml); viewer.get('canvas').zoom('fit-viewport');
                       return result.warnings.map(w => w.message); }""",
                    model.read_text(encoding="utf-8"),
                )
                page.screenshot(path=str(target / f"{model.stem}.png"))
                print(model.stem, "warnings:", warnings or "keine")
            browser.close()
    finally:
        page_path.unlink(missing_ok=True)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/musterprozesse-renders"))
