"""Small hand-made search documents for the backend tests."""

from __future__ import annotations

import uuid

from app.search.documents import DocType, Kind, SearchDocument

AUTHORITY_A, AUTHORITY_B, AUTHORITY_C = (uuid.UUID(int=n) for n in (0xA, 0xB, 0xC))


def make_document(
    number: int, title: str, body: str = "", kind: Kind = Kind.BEHOERDE, **values: object
) -> SearchDocument:
    """A process document numbered ``number`` of authority A (override any field by name)."""
    ref = f"process:{uuid.UUID(int=number)}"
    fields: dict[str, object] = {
        "id": ref,
        "ref": ref,
        "type": DocType.PROCESS,
        "kind": kind,
        "process_id": uuid.UUID(int=number),
        "model_id": None,
        "authority_id": AUTHORITY_A,
        "texts": {"title": title, "body": body},
        "state": "NW",
    }
    fields.update(values)
    return SearchDocument(**fields).with_digest()  # type: ignore[arg-type]
