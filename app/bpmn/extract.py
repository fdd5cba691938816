"""What a BPMN model contains: its elements, where they sit, and the text search will index."""

from __future__ import annotations

from collections import Counter
from typing import Any

from lxml import etree

from app.bpmn.parse import BPMN_MODEL_NS

FLOW_NODE_TYPES = frozenset(
    {
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "implicitThrowEvent",
        "task",
        "userTask",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "manualTask",
        "businessRuleTask",
        "scriptTask",
        "callActivity",
        "subProcess",
        "adHocSubProcess",
        "transaction",
        "exclusiveGateway",
        "inclusiveGateway",
        "parallelGateway",
        "eventBasedGateway",
        "complexGateway",
    }
)
OTHER_TYPES = frozenset(
    {
        "process",
        "participant",
        "lane",
        "sequenceFlow",
        "messageFlow",
        "dataObject",
        "dataObjectReference",
        "dataStoreReference",
        "dataInput",
        "dataOutput",
        "textAnnotation",
        "group",
    }
)
ELEMENT_TYPES = FLOW_NODE_TYPES | OTHER_TYPES
DOCUMENTATION_TAG = f"{{{BPMN_MODEL_NS}}}documentation"


def _localname(element: etree._Element) -> str | None:
    if not isinstance(element.tag, str):
        return None
    qname = etree.QName(element)
    return qname.localname if qname.namespace == BPMN_MODEL_NS else None


def _documentation(element: etree._Element) -> str:
    texts = (" ".join(doc.itertext()).strip() for doc in element.findall(DOCUMENTATION_TAG))
    return "\n".join(text for text in texts if text)


def _lane_names(root: etree._Element) -> dict[str, str]:
    lanes: dict[str, str] = {}
    for lane in root.iter(f"{{{BPMN_MODEL_NS}}}lane"):
        for ref in lane.findall(f"{{{BPMN_MODEL_NS}}}flowNodeRef"):
            if ref.text:
                lanes[ref.text.strip()] = lane.get("name") or lane.get("id") or ""
    return lanes


def _pool_names(root: etree._Element) -> dict[str, str]:
    """process id → name of the participant (pool) that shows it."""
    pools: dict[str, str] = {}
    for participant in root.iter(f"{{{BPMN_MODEL_NS}}}participant"):
        process_ref = participant.get("processRef")
        if process_ref:
            pools[_strip_prefix(process_ref)] = (
                participant.get("name") or participant.get("id") or ""
            )
    return pools


def _strip_prefix(reference: str) -> str:
    return reference.rsplit(":", 1)[-1]


def _enclosing_process_id(element: etree._Element) -> str | None:
    for ancestor in element.iterancestors():
        if _localname(ancestor) == "process":
            return ancestor.get("id")
    return None


def extract(tree: etree._ElementTree) -> dict[str, Any]:
    """Elements with id, type, name, lane, pool and documentation; counts by type; index text."""
    root = tree.getroot()
    lanes, pools = _lane_names(root), _pool_names(root)
    elements = []
    for element in root.iter():
        kind = _localname(element)
        if kind not in ELEMENT_TYPES or not element.get("id"):
            continue
        element_id = element.get("id")
        process_id = _enclosing_process_id(element)
        elements.append(
            {
                "id": element_id,
                "type": kind,
                "name": (element.get("name") or "").strip(),
                "lane": lanes.get(element_id),
                "pool": pools.get(process_id) if process_id else None,
                "documentation": _documentation(element),
            }
        )
    counts = Counter(element["type"] for element in elements)
    flow_nodes = sum(count for kind, count in counts.items() if kind in FLOW_NODE_TYPES)
    text = "\n".join(
        part for element in elements for part in (element["name"], element["documentation"]) if part
    )
    return {
        "elements": elements,
        "counts": dict(sorted(counts.items())),
        "flow_node_count": flow_nodes,
        "text": text,
    }
