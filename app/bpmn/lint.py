"""Modelling conventions for register models, as data plus one check function per rule.

``RULES`` is what an instance shows and switches: id, severity, German title and description. Each
rule id maps to a check in ``_CHECKS`` that yields ``(element_id, message)`` pairs; :func:`lint`
turns them into :class:`Finding` objects in a stable order (rule order, then document order), so
that two runs over the same bytes give the same list and a review page can show a clean diff.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import NamedTuple

from lxml import etree

from app.bpmn.extract import FLOW_NODE_TYPES
from app.bpmn.lint_rules import RULES, RULES_BY_ID
from app.bpmn.parse import BPMN_MODEL_NS


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    message: str
    element_id: str | None

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)


EVENT_TYPES = frozenset(
    {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
)
GATEWAY_TYPES = frozenset(kind for kind in FLOW_NODE_TYPES if kind.endswith("Gateway"))
ACTIVITY_TYPES = FLOW_NODE_TYPES - EVENT_TYPES - GATEWAY_TYPES - {"implicitThrowEvent"}
TASK_TYPES = frozenset(kind for kind in ACTIVITY_TYPES if kind == "task" or kind.endswith("Task"))
CONTAINER_TYPES = frozenset({"process", "subProcess", "transaction", "adHocSubProcess"})
DECISION_TYPES = frozenset({"exclusiveGateway", "inclusiveGateway"})
LABELLED_SPLIT_TYPES = DECISION_TYPES | {"complexGateway"}

_PREFIX = f"{{{BPMN_MODEL_NS}}}"
_TAGS = tuple(
    _PREFIX + kind
    for kind in sorted(FLOW_NODE_TYPES | CONTAINER_TYPES | {"sequenceFlow", "lane", "participant"})
)
_INFINITIVE = re.compile(r"(?:en|ern|eln)$")
_IRREGULAR_INFINITIVES = frozenset({"tun", "sein"})
_TRAILING_REMARK = re.compile(r"\s*\([^)]*\)\s*$")


class _Flow(NamedTuple):
    id: str
    source: str
    target: str
    name: str
    conditional: bool


class _Node(NamedTuple):
    id: str
    kind: str
    name: str
    element: etree._Element
    parent_kind: str


@dataclass
class _Model:
    """One pass over the document: flow nodes, sequence flows, containers, lanes, positions."""

    position: dict[str, int] = field(default_factory=dict)
    nodes: dict[str, _Node] = field(default_factory=dict)
    flows: list[_Flow] = field(default_factory=list)
    incoming: defaultdict[str, list[_Flow]] = field(default_factory=lambda: defaultdict(list))
    outgoing: defaultdict[str, list[_Flow]] = field(default_factory=lambda: defaultdict(list))
    containers: list[_Node] = field(default_factory=list)
    children: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    lanes: list[_Node] = field(default_factory=list)
    pools: dict[str, str] = field(default_factory=dict)

    def label(self, element_id: str) -> str:
        """„Name“ of the element, or „id“ where it has no name."""
        node = self.nodes.get(element_id)
        return f"„{node.name if node and node.name else element_id}“"

    def is_default(self, flow: _Flow) -> bool:
        source = self.nodes.get(flow.source)
        return source is not None and _ref(source.element.get("default")) == flow.id


def _ref(value: str | None) -> str | None:
    return value.strip().rsplit(":", 1)[-1] if value else None


def _normalise(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _build(tree: etree._ElementTree) -> _Model:
    model = _Model()
    for position, element in enumerate(tree.getroot().iter(*_TAGS)):
        element_id = element.get("id")
        if element_id:
            model.position.setdefault(element_id, position)
            _add(model, element, element.tag[len(_PREFIX) :], element_id)
    return model


def _add(model: _Model, element: etree._Element, kind: str, element_id: str) -> None:
    parent = element.getparent()
    parent_kind = parent.tag[len(_PREFIX) :] if parent is not None else ""
    node = _Node(element_id, kind, _normalise(element.get("name")), element, parent_kind)
    if kind == "sequenceFlow":
        _add_flow(model, node)
    elif kind == "lane":
        model.lanes.append(node)
    elif kind == "participant":
        if element.get("processRef"):
            model.pools[_ref(element.get("processRef")) or ""] = node.name
        return
    if kind in CONTAINER_TYPES:
        model.containers.append(node)
    if kind in FLOW_NODE_TYPES:
        model.nodes.setdefault(element_id, node)
        if parent is not None:
            model.children[parent.get("id") or ""].add(kind)


def _add_flow(model: _Model, node: _Node) -> None:
    source, target = _ref(node.element.get("sourceRef")), _ref(node.element.get("targetRef"))
    conditional = node.element.find(_PREFIX + "conditionExpression") is not None
    flow = _Flow(node.id, source or "", target or "", node.name, conditional)
    model.flows.append(flow)
    model.outgoing[flow.source].append(flow)
    model.incoming[flow.target].append(flow)


def _nodes(model: _Model, kinds: frozenset[str]) -> Iterator[_Node]:
    return (node for node in model.nodes.values() if node.kind in kinds)


def _is_event_subprocess(node: _Node) -> bool:
    return node.kind == "subProcess" and node.element.get("triggeredByEvent") == "true"


def _is_split(model: _Model, node: _Node) -> bool:
    return len(model.outgoing.get(node.id, ())) > 1


# --- checks: each yields (element_id, German message) --------------------------------------------

Check = Callable[[_Model], Iterator[tuple[str | None, str]]]


def _check_label_task(model: _Model) -> Iterator[tuple[str | None, str]]:
    for node in _nodes(model, ACTIVITY_TYPES):
        if not node.name:
            yield node.id, f"Die Aktivität „{node.id}“ hat keine Bezeichnung."


def _check_label_event(model: _Model) -> Iterator[tuple[str | None, str]]:
    for node in _nodes(model, EVENT_TYPES):
        if not node.name:
            yield node.id, f"Das Ereignis „{node.id}“ hat keine Bezeichnung."


def _check_label_gateway(model: _Model) -> Iterator[tuple[str | None, str]]:
    for node in _nodes(model, LABELLED_SPLIT_TYPES):
        if not node.name and _is_split(model, node):
            yield (
                node.id,
                f"Das verzweigende Gateway „{node.id}“ hat keine Bezeichnung. "
                "Formulieren Sie die Entscheidung als Frage.",
            )


def _container_label(model: _Model, container: _Node) -> str:
    if container.kind == "process":
        kind = "Der Prozess"
        name = model.pools.get(container.id) or container.name
    else:
        kind, name = "Der Teilprozess", container.name
    return f"{kind} „{name or container.id}“"


def _containers_needing(model: _Model, kind: str) -> Iterator[_Node]:
    """Non-empty processes and (non-ad-hoc) sub-processes without a child of ``kind``."""
    for container in model.containers:
        children = model.children.get(container.id, set())
        if container.kind != "adHocSubProcess" and children and kind not in children:
            yield container


def _check_start_event(model: _Model) -> Iterator[tuple[str | None, str]]:
    for container in _containers_needing(model, "startEvent"):
        yield container.id, f"{_container_label(model, container)} hat kein Startereignis."


def _check_end_event(model: _Model) -> Iterator[tuple[str | None, str]]:
    for container in _containers_needing(model, "endEvent"):
        yield container.id, f"{_container_label(model, container)} hat kein Endereignis."


def _may_stand_alone(node: _Node) -> bool:
    """Flow nodes that BPMN connects by other means than sequence flows."""
    if node.kind == "boundaryEvent" or _is_event_subprocess(node):
        return True
    if node.element.get("isForCompensation") == "true" or node.parent_kind == "adHocSubProcess":
        return True
    parent = node.element.getparent()
    return (
        node.kind == "startEvent"
        and parent is not None
        and parent.get("triggeredByEvent") == "true"
    )


def _check_disconnected(model: _Model) -> Iterator[tuple[str | None, str]]:
    for node in model.nodes.values():
        connected = node.id in model.incoming or node.id in model.outgoing
        if not connected and not _may_stand_alone(node):
            yield node.id, f"{model.label(node.id)} ist mit keinem Sequenzfluss verbunden."


def _check_implicit_split(model: _Model) -> Iterator[tuple[str | None, str]]:
    for node in model.nodes.values():
        outgoing = model.outgoing.get(node.id, [])
        if node.kind in GATEWAY_TYPES or len(outgoing) < 2:
            continue
        if any(not flow.conditional and not model.is_default(flow) for flow in outgoing):
            yield (
                node.id,
                f"{model.label(node.id)} verzweigt ohne Gateway in {len(outgoing)} Pfade. "
                "Setzen Sie ein Gateway ein, damit die Verzweigung sichtbar wird.",
            )


def _check_implicit_join(model: _Model) -> Iterator[tuple[str | None, str]]:
    for node in model.nodes.values():
        incoming = model.incoming.get(node.id, [])
        if node.kind not in GATEWAY_TYPES and len(incoming) > 1:
            yield (
                node.id,
                f"In {model.label(node.id)} münden {len(incoming)} Sequenzflüsse ohne Gateway. "
                "Setzen Sie ein zusammenführendes Gateway davor.",
            )


def _check_duplicate_flow(model: _Model) -> Iterator[tuple[str | None, str]]:
    seen: set[tuple[str, str]] = set()
    for flow in model.flows:
        key = (flow.source, flow.target)
        if key in seen:
            yield (
                flow.id,
                f"Der Sequenzfluss „{flow.id}“ verbindet {model.label(flow.source)} und "
                f"{model.label(flow.target)} ein zweites Mal.",
            )
        seen.add(key)


def _check_named_lanes(model: _Model) -> Iterator[tuple[str | None, str]]:
    for lane in model.lanes:
        if not lane.name:
            yield lane.id, f"Die Bahn „{lane.id}“ hat keinen Namen."


def is_object_verb_label(name: str) -> bool:
    """ "Objekt + Verb": two words or more, the last a lower-case German infinitive."""
    words = _TRAILING_REMARK.sub("", name).split()
    if len(words) < 2:
        return False
    verb = words[-1].rstrip(".,;:!").rsplit("/", 1)[-1]
    if not verb[:1].islower():
        return False
    return verb in _IRREGULAR_INFINITIVES or bool(_INFINITIVE.search(verb))


def _check_task_label_verb(model: _Model) -> Iterator[tuple[str | None, str]]:
    for node in _nodes(model, TASK_TYPES):
        if node.name and not is_object_verb_label(node.name):
            yield (
                node.id,
                f"Die Aufgabe „{node.name}“ folgt nicht dem Muster „Objekt + Verb“ "
                "(z. B. „Antrag prüfen“).",
            )


def _check_gateway_mixed(model: _Model) -> Iterator[tuple[str | None, str]]:
    for node in _nodes(model, GATEWAY_TYPES):
        if len(model.incoming.get(node.id, ())) > 1 and _is_split(model, node):
            yield (
                node.id,
                f"Das Gateway {model.label(node.id)} führt zusammen und verzweigt zugleich. "
                "Teilen Sie es in zwei Gateways auf.",
            )


def _check_conditional_flow_label(model: _Model) -> Iterator[tuple[str | None, str]]:
    for node in _nodes(model, DECISION_TYPES):
        if not _is_split(model, node):
            continue
        for flow in model.outgoing[node.id]:
            if not flow.name:
                yield (
                    flow.id,
                    f"Der Sequenzfluss „{flow.id}“ nach der Entscheidung {model.label(node.id)} "
                    "ist nicht beschriftet.",
                )


def _check_gateway_question(model: _Model) -> Iterator[tuple[str | None, str]]:
    for node in _nodes(model, DECISION_TYPES):
        if node.name and not node.name.endswith("?") and _is_split(model, node):
            yield (
                node.id,
                f"Die Bezeichnung des Gateways „{node.name}“ ist keine Frage "
                "(sie endet nicht mit „?“).",
            )


_CHECKS: dict[str, Check] = {
    "label-task": _check_label_task,
    "label-event": _check_label_event,
    "label-gateway": _check_label_gateway,
    "start-event": _check_start_event,
    "end-event": _check_end_event,
    "disconnected": _check_disconnected,
    "implicit-split": _check_implicit_split,
    "implicit-join": _check_implicit_join,
    "duplicate-flow": _check_duplicate_flow,
    "named-lanes": _check_named_lanes,
    "task-label-verb": _check_task_label_verb,
    "gateway-mixed": _check_gateway_mixed,
    "conditional-flow-label": _check_conditional_flow_label,
    "gateway-question": _check_gateway_question,
}


def _require_known(enabled: frozenset[str]) -> None:
    unknown = sorted(enabled - RULES_BY_ID.keys())
    if unknown:
        raise ValueError(f"Unbekannte Lint-Regel(n): {', '.join(unknown)}.")


def lint(tree: etree._ElementTree, *, enabled: frozenset[str] | None = None) -> list[Finding]:
    """Findings of the enabled rules (all when ``enabled`` is None), in rule and document order."""
    if enabled is not None:
        _require_known(enabled)
    model = _build(tree)
    findings: list[tuple[int, int, Finding]] = []
    for rule_index, rule in enumerate(RULES):
        if enabled is not None and rule.id not in enabled:
            continue
        for element_id, message in _CHECKS[rule.id](model):
            position = model.position.get(element_id, -1) if element_id else -1
            finding = Finding(rule.id, rule.severity, message, element_id)
            findings.append((rule_index, position, finding))
    findings.sort(key=lambda entry: entry[:2])
    return [finding for _, _, finding in findings]
