"""Zeichnet die zwölf Musterprozesse des Seed-Registers als BPMN 2.0 mit Layout.

Jeder Prozess ist unten in ``PROCESSES`` kompakt beschrieben: Pool, Lanes,
Knoten (Typ, Lane, deutsche Beschriftung, optionale Dokumentation) und
Sequenzflüsse (``"a>b"`` oder ``"a>b:ja"`` für bedingte Flüsse). Das Layout
wird berechnet: Lanes als horizontale Bahnen in einem Pool, Knoten von links
nach rechts nach topologischem Rang, Zweige von Gateways in eigenen Zeilen
ihrer Lane, Kanten als rechtwinklige Wegpunkte. Die Antragstellerseite ist,
wo sie vorkommt, ein zugeklappter Pool oberhalb mit Nachrichtenflüssen; deren
Text steht einmal, als Name des Nachrichtenflusses, neben der gestrichelten
Linie. Alle externen Beschriftungen (Ereignisse, Gateways, Bedingungen,
Nachrichten) werden so platziert, dass sie keine Form, Linie oder andere
Beschriftung überdecken.

Aufruf (vom Wurzelverzeichnis des Repositorys)::

    python seed/tools/draw_musterprozesse.py [XSD_ORDNER] [--leika-dir ORDNER]

XSD_ORDNER ist der Ordner mit BPMN20.xsd (Standard: ``../shared/data/bpmn-xsd``
relativ zur Repository-Wurzel), ``--leika-dir`` der Ordner mit leistungen.csv
und ozg_leistungen.csv (Standard: ``../shared/data/leika-ozg-nrw``).

Geschrieben werden ``seed/musterregister/musterprozesse/<slug>.bpmn`` und
``seed/musterregister/musterprozesse.json``. Die Ausgabe ist deterministisch
(feste IDs, keine Zeitstempel). Danach prüft ein Selbsttest jede Datei
(XSD, Start/Ende, Lanes, Shapes, Kanten, Überlappungsfreiheit der
Beschriftungen, LeiKa-Schlüssel); bei einem Fehler
endet das Skript mit Status 1.

Requires: Python 3.11+, lxml.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = REPO_ROOT / "seed" / "musterregister"
MODEL_DIR = OUT_DIR / "musterprozesse"

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI, "xsi": XSI}
TARGET_NS = "https://musterregister.de/musterprozesse"

# --------------------------------------------------------------------------
# Model description
# --------------------------------------------------------------------------

# kind -> (BPMN element, event definition)
KINDS = {
    "start": ("startEvent", None),
    "start_msg": ("startEvent", "message"),
    "end": ("endEvent", None),
    "end_msg": ("endEvent", "message"),
    "timer": ("intermediateCatchEvent", "timer"),
    "msg_catch": ("intermediateCatchEvent", "message"),
    "user": ("userTask", None),
    "service": ("serviceTask", None),
    "manual": ("manualTask", None),
    "send": ("sendTask", None),
    "receive": ("receiveTask", None),
    "xor": ("exclusiveGateway", None),
    "and": ("parallelGateway", None),
}
ID_PREFIX = {
    "startEvent": "StartEvent",
    "endEvent": "EndEvent",
    "intermediateCatchEvent": "Event",
    "exclusiveGateway": "Gateway",
    "parallelGateway": "Gateway",
}


@dataclass(frozen=True)
class Node:
    key: str
    kind: str
    lane: int
    label: str = ""
    doc: str | None = None
    msg: str | None = None  # message name (message events, send/receive tasks)
    ext: bool = False  # message flow to/from the collapsed external pool
    timer: str | None = None  # ISO-8601 duration for timer events

    @property
    def tag(self) -> str:
        return KINDS[self.kind][0]

    @property
    def event_def(self) -> str | None:
        return KINDS[self.kind][1]

    @property
    def is_task(self) -> bool:
        return self.tag.endswith("Task")

    @property
    def is_gateway(self) -> bool:
        return self.tag.endswith("Gateway")

    @property
    def is_event(self) -> bool:
        return self.tag.endswith("Event")


def N(key, kind, lane, label="", doc=None, msg=None, ext=False, timer=None) -> Node:
    """Shorthand constructor used in the process table."""
    if kind not in KINDS:
        raise ValueError(f"unknown node kind {kind!r}")
    return Node(key, kind, lane, label, doc, msg, ext, timer)


@dataclass(frozen=True)
class Flow:
    src: str
    tgt: str
    label: str = ""


@dataclass
class Process:
    slug: str
    title: str
    pool: str
    lanes: tuple[str, ...]
    nodes: tuple[Node, ...]
    flows: str
    info: dict
    external: str | None = None

    @property
    def ident(self) -> str:
        return self.slug.replace("-", "_")

    def flow_list(self) -> list[Flow]:
        result = []
        for token in self.flows.split():
            edge, _, label = token.partition(":")
            src, tgt = edge.split(">")
            result.append(Flow(src, tgt, label))
        return result

    def node(self, key: str) -> Node:
        return self.by_key()[key]

    def by_key(self) -> dict[str, Node]:
        return {n.key: n for n in self.nodes}


# --------------------------------------------------------------------------
# Ids
# --------------------------------------------------------------------------

_UMLAUTS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
)


def camel(text: str, limit: int = 40) -> str:
    """'Antrag prüfen' -> 'AntragPruefen' (ASCII, NCName-safe)."""
    words = re.split(r"[^0-9A-Za-z]+", text.translate(_UMLAUTS))
    joined = "".join(w[:1].upper() + w[1:] for w in words if w)
    return joined[:limit] or "X"


def assign_ids(proc: Process) -> dict[str, str]:
    """Readable, unique element ids for every node key."""
    ids: dict[str, str] = {}
    used: set[str] = set()
    for node in proc.nodes:
        prefix = "Task" if node.is_task else ID_PREFIX[node.tag]
        base = f"{prefix}_{camel(node.label or node.key)}"
        candidate, i = base, 2
        while candidate in used:
            candidate, i = f"{base}{i}", i + 1
        used.add(candidate)
        ids[node.key] = candidate
    return ids


# --------------------------------------------------------------------------
# Graph analysis
# --------------------------------------------------------------------------


def adjacency(proc: Process) -> tuple[dict, dict]:
    succ = {n.key: [] for n in proc.nodes}
    pred = {n.key: [] for n in proc.nodes}
    for f in proc.flow_list():
        succ[f.src].append(f.tgt)
        pred[f.tgt].append(f.src)
    return succ, pred


def topo_order(proc: Process) -> list[str]:
    """Kahn's algorithm, stable in declaration order; fails on cycles."""
    succ, pred = adjacency(proc)
    indeg = {k: len(v) for k, v in pred.items()}
    ready = [n.key for n in proc.nodes if indeg[n.key] == 0]
    order = []
    while ready:
        key = ready.pop(0)
        order.append(key)
        for t in succ[key]:
            indeg[t] -= 1
            if indeg[t] == 0:
                ready.append(t)
    if len(order) != len(proc.nodes):
        raise ValueError(f"{proc.slug}: sequence flows contain a cycle")
    return order


def ranks(proc: Process) -> dict[str, int]:
    """Longest-path rank from the start: the node's column."""
    _, pred = adjacency(proc)
    rank: dict[str, int] = {}
    for key in topo_order(proc):
        rank[key] = max((rank[p] + 1 for p in pred[key]), default=0)
    return rank


def ancestors(proc: Process) -> dict[str, set[str]]:
    _, pred = adjacency(proc)
    anc: dict[str, set[str]] = {}
    for key in topo_order(proc):
        anc[key] = set()
        for p in pred[key]:
            anc[key] |= anc[p] | {p}
    return anc


# --------------------------------------------------------------------------
# Row assignment (gateway branches on separate rows inside a lane)
# --------------------------------------------------------------------------


def join_row(proc, key, pred, row, rank, anc) -> int:
    """A join sits on the row of the nearest common split in its lane."""
    lane = proc.node(key).lane
    common = set.intersection(*({p} | anc[p] for p in pred[key]))
    same_lane = [c for c in common if proc.node(c).lane == lane]
    if same_lane:
        return row[max(same_lane, key=lambda c: rank[c])]
    rows = [row[p] for p in pred[key] if proc.node(p).lane == lane]
    return min(rows, default=0)


def assign_rows(proc: Process, rank: dict[str, int]) -> dict[str, int]:
    succ, pred = adjacency(proc)
    anc = ancestors(proc)
    wish: dict[str, int] = {}
    row: dict[str, int] = {}
    taken: set[tuple[int, int, int]] = set()
    for key in topo_order(proc):
        node = proc.node(key)
        if len(pred[key]) > 1:
            desired = join_row(proc, key, pred, row, rank, anc)
        else:
            desired = wish.get(key, 0)
        while (node.lane, rank[key], desired) in taken:
            desired += 1
        row[key] = desired
        taken.add((node.lane, rank[key], desired))
        per_lane: dict[int, int] = {}
        for t in succ[key]:
            lane_t = proc.node(t).lane
            offset = per_lane.get(lane_t, 0)
            per_lane[lane_t] = offset + 1
            base = row[key] if lane_t == node.lane else 0
            wish.setdefault(t, base + offset)
    return row


# --------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------

SIZES = {"task": (130, 80), "event": (36, 36), "gateway": (50, 50)}  # tasks: long words fit
PITCH = 180  # column width
ROW_PITCH = 120  # row height inside a lane
ROW0 = 70  # centre of row 0 below the lane's top edge
LANE_TAIL = 80  # space below the last row's centre
POOL_X = 160
HEADER = 30  # pool and lane title bands
EXT_Y, EXT_H, EXT_GAP = 40, 60, 70
LINE_H = 14  # one line of an external label (bpmn-js: 11 px font, line height 1.2)
NODE_LABEL_W = 120  # wrap width of event and gateway labels
MESSAGE_LABEL_W = 140  # wrap width of message flow labels
LABEL_PAD = 8  # slack added to the estimated text width of a label box
LABEL_GAP = 4  # distance between a label and the shape or line it belongs to
CLEARANCE = 3  # free space kept between a label and anything else

# bpmn-js draws external labels in "Arial, sans-serif" at 11 px. The advance widths
# below are those of DejaVu Sans (what Linux substitutes for Arial, and wider than
# Arial) rounded up per character class, so estimated boxes contain the real text.
NARROW_CHARS = frozenset("fijlrtIJ.,:;/()-' ")
WIDE_CHARS = frozenset("mwMW")


def text_width(text: str) -> float:
    """Estimated width in px of one line of external label text."""
    return sum(
        4.6 if c in NARROW_CHARS else 11.0 if c in WIDE_CHARS else 8.7 if c.isupper() else 7.0
        for c in text
    )


def wrap(text: str, width: float) -> list[str]:
    """Greedy word wrap by estimated width, like bpmn-js' text layout."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}") <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def label_size(text: str, width: float) -> tuple[int, int]:
    """Width and height of the box for an external label wrapped at width."""
    lines = wrap(text, width)
    return int(max(text_width(line) for line in lines)) + LABEL_PAD, LINE_H * len(lines)


@dataclass
class Box:
    x: int
    y: int
    w: int
    h: int

    @property
    def cx(self) -> int:
        return self.x + self.w // 2

    @property
    def cy(self) -> int:
        return self.y + self.h // 2

    def inside(self, other: Box) -> bool:
        return (
            self.x >= other.x
            and self.y >= other.y
            and self.x + self.w <= other.x + other.w
            and self.y + self.h <= other.y + other.h
        )

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )

    def grown(self, d: int) -> Box:
        return Box(self.x - d, self.y - d, self.w + 2 * d, self.h + 2 * d)

    def touches_segment(self, p, q) -> bool:
        """Does the segment p-q (axis-parallel or not) meet the interior of the box?"""
        return segment_meets_box(p, q, self)


def segment_meets_box(p, q, box: Box) -> bool:
    """Liang–Barsky clipping: does segment p-q pass through the open box?"""
    x0, y0 = p
    dx, dy = q[0] - x0, q[1] - y0
    lo, hi = 0.0, 1.0
    for step, dist in (
        (-dx, x0 - box.x),
        (dx, box.x + box.w - x0),
        (-dy, y0 - box.y),
        (dy, box.y + box.h - y0),
    ):
        if step == 0:
            if dist <= 0:
                return False
            continue
        t = dist / step
        if step < 0:
            lo = max(lo, t)
        else:
            hi = min(hi, t)
        if lo >= hi:
            return False
    return True


@dataclass
class Layout:
    pool: Box
    ext: Box | None
    lanes: list[Box]
    shapes: dict[str, Box]
    labels: dict[str, Box]
    edges: list[list[tuple[int, int]]] = field(default_factory=list)
    edge_labels: list[Box | None] = field(default_factory=list)
    message_edges: list[tuple[str, list[tuple[int, int]]]] = field(default_factory=list)
    message_labels: list[Box] = field(default_factory=list)


def size_of(node: Node) -> tuple[int, int]:
    if node.is_task:
        return SIZES["task"]
    return SIZES["gateway"] if node.is_gateway else SIZES["event"]


def label_box(shape: Box, text: str) -> Box:
    """Default place of an external label: centred below the event or gateway."""
    w, h = label_size(text, NODE_LABEL_W)
    return Box(shape.cx - w // 2, shape.y + shape.h + LABEL_GAP, w, h)


def lane_boxes(proc, row, pool_y, width) -> list[Box]:
    boxes, y = [], pool_y
    for i in range(len(proc.lanes)):
        rows = max((row[n.key] for n in proc.nodes if n.lane == i), default=0)
        height = ROW0 + rows * ROW_PITCH + LANE_TAIL
        boxes.append(Box(POOL_X + HEADER, y, width - HEADER, height))
        y += height
    return boxes


def column_x(rank: int) -> int:
    return POOL_X + 2 * HEADER + 25 + SIZES["task"][0] // 2 + rank * PITCH


def compute_layout(proc: Process) -> Layout:
    rank = ranks(proc)
    row = assign_rows(proc, rank)
    width = column_x(max(rank.values())) + SIZES["task"][0] // 2 + 35 - POOL_X
    pool_y = EXT_Y + EXT_H + EXT_GAP if proc.external else EXT_Y
    lanes = lane_boxes(proc, row, pool_y, width)
    pool = Box(POOL_X, pool_y, width, sum(b.h for b in lanes))
    ext = Box(POOL_X, EXT_Y, width, EXT_H) if proc.external else None
    shapes, labels = {}, {}
    for node in proc.nodes:
        w, h = size_of(node)
        cx = column_x(rank[node.key])
        cy = lanes[node.lane].y + ROW0 + row[node.key] * ROW_PITCH
        shapes[node.key] = Box(cx - w // 2, cy - h // 2, w, h)
        if not node.is_task and node.label:
            labels[node.key] = label_box(shapes[node.key], node.label)
    layout = Layout(pool, ext, lanes, shapes, labels)
    route_all(proc, layout)
    place_labels(proc, layout)
    return layout


# --------------------------------------------------------------------------
# Edge routing
# --------------------------------------------------------------------------


def right(b: Box):
    return (b.x + b.w, b.cy)


def left(b: Box):
    return (b.x, b.cy)


def top(b: Box):
    return (b.cx, b.y)


def bottom(b: Box):
    return (b.cx, b.y + b.h)


def segment_hits(p, q, box: Box) -> bool:
    """Does the axis-parallel segment p-q enter the interior of box?"""
    x1, x2 = sorted((p[0], q[0]))
    y1, y2 = sorted((p[1], q[1]))
    return x1 < box.x + box.w - 1 and x2 > box.x + 1 and y1 < box.y + box.h - 1 and y2 > box.y + 1


def obstacles(proc: Process, layout: Layout, skip: set[str]) -> list[Box]:
    """Shapes and default label places, except those of the nodes in skip: their labels
    move out of the way of their own flows when the labels are placed."""
    boxes = [b for k, b in layout.shapes.items() if k not in skip]
    boxes += [
        layout.labels[n.key] for n in proc.nodes if n.key in layout.labels and n.key not in skip
    ]
    return boxes


def path_is_free(points, boxes) -> bool:
    return not any(segment_hits(p, q, b) for p, q in itertools.pairwise(points) for b in boxes)


def candidate_routes(s: Box, t: Box, src: Node, tgt: Node, joins: set[str]):
    if s.cy == t.cy:
        yield [right(s), left(t)]
    if tgt.key in joins:
        yield [right(s), (t.cx, s.cy), bottom(t) if s.cy > t.cy else top(t)]
    if src.is_gateway and t.cy < s.cy:
        yield [top(s), (s.cx, t.cy), left(t)]
    if src.is_gateway and t.cy > s.cy:
        yield [bottom(s), (s.cx, t.cy), left(t)]
    for mx in (s.cx + PITCH // 2, t.cx - PITCH // 2):
        yield [right(s), (mx, s.cy), (mx, t.cy), left(t)]


def route_all(proc: Process, layout: Layout) -> None:
    _, pred = adjacency(proc)
    joins = {k for k, v in pred.items() if len(v) > 1}
    for f in proc.flow_list():
        s, t = layout.shapes[f.src], layout.shapes[f.tgt]
        boxes = obstacles(proc, layout, {f.src, f.tgt})
        routes = list(candidate_routes(s, t, proc.node(f.src), proc.node(f.tgt), joins))
        free = [r for r in routes if path_is_free(r, boxes)]
        if not free:
            raise ValueError(f"{proc.slug}: no free route for {f.src}>{f.tgt}")
        layout.edges.append(free[0])
    route_messages(proc, layout)


def route_messages(proc: Process, layout: Layout) -> None:
    for node in proc.nodes:
        if not node.ext:
            continue
        box = layout.shapes[node.key]
        points = [(box.cx, layout.ext.y + layout.ext.h), top(box)]
        if not path_is_free(points, obstacles(proc, layout, {node.key})):
            raise ValueError(f"{proc.slug}: message flow of {node.key} crosses a shape")
        if node.tag == "sendTask" or node.tag == "endEvent":
            points.reverse()
        layout.message_edges.append((node.key, points))


# --------------------------------------------------------------------------
# Label placement
# --------------------------------------------------------------------------


class LabelSpace:
    """Where labels may go: inside a lane's drawing area or in the gap between the pools,
    at least CLEARANCE away from shapes, lines and labels placed before."""

    def __init__(self, layout: Layout):
        self.regions = [Box(b.x + HEADER, b.y, b.w - HEADER, b.h) for b in layout.lanes]
        self.boxes = list(layout.shapes.values())
        self.lines = [
            seg
            for points in layout.edges + [p for _, p in layout.message_edges]
            for seg in itertools.pairwise(points)
        ]
        if layout.ext:
            gap_y = layout.ext.y + layout.ext.h
            self.regions.append(Box(layout.ext.x, gap_y, layout.ext.w, layout.pool.y - gap_y))
            self.boxes.append(layout.ext)

    def is_free(self, box: Box) -> bool:
        grown = box.grown(CLEARANCE)
        return (
            any(grown.inside(r) for r in self.regions)
            and not any(grown.overlaps(b) for b in self.boxes)
            and not any(grown.touches_segment(p, q) for p, q in self.lines)
        )

    def place(self, candidates, what: str) -> Box:
        for box in candidates:
            if self.is_free(box):
                self.boxes.append(box)
                return box
        raise ValueError(f"no free place for the label of {what}")


def node_label_candidates(s: Box, w: int, h: int):
    """Below the shape, above it, then diagonally beside it."""
    below, above = s.y + s.h + LABEL_GAP, s.y - LABEL_GAP - h
    yield Box(s.cx - w // 2, below, w, h)
    yield Box(s.cx - w // 2, above, w, h)
    for y in (below, above, s.cy + LABEL_GAP, s.cy - LABEL_GAP - h):
        yield Box(s.x + s.w + LABEL_GAP, y, w, h)
        yield Box(s.x - LABEL_GAP - w, y, w, h)


def is_shared(p, q, others) -> bool:
    """Does another line run along the stretch p-q (collinear overlap)?"""
    for a, b in others:
        if p[1] == q[1] == a[1] == b[1]:
            lo, hi = sorted((a[0], b[0]))
            if min(p[0], q[0]) < hi and max(p[0], q[0]) > lo:
                return True
        if p[0] == q[0] == a[0] == b[0]:
            lo, hi = sorted((a[1], b[1]))
            if min(p[1], q[1]) < hi and max(p[1], q[1]) > lo:
                return True
    return False


def flow_label_candidates(points, w: int, h: int, others):
    """Beside the flow's own (not shared) stretches, nearest to its source first."""
    for p, q in itertools.pairwise(points):
        horizontal = p[1] == q[1]
        axis = 0 if horizontal else 1
        length = abs(q[axis] - p[axis])
        extent = w if horizontal else h
        sign = 1 if q[axis] > p[axis] else -1
        for offset in range(LABEL_GAP + 2, length - extent - LABEL_GAP - 1, 4):
            lo = p[axis] + offset if sign > 0 else p[axis] - offset - extent
            if horizontal:
                stretch = ((lo, p[1]), (lo + w, p[1]))
                boxes = (Box(lo, p[1] - LABEL_GAP - h, w, h), Box(lo, p[1] + LABEL_GAP, w, h))
            else:
                stretch = ((p[0], lo), (p[0], lo + h))
                boxes = (Box(p[0] + LABEL_GAP, lo, w, h), Box(p[0] - LABEL_GAP - w, lo, w, h))
            if not is_shared(*stretch, others):
                yield from boxes


def message_label_candidates(points, w: int, h: int, layout: Layout):
    """Beside the dashed line in the gap between the pools (right first), else along it."""
    x = points[0][0]
    gap_y = layout.ext.y + layout.ext.h
    middle = gap_y + (layout.pool.y - gap_y - h) // 2
    for dy in range(0, EXT_GAP // 2, 2):
        for y in dict.fromkeys((middle - dy, middle + dy)):
            yield Box(x + LABEL_GAP + 2, y, w, h)
            yield Box(x - LABEL_GAP - 2 - w, y, w, h)
    yield from flow_label_candidates(points, w, h, [])


def place_labels(proc: Process, layout: Layout) -> None:
    """Put every label where it overlaps no shape, line or other label."""
    space = LabelSpace(layout)
    for node in proc.nodes:
        if node.key in layout.labels:
            default = layout.labels[node.key]
            layout.labels[node.key] = space.place(
                node_label_candidates(layout.shapes[node.key], default.w, default.h),
                f"{proc.slug}:{node.key}",
            )
    for i, f in enumerate(proc.flow_list()):
        if not f.label:
            layout.edge_labels.append(None)
            continue
        w, h = label_size(f.label, NODE_LABEL_W)
        others = [
            seg
            for j, points in enumerate(layout.edges)
            if j != i
            for seg in itertools.pairwise(points)
        ]
        layout.edge_labels.append(
            space.place(
                flow_label_candidates(layout.edges[i], w, h, others), f"{proc.slug}:{f.src}>{f.tgt}"
            )
        )
    for key, points in layout.message_edges:
        node = proc.node(key)
        w, h = label_size(node.msg or node.label, MESSAGE_LABEL_W)
        layout.message_labels.append(
            space.place(
                message_label_candidates(points, w, h, layout), f"{proc.slug}: message of {key}"
            )
        )


# --------------------------------------------------------------------------
# XML
# --------------------------------------------------------------------------


def q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def sub(parent, ns, tag, **attrs):
    el = etree.SubElement(parent, q(ns, tag))
    for k, v in attrs.items():
        el.set(k, str(v))
    return el


def message_ids(proc: Process) -> dict[str, str]:
    """node key -> message id, for nodes that carry a message."""
    result = {}
    for node in proc.nodes:
        if node.msg or node.event_def == "message":
            result[node.key] = f"Message_{camel(node.msg or node.label)}"
    return result


def add_messages(root, proc: Process) -> None:
    seen = set()
    for key, mid in message_ids(proc).items():
        if mid not in seen:
            seen.add(mid)
            node = proc.node(key)
            sub(root, BPMN, "message", id=mid, name=node.msg or node.label)


def add_collaboration(root, proc: Process, ids: dict[str, str]) -> None:
    collab = sub(root, BPMN, "collaboration", id=f"Collaboration_{proc.ident}")
    sub(
        collab,
        BPMN,
        "participant",
        id="Participant_Behoerde",
        name=proc.pool,
        processRef=f"Process_{proc.ident}",
    )
    if not proc.external:
        return
    sub(collab, BPMN, "participant", id="Participant_Extern", name=proc.external)
    # The flow's own name is its only caption: a messageRef would make bpmn-js draw an
    # envelope with the message name a second time, at a place the DI cannot steer.
    for i, node in enumerate(n for n in proc.nodes if n.ext):
        outgoing = node.tag in ("sendTask", "endEvent")
        src, tgt = (
            (ids[node.key], "Participant_Extern")
            if outgoing
            else ("Participant_Extern", ids[node.key])
        )
        sub(
            collab,
            BPMN,
            "messageFlow",
            id=f"MessageFlow_{i + 1}",
            name=node.msg or node.label,
            sourceRef=src,
            targetRef=tgt,
        )


def add_lanes(process, proc: Process, ids: dict[str, str]) -> None:
    lane_set = sub(process, BPMN, "laneSet", id="LaneSet_1")
    for i, name in enumerate(proc.lanes):
        lane = sub(lane_set, BPMN, "lane", id=f"Lane_{i + 1}_{camel(name, 30)}", name=name)
        for node in proc.nodes:
            if node.lane == i:
                sub(lane, BPMN, "flowNodeRef").text = ids[node.key]


def add_event_definition(el, node: Node, msg_id: str | None) -> None:
    if node.event_def == "message":
        sub(el, BPMN, "messageEventDefinition", id=f"{el.get('id')}_Def", messageRef=msg_id)
    elif node.event_def == "timer":
        tdef = sub(el, BPMN, "timerEventDefinition", id=f"{el.get('id')}_Def")
        dur = sub(tdef, BPMN, "timeDuration", id=f"{el.get('id')}_Dauer")
        dur.set(q(XSI, "type"), "bpmn:tFormalExpression")
        dur.text = node.timer


def add_node(process, node: Node, ids, flow_ids, msgs) -> None:
    el = sub(process, BPMN, node.tag, id=ids[node.key])
    if node.label:
        el.set("name", node.label)
    if node.tag in ("sendTask", "receiveTask") and node.key in msgs:
        el.set("messageRef", msgs[node.key])
    if node.doc:
        sub(el, BPMN, "documentation", id=f"{ids[node.key]}_Doku").text = node.doc
    for fid, f in flow_ids:
        if f.tgt == node.key:
            sub(el, BPMN, "incoming").text = fid
    for fid, f in flow_ids:
        if f.src == node.key:
            sub(el, BPMN, "outgoing").text = fid
    add_event_definition(el, node, msgs.get(node.key))


def add_sequence_flow(process, fid: str, f: Flow, ids, proc: Process) -> None:
    el = sub(process, BPMN, "sequenceFlow", id=fid, sourceRef=ids[f.src], targetRef=ids[f.tgt])
    if f.label:
        el.set("name", f.label)
        cond = sub(el, BPMN, "conditionExpression", id=f"{fid}_Bedingung")
        cond.set(q(XSI, "type"), "bpmn:tFormalExpression")
        cond.text = f"{proc.node(f.src).label} – {f.label}"


def add_process(root, proc: Process, ids: dict[str, str]) -> None:
    process = sub(
        root, BPMN, "process", id=f"Process_{proc.ident}", name=proc.title, isExecutable="false"
    )
    add_lanes(process, proc, ids)
    flow_ids = [(f"Flow_{i + 1}", f) for i, f in enumerate(proc.flow_list())]
    msgs = message_ids(proc)
    for node in proc.nodes:
        add_node(process, node, ids, flow_ids, msgs)
    for fid, f in flow_ids:
        add_sequence_flow(process, fid, f, ids, proc)


def add_bounds(parent, box: Box) -> None:
    sub(parent, DC, "Bounds", x=box.x, y=box.y, width=box.w, height=box.h)


def add_shape(plane, element_id: str, box: Box, label: Box | None = None, **attrs) -> None:
    shape = sub(plane, BPMNDI, "BPMNShape", id=f"{element_id}_di", bpmnElement=element_id, **attrs)
    add_bounds(shape, box)
    if label is not None:
        add_bounds(sub(shape, BPMNDI, "BPMNLabel"), label)


def add_edge(plane, element_id: str, points, label: Box | None = None) -> None:
    edge = sub(plane, BPMNDI, "BPMNEdge", id=f"{element_id}_di", bpmnElement=element_id)
    for x, y in points:
        sub(edge, DI, "waypoint", x=x, y=y)
    if label is not None:
        add_bounds(sub(edge, BPMNDI, "BPMNLabel"), label)


def add_diagram(root, proc: Process, ids: dict[str, str], layout: Layout) -> None:
    diagram = sub(root, BPMNDI, "BPMNDiagram", id="BPMNDiagram_1", name=proc.title)
    plane = sub(
        diagram, BPMNDI, "BPMNPlane", id="BPMNPlane_1", bpmnElement=f"Collaboration_{proc.ident}"
    )
    add_shape(plane, "Participant_Behoerde", layout.pool, isHorizontal="true")
    if layout.ext:
        add_shape(plane, "Participant_Extern", layout.ext, isHorizontal="true")
    for i, (name, box) in enumerate(zip(proc.lanes, layout.lanes, strict=False)):
        add_shape(plane, f"Lane_{i + 1}_{camel(name, 30)}", box, isHorizontal="true")
    for node in proc.nodes:
        add_shape(plane, ids[node.key], layout.shapes[node.key], layout.labels.get(node.key))
    for i, (points, label) in enumerate(zip(layout.edges, layout.edge_labels, strict=False)):
        add_edge(plane, f"Flow_{i + 1}", points, label)
    for i, ((_, points), label) in enumerate(
        zip(layout.message_edges, layout.message_labels, strict=False)
    ):
        add_edge(plane, f"MessageFlow_{i + 1}", points, label)


def build_bpmn(proc: Process) -> bytes:
    ids = assign_ids(proc)
    layout = compute_layout(proc)
    root = etree.Element(q(BPMN, "definitions"), nsmap=NSMAP)
    for k, v in (
        ("id", f"Definitions_{proc.ident}"),
        ("targetNamespace", TARGET_NS),
        ("exporter", "Musterregister"),
        ("exporterVersion", "1"),
    ):
        root.set(k, v)
    add_messages(root, proc)
    add_collaboration(root, proc, ids)
    add_process(root, proc, ids)
    add_diagram(root, proc, ids, layout)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --------------------------------------------------------------------------
# Steckbriefe
# --------------------------------------------------------------------------

STECKBRIEF_KEYS = (
    "slug",
    "title",
    "leika_keys",
    "ozg_id",
    "description",
    "legal_bases",
    "responsible_unit",
    "trigger",
    "result",
    "required_documents",
    "fees",
    "cases_per_year",
    "minutes_per_case",
    "cycle_time_days",
    "digitisation_potential",
    "maturity",
    "keywords",
    "synonyms",
    "model",
)


def steckbrief(proc: Process) -> dict:
    entry = {"slug": proc.slug, "title": proc.title, **proc.info}
    entry["model"] = {
        "file": f"musterprozesse/{proc.slug}.bpmn",
        "title": f"{proc.title} – Musterprozess",
        "message": "Erstfassung des Musterprozesses",
    }
    return {k: entry[k] for k in STECKBRIEF_KEYS}


# --------------------------------------------------------------------------
# Self-check
# --------------------------------------------------------------------------


def load_leika(leika_dir: Path) -> tuple[dict[str, str], set[str]]:
    with open(leika_dir / "leistungen.csv", encoding="utf-8", newline="") as fh:
        keys = {r["leika_key"]: r["ozg_id"] for r in csv.DictReader(fh)}
    with open(leika_dir / "ozg_leistungen.csv", encoding="utf-8", newline="") as fh:
        ozg = {r["ozg_id"] for r in csv.DictReader(fh)}
    return keys, ozg


def xp(tree, path: str):
    return tree.xpath(path, namespaces=NSMAP)


def bounds_of(tree, element_id: str) -> Box | None:
    found = xp(tree, f"//bpmndi:BPMNShape[@bpmnElement='{element_id}']/dc:Bounds")
    if not found:
        return None
    b = found[0]
    return Box(*(int(float(b.get(a))) for a in ("x", "y", "width", "height")))


FLOW_NODE_XPATH = (
    "//bpmn:process/*[self::bpmn:startEvent or self::bpmn:endEvent or "
    "self::bpmn:intermediateCatchEvent or self::bpmn:intermediateThrowEvent or "
    "contains(local-name(), 'Task') or contains(local-name(), 'Gateway')]"
)


def check_structure(tree, errors: list[str]) -> None:
    nodes = xp(tree, FLOW_NODE_XPATH)
    if not 8 <= len(nodes) <= 16:
        errors.append(f"{len(nodes)} flow nodes (expected 8–16)")
    if len(xp(tree, "//bpmn:process/bpmn:startEvent")) != 1:
        errors.append("not exactly one start event")
    if not xp(tree, "//bpmn:process/bpmn:endEvent"):
        errors.append("no end event")
    lanes = xp(tree, "//bpmn:lane")
    if not 2 <= len(lanes) <= 4:
        errors.append(f"{len(lanes)} lanes (expected 2–4)")
    refs = [r.text for r in xp(tree, "//bpmn:lane/bpmn:flowNodeRef")]
    for n in nodes:
        if refs.count(n.get("id")) != 1:
            errors.append(f"{n.get('id')} is not in exactly one lane")


def check_flows(tree, errors: list[str]) -> None:
    flows = xp(tree, "//bpmn:sequenceFlow")
    pairs = [(f.get("sourceRef"), f.get("targetRef")) for f in flows]
    if len(set(pairs)) != len(pairs):
        errors.append("duplicate sequence flows")
    for n in xp(tree, FLOW_NODE_XPATH):
        nid = n.get("id")
        inc = sorted(f.get("id") for f in flows if f.get("targetRef") == nid)
        out = sorted(f.get("id") for f in flows if f.get("sourceRef") == nid)
        if inc != sorted(e.text for e in xp(n, "bpmn:incoming")) or out != sorted(
            e.text for e in xp(n, "bpmn:outgoing")
        ):
            errors.append(f"{nid}: incoming/outgoing inconsistent")
        check_node_degree(n, len(inc), len(out), errors)


def check_node_degree(n, inc: int, out: int, errors: list[str]) -> None:
    local, nid = etree.QName(n).localname, n.get("id")
    if (local != "startEvent" and inc == 0) or (local != "endEvent" and out == 0):
        errors.append(f"{nid}: disconnected")
    if "Task" in local and (inc > 1 or out > 1):
        errors.append(f"{nid}: task with implicit join or split")
    if "Gateway" in local and not ((inc == 1 and out >= 2) or (inc >= 2 and out == 1)):
        errors.append(f"{nid}: gateway is neither a clean split nor a clean join")


def check_labels(tree, errors: list[str]) -> None:
    for n in xp(tree, FLOW_NODE_XPATH):
        local, name = etree.QName(n).localname, n.get("name", "")
        if "Event" in local and not name:
            errors.append(f"{n.get('id')}: unlabelled event")
        if "Task" in local and len(name.split()) < 2:
            errors.append(f"{n.get('id')}: task label needs object + verb")
        if any(len(w) > 18 for w in name.split()):
            errors.append(f"{n.get('id')}: label word too long to wrap")
    for g in xp(tree, "//bpmn:exclusiveGateway"):
        outs = xp(tree, f"//bpmn:sequenceFlow[@sourceRef='{g.get('id')}']")
        if len(outs) > 1 and (
            not g.get("name", "").endswith("?") or any(not f.get("name") for f in outs)
        ):
            errors.append(f"{g.get('id')}: split needs a question and labelled flows")
    docs = len(xp(tree, "//bpmn:process/*[contains(local-name(), 'Task')]/bpmn:documentation"))
    if not 2 <= docs <= 4:
        errors.append(f"{docs} documented tasks (expected 2–4)")


def check_gateway_pairs(tree, errors: list[str]) -> None:
    splits = joins = 0
    for g in xp(tree, "//bpmn:exclusiveGateway"):
        splits += len(xp(g, "bpmn:outgoing")) > 1
        joins += len(xp(g, "bpmn:incoming")) > 1
    if not (splits and joins):
        errors.append("no exclusive gateway pair")


def check_diagram(tree, errors: list[str]) -> None:
    pool = bounds_of(tree, "Participant_Behoerde")
    lane_of = {r.text: r.getparent().get("id") for r in xp(tree, "//bpmn:lane/bpmn:flowNodeRef")}
    for lane in xp(tree, "//bpmn:lane"):
        box = bounds_of(tree, lane.get("id"))
        if box is None or pool is None or not box.inside(pool):
            errors.append(f"{lane.get('id')}: lane shape missing or outside the pool")
    boxes = []
    for n in xp(tree, FLOW_NODE_XPATH):
        box, lane_box_ = bounds_of(tree, n.get("id")), bounds_of(tree, lane_of.get(n.get("id")))
        if box is None or lane_box_ is None or not box.inside(lane_box_):
            errors.append(f"{n.get('id')}: shape missing or outside its lane")
        elif any(box.overlaps(b) for b in boxes):
            errors.append(f"{n.get('id')}: shape overlaps another shape")
        if box is not None:
            boxes.append(box)
    for f in xp(tree, "//bpmn:sequenceFlow | //bpmn:messageFlow"):
        wps = xp(tree, f"//bpmndi:BPMNEdge[@bpmnElement='{f.get('id')}']/di:waypoint")
        if len(wps) < 2:
            errors.append(f"{f.get('id')}: edge missing")


LABEL_MIN_GAP = 1  # the self-check demands at least this much space around a caption


def label_bounds_of(tree, element_id: str) -> Box | None:
    found = xp(tree, f"//bpmndi:*[@bpmnElement='{element_id}']/bpmndi:BPMNLabel/dc:Bounds")
    if not found:
        return None
    b = found[0]
    return Box(*(int(float(b.get(a))) for a in ("x", "y", "width", "height")))


def rect_sides(b: Box) -> list:
    corners = [(b.x, b.y), (b.x + b.w, b.y), (b.x + b.w, b.y + b.h), (b.x, b.y + b.h)]
    return list(zip(corners, corners[1:] + corners[:1], strict=False))


def text_fits(text: str, box: Box) -> bool:
    """Does the estimated text, wrapped at the box width, fit into the box?"""
    lines = wrap(text, box.w)
    return len(lines) * LINE_H <= box.h and all(text_width(line) <= box.w for line in lines)


def check_label_layout(tree, errors: list[str]) -> None:
    """Each caption is drawn once, at its own BPMNLabel bounds; the bounds hold the
    (estimated) text and overlap no shape, no flow line, no pool or lane border and
    no other caption."""
    for flow in xp(tree, "//bpmn:messageFlow[@messageRef]"):
        errors.append(f"{flow.get('id')}: messageRef makes bpmn-js draw the message name twice")
    shapes = {}
    for n in xp(tree, FLOW_NODE_XPATH):
        box = bounds_of(tree, n.get("id"))
        if box is not None:
            shapes[n.get("id")] = box
    borders = []
    for el in xp(tree, "//bpmn:participant | //bpmn:lane"):
        box = bounds_of(tree, el.get("id"))
        if box is not None:
            borders += rect_sides(box)
    lines = {}
    for edge in xp(tree, "//bpmndi:BPMNEdge"):
        points = [(float(w.get("x")), float(w.get("y"))) for w in xp(edge, "di:waypoint")]
        lines[edge.get("bpmnElement")] = list(itertools.pairwise(points))
    captioned = [
        n
        for n in xp(tree, FLOW_NODE_XPATH)
        if "Task" not in etree.QName(n).localname and n.get("name")
    ]
    captioned += xp(tree, "//bpmn:sequenceFlow[@name] | //bpmn:messageFlow[@name]")
    labels: list[tuple[str, Box]] = []
    for el in captioned:
        eid, box = el.get("id"), label_bounds_of(tree, el.get("id"))
        if box is None:
            errors.append(f"{eid}: caption without BPMNLabel bounds")
            continue
        if not text_fits(el.get("name"), box):
            errors.append(f"{eid}: caption does not fit its label bounds")
        labels.append((eid, box))
    for i, (eid, box) in enumerate(labels):
        near = box.grown(LABEL_MIN_GAP)
        for sid, shape in shapes.items():
            if near.overlaps(shape):
                errors.append(f"{eid}: caption overlaps shape {sid}")
        for lid, segments in lines.items():
            if any(near.touches_segment(p, q) for p, q in segments):
                errors.append(f"{eid}: caption overlaps the line of {lid}")
        if any(near.touches_segment(p, q) for p, q in borders):
            errors.append(f"{eid}: caption crosses a pool or lane border")
        for oid, other in labels[i + 1 :]:
            if near.overlaps(other):
                errors.append(f"{eid}: caption overlaps the caption of {oid}")


def check_steckbrief(entry: dict, leika: dict[str, str], ozg: set[str], errors) -> None:
    keys = entry["leika_keys"]
    if not 1 <= len(keys) <= 3:
        errors.append("1–3 LeiKa keys expected")
    for key in keys:
        if not re.fullmatch(r"\d{14}", key) or key not in leika:
            errors.append(f"LeiKa key {key} not in leistungen.csv")
        elif leika[key] != entry["ozg_id"]:
            errors.append(f"LeiKa key {key} has ozg_id {leika[key]}, not {entry['ozg_id']}")
    if entry["ozg_id"] not in ozg:
        errors.append(f"ozg_id {entry['ozg_id']} not in ozg_leistungen.csv")
    if entry["digitisation_potential"] not in ("low", "medium", "high"):
        errors.append("digitisation_potential invalid")
    if any(not 0 <= v <= 3 for v in entry["maturity"].values()):
        errors.append("maturity stage out of range")


def self_check(path: Path, entry: dict, schema, leika, ozg) -> list[str]:
    tree = etree.parse(str(path))
    errors = []
    if not schema.validate(tree):
        errors += [f"XSD: {e.message} (line {e.line})" for e in schema.error_log]
    for check in (
        check_structure,
        check_flows,
        check_labels,
        check_gateway_pairs,
        check_diagram,
        check_label_layout,
    ):
        check(tree, errors)
    check_steckbrief(entry, leika, ozg, errors)
    return [f"{path.name}: {e}" for e in errors]


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def parse_args(argv=None):
    shared = REPO_ROOT.parent / "shared" / "data"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "xsd_dir",
        nargs="?",
        type=Path,
        default=shared / "bpmn-xsd",
        help="folder holding BPMN20.xsd and its imports",
    )
    parser.add_argument(
        "--leika-dir",
        type=Path,
        default=shared / "leika-ozg-nrw",
        help="folder holding leistungen.csv and ozg_leistungen.csv",
    )
    return parser.parse_args(argv)


def write_all() -> list[tuple[Path, dict]]:
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for proc in PROCESSES:
        path = MODEL_DIR / f"{proc.slug}.bpmn"
        path.write_bytes(build_bpmn(proc))
        written.append((path, steckbrief(proc)))
    entries = [entry for _, entry in written]
    text = json.dumps(entries, ensure_ascii=False, indent=2) + "\n"
    (OUT_DIR / "musterprozesse.json").write_text(text, encoding="utf-8")
    return written


def main(argv=None) -> int:
    args = parse_args(argv)
    schema = etree.XMLSchema(etree.parse(str(args.xsd_dir / "BPMN20.xsd")))
    leika, ozg = load_leika(args.leika_dir)
    errors = []
    for path, entry in write_all():
        errors += self_check(path, entry, schema, leika, ozg)
    for err in errors:
        print(f"FEHLER {err}", file=sys.stderr)
    if errors:
        return 1
    print(f"{len(PROCESSES)} Musterprozesse geschrieben und geprüft: {MODEL_DIR}")
    return 0


# --------------------------------------------------------------------------
# The twelve processes
# --------------------------------------------------------------------------


def law(text: str, url: str) -> dict:
    return {"text": text, "url": url}


GII = "https://www.gesetze-im-internet.de"
NRW = "https://recht.nrw.de/"  # NRW state law: portal entry (version-dated deep links change)

PROCESSES: list[Process] = []

PROCESSES.append(
    Process(
        slug="wohnsitz-anmelden",
        title="Wohnsitz anmelden",
        pool="Stadtverwaltung – Bürgerbüro",
        external="Meldepflichtige Person",
        lanes=("Bürgerbüro – Front Office", "Meldebehörde – Back Office"),
        nodes=(
            N("start", "start_msg", 0, "Anmeldung vorgelegt", msg="Anmeldung", ext=True),
            N(
                "ident",
                "user",
                0,
                "Identität prüfen",
                doc="Die Sachbearbeitung gleicht Ausweisdokument und vorsprechende Person ab.",
            ),
            N(
                "pruefen",
                "user",
                0,
                "Unterlagen prüfen",
                doc="Geprüft werden Anmeldeformular und Bestätigung des Wohnungsgebers nach § 19 BMG.",
            ),
            N("gw", "xor", 0, "Unterlagen vollständig?"),
            N("nachf", "send", 0, "Bestätigung nachfordern", msg="Nachforderung", ext=True),
            N(
                "nachger",
                "msg_catch",
                0,
                "Bestätigung nachgereicht",
                msg="Wohnungsgeberbestätigung",
                ext=True,
            ),
            N("join", "xor", 0),
            N(
                "erfassen",
                "user",
                0,
                "Meldedaten erfassen",
                doc="Die Meldedaten werden im Melderegister gespeichert und die Anmeldung wird wirksam.",
            ),
            N("par", "and", 0),
            N(
                "aushaend",
                "send",
                0,
                "Meldebestätigung aushändigen",
                msg="Meldebestätigung",
                ext=True,
            ),
            N(
                "rueck",
                "service",
                1,
                "Rückmeldung übermitteln",
                doc="Die bisherige Meldebehörde erhält die Rückmeldung automatisiert über XMeld.",
            ),
            N("daten", "service", 1, "Folgemitteilungen versenden"),
            N("parjoin", "and", 0),
            N("end", "end", 0, "Anmeldung abgeschlossen"),
        ),
        flows="start>ident ident>pruefen pruefen>gw gw>join:ja gw>nachf:nein nachf>nachger "
        "nachger>join join>erfassen erfassen>par par>aushaend par>rueck par>daten "
        "aushaend>parjoin rueck>parjoin daten>parjoin parjoin>end",
        info=dict(
            leika_keys=["99115005104000", "99115005104001", "99115005104002"],
            ozg_id="10124",
            description=(
                "Wer eine Wohnung bezieht, meldet sich innerhalb von zwei Wochen bei der "
                "Meldebehörde an. Das Bürgerbüro prüft Identität und Wohnungsgeberbestätigung, "
                "erfasst die Meldedaten und händigt die Meldebestätigung aus. Die Rückmeldung an "
                "die bisherige Meldebehörde und die gesetzlichen Folgemitteilungen laufen "
                "automatisiert."
            ),
            legal_bases=[
                law("§ 17 Bundesmeldegesetz (BMG)", f"{GII}/bmg/__17.html"),
                law(
                    "§ 19 Bundesmeldegesetz (BMG) – Mitwirkung des Wohnungsgebers",
                    f"{GII}/bmg/__19.html",
                ),
                law(
                    "§ 23 Bundesmeldegesetz (BMG) – Erfüllung der allgemeinen Meldepflicht",
                    f"{GII}/bmg/__23.html",
                ),
                law(
                    "§ 33 Bundesmeldegesetz (BMG) – Datenübermittlungen zwischen den Meldebehörden",
                    f"{GII}/bmg/__33.html",
                ),
            ],
            responsible_unit="Bürgerbüro / Meldebehörde",
            trigger="Einzug in eine Wohnung im Stadtgebiet (Anmeldung binnen zwei Wochen)",
            result="Wohnsitz im Melderegister eingetragen, Meldebestätigung ausgehändigt",
            required_documents=[
                "Personalausweis oder Reisepass",
                "Wohnungsgeberbestätigung",
                "ausgefülltes Anmeldeformular",
                "bei Familien: Personenstandsurkunden, soweit nicht bekannt",
            ],
            fees="gebührenfrei",
            cases_per_year=16000,
            minutes_per_case=12.0,
            cycle_time_days=1.0,
            digitisation_potential="high",
            maturity={"documentation": 2, "it_support": 3, "cross_unit": 2, "evaluation": 1},
            keywords=["Anmeldung", "Umzug", "Meldebestätigung", "Melderegister", "Hauptwohnsitz"],
            synonyms=["Ummeldung", "Wohnung anmelden", "Zuzug", "Adresse ändern", "Umzug melden"],
        ),
    )
)

PROCESSES.append(
    Process(
        slug="gewerbe-anmelden",
        title="Gewerbe anmelden",
        pool="Stadtverwaltung – Ordnungsamt",
        external="Gewerbetreibende",
        lanes=("Gewerbemeldestelle", "Stadtkasse"),
        nodes=(
            N(
                "start",
                "start_msg",
                0,
                "Gewerbeanzeige eingegangen",
                msg="Gewerbeanzeige",
                ext=True,
            ),
            N(
                "pruefen",
                "user",
                0,
                "Angaben prüfen",
                doc="Die Angaben im Vordruck GewA 1 werden auf Vollständigkeit und Plausibilität geprüft.",
            ),
            N("gw", "xor", 0, "Erlaubnis erforderlich?"),
            N(
                "erlaubnis",
                "user",
                0,
                "Erlaubnis prüfen",
                doc="Bei erlaubnispflichtigen Tätigkeiten muss die Erlaubnis vor Aufnahme vorliegen.",
            ),
            N("join", "xor", 0),
            N("erfassen", "user", 0, "Gewerbeanzeige erfassen"),
            N("gebuehr", "service", 1, "Gebühr buchen"),
            N("par", "and", 0),
            N(
                "bestaetigen",
                "send",
                0,
                "Gewerbeanzeige bestätigen",
                msg="Empfangsbescheinigung",
                ext=True,
            ),
            N(
                "uebermitteln",
                "service",
                0,
                "Anzeige weiterleiten",
                doc="Finanzamt, Kammern, Berufsgenossenschaft und Statistik erhalten die Daten "
                "elektronisch nach § 14 GewO.",
            ),
            N("parjoin", "and", 0),
            N("end", "end", 0, "Gewerbe angemeldet"),
        ),
        flows="start>pruefen pruefen>gw gw>join:nein gw>erlaubnis:ja erlaubnis>join join>erfassen "
        "erfassen>gebuehr gebuehr>par par>bestaetigen par>uebermitteln bestaetigen>parjoin "
        "uebermitteln>parjoin parjoin>end",
        info=dict(
            leika_keys=["99050012104000"],
            ozg_id="10294",
            description=(
                "Wer ein stehendes Gewerbe beginnt, zeigt dies gleichzeitig der zuständigen "
                "Behörde an. Die Gewerbemeldestelle prüft die Anzeige, bei erlaubnispflichtigen "
                "Gewerben auch die Erlaubnis, und bescheinigt den Empfang. Die Daten gehen "
                "anschließend an Finanzamt, Kammern und weitere Stellen."
            ),
            legal_bases=[
                law("§ 14 Gewerbeordnung (GewO)", f"{GII}/gewo/__14.html"),
                law("§ 15 Gewerbeordnung (GewO) – Empfangsbescheinigung", f"{GII}/gewo/__15.html"),
                law("Gewerbeanzeigeverordnung (GewAnzV)", f"{GII}/gewanzv_2014/"),
            ],
            responsible_unit="Ordnungsamt – Gewerbemeldestelle",
            trigger="Beginn eines stehenden Gewerbes oder einer Zweigniederlassung",
            result="Gewerbe im Gewerberegister erfasst, Empfangsbescheinigung erteilt",
            required_documents=[
                "Personalausweis oder Reisepass",
                "ausgefüllter Vordruck GewA 1",
                "bei erlaubnispflichtigen Gewerben: Erlaubnis",
                "bei Handwerk: Eintragung in die Handwerksrolle",
                "bei juristischen Personen: Handelsregisterauszug",
            ],
            fees="26,00 €",
            cases_per_year=1800,
            minutes_per_case=15.0,
            cycle_time_days=3.0,
            digitisation_potential="high",
            maturity={"documentation": 2, "it_support": 2, "cross_unit": 2, "evaluation": 1},
            keywords=["Gewerbeanzeige", "Gewerbeschein", "Existenzgründung", "Selbstständigkeit"],
            synonyms=[
                "Gewerbeschein beantragen",
                "Firma anmelden",
                "Selbstständig machen",
                "Gewerbeanmeldung",
            ],
        ),
    )
)

PROCESSES.append(
    Process(
        slug="hundesteuer-anmelden",
        title="Hundesteuer anmelden",
        pool="Stadtverwaltung – Steueramt",
        external="Hundehalter/in",
        lanes=("Steueramt – Hundesteuer", "Stadtkasse"),
        nodes=(
            N("start", "start_msg", 0, "Anmeldung eingegangen", msg="Hundeanmeldung", ext=True),
            N("pruefen", "user", 0, "Anmeldung prüfen"),
            N("gw", "xor", 0, "Befreiung beantragt?"),
            N(
                "befreiung",
                "user",
                0,
                "Befreiungsantrag prüfen",
                doc="Befreiung oder Ermäßigung richtet sich nach der Hundesteuersatzung, etwa für "
                "Blindenführhunde.",
            ),
            N("join", "xor", 0),
            N("erfassen", "user", 0, "Steuerfall anlegen"),
            N(
                "bescheid",
                "service",
                0,
                "Steuerbescheid erzeugen",
                doc="Das Steuerverfahren berechnet die Jahressteuer anteilig ab dem Monat der Aufnahme.",
            ),
            N("par", "and", 0),
            N(
                "versenden",
                "send",
                0,
                "Bescheid versenden",
                msg="Bescheid und Steuermarke",
                ext=True,
            ),
            N("soll", "service", 1, "Forderung sollstellen"),
            N("parjoin", "and", 0),
            N("end", "end", 0, "Hund steuerlich erfasst"),
        ),
        flows="start>pruefen pruefen>gw gw>join:nein gw>befreiung:ja befreiung>join join>erfassen "
        "erfassen>bescheid bescheid>par par>versenden par>soll versenden>parjoin soll>parjoin "
        "parjoin>end",
        info=dict(
            leika_keys=["99102013002000", "99102013000000"],
            ozg_id="10160",
            description=(
                "Wer im Stadtgebiet einen Hund hält, meldet ihn binnen der in der "
                "Hundesteuersatzung genannten Frist beim Steueramt an. Das Steueramt prüft die "
                "Anmeldung und etwaige Befreiungsanträge, setzt die Steuer per Bescheid fest und "
                "gibt die Steuermarke aus. Die Stadtkasse stellt die Forderung zum Soll."
            ),
            legal_bases=[
                law(
                    "Art. 105 Abs. 2a Grundgesetz (GG) – örtliche Aufwandsteuern",
                    f"{GII}/gg/art_105.html",
                ),
                law(
                    "§§ 2, 3 Kommunalabgabengesetz NRW (KAG NRW) mit der Hundesteuersatzung der Stadt",
                    NRW,
                ),
                law(
                    "§ 155 Abgabenordnung (AO) – Steuerfestsetzung (über § 12 KAG NRW)",
                    f"{GII}/ao_1977/__155.html",
                ),
            ],
            responsible_unit="Steueramt – Hundesteuer",
            trigger="Aufnahme eines Hundes in den Haushalt oder Zuzug mit Hund",
            result="Hundesteuer festgesetzt, Steuermarke ausgegeben",
            required_documents=[
                "Anmeldeformular Hundesteuer",
                "ggf. Nachweis für Befreiung oder Ermäßigung",
                "bei gefährlichen Hunden: Erlaubnis nach dem Landeshundegesetz NRW",
            ],
            fees="Anmeldung gebührenfrei; Steuer nach Hundesteuersatzung, z. B. 156,00 € jährlich "
            "für einen Hund",
            cases_per_year=1500,
            minutes_per_case=8.0,
            cycle_time_days=10.0,
            digitisation_potential="high",
            maturity={"documentation": 1, "it_support": 2, "cross_unit": 1, "evaluation": 0},
            keywords=["Hundesteuer", "Steuermarke", "Hundehaltung", "Aufwandsteuer"],
            synonyms=["Hund anmelden", "Hundemarke", "Hundesteuermarke", "neuer Hund"],
        ),
    )
)

PROCESSES.append(
    Process(
        slug="personalausweis-beantragen",
        title="Personalausweis beantragen",
        pool="Stadtverwaltung – Bürgerbüro",
        external="Antragsteller/in",
        lanes=("Bürgerbüro – Antragsannahme", "Ausweisstelle – Back Office"),
        nodes=(
            N("start", "start_msg", 0, "Antrag persönlich gestellt", msg="Ausweisantrag", ext=True),
            N(
                "ident",
                "user",
                0,
                "Identität feststellen",
                doc="Die Identität wird anhand des bisherigen Ausweises oder einer Urkunde festgestellt.",
            ),
            N("gw", "xor", 0, "Lichtbild geeignet?"),
            N("foto", "user", 0, "Lichtbild erfassen"),
            N("join", "xor", 0),
            N(
                "finger",
                "user",
                0,
                "Fingerabdrücke erfassen",
                doc="Zwei Fingerabdrücke werden verpflichtend im Chip gespeichert (§ 5 Abs. 9 PAuswG).",
            ),
            N("gebuehr", "user", 0, "Gebühr erheben"),
            N(
                "uebermitteln",
                "service",
                1,
                "Antragsdaten übermitteln",
                doc="Die Antragsdaten gehen signiert an die Bundesdruckerei zur Herstellung.",
            ),
            N("geliefert", "msg_catch", 1, "Ausweis geliefert", msg="Ausweislieferung"),
            N("verbuchen", "user", 1, "Eingang verbuchen"),
            N("mitteilen", "send", 1, "Abholung mitteilen", msg="Abholbenachrichtigung", ext=True),
            N("aushaend", "user", 0, "Ausweis aushändigen"),
            N("end", "end", 0, "Personalausweis ausgehändigt"),
        ),
        flows="start>ident ident>gw gw>join:ja gw>foto:nein foto>join join>finger finger>gebuehr "
        "gebuehr>uebermitteln uebermitteln>geliefert geliefert>verbuchen verbuchen>mitteilen "
        "mitteilen>aushaend aushaend>end",
        info=dict(
            leika_keys=["99008001012000", "99008001012001", "99008001012004"],
            ozg_id="10119",
            description=(
                "Deutsche ab 16 Jahren müssen einen gültigen Ausweis besitzen; der Antrag wird "
                "persönlich im Bürgerbüro gestellt. Die Antragsannahme stellt die Identität fest, "
                "erfasst Lichtbild und Fingerabdrücke und erhebt die Gebühr. Nach Herstellung "
                "durch die Bundesdruckerei wird der Ausweis verbucht und ausgehändigt."
            ),
            legal_bases=[
                law(
                    "§ 1 Personalausweisgesetz (PAuswG) – Ausweispflicht", f"{GII}/pauswg/__1.html"
                ),
                law(
                    "§ 9 Personalausweisgesetz (PAuswG) – Ausstellung des Ausweises",
                    f"{GII}/pauswg/__9.html",
                ),
                law(
                    "§ 5 Personalausweisgesetz (PAuswG) – Ausweismuster, gespeicherte Daten",
                    f"{GII}/pauswg/__5.html",
                ),
                law("Personalausweisgebührenverordnung (PAuswGebV)", f"{GII}/pauswgebv/"),
            ],
            responsible_unit="Bürgerbüro / Personalausweisbehörde",
            trigger="Ablauf, Verlust oder Erstausstellung eines Personalausweises",
            result="Personalausweis hergestellt und ausgehändigt",
            required_documents=[
                "bisheriger Personalausweis oder Reisepass",
                "biometrisches Lichtbild (digital)",
                "bei Erstantrag: Geburts- oder Eheurkunde",
                "bei Minderjährigen: Zustimmung der Sorgeberechtigten",
            ],
            fees="46,00 € (ab 24 Jahren), 22,80 € (unter 24 Jahren); vorläufiger Personalausweis "
            "10,00 €",
            cases_per_year=15000,
            minutes_per_case=15.0,
            cycle_time_days=21.0,
            digitisation_potential="medium",
            maturity={"documentation": 2, "it_support": 3, "cross_unit": 2, "evaluation": 1},
            keywords=["Personalausweis", "Ausweis", "eID", "Online-Ausweis", "Bundesdruckerei"],
            synonyms=[
                "Perso beantragen",
                "neuer Ausweis",
                "Ausweis verlängern",
                "Ausweis abgelaufen",
            ],
        ),
    )
)

PROCESSES.append(
    Process(
        slug="baugenehmigung-erteilen",
        title="Baugenehmigung erteilen",
        pool="Stadtverwaltung – Bauordnungsamt",
        external="Bauherr/in",
        lanes=("Bauaufsicht – Sachbearbeitung", "Fachdienststellen", "Stadtkasse"),
        nodes=(
            N("start", "start_msg", 0, "Bauantrag eingegangen", msg="Bauantrag", ext=True),
            N(
                "pruefen",
                "user",
                0,
                "Bauvorlagen prüfen",
                doc="Die Bauvorlagen werden nach der Bauprüfverordnung auf Vollständigkeit geprüft.",
            ),
            N("gw", "xor", 0, "Bauvorlagen vollständig?"),
            N("nachf", "send", 0, "Unterlagen nachfordern", msg="Nachforderung", ext=True),
            N(
                "nachger",
                "msg_catch",
                0,
                "Unterlagen nachgereicht",
                msg="Ergänzte Bauvorlagen",
                ext=True,
            ),
            N("join", "xor", 0),
            N("par", "and", 0),
            N("technik", "user", 0, "Bautechnik prüfen"),
            N(
                "planung",
                "user",
                1,
                "Planungsrecht beurteilen",
                doc="Die Stadtplanung beurteilt die Zulässigkeit nach §§ 29 bis 35 BauGB.",
            ),
            N("brand", "user", 1, "Brandschutz prüfen"),
            N("parjoin", "and", 0),
            N(
                "bescheid",
                "user",
                0,
                "Bescheid erstellen",
                doc="Der Genehmigungsbescheid enthält Nebenbestimmungen und die Gebührenfestsetzung.",
            ),
            N("gebuehr", "service", 2, "Gebühr sollstellen"),
            N("zustellen", "send", 0, "Baugenehmigung zustellen", msg="Baugenehmigung", ext=True),
            N("end", "end", 0, "Baugenehmigung erteilt"),
        ),
        flows="start>pruefen pruefen>gw gw>join:ja gw>nachf:nein nachf>nachger nachger>join "
        "join>par par>technik par>planung par>brand technik>parjoin planung>parjoin "
        "brand>parjoin parjoin>bescheid bescheid>gebuehr gebuehr>zustellen zustellen>end",
        info=dict(
            leika_keys=["99012008001000", "99012008001001"],
            ozg_id="10519",
            description=(
                "Die untere Bauaufsichtsbehörde entscheidet über Bauanträge für genehmigungs"
                "bedürftige Vorhaben. Nach der Vollständigkeitsprüfung werden Planungsrecht, "
                "Brandschutz und Bautechnik parallel beurteilt. Die Baugenehmigung wird erteilt, "
                "wenn keine öffentlich-rechtlichen Vorschriften entgegenstehen."
            ),
            legal_bases=[
                law("§ 74 Landesbauordnung NRW (BauO NRW 2018) – Baugenehmigung", NRW),
                law(
                    "§§ 29–35 Baugesetzbuch (BauGB) – Zulässigkeit von Vorhaben",
                    f"{GII}/bbaug/__29.html",
                ),
                law(
                    "§ 36 Baugesetzbuch (BauGB) – Beteiligung der Gemeinde",
                    f"{GII}/bbaug/__36.html",
                ),
            ],
            responsible_unit="Bauordnungsamt (untere Bauaufsichtsbehörde)",
            trigger="Bauantrag für ein genehmigungsbedürftiges Vorhaben",
            result="Baugenehmigung mit Nebenbestimmungen zugestellt",
            required_documents=[
                "Bauantrag (amtlicher Vordruck)",
                "Bauvorlagen nach Bauprüfverordnung (Lageplan, Bauzeichnungen, Baubeschreibung)",
                "bautechnische Nachweise (Standsicherheit, Brand-, Wärme- und Schallschutz)",
                "Berechnung des Rohbauwerts",
                "Nachweis der Bauvorlageberechtigung",
            ],
            fees="abhängig vom Rohbauwert nach der Allgemeinen Verwaltungsgebührenordnung NRW "
            "(Tarifstelle 2)",
            cases_per_year=900,
            minutes_per_case=480.0,
            cycle_time_days=90.0,
            digitisation_potential="high",
            maturity={"documentation": 2, "it_support": 2, "cross_unit": 2, "evaluation": 1},
            keywords=["Bauantrag", "Baugenehmigung", "Bauaufsicht", "Bauvorlagen", "Neubau"],
            synonyms=[
                "Bauantrag stellen",
                "Baugenehmigung beantragen",
                "Hausbau genehmigen",
                "Bauerlaubnis",
            ],
        ),
    )
)

PROCESSES.append(
    Process(
        slug="fuehrungszeugnis-beantragen",
        title="Führungszeugnis beantragen",
        pool="Stadtverwaltung – Bürgerbüro",
        external="Antragsteller/in",
        lanes=("Bürgerbüro", "Stadtkasse"),
        nodes=(
            N(
                "start",
                "start_msg",
                0,
                "Antrag persönlich gestellt",
                msg="Antrag Führungszeugnis",
                ext=True,
            ),
            N("ident", "user", 0, "Identität prüfen"),
            N("gw1", "xor", 0, "Erweitertes Zeugnis beantragt?"),
            N(
                "aufford",
                "user",
                0,
                "Aufforderung prüfen",
                doc="Für ein erweitertes Führungszeugnis ist die schriftliche Aufforderung nach "
                "§ 30a Abs. 2 BZRG vorzulegen.",
            ),
            N("join1", "xor", 0),
            N("gw2", "xor", 0, "Gebührenbefreiung beantragt?"),
            N(
                "befreiung",
                "user",
                0,
                "Befreiung prüfen",
                doc="Eine Befreiung kommt insbesondere bei ehrenamtlicher Tätigkeit in Betracht.",
            ),
            N("gebuehr", "user", 1, "Gebühr vereinnahmen"),
            N("join2", "xor", 0),
            N(
                "uebermitteln",
                "service",
                0,
                "Antrag übermitteln",
                doc="Der Antrag geht elektronisch an das Bundesamt für Justiz, das das Zeugnis versendet.",
            ),
            N("end", "end", 0, "Antrag übermittelt"),
        ),
        flows="start>ident ident>gw1 gw1>join1:nein gw1>aufford:ja aufford>join1 join1>gw2 "
        "gw2>befreiung:ja gw2>gebuehr:nein befreiung>join2 gebuehr>join2 join2>uebermitteln "
        "uebermitteln>end",
        info=dict(
            leika_keys=["99049001001001", "99049001001002"],
            ozg_id="10562",
            description=(
                "Das Führungszeugnis wird bei der Meldebehörde beantragt und vom Bundesamt für "
                "Justiz ausgestellt. Das Bürgerbüro prüft Identität und, beim erweiterten "
                "Führungszeugnis, die Aufforderung der anfordernden Stelle. Nach Zahlung oder "
                "Befreiung wird der Antrag elektronisch übermittelt."
            ),
            legal_bases=[
                law("§ 30 Bundeszentralregistergesetz (BZRG) – Antrag", f"{GII}/bzrg/__30.html"),
                law(
                    "§ 30a Bundeszentralregistergesetz (BZRG) – Erweitertes Führungszeugnis",
                    f"{GII}/bzrg/__30a.html",
                ),
            ],
            responsible_unit="Bürgerbüro",
            trigger="Anforderung eines Führungszeugnisses durch Arbeitgeber, Behörde oder Verein",
            result="Antrag an das Bundesamt für Justiz übermittelt",
            required_documents=[
                "Personalausweis oder Reisepass",
                "beim erweiterten Führungszeugnis: Aufforderung der anfordernden Stelle",
                "bei Gebührenbefreiung: Nachweis der ehrenamtlichen Tätigkeit",
            ],
            fees="13,00 €; Befreiung z. B. bei ehrenamtlicher Tätigkeit möglich",
            cases_per_year=9000,
            minutes_per_case=6.0,
            cycle_time_days=10.0,
            digitisation_potential="high",
            maturity={"documentation": 2, "it_support": 2, "cross_unit": 1, "evaluation": 1},
            keywords=["Führungszeugnis", "Bundeszentralregister", "erweitertes Führungszeugnis"],
            synonyms=[
                "polizeiliches Führungszeugnis",
                "Leumundszeugnis",
                "Strafregisterauszug",
                "Führungszeugnis für Arbeitgeber",
            ],
        ),
    )
)

PROCESSES.append(
    Process(
        slug="geburtsurkunde-ausstellen",
        title="Geburtsurkunde ausstellen",
        pool="Stadtverwaltung – Standesamt",
        external="Eltern",
        lanes=("Standesamt – Geburtenbeurkundung", "Stadtkasse"),
        nodes=(
            N(
                "start",
                "start_msg",
                0,
                "Geburtsanzeige eingegangen",
                msg="Geburtsanzeige der Klinik",
            ),
            N("pruefen", "user", 0, "Geburtsanzeige prüfen"),
            N("gw", "xor", 0, "Urkunden der Eltern vollständig?"),
            N(
                "anfordern",
                "send",
                0,
                "Urkunden anfordern",
                msg="Anforderung von Urkunden",
                ext=True,
            ),
            N(
                "eingang",
                "msg_catch",
                0,
                "Urkunden eingegangen",
                msg="Urkunden der Eltern",
                ext=True,
            ),
            N("join", "xor", 0),
            N(
                "beurkunden",
                "user",
                0,
                "Geburt beurkunden",
                doc="Die Geburt wird mit Vornamen und Familiennamen im elektronischen Geburtenregister "
                "beurkundet.",
            ),
            N("par", "and", 0),
            N("ausstellen", "user", 0, "Geburtsurkunden ausstellen"),
            N("gebuehr", "user", 1, "Gebühr vereinnahmen"),
            N(
                "mitteilen",
                "service",
                0,
                "Mitteilungen versenden",
                doc="Meldebehörde, Statistisches Landesamt und weitere Stellen werden automatisiert "
                "informiert.",
            ),
            N("parjoin", "and", 0),
            N("versenden", "send", 0, "Urkunden übergeben", msg="Geburtsurkunden", ext=True),
            N("end", "end", 0, "Geburtsurkunde ausgestellt"),
        ),
        flows="start>pruefen pruefen>gw gw>join:ja gw>anfordern:nein anfordern>eingang "
        "eingang>join join>beurkunden beurkunden>par par>ausstellen par>mitteilen "
        "ausstellen>gebuehr gebuehr>parjoin mitteilen>parjoin parjoin>versenden versenden>end",
        info=dict(
            leika_keys=["99027002012000"],
            ozg_id="10557",
            description=(
                "Nach der Geburtsanzeige der Klinik beurkundet das Standesamt die Geburt im "
                "Geburtenregister. Fehlen Personenstandsurkunden der Eltern, werden sie "
                "angefordert. Anschließend stellt das Standesamt die Geburtsurkunden aus und "
                "informiert die beteiligten Behörden."
            ),
            legal_bases=[
                law(
                    "§ 18 Personenstandsgesetz (PStG) – Anzeige der Geburt", f"{GII}/pstg/__18.html"
                ),
                law(
                    "§ 21 Personenstandsgesetz (PStG) – Eintragung in das Geburtenregister",
                    f"{GII}/pstg/__21.html",
                ),
                law(
                    "§ 55 Personenstandsgesetz (PStG) – Personenstandsurkunden",
                    f"{GII}/pstg/__55.html",
                ),
                law("§ 59 Personenstandsgesetz (PStG) – Geburtsurkunde", f"{GII}/pstg/__59.html"),
            ],
            responsible_unit="Standesamt",
            trigger="Geburt im Stadtgebiet, angezeigt durch Klinik oder Eltern",
            result="Geburt beurkundet, Geburtsurkunden ausgestellt",
            required_documents=[
                "Geburtsanzeige der Klinik oder Hebamme",
                "Personalausweise der Eltern",
                "Geburtsurkunden der Eltern",
                "bei verheirateten Eltern: Eheurkunde",
                "bei nicht verheirateten Eltern: ggf. Vaterschaftsanerkennung und Sorgeerklärung",
            ],
            fees="12,00 € je Urkunde, jede weitere gleichzeitig ausgestellte 6,00 €; Bescheinigungen "
            "für Elterngeld, Kindergeld und Mutterschaftsgeld gebührenfrei",
            cases_per_year=2600,
            minutes_per_case=40.0,
            cycle_time_days=7.0,
            digitisation_potential="medium",
            maturity={"documentation": 2, "it_support": 2, "cross_unit": 2, "evaluation": 1},
            keywords=["Geburt", "Geburtenregister", "Geburtsurkunde", "Standesamt", "Beurkundung"],
            synonyms=["Geburt anmelden", "Kind anmelden", "Geburtsbescheinigung", "Baby anmelden"],
        ),
    )
)

PROCESSES.append(
    Process(
        slug="sterbeurkunde-ausstellen",
        title="Sterbeurkunde ausstellen",
        pool="Stadtverwaltung – Standesamt",
        external="Anzeigende Person / Bestattungsunternehmen",
        lanes=("Standesamt – Sterbefallbeurkundung", "Stadtkasse"),
        nodes=(
            N(
                "start",
                "start_msg",
                0,
                "Sterbefallanzeige eingegangen",
                msg="Sterbefallanzeige",
                ext=True,
            ),
            N(
                "pruefen",
                "user",
                0,
                "Todesbescheinigung prüfen",
                doc="Geprüft werden Todeszeitpunkt, Sterbeort und die Angaben zur verstorbenen Person.",
            ),
            N("gw", "xor", 0, "Unterlagen vollständig?"),
            N("nachf", "send", 0, "Urkunden nachfordern", msg="Nachforderung", ext=True),
            N(
                "nachger",
                "msg_catch",
                0,
                "Urkunden nachgereicht",
                msg="Nachgereichte Urkunden",
                ext=True,
            ),
            N("join", "xor", 0),
            N(
                "beurkunden",
                "user",
                0,
                "Sterbefall beurkunden",
                doc="Der Sterbefall wird im elektronischen Sterberegister beurkundet.",
            ),
            N("par", "and", 0),
            N("ausstellen", "user", 0, "Sterbeurkunden ausstellen"),
            N("gebuehr", "user", 1, "Gebühr vereinnahmen"),
            N(
                "mitteilen",
                "service",
                0,
                "Mitteilungen versenden",
                doc="Meldebehörde, Zentrales Testamentsregister und Statistik erhalten Mitteilungen.",
            ),
            N("parjoin", "and", 0),
            N("uebergeben", "send", 0, "Sterbeurkunden übergeben", msg="Sterbeurkunden", ext=True),
            N("end", "end", 0, "Sterbeurkunde ausgestellt"),
        ),
        flows="start>pruefen pruefen>gw gw>join:ja gw>nachf:nein nachf>nachger nachger>join "
        "join>beurkunden beurkunden>par par>ausstellen par>mitteilen ausstellen>gebuehr "
        "gebuehr>parjoin mitteilen>parjoin parjoin>uebergeben uebergeben>end",
        info=dict(
            leika_keys=["99101004012000"],
            ozg_id="10237",
            description=(
                "Ein Sterbefall ist dem Standesamt des Sterbeorts spätestens am dritten "
                "Werktag anzuzeigen, meist durch ein Bestattungsunternehmen. Das Standesamt "
                "prüft Todesbescheinigung und Personenstandsurkunden, beurkundet den Sterbefall "
                "und stellt die Sterbeurkunden aus. Parallel gehen Mitteilungen an Behörden."
            ),
            legal_bases=[
                law(
                    "§ 28 Personenstandsgesetz (PStG) – Anzeige des Sterbefalls",
                    f"{GII}/pstg/__28.html",
                ),
                law(
                    "§ 31 Personenstandsgesetz (PStG) – Eintragung in das Sterberegister",
                    f"{GII}/pstg/__31.html",
                ),
                law("§ 60 Personenstandsgesetz (PStG) – Sterbeurkunde", f"{GII}/pstg/__60.html"),
            ],
            responsible_unit="Standesamt",
            trigger="Sterbefall im Stadtgebiet, angezeigt durch Angehörige oder Bestatter",
            result="Sterbefall beurkundet, Sterbeurkunden ausgehändigt",
            required_documents=[
                "ärztliche Todesbescheinigung",
                "Personalausweis oder Reisepass der verstorbenen Person",
                "Geburtsurkunde, bei Verheirateten Eheurkunde",
                "bei Geschiedenen: rechtskräftiges Scheidungsurteil",
                "Vollmacht des Bestattungsunternehmens",
            ],
            fees="12,00 € je Urkunde, jede weitere gleichzeitig ausgestellte 6,00 €",
            cases_per_year=2200,
            minutes_per_case=35.0,
            cycle_time_days=3.0,
            digitisation_potential="medium",
            maturity={"documentation": 2, "it_support": 2, "cross_unit": 2, "evaluation": 1},
            keywords=["Sterbefall", "Sterberegister", "Sterbeurkunde", "Bestattung", "Standesamt"],
            synonyms=["Todesfall melden", "Sterbefall anzeigen", "Totenschein", "Todesurkunde"],
        ),
    )
)

PROCESSES.append(
    Process(
        slug="sondernutzungserlaubnis-erteilen",
        title="Sondernutzungserlaubnis erteilen",
        pool="Stadtverwaltung – Tiefbauamt",
        external="Antragsteller/in",
        lanes=("Tiefbauamt – Sondernutzungen", "Straßenverkehrsbehörde", "Stadtkasse"),
        nodes=(
            N(
                "start",
                "start_msg",
                0,
                "Antrag eingegangen",
                msg="Antrag auf Sondernutzung",
                ext=True,
            ),
            N(
                "pruefen",
                "user",
                0,
                "Antrag prüfen",
                doc="Geprüft werden Fläche, Zeitraum und Art der Nutzung anhand von Lageplan und "
                "Beschreibung.",
            ),
            N("par", "and", 0),
            N("konflikte", "user", 0, "Nutzungskonflikte prüfen"),
            N(
                "verkehr",
                "user",
                1,
                "Verkehrssicherheit beurteilen",
                doc="Die Straßenverkehrsbehörde prüft Sichtbeziehungen, Gehwegbreiten und Beschilderung.",
            ),
            N("parjoin", "and", 0),
            N("gw", "xor", 0, "Nutzung erlaubnisfähig?"),
            N(
                "erlaubnis",
                "user",
                0,
                "Erlaubnis erstellen",
                doc="Die Erlaubnis wird befristet und mit Auflagen zu Sicherung und Reinigung erteilt.",
            ),
            N("gebuehr", "service", 2, "Gebühr sollstellen"),
            N("ablehnung", "user", 0, "Ablehnung begründen"),
            N("join", "xor", 0),
            N("zustellen", "send", 0, "Bescheid zustellen", msg="Bescheid", ext=True),
            N("end", "end", 0, "Antrag beschieden"),
        ),
        flows="start>pruefen pruefen>par par>konflikte par>verkehr konflikte>parjoin "
        "verkehr>parjoin parjoin>gw gw>erlaubnis:ja gw>ablehnung:nein erlaubnis>gebuehr "
        "gebuehr>join ablehnung>join join>zustellen zustellen>end",
        info=dict(
            leika_keys=["99108012005001", "99108012005000"],
            ozg_id="10348",
            description=(
                "Wer eine öffentliche Straße über den Gemeingebrauch hinaus nutzt, etwa für "
                "Außengastronomie, Container oder Gerüste, braucht eine Sondernutzungserlaubnis. "
                "Das Tiefbauamt prüft den Antrag gemeinsam mit der Straßenverkehrsbehörde und "
                "erteilt die Erlaubnis befristet und mit Auflagen oder lehnt sie ab. Für "
                "Gemeindestraßen gilt das Straßen- und Wegegesetz NRW mit der "
                "Sondernutzungssatzung der Stadt."
            ),
            legal_bases=[
                law("§ 18 Straßen- und Wegegesetz NRW (StrWG NRW) – Sondernutzung", NRW),
                law(
                    "§ 8 Bundesfernstraßengesetz (FStrG) – Sondernutzungen an Ortsdurchfahrten",
                    f"{GII}/fstrg/__8.html",
                ),
                law(
                    "§ 46 Straßenverkehrs-Ordnung (StVO) – Ausnahmegenehmigung",
                    f"{GII}/stvo_2013/__46.html",
                ),
            ],
            responsible_unit="Tiefbauamt – Sondernutzungen",
            trigger="Antrag auf Nutzung öffentlicher Verkehrsfläche über den Gemeingebrauch hinaus",
            result="Sondernutzungserlaubnis mit Auflagen erteilt oder Antrag abgelehnt",
            required_documents=[
                "Antrag (formlos oder Online-Formular)",
                "Lageplan mit Kennzeichnung der Fläche",
                "Angaben zu Zeitraum und Art der Nutzung",
                "ggf. Verkehrszeichenplan",
                "Nachweis einer Haftpflichtversicherung",
            ],
            fees="Verwaltungsgebühr 30,00 € bis 250,00 € zuzüglich Sondernutzungsgebühr nach der "
            "Sondernutzungssatzung",
            cases_per_year=1200,
            minutes_per_case=45.0,
            cycle_time_days=14.0,
            digitisation_potential="high",
            maturity={"documentation": 1, "it_support": 1, "cross_unit": 2, "evaluation": 0},
            keywords=["Sondernutzung", "Außengastronomie", "Straßennutzung", "Container", "Gerüst"],
            synonyms=[
                "Gehweg nutzen",
                "Tische auf dem Gehweg",
                "Container aufstellen",
                "Straße sperren",
                "Werbeaufsteller",
            ],
        ),
    )
)

PROCESSES.append(
    Process(
        slug="belehrung-ifsg-43",
        title="Belehrung nach § 43 IfSG",
        pool="Stadtverwaltung – Gesundheitsamt",
        external="Antragsteller/in",
        lanes=("Gesundheitsamt – Servicestelle", "Gesundheitsamt – Infektionsschutz", "Stadtkasse"),
        nodes=(
            N(
                "start",
                "start_msg",
                0,
                "Anmeldung eingegangen",
                msg="Anmeldung zur Belehrung",
                ext=True,
            ),
            N("termin", "service", 0, "Termin vergeben"),
            N("bestaetigen", "send", 0, "Termin bestätigen", msg="Terminbestätigung", ext=True),
            N("timer", "timer", 0, "Belehrungstermin erreicht", timer="P14D"),
            N("gebuehr", "user", 2, "Gebühr vereinnahmen"),
            N("gw", "xor", 1, "Belehrung in Präsenz?"),
            N(
                "praesenz",
                "manual",
                1,
                "Belehrung durchführen",
                doc="Die Belehrung erläutert Tätigkeitsverbote und Mitteilungspflichten nach § 42 IfSG.",
            ),
            N("online", "user", 1, "Onlinebelehrung freischalten"),
            N("join", "xor", 1),
            N(
                "erklaerung",
                "user",
                1,
                "Erklärung entgegennehmen",
                doc="Die belehrte Person erklärt schriftlich, dass ihr keine Hinderungsgründe bekannt "
                "sind.",
            ),
            N(
                "bescheinigung",
                "user",
                0,
                "Bescheinigung ausstellen",
                doc="Die Bescheinigung darf bei Tätigkeitsbeginn nicht älter als drei Monate sein.",
            ),
            N("end", "end", 0, "Bescheinigung ausgehändigt"),
        ),
        flows="start>termin termin>bestaetigen bestaetigen>timer timer>gebuehr gebuehr>gw "
        "gw>praesenz:ja gw>online:nein praesenz>join online>join join>erklaerung "
        "erklaerung>bescheinigung bescheinigung>end",
        info=dict(
            leika_keys=["99003002000000", "99003002022000"],
            ozg_id="10181",
            description=(
                "Wer gewerbsmäßig mit Lebensmitteln umgeht, braucht vor der erstmaligen "
                "Tätigkeit eine Belehrung durch das Gesundheitsamt. Die Belehrung findet in "
                "Präsenz oder online statt; die Person erklärt anschließend, dass ihr keine "
                "Hinderungsgründe bekannt sind. Das Gesundheitsamt stellt darüber eine "
                "Bescheinigung aus."
            ),
            legal_bases=[
                law(
                    "§ 43 Infektionsschutzgesetz (IfSG) – Belehrung, Bescheinigung des "
                    "Gesundheitsamtes",
                    f"{GII}/ifsg/__43.html",
                ),
                law(
                    "§ 42 Infektionsschutzgesetz (IfSG) – Tätigkeits- und Beschäftigungsverbote",
                    f"{GII}/ifsg/__42.html",
                ),
            ],
            responsible_unit="Gesundheitsamt – Infektionsschutz",
            trigger="Geplante Tätigkeit im Lebensmittelbereich",
            result="Bescheinigung nach § 43 Abs. 1 IfSG ausgehändigt",
            required_documents=[
                "Personalausweis oder Reisepass",
                "Terminbestätigung",
                "ggf. Zahlungsnachweis",
            ],
            fees="30,00 €",
            cases_per_year=3500,
            minutes_per_case=20.0,
            cycle_time_days=14.0,
            digitisation_potential="high",
            maturity={"documentation": 2, "it_support": 2, "cross_unit": 1, "evaluation": 1},
            keywords=["Infektionsschutz", "Lebensmittel", "Belehrung", "Gesundheitszeugnis"],
            synonyms=[
                "Gesundheitszeugnis",
                "Rote Karte",
                "Hygienebelehrung",
                "Belehrung Gastronomie",
                "Lebensmittelbelehrung",
            ],
        ),
    )
)

PROCESSES.append(
    Process(
        slug="hygienische-begehung-altenheim",
        title="Anlassbezogene hygienische Begehung eines Altenheims",
        pool="Stadtverwaltung – Gesundheitsamt",
        external="Einrichtungsleitung Altenheim",
        lanes=("Hygieneüberwachung", "Amtsärztlicher Dienst", "Heimaufsicht (WTG-Behörde)"),
        nodes=(
            N(
                "start",
                "start_msg",
                0,
                "Ausbruchsmeldung eingegangen",
                msg="Meldung der Einrichtung",
                ext=True,
            ),
            N(
                "bewerten",
                "user",
                1,
                "Anlass bewerten",
                doc="Die Amtsärztin oder der Amtsarzt bewertet Erreger, Fallzahl und Gefährdungslage.",
            ),
            N("gw", "xor", 1, "Sofortmaßnahmen erforderlich?"),
            N("sofort", "user", 1, "Sofortmaßnahmen anordnen"),
            N("join", "xor", 1),
            N("vorbereiten", "user", 0, "Begehung vorbereiten"),
            N(
                "begehen",
                "manual",
                0,
                "Begehung durchführen",
                doc="Begangen werden Wohnbereiche, Küche und Wäscherei; Hygieneplan und "
                "Ausbruchsdokumentation werden eingesehen.",
            ),
            N("par", "and", 0),
            N("bericht", "user", 0, "Bericht erstellen"),
            N("heimaufsicht", "user", 2, "Ordnungsrecht prüfen"),
            N("parjoin", "and", 0),
            N(
                "versenden",
                "send",
                0,
                "Bericht versenden",
                msg="Begehungsbericht mit Fristen",
                ext=True,
            ),
            N("frist", "timer", 0, "Frist abgelaufen", timer="P14D"),
            N(
                "nachkontrolle",
                "manual",
                0,
                "Nachkontrolle durchführen",
                doc="Die Nachkontrolle stellt fest, ob die benannten Mängel fristgerecht beseitigt sind.",
            ),
            N("end", "end", 0, "Begehung abgeschlossen"),
        ),
        flows="start>bewerten bewerten>gw gw>join:nein gw>sofort:ja sofort>join join>vorbereiten "
        "vorbereiten>begehen begehen>par par>bericht par>heimaufsicht bericht>parjoin "
        "heimaufsicht>parjoin parjoin>versenden versenden>frist frist>nachkontrolle "
        "nachkontrolle>end",
        info=dict(
            leika_keys=["99003013000000"],
            ozg_id="10181",
            description=(
                "Bei einem Ausbruchsgeschehen oder Beschwerden begeht das Gesundheitsamt ein "
                "Alten- oder Pflegeheim außerhalb der Routineüberwachung. Nach amtsärztlicher "
                "Bewertung werden gegebenenfalls Sofortmaßnahmen angeordnet, dann folgen "
                "Begehung, Bericht mit Fristen und Nachkontrolle. Die Heimaufsicht wird "
                "beteiligt."
            ),
            legal_bases=[
                law(
                    "§ 36 Infektionsschutzgesetz (IfSG) – Infektionshygienische Überwachung",
                    f"{GII}/ifsg/__36.html",
                ),
                law(
                    "§ 15a Infektionsschutzgesetz (IfSG) – Durchführung der infektionshygienischen "
                    "Überwachung",
                    f"{GII}/ifsg/__15a.html",
                ),
                law(
                    "§ 16 Infektionsschutzgesetz (IfSG) – Allgemeine Maßnahmen",
                    f"{GII}/ifsg/__16.html",
                ),
            ],
            responsible_unit="Gesundheitsamt – Infektions- und Umwelthygiene",
            trigger="Ausbruchsmeldung, gehäufte Erkrankungen oder Beschwerde zu einer Einrichtung",
            result="Mängel festgestellt, Maßnahmen angeordnet und Beseitigung nachkontrolliert",
            required_documents=[
                "Hygieneplan der Einrichtung",
                "Ausbruchsliste der Erkrankungsfälle",
                "Reinigungs- und Desinfektionspläne",
                "Nachweise über Hygieneschulungen des Personals",
            ],
            fees="Erstbegehung gebührenfrei; Nachbegehung bei Mängeln nach Zeitaufwand gemäß "
            "Allgemeiner Verwaltungsgebührenordnung NRW",
            cases_per_year=30,
            minutes_per_case=600.0,
            cycle_time_days=21.0,
            digitisation_potential="low",
            maturity={"documentation": 1, "it_support": 1, "cross_unit": 2, "evaluation": 1},
            keywords=[
                "Hygiene",
                "Infektionsschutz",
                "Altenheim",
                "Pflegeheim",
                "Ausbruch",
                "Begehung",
            ],
            synonyms=[
                "Hygienekontrolle Pflegeheim",
                "Heimbegehung",
                "Ausbruch im Altenheim",
                "Hygieneprüfung Seniorenheim",
            ],
        ),
    )
)

PROCESSES.append(
    Process(
        slug="schuleingangsuntersuchung",
        title="Schuleingangsuntersuchung",
        pool="Stadtverwaltung – Gesundheitsamt",
        external="Eltern / Sorgeberechtigte",
        lanes=(
            "Jugendgesundheitsdienst – Verwaltung",
            "Sozialmedizinische Assistenz",
            "Schulärztlicher Dienst",
        ),
        nodes=(
            N("start", "start_msg", 0, "Schulanmeldung übermittelt", msg="Schulanmeldedaten"),
            N("einladen", "send", 0, "Eltern einladen", msg="Einladung", ext=True),
            N(
                "fragebogen",
                "msg_catch",
                0,
                "Fragebogen eingegangen",
                msg="Elternfragebogen",
                ext=True,
            ),
            N(
                "screening",
                "manual",
                1,
                "Screening durchführen",
                doc="Seh- und Hörtest sowie das Entwicklungsscreening werden standardisiert erhoben.",
            ),
            N(
                "impf",
                "user",
                1,
                "Impfstatus erheben",
                doc="Der Impfstatus wird nach § 34 Abs. 11 IfSG erhoben, der Masernschutz geprüft.",
            ),
            N("untersuchen", "manual", 2, "Kind untersuchen"),
            N("gw", "xor", 2, "Förderbedarf festgestellt?"),
            N("foerder", "user", 2, "Förderung empfehlen"),
            N("join", "xor", 2),
            N(
                "gutachten",
                "user",
                2,
                "Gutachten erstellen",
                doc="Das schulärztliche Gutachten fasst Befunde und Empfehlungen für die Schule "
                "zusammen.",
            ),
            N("par", "and", 0),
            N("eltern", "send", 0, "Ergebnis mitteilen", msg="Untersuchungsergebnis", ext=True),
            N("schule", "send", 0, "Empfehlung übermitteln", msg="Schulärztliche Empfehlung"),
            N("parjoin", "and", 0),
            N("end", "end", 0, "Untersuchung abgeschlossen"),
        ),
        flows="start>einladen einladen>fragebogen fragebogen>screening screening>impf "
        "impf>untersuchen untersuchen>gw gw>join:nein gw>foerder:ja foerder>join "
        "join>gutachten gutachten>par par>eltern par>schule eltern>parjoin schule>parjoin "
        "parjoin>end",
        info=dict(
            leika_keys=["99088028058000"],
            ozg_id="10041",
            description=(
                "Vor der Einschulung untersucht der Kinder- und Jugendgesundheitsdienst jedes "
                "schulpflichtig werdende Kind. Nach Einladung und Elternfragebogen folgen "
                "Screening, Erhebung des Impfstatus und die schulärztliche Untersuchung. Eltern "
                "und Schule erhalten das Ergebnis mit etwaigen Förderempfehlungen."
            ),
            legal_bases=[
                law("§ 54 Abs. 2 Schulgesetz NRW (SchulG NRW) – Schulgesundheit", NRW),
                law(
                    "§ 34 Abs. 11 Infektionsschutzgesetz (IfSG) – Erhebung des Impfstatus",
                    f"{GII}/ifsg/__34.html",
                ),
                law(
                    "§ 20 Abs. 9 Infektionsschutzgesetz (IfSG) – Nachweis des Masernschutzes",
                    f"{GII}/ifsg/__20.html",
                ),
            ],
            responsible_unit="Gesundheitsamt – Kinder- und Jugendgesundheitsdienst",
            trigger="Anmeldung des Kindes an einer Grundschule",
            result="Schulärztliches Gutachten an Schule und Eltern übermittelt",
            required_documents=[
                "Einladungsschreiben",
                "Impfpass",
                "Kinder-Untersuchungsheft (U-Heft)",
                "ausgefüllter Elternfragebogen",
                "ggf. Brille, Hörgeräte und vorliegende Befunde",
            ],
            fees="gebührenfrei",
            cases_per_year=1700,
            minutes_per_case=60.0,
            cycle_time_days=21.0,
            digitisation_potential="low",
            maturity={"documentation": 2, "it_support": 1, "cross_unit": 2, "evaluation": 2},
            keywords=[
                "Einschulung",
                "Schuleingangsuntersuchung",
                "Schularzt",
                "Impfstatus",
                "Entwicklungsscreening",
            ],
            synonyms=[
                "Einschulungsuntersuchung",
                "Schuluntersuchung",
                "Schularzt-Termin",
                "Untersuchung vor der Einschulung",
            ],
        ),
    )
)


if __name__ == "__main__":
    sys.exit(main())
