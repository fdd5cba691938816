"""A visitor opens a Musterprozess and sees its BPMN model drawn by bpmn-js."""

from __future__ import annotations

import re

import pytest
import requests

from app.bpmn import extract, parse_bpmn
from tests.factories import seed_model_bytes

pytestmark = pytest.mark.browser

TASK_TYPES = {"task", "userTask", "serviceTask", "sendTask", "receiveTask", "manualTask"}


def squash(text: str) -> str:
    """bpmn-js wraps labels into lines (tspans); compare without any whitespace."""
    return re.sub(r"\s+", "", text)


def process_url(live_server: str, title: str) -> str:
    items = requests.get(
        f"{live_server}/api/v1/processes", params={"q": title, "kind": "catalogue"}, timeout=5
    ).json()["items"]
    match = next(item for item in items if item["title"] == title)
    return f"{live_server}/prozesse/{match['id']}"


def test_process_page_renders_the_model_with_its_task_labels(live_server, page, screenshot):
    page.goto(process_url(live_server, "Wohnsitz anmelden"))
    page.wait_for_selector('[data-bpmn-url][data-state="ready"]', timeout=15_000)
    svg_text = squash(" ".join(page.locator(".diagram__canvas svg text").all_text_contents()))
    elements = extract(parse_bpmn(seed_model_bytes("wohnsitz-anmelden"), max_bytes=10**6))[
        "elements"
    ]
    task_labels = [element["name"] for element in elements if element["type"] in TASK_TYPES]
    assert len(task_labels) >= 5
    for label in task_labels:
        assert squash(label) in svg_text, label
    assert page.title() == "Wohnsitz anmelden – Musterregister"
    screenshot("prozessseite-wohnsitz-anmelden")


def test_visitor_browses_from_the_start_page_to_a_process(live_server, page, screenshot):
    page.goto(live_server)
    screenshot("startseite")
    page.get_by_role("link", name="Querschnitt", exact=True).click()
    assert "themenfeld=Querschnitt" in page.url
    page.get_by_label("Suchbegriff").fill("Geburtsurkunde")
    page.get_by_role("button", name="Filtern").click()
    page.get_by_role("link", name="Geburtsurkunde ausstellen").click()
    page.wait_for_selector('[data-bpmn-url][data-state="ready"]', timeout=15_000)
    assert page.locator("h1").inner_text() == "Geburtsurkunde ausstellen"
    screenshot("startseite-bis-prozess")
