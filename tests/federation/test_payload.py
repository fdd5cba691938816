import copy
import re

import pytest

from federation.errors import BadEvent
from federation.payload import KINDS, MAX_PAYLOAD_BYTES, validate_payload
from tests.federation.fake_peer import event_payload


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_valid_payload_of_every_kind(kind):
    payload = event_payload(kind)
    assert validate_payload(payload) == payload


def test_absent_sections_are_normalised_to_null():
    payload = event_payload("authority-updated")
    for section in ("process", "model", "revision"):
        del payload[section]
    checked = validate_payload(payload)
    assert checked["process"] is None and checked["model"] is None and checked["revision"] is None


def test_result_is_a_copy():
    payload = event_payload()
    checked = validate_payload(payload)
    checked["process"]["keywords"].append("x")
    assert payload["process"]["keywords"] == ["Miete"]


def mutate(path: str, value, kind: str = "published"):
    payload = copy.deepcopy(event_payload(kind))
    *parents, last = path.split(".")
    target = payload
    for part in parents:
        target = target[part]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return payload


DELETE = object()
BAD = [
    ("v", 2, "event.v"),
    ("v", True, "event.v"),
    ("v", "1", "event.v"),
    ("event_id", "not-hex", "event.event_id"),
    ("event_id", "A" * 32, "event.event_id"),
    ("event_id", DELETE, "missing member"),
    ("kind", "deleted", "event.kind"),
    ("origin", "ftp://a.example", "event.origin"),
    ("origin", "https://a.example/", "event.origin"),
    ("origin", "https://a.example?x=1", "event.origin"),
    ("origin", "https://", "event.origin"),
    ("origin", None, "event.origin"),
    ("occurred_at", "yesterday", "event.occurred_at"),
    ("occurred_at", "2025-03-01T10:00:00", "UTC"),
    ("occurred_at", "2025-03-01T10:00:00+01:00", "UTC"),
    ("occurred_at", 1700000000, "event.occurred_at"),
    ("extra", 1, "unknown member"),
    ("authority", None, "authority: required"),
    ("authority", [], "authority: expected an object"),
    ("authority.id", "", "authority.id"),
    ("authority.id", 5, "authority.id"),
    ("authority.name", "x" * 1001, "authority.name"),
    ("authority.website", "https://x", "unknown member"),
    ("authority.ars", DELETE, "missing member"),
    ("process.leika_keys", "99107004017000", "process.leika_keys"),
    ("process.leika_keys", [1], "process.leika_keys[0]"),
    ("process.keywords", ["x"] * 501, "process.keywords"),
    ("process.legal_bases", [{"title": ["nested"]}], "process.legal_bases[0].title"),
    ("process.legal_bases", ["WoGG"], "process.legal_bases[0]"),
    ("process.description", "x" * 100_001, "process.description"),
    ("model.upstream", "m0", "model.upstream"),
    ("model.upstream", {"x" * 101: 1}, "member name too long"),
    ("revision.sha256", "A" * 64, "revision.sha256"),
    ("revision.sha256", "a" * 63, "revision.sha256"),
    ("revision.sha256", "g" * 64, "revision.sha256"),
    ("revision.sha256", None, "revision.sha256"),
    ("revision.number", 0, "revision.number"),
    ("revision.number", 1.0, "revision.number"),
    ("revision.size", -1, "revision.size"),
    ("revision.size", False, "revision.size"),
    ("revision.published_at", "2025-13-01T00:00:00Z", "revision.published_at"),
]


@pytest.mark.parametrize(("path", "value", "message"), BAD)
def test_invalid_payloads_are_refused_with_the_field_named(path, value, message):
    with pytest.raises(BadEvent, match=re.escape(message)):
        validate_payload(mutate(path, value))


@pytest.mark.parametrize(
    ("kind", "section"),
    [
        ("process-updated", "model"),
        ("authority-updated", "process"),
        ("process-updated", "revision"),
    ],
)
def test_sections_a_kind_does_not_carry_must_be_null(kind, section):
    payload = event_payload(kind)
    payload[section] = event_payload("published")[section]
    with pytest.raises(BadEvent, match=f"{section}: must be null"):
        validate_payload(payload)


def test_optional_fields_accept_null_and_upstream_an_object():
    payload = mutate("model.upstream", {"origin": "https://a.example", "model_id": "m0", "n": 3})
    payload["revision"]["message"] = None
    payload["revision"]["published_at"] = None
    assert validate_payload(payload)["model"]["upstream"]["n"] == 3


@pytest.mark.parametrize("payload", [None, [], "x", 1])
def test_non_objects_are_refused(payload):
    with pytest.raises(BadEvent, match="payload"):
        validate_payload(payload)


def test_size_is_bounded():
    payload = mutate("process.required_documents", ["x" * 1000] * 300)
    assert len(str(payload)) > MAX_PAYLOAD_BYTES
    with pytest.raises(BadEvent, match="larger than"):
        validate_payload(payload)


def test_non_json_values_are_refused():
    with pytest.raises(BadEvent, match="JSON"):
        validate_payload(mutate("revision.size", float("nan")))
    with pytest.raises(BadEvent, match="JSON"):
        validate_payload(mutate("revision.size", object()))
