"""REST API of authorities."""

from __future__ import annotations

import pytest

from app.identity.models import AuthorityKind
from tests.factories import make_authority


@pytest.fixture()
def authorities(session):
    made = [
        make_authority(session, slug="hamm-x", name="Stadt Hamm X", ars="059150000001"),
        make_authority(
            session,
            slug="lueneburg-x",
            name="Landkreis Lüneburg X",
            kind=AuthorityKind.KREIS,
            state="NI",
        ),
    ]
    session.commit()
    return made


def test_list_with_filters_and_total(client, authorities):
    body = client.get("/api/v1/authorities?q=X&page_size=10").get_json()
    assert {item["slug"] for item in body["items"]} >= {"hamm-x", "lueneburg-x"}
    assert body["total"] >= 2
    only_ni = client.get("/api/v1/authorities?state=NI&q=X").get_json()["items"]
    assert [item["slug"] for item in only_ni] == ["lueneburg-x"]
    kreise = client.get("/api/v1/authorities?kind=kreis&q=X").get_json()["items"]
    assert [item["slug"] for item in kreise] == ["lueneburg-x"]


def test_read_by_slug_and_by_id(client, authorities):
    by_slug = client.get("/api/v1/authorities/hamm-x").get_json()
    assert by_slug["name"] == "Stadt Hamm X" and by_slug["ars"] == "059150000001"
    by_id = client.get(f"/api/v1/authorities/{by_slug['id']}").get_json()
    assert by_id == by_slug


def test_unknown_authority_is_a_404(client):
    response = client.get("/api/v1/authorities/atlantis")
    assert response.status_code == 404
    assert "atlantis" in response.get_json()["detail"]


def test_invalid_state_filter_is_a_422(client):
    assert client.get("/api/v1/authorities?state=XX").status_code == 422
