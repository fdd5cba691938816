"""Lint rules: one triggering and one clean snippet per rule, seeds clean, MIWG never crashes."""

from __future__ import annotations

import dataclasses
import time
from itertools import pairwise
from pathlib import Path

import pytest
from lxml import etree

from app.bpmn.lint import RULES, Finding, is_object_verb_label, lint
from app.bpmn.parse import BPMN_MODEL_NS, parse_bpmn

ROOT = Path(__file__).resolve().parents[2]
SEEDS = sorted((ROOT / "seed" / "musterregister" / "musterprozesse").glob("*.bpmn"))
MIWG = Path(__file__).resolve().parents[3] / "shared" / "data" / "bpmn-miwg-reference"

START = '<bpmn:startEvent id="Start" name="Antrag eingegangen"/>'
END = '<bpmn:endEvent id="End" name="Antrag beschieden"/>'


def _document(body: str, *, collaboration: str = "", process_attributes: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<bpmn:definitions xmlns:bpmn="{BPMN_MODEL_NS}" id="D" targetNamespace="https://example.org">'
        f"{collaboration}"
        f'<bpmn:process id="P" name="Antrag bearbeiten" {process_attributes}>{body}</bpmn:process>'
        "</bpmn:definitions>"
    ).encode()


def _tree(body: str, **kwargs: str) -> etree._ElementTree:
    return parse_bpmn(_document(body, **kwargs), max_bytes=10**6)


def _flow(flow_id: str, source: str, target: str, *, name: str = "", condition: str = "") -> str:
    label = f' name="{name}"' if name else ""
    expression = (
        f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>" if condition else ""
    )
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"{label}>'
        f"{expression}</bpmn:sequenceFlow>"
    )


def _chain(*node_ids: str) -> str:
    return "".join(
        _flow(f"F_{source}_{target}", source, target) for source, target in pairwise(node_ids)
    )


def _linear(middle: str, *middle_ids: str) -> str:
    """Start → middle … → End, all connected."""
    return START + middle + END + _chain("Start", *middle_ids, "End")


TASK = '<bpmn:task id="T" name="Antrag prüfen"/>'
CLEAN = _linear(TASK, "T")


def _flagged(tree: etree._ElementTree, rule: str) -> list[str | None]:
    return [finding.element_id for finding in lint(tree, enabled=frozenset({rule}))]


# --- the rule set as data ------------------------------------------------------------------------


def test_every_rule_has_a_german_title_and_description():
    assert len({rule.id for rule in RULES}) == len(RULES)
    for rule in RULES:
        assert rule.severity in {"error", "warning", "info"}
        assert rule.title and rule.title[0].isupper()
        assert rule.description.endswith(".")
        words = set(f"{rule.title} {rule.description}".lower().split())
        assert not words & {"the", "must", "should", "have", "has", "every"}, rule.id
        assert words & {"ist", "sind", "hat", "haben", "jede", "jeder", "keine", "und", "oder"}


def test_required_rules_are_present():
    required = {
        "label-task",
        "label-event",
        "label-gateway",
        "start-event",
        "end-event",
        "disconnected",
        "implicit-split",
        "implicit-join",
        "duplicate-flow",
        "named-lanes",
        "task-label-verb",
    }
    assert required <= {rule.id for rule in RULES}
    assert next(rule for rule in RULES if rule.id == "task-label-verb").severity == "warning"


def test_rules_and_findings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        RULES[0].severity = "info"  # type: ignore[misc]
    finding = lint(_tree(_linear('<bpmn:task id="T"/>', "T")))[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.message = "x"  # type: ignore[misc]


def test_finding_as_dict():
    finding = lint(_tree(_linear('<bpmn:task id="T"/>', "T")))[0]
    assert finding.as_dict() == {
        "rule": "label-task",
        "severity": "error",
        "message": "Die Aktivität „T“ hat keine Bezeichnung.",
        "element_id": "T",
    }


def test_enabled_switches_rules_off():
    tree = _tree(_linear('<bpmn:task id="T"/>', "T").replace(' name="Antrag eingegangen"', ""))
    assert {finding.rule for finding in lint(tree)} == {"label-task", "label-event"}
    assert [finding.rule for finding in lint(tree, enabled=frozenset({"label-event"}))] == [
        "label-event"
    ]
    assert lint(tree, enabled=frozenset()) == []


def test_unknown_rule_ids_are_refused_in_german():
    with pytest.raises(ValueError, match="Unbekannte Lint-Regel"):
        lint(_tree(CLEAN), enabled=frozenset({"label-task", "no-such-rule"}))


def test_findings_are_sorted_by_rule_then_document_order():
    body = (
        START.replace(' name="Antrag eingegangen"', "")
        + '<bpmn:task id="T2"/><bpmn:task id="T1"/>'
        + END
        + _chain("Start", "T2", "T1", "End")
    )
    findings = lint(_tree(body))
    assert [(finding.rule, finding.element_id) for finding in findings] == [
        ("label-task", "T2"),
        ("label-task", "T1"),
        ("label-event", "Start"),
    ]
    assert lint(_tree(body)) == findings


# --- one rule each -------------------------------------------------------------------------------


def test_clean_model_has_no_findings():
    assert lint(_tree(CLEAN)) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (_linear('<bpmn:task id="T"/>', "T"), ["T"]),
        (_linear('<bpmn:userTask id="T" name="  "/>', "T"), ["T"]),
        (_linear('<bpmn:callActivity id="T"/>', "T"), ["T"]),
        (CLEAN, []),
    ],
)
def test_label_task(body, expected):
    assert _flagged(_tree(body), "label-task") == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (CLEAN.replace(' name="Antrag beschieden"', ""), ["End"]),
        (
            _linear('<bpmn:intermediateCatchEvent id="E"/>', "E"),
            ["E"],
        ),
        (CLEAN, []),
    ],
)
def test_label_event(body, expected):
    assert _flagged(_tree(body), "label-event") == expected


def _decision(gateway: str, *, first: str = "ja", second: str = "nein") -> str:
    """Start → gateway G → (A | B) → join J → End."""
    return (
        START
        + gateway
        + '<bpmn:task id="A" name="Antrag genehmigen"/><bpmn:task id="B" name="Antrag ablehnen"/>'
        + '<bpmn:exclusiveGateway id="J"/>'
        + END
        + _chain("Start", "G")
        + _flow("FA", "G", "A", name=first)
        + _flow("FB", "G", "B", name=second)
        + _chain("A", "J", "End")
        + _flow("FBJ", "B", "J")
    )


@pytest.mark.parametrize(
    ("gateway", "expected"),
    [
        ('<bpmn:exclusiveGateway id="G"/>', ["G"]),
        ('<bpmn:inclusiveGateway id="G"/>', ["G"]),
        ('<bpmn:exclusiveGateway id="G" name="Antrag vollständig?"/>', []),
        ('<bpmn:parallelGateway id="G"/>', []),
        ('<bpmn:eventBasedGateway id="G"/>', []),
    ],
)
def test_label_gateway_only_for_deciding_splits(gateway, expected):
    # The unnamed join J is never flagged.
    assert _flagged(_tree(_decision(gateway)), "label-gateway") == expected


def test_start_and_end_event_per_process():
    tree = _tree('<bpmn:task id="T" name="Antrag prüfen"/>')
    assert _flagged(tree, "start-event") == ["P"]
    assert _flagged(tree, "end-event") == ["P"]
    finding = lint(tree, enabled=frozenset({"start-event"}))[0]
    assert finding.message == "Der Prozess „Antrag bearbeiten“ hat kein Startereignis."


def test_start_and_end_event_named_after_the_pool():
    collaboration = (
        '<bpmn:collaboration id="C"><bpmn:participant id="Pool" name="Bürgerbüro" processRef="P"/>'
        '<bpmn:participant id="Extern" name="Antragsteller"/></bpmn:collaboration>'
    )
    tree = _tree(TASK, collaboration=collaboration)
    assert lint(tree, enabled=frozenset({"end-event"}))[0].message == (
        "Der Prozess „Bürgerbüro“ hat kein Endereignis."
    )


@pytest.mark.parametrize(
    "body",
    [CLEAN, "", '<bpmn:laneSet id="LS"/><bpmn:dataObject id="DO"/>'],
    ids=["complete", "empty", "no-flow-nodes"],
)
def test_start_and_end_event_not_needed(body):
    assert _flagged(_tree(body), "start-event") == []
    assert _flagged(_tree(body), "end-event") == []


def test_collapsed_pool_without_process_is_fine():
    data = (
        f'<bpmn:definitions xmlns:bpmn="{BPMN_MODEL_NS}" id="D" targetNamespace="x">'
        '<bpmn:collaboration id="C"><bpmn:participant id="Extern" name="Bürger"/>'
        "</bpmn:collaboration></bpmn:definitions>"
    ).encode()
    assert lint(parse_bpmn(data, max_bytes=10**6)) == []


def test_sub_process_needs_start_and_end_event():
    sub = (
        '<bpmn:subProcess id="S" name="Antrag bearbeiten">'
        '<bpmn:task id="ST" name="Antrag prüfen"/></bpmn:subProcess>'
    )
    tree = _tree(_linear(sub, "S"))
    assert _flagged(tree, "start-event") == ["S"]
    assert _flagged(tree, "end-event") == ["S"]
    assert lint(tree, enabled=frozenset({"start-event"}))[0].message.startswith("Der Teilprozess")


def test_disconnected():
    body = CLEAN + '<bpmn:task id="Lonely" name="Akte ablegen"/>'
    assert _flagged(_tree(body), "disconnected") == ["Lonely"]
    assert _flagged(_tree(CLEAN), "disconnected") == []


def test_disconnected_exceptions():
    body = (
        CLEAN
        + '<bpmn:boundaryEvent id="Timer" name="Frist abgelaufen" attachedToRef="T">'
        + "<bpmn:timerEventDefinition/></bpmn:boundaryEvent>"
        + '<bpmn:subProcess id="ESP" name="Storno bearbeiten" triggeredByEvent="true">'
        + '<bpmn:startEvent id="ESPStart" name="Storno eingegangen"><bpmn:messageEventDefinition/>'
        + '</bpmn:startEvent><bpmn:endEvent id="ESPEnd" name="Storno erledigt"/>'
        + _chain("ESPStart", "ESPEnd")
        + "</bpmn:subProcess>"
        + '<bpmn:task id="Undo" name="Buchung stornieren" isForCompensation="true"/>'
        + '<bpmn:adHocSubProcess id="AH" name="Unterlagen sichten">'
        + '<bpmn:task id="AH1" name="Akte lesen"/></bpmn:adHocSubProcess>'
    )
    # AH itself is a normal activity and is not connected.
    assert _flagged(_tree(body), "disconnected") == ["AH"]


@pytest.mark.parametrize(
    ("flows", "expected"),
    [
        (_flow("F1", "T", "A") + _flow("F2", "T", "B"), ["T"]),
        (_flow("F1", "T", "A", condition="x") + _flow("F2", "T", "B"), ["T"]),
        (_flow("F1", "T", "A", condition="x") + _flow("F2", "T", "B", condition="y"), []),
        (_flow("F1", "T", "A", condition="x") + _flow("Fd", "T", "B"), []),
        (_flow("F1", "T", "A"), []),
    ],
    ids=["two-plain", "conditional-and-plain", "conditional", "conditional-and-default", "one"],
)
def test_implicit_split(flows, expected):
    body = (
        START
        + '<bpmn:task id="T" name="Antrag prüfen" default="Fd"/>'
        + '<bpmn:task id="A" name="Antrag genehmigen"/><bpmn:task id="B" name="Antrag ablehnen"/>'
        + END
        + _chain("Start", "T")
        + flows
    )
    assert _flagged(_tree(body), "implicit-split") == expected


def test_gateway_split_is_not_implicit():
    assert _flagged(_tree(_decision('<bpmn:parallelGateway id="G"/>')), "implicit-split") == []


def test_implicit_join():
    body = (
        START
        + '<bpmn:task id="A" name="Antrag prüfen"/><bpmn:task id="B" name="Antrag ablehnen"/>'
        + END
        + _chain("Start", "A", "B", "End")
        + _flow("Back", "A", "B")
    )
    assert _flagged(_tree(body), "implicit-join") == ["B"]
    # A join gateway is the explicit form.
    assert (
        _flagged(_tree(_decision('<bpmn:exclusiveGateway id="G" name="Ok?"/>')), "implicit-join")
        == []
    )


def test_duplicate_flow():
    body = CLEAN + _flow("Again", "Start", "T")
    assert _flagged(_tree(body), "duplicate-flow") == ["Again"]
    assert _flagged(_tree(CLEAN), "duplicate-flow") == []


@pytest.mark.parametrize(("name", "expected"), [("", ["L"]), (' name="Bürgerbüro"', [])])
def test_named_lanes(name, expected):
    lanes = f'<bpmn:laneSet id="LS"><bpmn:lane id="L"{name}><bpmn:flowNodeRef>T</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>'
    assert _flagged(_tree(lanes + CLEAN), "named-lanes") == expected


@pytest.mark.parametrize(
    "name",
    [
        "Antrag prüfen",
        "Gebühr erheben",
        "Meldedaten erfassen",
        "Akte ändern",
        "Unterlagen sammeln",
        "Forderung sollstellen",
        "Erklärung entgegennehmen",
        "Nichts tun",
        "Erreichbar sein",
        "Antrag prüfen (Vier-Augen-Prinzip)",
        "Antrag\nprüfen",
    ],
)
def test_object_verb_labels(name):
    assert is_object_verb_label(name)


@pytest.mark.parametrize(
    "name",
    [
        "Prüfen",
        "Prüfung des Antrags",
        "Antrag geprüft",
        "Antrag Prüfen",
        "Task 1",
        "Antragsprüfung",
    ],
)
def test_labels_that_are_not_object_verb(name):
    assert not is_object_verb_label(name)


def test_task_label_verb():
    tree = _tree(_linear('<bpmn:userTask id="T" name="Prüfung des Antrags"/>', "T"))
    findings = lint(tree, enabled=frozenset({"task-label-verb"}))
    assert [(finding.element_id, finding.severity) for finding in findings] == [("T", "warning")]
    assert "„Prüfung des Antrags“" in findings[0].message
    assert _flagged(_tree(CLEAN), "task-label-verb") == []


def test_gateway_mixed():
    body = (
        START
        + '<bpmn:task id="A" name="Antrag prüfen"/><bpmn:exclusiveGateway id="G" name="Ok?"/>'
        + '<bpmn:task id="B" name="Antrag ablehnen"/>'
        + END
        + _chain("Start", "A", "G", "End")
        + _flow("GB", "G", "B", name="nein")
        + _flow("BG", "B", "G")
    )
    assert _flagged(_tree(body), "gateway-mixed") == ["G"]
    assert (
        _flagged(_tree(_decision('<bpmn:exclusiveGateway id="G" name="Ok?"/>')), "gateway-mixed")
        == []
    )


def test_conditional_flow_label():
    gateway = '<bpmn:exclusiveGateway id="G" name="Antrag vollständig?"/>'
    assert _flagged(_tree(_decision(gateway, second="")), "conditional-flow-label") == ["FB"]
    assert _flagged(_tree(_decision(gateway)), "conditional-flow-label") == []
    parallel = '<bpmn:parallelGateway id="G"/>'
    assert _flagged(_tree(_decision(parallel, first="", second="")), "conditional-flow-label") == []


def test_gateway_question():
    statement = '<bpmn:exclusiveGateway id="G" name="Antrag vollständig"/>'
    findings = lint(_tree(_decision(statement)), enabled=frozenset({"gateway-question"}))
    assert [(finding.element_id, finding.severity) for finding in findings] == [("G", "info")]
    question = '<bpmn:exclusiveGateway id="G" name="Antrag vollständig?"/>'
    assert _flagged(_tree(_decision(question)), "gateway-question") == []


def test_default_namespace_and_other_prefixes():
    data = _document(_linear('<bpmn:task id="T"/>', "T")).decode()
    default = data.replace("bpmn:", "").replace("xmlns:bpmn=", "xmlns=").encode()
    semantic = data.replace("bpmn:", "semantic:").replace("xmlns:bpmn=", "xmlns:semantic=")
    for variant in (default, semantic.encode()):
        assert [finding.element_id for finding in lint(parse_bpmn(variant, max_bytes=10**6))] == [
            "T"
        ]


# --- real models ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SEEDS, ids=lambda path: path.stem)
def test_seed_models_have_no_findings(path):
    assert [
        finding.as_dict() for finding in lint(parse_bpmn(path.read_bytes(), max_bytes=10**7))
    ] == []


def test_there_are_twelve_seed_models():
    assert len(SEEDS) == 12


@pytest.mark.parametrize("path", sorted(MIWG.glob("*.bpmn")), ids=lambda path: path.stem)
def test_miwg_models_never_crash(path):
    findings = lint(parse_bpmn(path.read_bytes(), max_bytes=10**7))
    rule_ids = [rule.id for rule in RULES]
    assert all(isinstance(finding, Finding) and finding.rule in rule_ids for finding in findings)
    assert [rule_ids.index(finding.rule) for finding in findings] == sorted(
        rule_ids.index(finding.rule) for finding in findings
    )


def test_lint_is_fast():
    tree = parse_bpmn((MIWG / "B.2.0.bpmn").read_bytes(), max_bytes=10**7)
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        lint(tree)
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.02
