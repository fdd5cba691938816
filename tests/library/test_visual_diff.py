"""The element classification behind the visual diff page (app/library/visual_diff.py)."""

from __future__ import annotations

from app.bpmn.diff import diff_models
from app.bpmn.parse import parse_bpmn
from app.library.visual_diff import classify
from tests.factories import seed_model_bytes

ORIGINAL = seed_model_bytes("wohnsitz-anmelden")
MOVED = b'<dc:Bounds x="425" y="200" width="130" height="80"/>'
TEXT_BOX = (
    b"""<bpmn:textAnnotation id="Note_Neu"><bpmn:text>Neu</bpmn:text></bpmn:textAnnotation>"""
)


def classified(old: bytes, new: bytes, names=None):
    diff = diff_models(parse_bpmn(old, max_bytes=10**7), parse_bpmn(new, max_bytes=10**7))
    return {entry["id"]: entry for entry in classify(diff, names or {})}


def edited() -> bytes:
    return (
        ORIGINAL.replace("Unterlagen prüfen".encode(), b"Unterlagen sichten")
        .replace(MOVED, b'<dc:Bounds x="445" y="220" width="130" height="80"/>')
        .replace(b"</bpmn:process>", TEXT_BOX + b"</bpmn:process>")
    )


def test_each_kind_of_change_gets_its_status_side_and_german_label():
    entries = classified(ORIGINAL, edited(), {"Task_IdentitaetPruefen": ("Identität", "userTask")})
    assert entries["Task_UnterlagenPruefen"] == {
        "id": "Task_UnterlagenPruefen",
        "status": "changed",
        "label": "geändert",
        "symbol": "~",
        "name": "Unterlagen sichten",
        "type": entries["Task_UnterlagenPruefen"]["type"],
        "side": "both",
        "detail": "Name",
    }
    assert entries["Note_Neu"]["status"] == "added" and entries["Note_Neu"]["side"] == "new"
    layout = entries["Task_IdentitaetPruefen"]
    assert (layout["status"], layout["detail"], layout["name"]) == (
        "layout", "verschoben", "Identität"
    )  # fmt: skip


def test_a_removal_is_shown_on_the_old_diagram_and_nothing_for_equal_models():
    entries = classified(edited(), ORIGINAL)
    assert entries["Note_Neu"]["status"] == "removed" and entries["Note_Neu"]["side"] == "old"
    assert entries["Note_Neu"]["symbol"] == "−"
    assert classified(ORIGINAL, ORIGINAL) == {}


def test_a_pure_relayout_is_layout_only_and_a_resize_says_so():
    resized = ORIGINAL.replace(MOVED, b'<dc:Bounds x="425" y="200" width="150" height="80"/>')
    entries = classified(ORIGINAL, resized)
    assert [(e["status"], e["detail"]) for e in entries.values()] == [("layout", "Größe geändert")]
