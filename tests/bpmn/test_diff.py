"""Semantic diff: variants of a seed model edited with lxml, prefixes, MIWG pairs, speed."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

import pytest
from lxml import etree

from app.bpmn.diff import BPMNDI_NS, DC_NS, DI_NS, diff_models
from app.bpmn.parse import BPMN_MODEL_NS, parse_bpmn

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seed" / "musterregister" / "musterprozesse" / "wohnsitz-anmelden.bpmn"
MIWG = Path(__file__).resolve().parents[3] / "shared" / "data" / "bpmn-miwg-reference"
NS = {"bpmn": BPMN_MODEL_NS, "bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS}


def _parse(data: bytes) -> etree._ElementTree:
    return parse_bpmn(data, max_bytes=10**7)


@pytest.fixture(scope="module")
def seed_bytes() -> bytes:
    return SEED.read_bytes()


@pytest.fixture
def old(seed_bytes: bytes) -> etree._ElementTree:
    return _parse(seed_bytes)


@pytest.fixture
def new(seed_bytes: bytes) -> etree._ElementTree:
    return _parse(seed_bytes)


def _element(tree: etree._ElementTree, element_id: str) -> etree._Element:
    return tree.getroot().xpath("//*[@id=$id]", id=element_id)[0]


def _di(tree: etree._ElementTree, element_id: str) -> etree._Element:
    return tree.getroot().xpath("//*[@bpmnElement=$id]", id=element_id)[0]


def _bpmn(tag: str, **attributes: str) -> etree._Element:
    return etree.Element(f"{{{BPMN_MODEL_NS}}}{tag}", attributes)


def _changes(diff: dict, element_id: str) -> dict[str, dict]:
    entry = next(entry for entry in diff["changed"] if entry["id"] == element_id)
    return {change["field"]: change for change in entry["changes"]}


def _ids(entries: list[dict]) -> set[str]:
    return {entry["id"] for entry in entries}


def _only_semantic(diff: dict, **counts: int) -> None:
    expected = {"added": 0, "removed": 0, "changed": 0, "layout": 0, **counts}
    assert {key: diff["summary"][key] for key in expected} == expected
    assert diff["summary"]["identical"] is False


def test_identical_files_are_identical(old, new):
    diff = diff_models(old, new)
    assert diff == {
        "added": [],
        "removed": [],
        "changed": [],
        "layout": [],
        "summary": {"added": 0, "removed": 0, "changed": 0, "layout": 0, "identical": True},
    }


def test_renamed_task_is_one_name_change(old, new):
    _element(new, "Task_IdentitaetPruefen").set("name", "  Identität feststellen ")
    diff = diff_models(old, new)
    _only_semantic(diff, changed=1)
    assert diff["changed"] == [
        {
            "id": "Task_IdentitaetPruefen",
            "type": "userTask",
            "name": "Identität feststellen",
            "changes": [
                {"field": "name", "old": "Identität prüfen", "new": "Identität feststellen"}
            ],
        }
    ]


def test_names_are_compared_after_stripping(old, new):
    _element(new, "Task_IdentitaetPruefen").set("name", "  Identität prüfen\n")
    assert diff_models(old, new)["summary"]["identical"] is True


def test_changed_task_type(old, new):
    _element(new, "Task_IdentitaetPruefen").tag = f"{{{BPMN_MODEL_NS}}}manualTask"
    diff = diff_models(old, new)
    _only_semantic(diff, changed=1)
    assert _changes(diff, "Task_IdentitaetPruefen")["type"] == {
        "field": "type",
        "old": "userTask",
        "new": "manualTask",
    }


def _insert_task_after_meldedaten(tree: etree._ElementTree) -> None:
    """Meldedaten erfassen → (new) Gebühr erheben → Gateway_Par, with lane and shape."""
    process = _element(tree, "Process_wohnsitz_anmelden")
    _element(tree, "Flow_9").set("targetRef", "Task_GebuehrErheben")
    process.append(_bpmn("userTask", id="Task_GebuehrErheben", name="Gebühr erheben"))
    process.append(
        _bpmn(
            "sequenceFlow", id="Flow_9b", sourceRef="Task_GebuehrErheben", targetRef="Gateway_Par"
        )
    )
    ref = etree.SubElement(
        _element(tree, "Lane_1_BuergerbueroFrontOffice"), f"{{{NS['bpmn']}}}flowNodeRef"
    )
    ref.text = "Task_GebuehrErheben"
    shape = etree.SubElement(
        _di(tree, "Task_MeldedatenErfassen").getparent(),
        f"{{{BPMNDI_NS}}}BPMNShape",
        id="Task_GebuehrErheben_di",
        bpmnElement="Task_GebuehrErheben",
    )
    etree.SubElement(shape, f"{{{DC_NS}}}Bounds", x="1600", y="320", width="130", height="80")


def test_added_task_with_rerouted_flows(old, new):
    _insert_task_after_meldedaten(new)
    diff = diff_models(old, new)
    assert diff["added"] == [
        {
            "id": "Task_GebuehrErheben",
            "type": "userTask",
            "name": "Gebühr erheben",
            "lane": "Bürgerbüro – Front Office",
            "pool": "Stadtverwaltung – Bürgerbüro",
        },
        {
            "id": "Flow_9b",
            "type": "sequenceFlow",
            "name": "",
            "lane": None,
            "pool": "Stadtverwaltung – Bürgerbüro",
        },
    ]
    assert diff["removed"] == []
    assert _ids(diff["changed"]) == {"Flow_9", "Task_MeldedatenErfassen", "Gateway_Par"}
    assert _changes(diff, "Flow_9")["flow"]["new"] == {
        "source": "Task_MeldedatenErfassen",
        "target": "Task_GebuehrErheben",
    }
    assert _changes(diff, "Gateway_Par")["flow"] == {
        "field": "flow",
        "old": {
            "predecessors": ["Task_MeldedatenErfassen"],
            "successors": [
                "Task_FolgemitteilungenVersenden",
                "Task_MeldebestaetigungAushaendigen",
                "Task_RueckmeldungUebermitteln",
            ],
        },
        "new": {
            "predecessors": ["Task_GebuehrErheben"],
            "successors": [
                "Task_FolgemitteilungenVersenden",
                "Task_MeldebestaetigungAushaendigen",
                "Task_RueckmeldungUebermitteln",
            ],
        },
    }


def _remove(tree: etree._ElementTree, *element_ids: str) -> None:
    root = tree.getroot()
    for element_id in element_ids:
        for element in root.xpath("//*[@id=$id or @bpmnElement=$id or text()=$id]", id=element_id):
            element.getparent().remove(element)


def test_removed_task_and_its_flows(old, new):
    _remove(new, "Task_FolgemitteilungenVersenden", "Flow_12", "Flow_15")
    diff = diff_models(old, new)
    assert [entry["id"] for entry in diff["removed"]] == [
        "Task_FolgemitteilungenVersenden",
        "Flow_12",
        "Flow_15",
    ]
    assert diff["removed"][0]["lane"] == "Meldebehörde – Back Office"
    assert diff["added"] == []
    assert _ids(diff["changed"]) == {"Gateway_Par", "Gateway_Parjoin"}
    assert diff["layout"] == []


def test_renamed_id_is_removal_plus_addition(old, new):
    _element(new, "Lane_2_MeldebehoerdeBackOffice").set("id", "Lane_BackOffice")
    diff = diff_models(old, new)
    assert _ids(diff["removed"]) == {"Lane_2_MeldebehoerdeBackOffice"}
    assert _ids(diff["added"]) == {"Lane_BackOffice"}


def test_documentation_is_whitespace_normalised(old, new):
    documentation = _element(new, "Task_IdentitaetPruefen_Doku")
    documentation.text = "\n   " + documentation.text.replace(" ", "\n\t  ") + "  \n"
    assert diff_models(old, new)["summary"]["identical"] is True


def test_changed_documentation(old, new):
    _element(new, "Task_IdentitaetPruefen_Doku").text = "Abgleich mit dem Melderegister."
    added = _bpmn("documentation")
    added.text = "Neu dokumentiert."
    _element(new, "Gateway_Join").insert(0, added)
    diff = diff_models(old, new)
    _only_semantic(diff, changed=2)
    assert _changes(diff, "Task_IdentitaetPruefen")["documentation"]["new"] == (
        "Abgleich mit dem Melderegister."
    )
    assert _changes(diff, "Gateway_Join")["documentation"] == {
        "field": "documentation",
        "old": "",
        "new": "Neu dokumentiert.",
    }


def test_changed_condition(old, new):
    new.getroot().xpath("//bpmn:conditionExpression[@id='Flow_4_Bedingung']", namespaces=NS)[
        0
    ].text = "vollstaendig == true"
    diff = diff_models(old, new)
    _only_semantic(diff, changed=1)
    assert _changes(diff, "Flow_4")["condition"] == {
        "field": "condition",
        "old": "Unterlagen vollständig? – ja",
        "new": "vollstaendig == true",
    }


def test_default_flow_and_lane_changes(old, new):
    _element(new, "Gateway_UnterlagenVollstaendig").set("default", "Flow_5")
    ref = new.getroot().xpath(
        "//bpmn:flowNodeRef[text()='Task_RueckmeldungUebermitteln']", namespaces=NS
    )[0]
    _element(new, "Lane_1_BuergerbueroFrontOffice").append(ref)
    diff = diff_models(old, new)
    assert _changes(diff, "Gateway_UnterlagenVollstaendig")["default"] == {
        "field": "default",
        "old": None,
        "new": "Flow_5",
    }
    assert _changes(diff, "Task_RueckmeldungUebermitteln")["lane"] == {
        "field": "lane",
        "old": "Meldebehörde – Back Office",
        "new": "Bürgerbüro – Front Office",
    }


def test_event_definition_and_attribute_changes(old, new):
    event = _element(new, "Event_BestaetigungNachgereicht")
    event.remove(_element(new, "Event_BestaetigungNachgereicht_Def"))
    timer = etree.SubElement(event, f"{{{BPMN_MODEL_NS}}}timerEventDefinition", id="Timer")
    etree.SubElement(timer, f"{{{BPMN_MODEL_NS}}}timeDuration").text = " P14D "
    _element(new, "StartEvent_AnmeldungVorgelegt").set("isInterrupting", "false")
    diff = diff_models(old, new)
    assert _changes(diff, "Event_BestaetigungNachgereicht")["attributes"] == {
        "field": "attributes",
        "old": {"eventDefinitions": ["message Message_Wohnungsgeberbestaetigung"]},
        "new": {"eventDefinitions": ["timer timeDuration=P14D"]},
    }
    assert _changes(diff, "StartEvent_AnmeldungVorgelegt")["attributes"]["new"] == {
        "isInterrupting": "false"
    }


def test_explicit_defaults_and_vendor_attributes_are_not_changes(old, new):
    task = _element(new, "Task_IdentitaetPruefen")
    task.set("completionQuantity", "1")
    task.set("isForCompensation", "false")
    task.set("{http://camunda.org/schema/1.0/bpmn}assignee", "sachbearbeitung")
    assert diff_models(old, new)["summary"]["identical"] is True


def test_moved_shape_is_layout_only(old, new):
    bounds = _di(new, "Task_IdentitaetPruefen").find("dc:Bounds", NS)
    bounds.set("x", "440")
    bounds.set("y", "210.0")
    diff = diff_models(old, new)
    _only_semantic(diff, layout=1)
    assert diff["layout"] == [{"id": "Task_IdentitaetPruefen", "kind": "moved"}]


def test_resized_shape_and_moved_label(old, new):
    _di(new, "Task_UnterlagenPruefen").find("dc:Bounds", NS).set("width", "150")
    _di(new, "Gateway_UnterlagenVollstaendig").find("bpmndi:BPMNLabel/dc:Bounds", NS).set(
        "y", "150"
    )
    diff = diff_models(old, new)
    _only_semantic(diff, layout=2)
    assert diff["layout"] == [
        {"id": "Task_UnterlagenPruefen", "kind": "resized"},
        {"id": "Gateway_UnterlagenVollstaendig", "kind": "label"},
    ]


def test_rerouted_edge_is_layout_only(old, new):
    edge = _di(new, "Flow_5")
    edge.insert(2, etree.Element(f"{{{DI_NS}}}waypoint", x="900", y="300"))
    diff = diff_models(old, new)
    _only_semantic(diff, layout=1)
    assert diff["layout"] == [{"id": "Flow_5", "kind": "rerouted"}]


def test_coordinates_are_compared_as_numbers(old, new):
    _di(new, "Task_IdentitaetPruefen").find("dc:Bounds", NS).set("x", "425.00")
    assert diff_models(old, new)["summary"]["identical"] is True


def test_semantic_change_is_not_also_reported_as_layout(old, new):
    _element(new, "Task_IdentitaetPruefen").set("name", "Identität feststellen")
    _di(new, "Task_IdentitaetPruefen").find("dc:Bounds", NS).set("x", "440")
    diff = diff_models(old, new)
    _only_semantic(diff, changed=1)


def _with_prefix(data: bytes, prefix: str) -> bytes:
    """The same document with ``bpmn:`` replaced by another prefix ('' = default namespace)."""
    text = data.decode("utf-8")
    if prefix:
        return (
            text.replace("bpmn:", f"{prefix}:").replace("xmlns:bpmn=", f"xmlns:{prefix}=").encode()
        )
    return text.replace("bpmn:", "").replace("xmlns:bpmn=", "xmlns=").encode()


@pytest.mark.parametrize("prefix", ["semantic", "bpmn2", ""])
def test_namespace_prefixes_do_not_matter(seed_bytes, old, prefix):
    other = _parse(_with_prefix(seed_bytes, prefix))
    assert etree.QName(other.getroot()).localname == "definitions"
    assert diff_models(old, other)["summary"]["identical"] is True
    _element(other, "Task_IdentitaetPruefen").set("name", "Identität feststellen")
    assert _ids(diff_models(old, other)["changed"]) == {"Task_IdentitaetPruefen"}


def test_result_is_json_serialisable(old, new):
    _insert_task_after_meldedaten(new)
    _remove(new, "Task_FolgemitteilungenVersenden", "Flow_12", "Flow_15")
    diff = diff_models(old, new)
    assert json.loads(json.dumps(diff)) == diff


def _miwg(name: str) -> etree._ElementTree:
    return _parse((MIWG / f"{name}.bpmn").read_bytes())


@pytest.mark.parametrize(("before", "after"), [("A.4.0", "A.4.1"), ("C.8.0", "C.8.1")])
def test_miwg_pairs_give_a_plausible_diff(before, after):
    diff = diff_models(_miwg(before), _miwg(after))
    summary = diff["summary"]
    assert summary["identical"] is False
    for key in ("added", "removed", "changed", "layout"):
        assert summary[key] == len(diff[key])
    assert summary["added"] + summary["removed"] + summary["changed"] > 0
    assert json.loads(json.dumps(diff)) == diff


def test_miwg_c8_revision_shows_renamed_process_and_layout():
    diff = diff_models(_miwg("C.8.0"), _miwg("C.8.1"))
    assert _changes(diff, "VacationRequestProcess")["name"]["new"] == "Vacation Request"
    assert diff["layout"]


@pytest.mark.parametrize("path", sorted(MIWG.glob("*.bpmn")), ids=lambda path: path.stem)
def test_every_miwg_model_is_identical_to_itself(path):
    assert diff_models(_parse(path.read_bytes()), _parse(path.read_bytes()))["summary"]["identical"]


def test_diff_of_large_models_is_fast():
    old_tree = _miwg("B.2.0")
    new_tree = copy.deepcopy(old_tree)
    task = new_tree.getroot().xpath("//*[local-name()='task'][@name]")[0]
    task.set("name", task.get("name") + " (neu)")
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        diff = diff_models(old_tree, new_tree)
        timings.append(time.perf_counter() - start)
    assert diff["summary"]["changed"] == 1
    assert min(timings) < 0.05


def _small(body: str) -> etree._ElementTree:
    return _parse(
        f'<definitions xmlns="{BPMN_MODEL_NS}" id="D" targetNamespace="x">'
        f'<process id="P">{body}</process></definitions>'.encode()
    )


@pytest.mark.parametrize(
    ("before", "after", "field", "new"),
    [
        (
            '<textAnnotation id="A"><text>Frist 2 Wochen</text></textAnnotation>',
            '<textAnnotation id="A"><text>Frist 4 Wochen</text></textAnnotation>',
            "name",
            "Frist 4 Wochen",
        ),
        (
            '<task id="A" name="Akte prüfen"/>',
            '<task id="A" name="Akte prüfen"><standardLoopCharacteristics/></task>',
            "attributes",
            {"loop": "standard"},
        ),
        (
            '<task id="A" name="Akte prüfen"><multiInstanceLoopCharacteristics/></task>',
            '<task id="A" name="Akte prüfen">'
            '<multiInstanceLoopCharacteristics isSequential="true"/></task>',
            "attributes",
            {"loop": "multiInstance sequential"},
        ),
        (
            '<callActivity id="A" name="Gebühr erheben" calledElement="x:Gebuehr"/>',
            '<callActivity id="A" name="Gebühr erheben" calledElement="x:GebuehrNeu"/>',
            "attributes",
            {"calledElement": "GebuehrNeu"},
        ),
        (
            '<boundaryEvent id="A" attachedToRef="T"><eventDefinitionRef>x:Sig</eventDefinitionRef>'
            "</boundaryEvent>",
            '<boundaryEvent id="A" attachedToRef="T" cancelActivity="false">'
            "<eventDefinitionRef>x:Sig</eventDefinitionRef></boundaryEvent>",
            "attributes",
            {"cancelActivity": "false"},
        ),
    ],
    ids=["annotation-text", "loop", "multi-instance", "called-element", "non-interrupting"],
)
def test_other_semantic_changes(before, after, field, new):
    diff = diff_models(_small(before), _small(after))
    assert _changes(diff, "A")[field]["new"] == new


def test_nested_lanes_report_the_innermost_lane():
    lanes = (
        '<laneSet id="LS"><lane id="Outer" name="Amt"><flowNodeRef>T</flowNodeRef>'
        '<childLaneSet id="CLS"><lane id="Inner"{name}><flowNodeRef>T</flowNodeRef></lane>'
        '</childLaneSet></lane></laneSet><task id="T" name="Akte prüfen"/>'
    )
    old = _small(lanes.format(name=' name="Sachgebiet"'))
    new = _small(lanes.format(name=""))
    assert diff_models(old, new)["changed"] == [
        {
            "id": "Inner",
            "type": "lane",
            "name": "Sachgebiet",
            "changes": [{"field": "name", "old": "Sachgebiet", "new": ""}],
        }
    ]
    moved = _small(lanes.format(name="").replace("<flowNodeRef>T</flowNodeRef></lane>", "</lane>"))
    assert _changes(diff_models(new, moved), "T")["lane"] == {
        "field": "lane",
        "old": "Inner",
        "new": "Amt",
    }


def test_same_lane_name_different_lane_shows_ids():
    body = (
        '<laneSet id="LS"><lane id="L1" name="Amt">{one}</lane><lane id="L2" name="Amt">{two}'
        '</lane></laneSet><task id="T" name="Akte prüfen"/>'
    )
    ref = "<flowNodeRef>T</flowNodeRef>"
    diff = diff_models(_small(body.format(one=ref, two="")), _small(body.format(one="", two=ref)))
    assert _changes(diff, "T")["lane"] == {"field": "lane", "old": "L1", "new": "L2"}
