"""The bpmn-js Modeler and Swagger UI work under the register's Content-Security-Policy.

A stand-alone page is served to Chromium through Playwright's request routing, with the exact
policy header the register sends, and loads the vendored bundles like the pages do. The Modeler
imports a seed model and is edited through its own UI (context pad, replace menu, label editing,
palette); any CSP violation or console error fails the test.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route

from tests.factories import seed_model_bytes

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "app" / "web" / "static"
ORIGIN = "http://csp.test"
MODELER_PAGE = """<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>CSP</title>
<link rel="stylesheet" href="/static/vendor/bpmn-js/assets/diagram-js.css">
<link rel="stylesheet" href="/static/vendor/bpmn-js/assets/bpmn-js.css">
<link rel="stylesheet" href="/static/vendor/bpmn-js/assets/bpmn-font/css/bpmn.css">
</head><body><div id="canvas" style="height: 700px"></div>
<script src="/static/vendor/bpmn-js/bpmn-modeler.production.min.js"></script>
<script src="/check.js"></script></body></html>"""
MODELER_SCRIPT = """
window.addEventListener('securitypolicyviolation', function (event) {
  console.error('CSP: ' + event.violatedDirective + ' ' + event.blockedURI);
});
fetch('/model.bpmn').then(function (r) { return r.text(); }).then(function (xml) {
  window.modeler = new BpmnJS({ container: '#canvas' });
  return window.modeler.importXML(xml);
}).then(function () { document.body.dataset.bereit = 'ja'; })
  .catch(function (error) { console.error(error); });
"""
SWAGGER_PAGE = """<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>API</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css"></head><body>
<div id="swagger-ui" data-spec-url="/api/v1/openapi.json"></div>
<script src="/static/js/csp-watch.js"></script>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/js/api-docs.js"></script></body></html>"""
FIRST_TASK = """() => window.modeler.get('elementRegistry')
  .filter((element) => /Task$/.test(element.type))[0].id"""
NAMED_ELEMENT = """(name) => window.modeler.get('elementRegistry')
  .filter((element) => element.businessObject.name === name)[0].id"""
WATCH_SCRIPT = """window.addEventListener('securitypolicyviolation', function (event) {
  console.error('CSP: ' + event.violatedDirective + ' ' + event.blockedURI);
});"""


@pytest.fixture(scope="module")
def policy(app) -> str:
    return app.test_client().get("/").headers["Content-Security-Policy"]


@pytest.fixture()
def chromium(browser: Browser) -> Browser:
    """The session's Chromium (tests/e2e/conftest.py): one Playwright per process."""
    return browser


def serve(route: Route, policy: str, extra: dict[str, tuple[str, str]]) -> None:
    path = route.request.url.removeprefix(ORIGIN).split("?")[0]
    if path in extra:
        body, content_type = extra[path]
    elif path.startswith("/static/") and (STATIC / path.removeprefix("/static/")).is_file():
        file = STATIC / path.removeprefix("/static/")
        body, content_type = file.read_bytes(), mimetypes.guess_type(file.name)[0] or "text/plain"
    else:
        route.fulfill(status=404, body="fehlt")
        return
    route.fulfill(body=body, content_type=content_type, headers={"Content-Security-Policy": policy})


@pytest.fixture()
def csp_page(chromium: Browser, policy: str) -> Iterator[tuple[Page, dict]]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    extra: dict[str, tuple[str, str]] = {}
    context.route(f"{ORIGIN}/**", lambda route: serve(route, policy, extra))
    yield page, extra
    context.close()
    assert problems == []


def test_the_modeler_edits_a_diagram_under_the_policy(csp_page):
    page, extra = csp_page
    extra.update(
        {
            "/": (MODELER_PAGE, "text/html"),
            "/check.js": (MODELER_SCRIPT, "text/javascript"),
            "/model.bpmn": (seed_model_bytes().decode(), "application/xml"),
        }
    )
    page.goto(f"{ORIGIN}/")
    page.wait_for_selector("body[data-bereit='ja']")
    task_id = page.evaluate(FIRST_TASK)
    task = page.locator(f"g.djs-shape[data-element-id='{task_id}']")
    task.click()
    page.locator(".djs-context-pad .entry[data-action='append.append-task']").click()
    page.locator(".djs-direct-editing-parent").wait_for()
    page.keyboard.type("Unter CSP angelegt")
    page.mouse.click(640, 690)  # on the empty canvas: ends the label editing
    new_id = page.evaluate(NAMED_ELEMENT, "Unter CSP angelegt")
    page.locator(f"g.djs-shape[data-element-id='{new_id}']").click()
    page.locator(".djs-context-pad .entry[data-action='replace']").click()
    page.locator(".djs-popup .entry[data-id='replace-with-user-task']").click()
    xml = page.evaluate("() => window.modeler.saveXML().then((result) => result.xml)")
    assert re.search(r'<bpmn:userTask id="[^"]+" name="Unter CSP angelegt"', xml)


def test_swagger_ui_renders_the_api_under_the_policy(csp_page, app):
    page, extra = csp_page
    spec = app.test_client().get("/api/v1/openapi.json").get_data(as_text=True)
    extra.update(
        {
            "/": (SWAGGER_PAGE, "text/html"),
            "/static/js/csp-watch.js": (WATCH_SCRIPT, "text/javascript"),
            "/api/v1/openapi.json": (spec, "application/json"),
        }
    )
    page.goto(f"{ORIGIN}/")
    page.locator(".opblock-summary").first.click()
    page.get_by_text("Responses").first.wait_for()
