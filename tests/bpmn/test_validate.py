"""XSD validation: German messages, positions, offline schema loading, thread safety."""

from __future__ import annotations

import socket
import statistics
import sys
import threading
import time
from pathlib import Path

import pytest
from lxml import etree

from app.bpmn import extract, parse_bpmn
from app.bpmn import validate as validate_module
from app.bpmn.validate import (
    MAX_ISSUES,
    SCHEMA_DIR,
    SchemaUnavailable,
    ValidationIssue,
    display_name,
    translate,
    validate,
)
from tests.factories import MINIMAL_BPMN

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
SHARED_XSD = SHARED_DATA / "bpmn-xsd"
MIWG = SHARED_DATA / "bpmn-miwg-reference"
MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<bpmn:definitions xmlns:bpmn="{MODEL}" id="D" targetNamespace="https://example.org/t">\n'
)


def model(body: str, *, encoding: str = "utf-8") -> bytes:
    text = HEAD + body + "\n</bpmn:definitions>\n"
    if encoding != "utf-8":
        text = text.replace('encoding="UTF-8"', f'encoding="{encoding}"')
    return text.encode(encoding)


def issues_of(data: bytes, *, with_source: bool = True) -> list[ValidationIssue]:
    tree = parse_bpmn(data, max_bytes=10**6)
    return validate(tree, source=data if with_source else None)


def test_carried_schema_files_are_the_omg_files_unchanged():
    for path in SHARED_XSD.glob("*.xsd"):
        assert (SCHEMA_DIR / path.name).read_bytes() == path.read_bytes()
    assert sorted(path.name for path in SCHEMA_DIR.glob("*.xsd")) == sorted(
        path.name for path in SHARED_XSD.glob("*.xsd")
    )


def test_a_valid_model_has_no_issues():
    assert issues_of(MINIMAL_BPMN) == []


def test_unknown_child_element_is_reported_in_german_where_it_starts():
    data = model(
        '<bpmn:process id="P">\n'
        '  <bpmn:task id="T">\n'
        "    <bpmn:frobnicate/>\n"
        "  </bpmn:task>\n"
        "</bpmn:process>"
    )
    (issue,) = issues_of(data)
    assert (issue.line, issue.column) == (5, 5)
    assert issue.message.startswith("Element 'frobnicate' ist hier nicht erlaubt. Erwartet: ")
    assert "'documentation'" in issue.message and "{" not in issue.message
    assert "This element is not expected" in issue.detail


def test_sequence_flow_without_source_is_reported_at_its_start_tag():
    data = model(
        '<bpmn:process id="P"><bpmn:task id="T"/>\n'
        '  <bpmn:task id="U"/><bpmn:sequenceFlow\n'
        '      id="F" targetRef="T"/></bpmn:process>'
    )
    (issue,) = issues_of(data)
    assert issue.message == "Im Element 'sequenceFlow' fehlt das Pflichtattribut 'sourceRef'."
    # libxml2 says line 5, where the start tag ends; people look for where it begins
    assert (issue.line, issue.column) == (4, 22)
    assert issue.as_dict() == {
        "line": 4,
        "column": 22,
        "message": issue.message,
        "detail": issue.detail,
    }


def test_without_source_the_line_comes_from_libxml2_and_the_column_is_unknown():
    data = model('<bpmn:process id="P"><bpmn:sequenceFlow\n id="F" targetRef="P"/></bpmn:process>')
    (issue,) = issues_of(data, with_source=False)
    assert (issue.line, issue.column) == (4, None)


def test_markup_quoted_in_a_comment_leaves_the_column_unknown_rather_than_wrong():
    data = model('<!-- <bpmn:process id="X"> --><bpmn:process id="P" foo="1"/>')
    (issue,) = issues_of(data)
    assert (issue.line, issue.column) == (3, None)


def test_positions_are_counted_in_characters_of_the_declared_encoding():
    data = model(
        '<bpmn:process id="P" name="Größe"><bpmn:task id="T" foo="1"/></bpmn:process>',
        encoding="ISO-8859-1",
    )
    (issue,) = issues_of(data)
    assert (issue.line, issue.column) == (3, 35)


def test_several_elements_on_one_line_are_told_apart():
    data = model(
        '<bpmn:process id="P"><bpmn:task id="A"/><bpmn:task id="B" foo="1"/></bpmn:process>'
    )
    (issue,) = issues_of(data)
    assert (issue.line, issue.column) == (3, 41)
    assert issue.message == "Das Attribut 'foo' ist im Element 'task' nicht erlaubt."


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            '<bpmn:process id="P" isExecutable="vielleicht"/>',
            "Element 'process', Attribut 'isExecutable': 'vielleicht' ist kein gültiger Wert vom "
            "Typ 'xs:boolean' (erlaubt sind true und false).",
        ),
        (
            '<bpmn:process id="P"/><bpmn:process id="P"/>',
            "Die ID 'P' ist mehrfach vergeben (Element 'process', Attribut 'id').",
        ),
        (
            '<bpmn:process id="1 2"/>',
            "Element 'process', Attribut 'id': '1 2' ist keine gültige ID. Eine ID beginnt mit "
            "einem Buchstaben oder Unterstrich und enthält keine Leerzeichen.",
        ),
        (
            '<bpmn:process id="P" processType="Geheim"/>',
            "Element 'process', Attribut 'processType': 'Geheim' ist nicht erlaubt. "
            "Erlaubt: 'None', 'Public', 'Private'.",
        ),
        (
            '<bpmn:process id="P">Text</bpmn:process>',
            "Element 'process' darf keinen Text enthalten.",
        ),
        (
            '<bpmn:process id="P"><bpmn:task id="T"><bpmn:ioSpecification id="I"/></bpmn:task></bpmn:process>',
            "Im Element 'ioSpecification' fehlt ein Kindelement. Erwartet: 'documentation', "
            "'extensionElements', 'dataInput', 'dataOutput', 'inputSet'.",
        ),
        (
            '<bpmn:collaboration id="C"><bpmn:participant id="A" processRef="zz:P"/></bpmn:collaboration>',
            "Element 'participant', Attribut 'processRef': Das Präfix in 'zz:P' ist nicht deklariert.",
        ),
    ],
)
def test_common_schema_violations_read_in_german(body, expected):
    messages = [issue.message for issue in issues_of(model(body))]
    assert messages[0] == expected


def test_diagram_elements_are_named_with_their_usual_prefix():
    body = (
        '<bpmndi:BPMNDiagram xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
        'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" id="Di"><bpmndi:BPMNPlane id="Pl">'
        '<bpmndi:BPMNShape id="S"><dc:Bounds x="links" y="1" width="1" height="1"/>'
        "</bpmndi:BPMNShape></bpmndi:BPMNPlane></bpmndi:BPMNDiagram>"
    )
    (issue,) = issues_of(model(body))
    assert issue.message == (
        "Element 'dc:Bounds', Attribut 'x': 'links' ist kein gültiger Wert vom Typ 'xs:double' "
        "(erwartet wird eine Zahl)."
    )


@pytest.mark.parametrize(
    ("detail", "expected"),
    [
        (
            "Element '{urn:x}y': This element is not expected.",
            "Element 'y (Namensraum urn:x)' ist hier nicht erlaubt.",
        ),
        (
            f"Element '{{{MODEL}}}task', attribute 'startQuantity': [facet 'minInclusive'] The "
            "value '0' is less than the minimum value allowed ('1').",
            "Element 'task', Attribut 'startQuantity': Der Wert verletzt die Einschränkung "
            "'minInclusive' des Schemas.",
        ),
        (
            f"Element '{{{MODEL}}}conditionExpression', attribute "
            "'{http://www.w3.org/2001/XMLSchema-instance}type': The QName value "
            f"'{{{MODEL}}}tFoo' of the xsi:type attribute does not resolve to a type definition.",
            "Element 'conditionExpression': Der Typ 'tFoo' (xsi:type) ist im BPMN-2.0-Schema unbekannt.",
        ),
        (
            f"Element '{{{MODEL}}}definitions': No matching global declaration available for the "
            "validation root.",
            "Element 'definitions' ist unbekannt: das BPMN-2.0-Schema kennt es nicht.",
        ),
        (
            f"Element '{{{MODEL}}}text': Element content is not allowed, because the content type "
            "is a simple type definition.",
            "Element 'text' darf keine Kindelemente enthalten.",
        ),
        (
            f"Element '{{{MODEL}}}process': Duplicate key-sequence ['P'] in unique "
            "identity-constraint 'ids'.",
            "Element 'process': Der Schlüssel 'P' ist mehrfach vergeben.",
        ),
        (
            f"Element '{{{MODEL}}}task': Something libxml2 says rarely.",
            "Element 'task' entspricht nicht dem BPMN-2.0-Schema.",
        ),
        ("Something without a subject.", "Das Modell entspricht nicht dem BPMN-2.0-Schema."),
    ],
)
def test_translation_of_rarer_and_unknown_messages(detail, expected):
    assert translate(detail) == expected


def test_display_names():
    assert display_name(f"{{{MODEL}}}task") == "task"
    assert display_name("{http://www.omg.org/spec/DD/20100524/DI}waypoint") == "di:waypoint"
    assert display_name("xs:ID") == "xs:ID"


def test_issues_are_capped_and_the_rest_is_counted():
    tasks = "".join(f'<bpmn:task id="T{number}" foo="x"/>' for number in range(MAX_ISSUES + 20))
    issues = issues_of(model(f'<bpmn:process id="P">{tasks}</bpmn:process>'))
    assert len(issues) == MAX_ISSUES + 1
    assert issues[-1].message == (
        "20 weitere Abweichungen vom BPMN-2.0-Schema sind nicht einzeln aufgeführt."
    )
    assert issues[-1].line is None


def test_schema_location_hints_in_a_model_are_never_fetched():
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    port = listener.getsockname()[1]
    with listener:
        data = model('<bpmn:process id="P"/>').replace(
            b'id="D"',
            b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            + f'xsi:schemaLocation="{MODEL} http://127.0.0.1:{port}/BPMN20.xsd" '.encode()
            + f'xsi:noNamespaceSchemaLocation="http://127.0.0.1:{port}/x.xsd" id="D"'.encode(),
        )
        assert issues_of(data) == []
        with pytest.raises(BlockingIOError):
            listener.accept()


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("BPMN20.xsd", True),
        (str(SCHEMA_DIR / "Semantic.xsd"), True),
        ((SCHEMA_DIR / "DC.xsd").as_uri(), True),
        ("http://www.omg.org/spec/BPMN/20100524/Semantic.xsd", False),
        ("/etc/passwd", False),
        ("/tmp/DC.xsd", False),
        ("Other.xsd", False),
    ],
)
def test_schema_imports_are_served_only_from_the_carried_folder(url, allowed):
    path = validate_module._carried_schema_path(url)
    assert (path is not None) == allowed


def test_a_schema_import_from_elsewhere_makes_loading_fail_loudly(tmp_path, monkeypatch):
    (tmp_path / "BPMN20.xsd").write_text(
        '<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        '<xsd:import namespace="urn:x" schemaLocation="http://127.0.0.1:9/x.xsd"/></xsd:schema>'
    )
    monkeypatch.setattr(validate_module, "SCHEMA_DIR", tmp_path)
    with pytest.raises(SchemaUnavailable):
        validate_module._compile_schema()


def test_missing_schema_files_are_a_deployment_error(tmp_path, monkeypatch):
    monkeypatch.setattr(validate_module, "SCHEMA_DIR", tmp_path)
    with pytest.raises(SchemaUnavailable):
        validate_module._compile_schema()


def test_concurrent_validations_keep_their_own_issues():
    valid = parse_bpmn(MINIMAL_BPMN, max_bytes=10**6)
    invalid_data = model('<bpmn:process id="P" foo="1"/>')
    invalid = parse_bpmn(invalid_data, max_bytes=10**6)
    results: list[tuple[str, int]] = []
    barrier = threading.Barrier(8)

    def work(kind: str) -> None:
        barrier.wait()
        for _ in range(25):
            tree = valid if kind == "valid" else invalid
            results.append((kind, len(validate(tree, source=invalid_data))))

    threads = [threading.Thread(target=work, args=(("valid", "invalid")[n % 2],)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 200
    assert {count for kind, count in results if kind == "valid"} == {0}
    assert {count for kind, count in results if kind == "invalid"} == {1}


def test_validation_accepts_any_tree_it_is_given():
    tree = etree.ElementTree(etree.fromstring(b"<a/>"))
    (issue,) = validate(tree)
    assert issue.message == "Element 'a' ist unbekannt: das BPMN-2.0-Schema kennt es nicht."


def test_an_encoding_python_does_not_know_leaves_columns_unknown():
    assert validate_module._decode(b"<a/>", "x-no-such-encoding") is None


def test_reference_model_b2_is_checked_well_within_the_time_budget():
    """Parse + validate + extract of MIWG B.2.0 (139 KB, 94 flow nodes): median well under 50 ms."""
    data = (MIWG / "B.2.0.bpmn").read_bytes()

    def once() -> float:
        started = time.perf_counter()
        tree = parse_bpmn(data, max_bytes=10**6)
        assert validate(tree, source=data) == []
        extract(tree)
        return time.perf_counter() - started

    once()  # compiles the schema
    budget = 0.05 if sys.gettrace() is None else 0.15  # coverage's tracer slows extract() ~3x
    assert statistics.median(once() for _ in range(9)) < budget
