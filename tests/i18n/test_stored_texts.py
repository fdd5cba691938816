"""Texts follow the reader's language, except those a revision stores: lint findings and schema
issues are made in German (the source language) whatever the request asks for, so a stored
analysis, and what peers mirror of it, never depends on who uploaded the model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask import Flask

from app.bpmn.lint import lint
from app.bpmn.parse import BPMN_MODEL_NS, parse_bpmn
from app.bpmn.validate import translate as schema_message
from app.bpmn.validate import validate
from app.errors import GERMAN_TITLES
from app.i18n import _, init_app
from app.validation_messages import translate

ENGLISH = {
    "Nicht gefunden": "Not found",
    "Pflichtfeld fehlt.": "Missing.",
    "Muss mindestens %(minimum)s sein.": "At least %(minimum)s.",
    "Die Aktivität „%(id)s“ hat keine Bezeichnung.": "Activity %(id)s has no label.",
    "Element %(element)s ist hier nicht erlaubt. Erwartet: %(expected)s.": (
        "Element %(element)s is not allowed here. Expected: %(expected)s."
    ),
}
MODEL = (
    f'<bpmn:definitions xmlns:bpmn="{BPMN_MODEL_NS}" id="D" targetNamespace="https://example.org">'
    '<bpmn:process id="P"><bpmn:startEvent id="S" name="Los"/><bpmn:task id="T"/>'
    '<bpmn:endEvent id="E" name="Fertig"/><bpmn:unknown id="U"/>'
    '<bpmn:sequenceFlow id="F1" sourceRef="S" targetRef="T"/>'
    '<bpmn:sequenceFlow id="F2" sourceRef="T" targetRef="E"/></bpmn:process></bpmn:definitions>'
).encode()


@pytest.fixture(scope="module")
def english_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    catalogue = Catalog(locale="en")
    for german, english in ENGLISH.items():
        catalogue.add(german, english)
    translations = tmp_path_factory.mktemp("translations")
    compiled = translations / "en" / "LC_MESSAGES" / "messages.mo"
    compiled.parent.mkdir(parents=True)
    with Path(compiled).open("wb") as handle:
        write_mo(handle, catalogue)
    app = Flask(__name__)
    init_app(app, translations)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield app


def test_titles_and_validation_messages_follow_the_reader(english_app: Flask) -> None:
    assert str(GERMAN_TITLES[404]) == "Not found"
    messages = {
        "a": ["Missing data for required field."],
        "b": "Must be greater than or equal to 3.",
    }
    translated = translate(messages)
    assert translated == {"a": ["Missing."], "b": "At least 3."}
    assert all(type(text) is str for text in [*translated["a"], translated["b"]])


def test_stored_findings_stay_german_for_every_reader(english_app: Flask) -> None:
    tree = parse_bpmn(MODEL, max_bytes=10**6)
    findings = [finding.message for finding in lint(tree, enabled=frozenset({"label-task"}))]
    [issue] = validate(tree, source=MODEL)
    assert findings == ["Die Aktivität „T“ hat keine Bezeichnung."]
    assert issue.message.startswith("Element 'unknown' ist hier nicht erlaubt. Erwartet: ")
    assert all(type(text) is str for text in [*findings, issue.message])
    # the same text, asked for outside a stored analysis, is the reader's
    assert schema_message(issue.detail).startswith("Element 'unknown' is not allowed here.")
    assert _("Nicht gefunden") == "Not found"  # the request's language is back afterwards
