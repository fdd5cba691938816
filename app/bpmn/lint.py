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

from flask_babel import force_locale
from lxml import etree

from app.bpmn.extract import FLOW_NODE_TYPES
from app.bpmn.lint_rules import RULES, RULES_BY_ID
from app.bpmn.parse import BPMN_MODEL_NS
from app.i18n import SOURCE_LOCALE, _


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
# The messages are stored with the revision (and mirrored by peers), so they are always made in the
# source language (see :func:`lint`); ``_()`` marks them for the catalogue all the same.

Check = Callable[[_Model], Iterator[tuple[str | None, str]]]


def _check_label_task(model: _Model) -> Iterator[tuple[str | None, str]]:
    for node in _nodes(model, ACTIVITY_TYPES):
        if not node.name:
            yield node.id, _("Die Aktivität „%(id)s“ hat keine Bezeichnung.", id=node.id)


def _check_label_event(model: _Model) -> Iterator[tuple[str | None, str]]:
    for node in _nodes(model, EVENT_TYPES):
        if not node.name:
            yield node.id, _("Das Ereignis „%(id)s“ hat keine Bezeichnung.", id=node.id)


def _check_label_gateway(model: _Model) -> Iterator[tuple[str | None, str]]:
    for node in _nodes(model, LABELLED_SPLIT_TYPES):
        if not node.name and _is_split(model, node):
            yield (
                node.id,
                _(
                    "Das verzweigende Gateway „%(id)s“ hat keine Bezeichnung. "
                    "Formulieren Sie die Entscheidung als Frage.",
                    id=node.id,
                ),
            )


def _container_name(model: _Model, container: _Node) -> str:
    if container.kind == "process":
        return model.pools.get(container.id) or container.name or container.id
    return container.name or container.id


def _containers_needing(model: _Model, kind: str) -> Iterator[_Node]:
    """Non-empty processes and (non-ad-hoc) sub-processes without a child of ``kind``."""
    for container in model.containers:
        children = model.children.get(container.id, set())
        if container.kind != "adHocSubProcess" and children and kind not in children:
            yield container


def _check_start_event(model: _Model) -> Iterator[tuple[str | None, str]]:
    for container in _containers_needing(model, "startEvent"):
        name = _container_name(model, container)
        if container.kind == "process":
            yield container.id, _("Der Prozess „%(name)s“ hat kein Startereignis.", name=name)
        else:
            yield container.id, _("Der Teilprozess „%(name)s“ hat kein Startereignis.", name=name)


def _check_end_event(model: _Model) -> Iterator[tuple[str | None, str]]:
    for container in _containers_needing(model, "endEvent"):
        name = _container_name(model, container)
        if container.kind == "process":
            yield container.id, _("Der Prozess „%(name)s“ hat kein Endereignis.", name=name)
        else:
            yield container.id, _("Der Teilprozess „%(name)s“ hat kein Endereignis.", name=name)


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
            yield (
                node.id,
                _(
                    "%(element)s ist mit keinem Sequenzfluss verbunden.",
                    element=model.label(node.id),
                ),
            )


def _check_implicit_split(model: _Model) -> Iterator[tuple[str | None, str]]:
    for node in model.nodes.values():
        outgoing = model.outgoing.get(node.id, [])
        if node.kind in GATEWAY_TYPES or len(outgoing) < 2:
            continue
        if any(not flow.conditional and not model.is_default(flow) for flow in outgoing):
            yield (
                node.id,
                _(
                    "%(element)s verzweigt ohne Gateway in %(count)s Pfade. "
                    "Setzen Sie ein Gateway ein, damit die Verzweigung sichtbar wird.",
                    element=model.label(node.id),
                    count=len(outgoing),
                ),
            )


def _check_implicit_join(model: _Model) -> Iterator[tuple[str | None, str]]:
    for node in model.nodes.values():
        incoming = model.incoming.get(node.id, [])
        if node.kind not in GATEWAY_TYPES and len(incoming) > 1:
            yield (
                node.id,
                _(
                    "In %(element)s münden %(count)s Sequenzflüsse ohne Gateway. "
                    "Setzen Sie ein zusammenführendes Gateway davor.",
                    element=model.label(node.id),
                    count=len(incoming),
                ),
            )


def _check_duplicate_flow(model: _Model) -> Iterator[tuple[str | None, str]]:
    seen: set[tuple[str, str]] = set()
    for flow in model.flows:
        key = (flow.source, flow.target)
        if key in seen:
            yield (
                flow.id,
                _(
                    "Der Sequenzfluss „%(id)s“ verbindet %(source)s und %(target)s ein zweites Mal.",
                    id=flow.id,
                    source=model.label(flow.source),
                    target=model.label(flow.target),
                ),
            )
        seen.add(key)


def _check_named_lanes(model: _Model) -> Iterator[tuple[str | None, str]]:
    for lane in model.lanes:
        if not lane.name:
            yield lane.id, _("Die Bahn „%(id)s“ hat keinen Namen.", id=lane.id)


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
                _(
                    "Die Aufgabe „%(name)s“ folgt nicht dem Muster „Objekt + Verb“ "
                    "(z. B. „Antrag prüfen“).",
                    name=node.name,
                ),
            )


def _check_gateway_mixed(model: _Model) -> Iterator[tuple[str | None, str]]:
    for node in _nodes(model, GATEWAY_TYPES):
        if len(model.incoming.get(node.id, ())) > 1 and _is_split(model, node):
            yield (
                node.id,
                _(
                    "Das Gateway %(element)s führt zusammen und verzweigt zugleich. "
                    "Teilen Sie es in zwei Gateways auf.",
                    element=model.label(node.id),
                ),
            )


def _check_conditional_flow_label(model: _Model) -> Iterator[tuple[str | None, str]]:
    for node in _nodes(model, DECISION_TYPES):
        if not _is_split(model, node):
            continue
        for flow in model.outgoing[node.id]:
            if not flow.name:
                yield (
                    flow.id,
                    _(
                        "Der Sequenzfluss „%(id)s“ nach der Entscheidung %(gateway)s "
                        "ist nicht beschriftet.",
                        id=flow.id,
                        gateway=model.label(node.id),
                    ),
                )


def _check_gateway_question(model: _Model) -> Iterator[tuple[str | None, str]]:
    for node in _nodes(model, DECISION_TYPES):
        if node.name and not node.name.endswith("?") and _is_split(model, node):
            yield (
                node.id,
                _(
                    "Die Bezeichnung des Gateways „%(name)s“ ist keine Frage "
                    "(sie endet nicht mit „?“).",
                    name=node.name,
                ),
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
        raise ValueError(_("Unbekannte Lint-Regel(n): %(rules)s.", rules=", ".join(unknown)))


def lint(tree: etree._ElementTree, *, enabled: frozenset[str] | None = None) -> list[Finding]:
    """Findings of the enabled rules (all when ``enabled`` is None), in rule and document order.

    The messages are German whatever the reader's language: a revision stores them as they are.
    """
    if enabled is not None:
        _require_known(enabled)
    with force_locale(SOURCE_LOCALE):
        return _lint(_build(tree), enabled)


def _lint(model: _Model, enabled: frozenset[str] | None) -> list[Finding]:
    findings: list[tuple[int, int, Finding]] = []
    for rule_index, rule in enumerate(RULES):
        if enabled is not None and rule.id not in enabled:
            continue
        for element_id, message in _CHECKS[rule.id](model):
            position = model.position.get(element_id, -1) if element_id else -1
            finding = Finding(rule.id, rule.severity, message, element_id)
            findings.append((rule_index, position, finding))
    findings.sort(key=lambda entry: entry[:2])
    return [finding for *_position, finding in findings]
