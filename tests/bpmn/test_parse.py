"""Safe parsing and extraction of BPMN (the full conformance suite comes with the BPMN issue)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.bpmn import BpmnError, extract, parse_bpmn
from tests.bpmn.samples import REFUSED
from tests.factories import MINIMAL_BPMN, seed_model_bytes

MIWG = Path(__file__).resolve().parents[3] / "shared" / "data" / "bpmn-miwg-reference"


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_hostile_and_broken_input_is_refused_with_a_precise_german_reason(name):
    data, code = REFUSED[name]
    with pytest.raises(BpmnError) as refused:
        parse_bpmn(data, max_bytes=10**6)
    assert refused.value.code == code
    assert refused.value.message and refused.value.message[0].isupper()


def test_xxe_never_reads_the_file():
    data, _ = REFUSED["xxe"]
    with pytest.raises(BpmnError) as refused:
        parse_bpmn(data, max_bytes=10**6)
    assert "root:" not in str(refused.value.as_dict())


def test_size_limit_applies_before_parsing():
    with pytest.raises(BpmnError) as refused:
        parse_bpmn(MINIMAL_BPMN, max_bytes=100)
    assert refused.value.code == "too-large"


def test_syntax_errors_carry_line_and_column():
    with pytest.raises(BpmnError) as refused:
        parse_bpmn(b'<?xml version="1.0"?>\n<a>\n  <b></a>', max_bytes=1000)
    assert refused.value.as_dict()["line"] == 3


def test_extraction_finds_elements_lanes_and_documentation():
    extraction = extract(parse_bpmn(seed_model_bytes("wohnsitz-anmelden"), max_bytes=10**6))
    by_id = {element["id"]: element for element in extraction["elements"]}
    assert by_id["Task_IdentitaetPruefen"]["lane"] == "Bürgerbüro – Front Office"
    assert by_id["Task_IdentitaetPruefen"]["pool"] == "Stadtverwaltung – Bürgerbüro"
    assert extraction["counts"]["startEvent"] == 1
    assert extraction["flow_node_count"] == 14
    assert "Meldedaten erfassen" in extraction["text"]


def test_minimal_model_documentation_is_extracted():
    extraction = extract(parse_bpmn(MINIMAL_BPMN, max_bytes=10**6))
    task = next(element for element in extraction["elements"] if element["id"] == "Task_1")
    assert task == {
        "id": "Task_1",
        "type": "task",
        "name": "Antrag prüfen",
        "lane": None,
        "pool": None,
        "documentation": "Vollständigkeit prüfen.",
    }


@pytest.mark.parametrize("name", ["A.1.0", "A.2.0", "B.2.0", "C.9.0"])
def test_reference_models_of_other_tools_parse(name):
    """ISO-8859-1 files and foreign namespace prefixes (full MIWG suite: BPMN issue)."""
    extraction = extract(parse_bpmn((MIWG / f"{name}.bpmn").read_bytes(), max_bytes=10**7))
    assert extraction["flow_node_count"] == {"A.1.0": 5, "A.2.0": 8, "B.2.0": 94, "C.9.0": 25}[name]
