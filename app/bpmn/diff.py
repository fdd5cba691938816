"""Semantic diff of two BPMN documents: what a reviewer needs to see between two revisions.

Elements are matched by id only: a changed id is a removal plus an addition. Each element is reduced
to a *semantic record* (name, type, documentation, lane, flow, condition, default flow, other BPMN
attributes) that ignores prefixes, attribute order, whitespace and explicitly written XSD defaults,
so that the same model exported by two tools compares equal. Diagram geometry (BPMN-DI) is compared
separately and reported under ``layout`` only for elements whose semantics did not change: a pure
re-layout never shows up as a semantic change.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from app.bpmn.extract import FLOW_NODE_TYPES
from app.bpmn.parse import BPMN_MODEL_NS

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"

CONNECTION_TYPES = frozenset({"sequenceFlow", "messageFlow", "association"})
DIFF_TYPES = (
    FLOW_NODE_TYPES
    | CONNECTION_TYPES
    | {
        "process",
        "participant",
        "lane",
        "dataObject",
        "dataObjectReference",
        "dataStore",
        "dataStoreReference",
        "textAnnotation",
        "group",
    }
)
FIELDS = ("name", "type", "documentation", "lane", "flow", "condition", "default", "attributes")

# Attributes reported under their own field, or not semantic at all.
_OWN_FIELD_ATTRIBUTES = frozenset({"id", "name", "default", "sourceRef", "targetRef"})
# XSD defaults: a tool that writes them explicitly means the same as one that leaves them out.
_DEFAULTS = {
    "isForCompensation": {"false"},
    "startQuantity": {"1"},
    "completionQuantity": {"1"},
    "implementation": {"##unspecified", "##WebService"},
    "isInterrupting": {"true"},
    "parallelMultiple": {"false"},
    "cancelActivity": {"true"},
    "gatewayDirection": {"Unspecified"},
    "instantiate": {"false"},
    "eventGatewayType": {"Exclusive"},
    "triggeredByEvent": {"false"},
    "isCollection": {"false"},
    "isClosed": {"false"},
    "isImmediate": {"false"},
    "processType": {"None"},
    "associationDirection": {"None"},
    "ordering": {"Parallel"},
    "cancelRemainingInstances": {"true"},
    "method": {"##WebService"},
    "isUnlimited": {"false"},
}
_EVENT_DEFINITION_REFS = ("messageRef", "signalRef", "errorRef", "escalationRef", "activityRef")
_LAYOUT_PRIORITY = ("resized", "moved", "rerouted", "label")
_MODEL_PREFIX = f"{{{BPMN_MODEL_NS}}}"
_TAG_OFFSET = len(_MODEL_PREFIX)


def _bpmn(localname: str) -> str:
    return f"{{{BPMN_MODEL_NS}}}{localname}"


def _localname(element: etree._Element) -> str | None:
    """Local name of a BPMN model element, None for anything else (DI, extensions, comments)."""
    tag = element.tag
    return tag[_TAG_OFFSET:] if isinstance(tag, str) and tag.startswith(_MODEL_PREFIX) else None


def _ref(value: str | None) -> str | None:
    """An id reference without a namespace prefix (``semantic:Task_1`` → ``Task_1``)."""
    return value.strip().rsplit(":", 1)[-1] if value else None


def _normalise(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


@dataclass
class _Document:
    """Everything the diff needs from one document, collected in one pass."""

    elements: dict[str, tuple[str, etree._Element]] = field(default_factory=dict)
    predecessors: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    successors: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    lane_of: dict[str, str] = field(default_factory=dict)
    pool_of_process: dict[str, str] = field(default_factory=dict)
    geometry: defaultdict[str, list[tuple]] = field(default_factory=lambda: defaultdict(list))

    def lane_label(self, lane_id: str | None) -> str | None:
        if lane_id is None:
            return None
        entry = self.elements.get(lane_id)
        name = _normalise(entry[1].get("name")) if entry else ""
        return name or lane_id


_MODEL_TAGS = tuple(_bpmn(kind) for kind in sorted(DIFF_TYPES | {"flowNodeRef"}))
_SHAPE_TAG = f"{{{BPMNDI_NS}}}BPMNShape"
_EDGE_TAG = f"{{{BPMNDI_NS}}}BPMNEdge"
_BOUNDS_TAG = f"{{{DC_NS}}}Bounds"
_LABEL_TAG = f"{{{BPMNDI_NS}}}BPMNLabel"
_WAYPOINT_TAG = f"{{{DI_NS}}}waypoint"


def _index(tree: etree._ElementTree) -> _Document:
    document = _Document()
    root = tree.getroot()
    for element in root.iter(*_MODEL_TAGS):
        _index_model_element(document, element, element.tag[_TAG_OFFSET:])
    for element in root.iter(_SHAPE_TAG, _EDGE_TAG):
        _index_di_element(document, element)
    return document


def _index_model_element(document: _Document, element: etree._Element, kind: str) -> None:
    element_id = element.get("id")
    if kind == "flowNodeRef":
        lane = element.getparent()
        node_id = _ref(element.text)
        if node_id and lane is not None and lane.get("id"):
            # Child lanes come after their parent's refs, so the innermost lane wins.
            document.lane_of[node_id] = lane.get("id")
        return
    if element_id and element_id not in document.elements:
        document.elements[element_id] = (kind, element)
    if kind == "sequenceFlow":
        source, target = _ref(element.get("sourceRef")), _ref(element.get("targetRef"))
        if source and target:
            document.successors[source].add(target)
            document.predecessors[target].add(source)
    elif kind == "participant" and element.get("processRef"):
        pool = _normalise(element.get("name")) or element_id or ""
        document.pool_of_process[_ref(element.get("processRef")) or ""] = pool


def _index_di_element(document: _Document, element: etree._Element) -> None:
    """Raw coordinate strings: cheap to collect, normalised only where two of them differ."""
    target = _ref(element.get("bpmnElement"))
    if not target:
        return
    label = next(element.iterchildren(_LABEL_TAG), None)
    if label is not None:
        label = _raw_bounds(next(label.iterchildren(_BOUNDS_TAG), None))
    if element.tag == _SHAPE_TAG:
        document.geometry[target].append(
            ("shape", _raw_bounds(next(element.iterchildren(_BOUNDS_TAG), None)), label)
        )
    else:
        points = tuple(
            (point.get("x"), point.get("y")) for point in element.iterchildren(_WAYPOINT_TAG)
        )
        document.geometry[target].append(("edge", points, label))


def _raw_bounds(bounds: etree._Element | None) -> tuple | None:
    if bounds is None:
        return None
    return (bounds.get("x"), bounds.get("y"), bounds.get("width"), bounds.get("height"))


def _number(value: str | None) -> float | str | None:
    """Coordinates rounded so that ``100`` and ``100.0000001`` from another tool compare equal."""
    try:
        return round(float(value), 1) if value is not None else None
    except ValueError:
        return value


def _same_geometry(old: tuple | None, new: tuple | None) -> bool:
    """Equal after rounding; works for bounds (x, y, w, h) and waypoint lists ((x, y), ...)."""
    if old == new:
        return True
    if old is None or new is None or len(old) != len(new):
        return False
    return all(
        _same_geometry(a, b) if isinstance(a, tuple) else _number(a) == _number(b)
        for a, b in zip(old, new, strict=True)
    )


# --- semantic records --------------------------------------------------------------------------


def _name(kind: str, element: etree._Element) -> str:
    if kind == "textAnnotation":
        text = element.find(_bpmn("text"))
        return _normalise("".join(text.itertext())) if text is not None else ""
    return _normalise(element.get("name"))


def _documentation(element: etree._Element) -> str:
    texts = (
        _normalise(" ".join(doc.itertext())) for doc in element.iterchildren(_bpmn("documentation"))
    )
    return " ".join(text for text in texts if text)


def _flow(document: _Document, element_id: str, kind: str, element: etree._Element) -> Any:
    if kind in CONNECTION_TYPES:
        return {"source": _ref(element.get("sourceRef")), "target": _ref(element.get("targetRef"))}
    if kind in FLOW_NODE_TYPES:
        return {
            "predecessors": sorted(document.predecessors.get(element_id, ())),
            "successors": sorted(document.successors.get(element_id, ())),
        }
    return None


def _condition(kind: str, element: etree._Element) -> str | None:
    if kind != "sequenceFlow":
        return None
    expression = element.find(_bpmn("conditionExpression"))
    return _normalise("".join(expression.itertext())) if expression is not None else None


def _attributes(element: etree._Element) -> dict[str, Any]:
    """BPMN's own attributes (no vendor extensions), event definitions and loop markers."""
    attributes: dict[str, Any] = {}
    for key, value in element.attrib.items():
        if key.startswith("{") or key in _OWN_FIELD_ATTRIBUTES:
            continue
        value = value.strip()
        if value not in _DEFAULTS.get(key, ()):
            attributes[key] = _ref(value) if key.endswith(("Ref", "calledElement")) else value
    attributes.update(_child_attributes(element))
    return attributes


def _child_attributes(element: etree._Element) -> dict[str, Any]:
    """Event definitions (e.g. ``["timer timeDuration=PT2H"]``, sorted) and the loop marker."""
    definitions, attributes = [], {}
    for child in element.iterchildren(etree.Element):
        kind = _localname(child) or ""
        if kind == "eventDefinitionRef":
            definitions.append(f"ref {_ref(child.text)}")
        elif kind.endswith("EventDefinition"):
            definitions.append(_event_definition(kind.removesuffix("EventDefinition"), child))
        elif kind == "standardLoopCharacteristics":
            attributes["loop"] = "standard"
        elif kind == "multiInstanceLoopCharacteristics":
            sequential = child.get("isSequential") == "true"
            attributes["loop"] = "multiInstance sequential" if sequential else "multiInstance"
    if definitions:
        attributes["eventDefinitions"] = sorted(definitions)
    return attributes


def _event_definition(kind: str, definition: etree._Element) -> str:
    parts = [kind]
    parts += [
        _ref(definition.get(ref)) or "" for ref in _EVENT_DEFINITION_REFS if definition.get(ref)
    ]
    for child in definition.iterchildren(etree.Element):
        name = _localname(child)
        if name in {"timeDate", "timeDuration", "timeCycle", "condition"}:
            parts.append(f"{name}={_normalise(''.join(child.itertext()))}")
    return " ".join(parts)


def _record(document: _Document, element_id: str) -> dict[str, Any]:
    kind, element = document.elements[element_id]
    return {
        "name": _name(kind, element),
        "type": kind,
        "documentation": _documentation(element),
        "lane": document.lane_of.get(element_id),
        "flow": _flow(document, element_id, kind, element),
        "condition": _condition(kind, element),
        "default": _ref(element.get("default")),
        "attributes": _attributes(element),
    }


def _pool(document: _Document, element: etree._Element) -> str | None:
    for ancestor in element.iterancestors(_bpmn("process")):
        return document.pool_of_process.get(ancestor.get("id") or "")
    return None


# --- comparison --------------------------------------------------------------------------------


def _summary_entry(document: _Document, element_id: str) -> dict[str, Any]:
    kind, element = document.elements[element_id]
    return {
        "id": element_id,
        "type": kind,
        "name": _name(kind, element),
        "lane": document.lane_label(document.lane_of.get(element_id)),
        "pool": _pool(document, element),
    }


def _obviously_same(old: _Document, new: _Document, element_id: str) -> bool:
    """Same bytes, lane and neighbours: the record could not differ, so it is not built.

    The fast path for the common case (a revision changes few elements); anything else, including
    a mere change of namespace prefix, falls through to the field-by-field comparison.
    """
    return (
        old.lane_of.get(element_id) == new.lane_of.get(element_id)
        and old.predecessors.get(element_id) == new.predecessors.get(element_id)
        and old.successors.get(element_id) == new.successors.get(element_id)
        and etree.tostring(old.elements[element_id][1], with_tail=False)
        == etree.tostring(new.elements[element_id][1], with_tail=False)
    )


def _field_change(
    name: str, old: dict[str, Any], new: dict[str, Any], documents: tuple[_Document, _Document]
) -> dict[str, Any] | None:
    before, after = old[name], new[name]
    if before == after:
        return None
    if name == "lane":
        before, after = documents[0].lane_label(before), documents[1].lane_label(after)
        if before == after:  # two different lanes with the same name: show their ids
            before, after = old[name], new[name]
    elif name == "attributes":
        keys = sorted(
            key for key in before.keys() | after.keys() if before.get(key) != after.get(key)
        )
        before = {key: before.get(key) for key in keys}
        after = {key: after.get(key) for key in keys}
    return {"field": name, "old": before, "new": after}


def _changes(
    old: dict[str, Any], new: dict[str, Any], documents: tuple[_Document, _Document]
) -> list[dict[str, Any]]:
    changes = (_field_change(name, old, new, documents) for name in FIELDS)
    return [change for change in changes if change is not None]


def _layout_kind(old: list[tuple], new: list[tuple]) -> str | None:
    """The most visible kind of DI change between two lists of shapes/edges of one element."""
    if old == new:
        return None
    kinds = {_pair_kind(before, after) for before, after in zip(old, new, strict=False)}
    if len(old) != len(new):
        kinds.add("rerouted" if (old or new)[0][0] == "edge" else "moved")
    return next((kind for kind in _LAYOUT_PRIORITY if kind in kinds), None)


def _pair_kind(old: tuple, new: tuple) -> str | None:
    kind, old_geometry, old_label = old
    if kind != new[0]:
        return "moved"
    _, new_geometry, new_label = new
    if not _same_geometry(old_geometry, new_geometry):
        if kind == "edge":
            return "rerouted"
        same_size = (
            old_geometry and new_geometry and _same_geometry(old_geometry[2:], new_geometry[2:])
        )
        return "moved" if same_size else "resized"
    return None if _same_geometry(old_label, new_label) else "label"


def _layout(old: _Document, new: _Document, skip: set[str]) -> list[dict[str, str]]:
    layout = []
    for element_id, geometry in new.geometry.items():
        if element_id in skip or element_id not in old.geometry:
            continue
        kind = _layout_kind(old.geometry[element_id], geometry)
        if kind:
            layout.append({"id": element_id, "kind": kind})
    return layout


def _changed_entry(old: _Document, new: _Document, element_id: str) -> dict[str, Any] | None:
    if _obviously_same(old, new, element_id):
        return None
    before, after = _record(old, element_id), _record(new, element_id)
    changes = _changes(before, after, (old, new))
    if not changes:
        return None
    name = after["name"] or before["name"]
    return {"id": element_id, "type": after["type"], "name": name, "changes": changes}


def diff_models(old_tree: etree._ElementTree, new_tree: etree._ElementTree) -> dict[str, Any]:
    """Added, removed, changed elements and pure layout changes from ``old_tree`` to ``new_tree``.

    Lists follow document order (``removed``: the old document's, the others: the new one's).
    """
    old, new = _index(old_tree), _index(new_tree)
    added = [_summary_entry(new, i) for i in new.elements if i not in old.elements]
    removed = [_summary_entry(old, i) for i in old.elements if i not in new.elements]
    candidates = (_changed_entry(old, new, i) for i in new.elements if i in old.elements)
    changed = [entry for entry in candidates if entry is not None]
    skip = {entry["id"] for entry in (*added, *removed, *changed)}
    layout = _layout(old, new, skip)
    counts = {"added": len(added), "removed": len(removed), "changed": len(changed)}
    counts["layout"] = len(layout)
    return {
        "added": added,
        "removed": removed,
        "changed": changed,
        "layout": layout,
        "summary": {**counts, "identical": not any(counts.values())},
    }
