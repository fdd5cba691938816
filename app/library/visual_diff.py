"""What the visual diff page colours: every element of two revisions that differs, classified.

Built on :func:`app.bpmn.diff.diff_models`. Each entry says which diagram shows the element (the
old one for a removal, the new one for an addition, both otherwise), a German label and a short
description, so that the page can mark the shapes, list them, and hide layout-only changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.authz import Actor
from app.errors import NotFound, ValidationFailed
from app.i18n import _, _l
from app.library import analysis
from app.library import services as library
from app.library.models import ProcessModel, Revision

ADDED, REMOVED, CHANGED, LAYOUT = "added", "removed", "changed", "layout"
STATUS_LABELS = {
    ADDED: _l("hinzugefügt"),
    REMOVED: _l("entfernt"),
    CHANGED: _l("geändert"),
    LAYOUT: _l("nur Layout"),
}
STATUS_SYMBOLS = {ADDED: "+", REMOVED: "−", CHANGED: "~", LAYOUT: "↔"}
FIELD_LABELS = {
    "name": _l("Name"),
    "type": _l("Typ"),
    "documentation": _l("Dokumentation"),
    "lane": _l("Lane"),
    "flow": _l("Verbindungen"),
    "condition": _l("Bedingung"),
    "default": _l("Standardfluss"),
    "attributes": _l("Eigenschaften"),
}
LAYOUT_LABELS = {
    "moved": _l("verschoben"),
    "resized": _l("Größe geändert"),
    "rerouted": _l("anders geführt"),
    "label": _l("Beschriftung verschoben"),
}
UPSTREAM = "upstream"


def classify(diff: dict[str, Any], names: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """One entry per differing element; ``names`` gives (name, type) for layout-only entries,
    which the semantic diff reports by id alone."""
    entries = [_entry(ADDED, item, "new", "") for item in diff["added"]]
    entries += [_entry(REMOVED, item, "old", "") for item in diff["removed"]]
    entries += [_entry(CHANGED, item, "both", _changed_detail(item)) for item in diff["changed"]]
    for item in diff["layout"]:
        name, kind = names.get(item["id"], ("", ""))
        detail = str(LAYOUT_LABELS.get(item["kind"], item["kind"]))
        entries.append(_entry(LAYOUT, {**item, "name": name, "type": kind}, "both", detail))
    return entries


def _entry(status: str, item: dict[str, Any], side: str, detail: str) -> dict[str, Any]:
    return {
        "id": item["id"],
        "status": status,
        "label": str(STATUS_LABELS[status]),
        "symbol": STATUS_SYMBOLS[status],
        "name": item.get("name") or "",
        "type": item.get("type") or "",
        "side": side,
        "detail": detail,
    }


def _changed_detail(item: dict[str, Any]) -> str:
    return ", ".join(
        str(FIELD_LABELS.get(change["field"], change["field"])) for change in item["changes"]
    )


@dataclass(frozen=True)
class Comparison:
    model: ProcessModel
    old: Revision
    new: Revision
    old_is_upstream: bool
    diff: dict[str, Any]
    entries: list[dict[str, Any]]


def compare(
    session: Session,
    actor: Actor,
    model: ProcessModel,
    *,
    old: str | None,
    new: str | None,
    max_bytes: int,
) -> Comparison:
    """Two revisions of ``model`` (``old`` may be ``"upstream"``: the fork's upstream revision).

    Without ``new`` the newest visible revision is shown, without ``old`` its predecessor."""
    revisions = library.list_revisions(session, actor, model)
    if not revisions:
        raise NotFound(_("Dieses Modell hat keine sichtbare Revision."))
    after = _pick(session, actor, model, new) if new else revisions[0]
    if old == UPSTREAM:
        before = _upstream_revision(session, actor, model)
    elif old:
        before = _pick(session, actor, model, old)
    else:
        before = next((r for r in revisions if r.number < after.number), after)
    diff = analysis.diff(
        library.read_blob(session, before.blob_sha256),
        library.read_blob(session, after.blob_sha256),
        old_name=before.filename,
        new_name=after.filename,
        max_bytes=max_bytes,
    )
    entries = classify(diff, _names(before) | _names(after))
    return Comparison(model, before, after, old == UPSTREAM, diff, entries)


def _pick(session: Session, actor: Actor, model: ProcessModel, number: str) -> Revision:
    if not number.isdigit() or not 1 <= int(number) <= 1_000_000:
        raise ValidationFailed(_("Bitte geben Sie eine Revisionsnummer an."))
    return library.get_revision(session, actor, model, int(number))


def _upstream_revision(session: Session, actor: Actor, model: ProcessModel) -> Revision:
    upstream = model.upstream_revision
    if upstream is None:
        raise NotFound(_("Dieses Modell ist aus keinem anderen abgeleitet."))
    return library.get_revision_by_id(session, actor, upstream.id)


def _names(revision: Revision) -> dict[str, tuple[str, str]]:
    elements = (revision.extraction or {}).get("elements", [])
    return {
        element["id"]: (element.get("name") or "", element.get("type") or "")
        for element in elements
        if element.get("id")
    }


def page_data(comparison: Comparison, urls: tuple[str, str]) -> dict[str, Any]:
    """The JSON the page script reads: both diagram URLs and the classified elements."""
    return {"oldUrl": urls[0], "newUrl": urls[1], "elements": comparison.entries}
