"""GET /api/v1/search over the seeded register."""

from __future__ import annotations

import pytest

from app.db import get_database
from app.identity.models import Role
from tests.factories import make_authority, make_member, make_model, make_process, make_revision


def search(client, **params):
    response = client.get("/api/v1/search", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def first_titles(result, count=5):
    return [hit["title"] for hit in result["hits"][:count]]


def test_colloquial_query_finds_the_service_with_everything_an_agent_needs(search_client):
    result = search(search_client, q="perso beantragen")
    hit = result["hits"][0]
    assert "Personalausweis" in hit["title"]
    assert "<mark>" in hit["title_html"]
    assert hit["responsible_unit"]
    assert hit["required_documents"]
    assert hit["fees"]
    assert hit["legal_bases"][0]["url"].startswith("https://")
    assert hit["steps"], "the Musterprozess's model gives the steps"
    assert hit["url"].startswith("/prozesse/")


def test_compounds_meet_in_both_directions(search_client):
    joined = first_titles(search(search_client, q="Hundesteuerbefreiung"))
    apart = first_titles(search(search_client, q="Hundesteuer Befreiung"))
    assert "Hundesteuer Befreiung" in joined
    assert "Hundesteuer Befreiung" in apart


def test_a_typo_is_corrected_and_offered(search_client):
    result = search(search_client, q="hundesteur")
    assert result["did_you_mean"] == "hundesteuer"
    assert any("Hundesteuer" in title for title in first_titles(result))


def test_nothing_found_says_so_without_error(search_client):
    result = search(search_client, q="qwxzyvbn")
    assert result["total"] == 0
    assert result["hits"] == []


def test_leika_key_and_prefix(search_client):
    exact = search(search_client, q="99115005104000")
    assert exact["hits"][0]["leika_keys"][0] == "99115005104000"
    prefix = search(search_client, q="99115005")
    assert prefix["total"] > 1
    assert all(
        any(key.startswith("99115005") for key in hit["leika_keys"]) for hit in prefix["hits"]
    )


def test_type_ahead_completes_the_last_word(search_client):
    result = search(search_client, q="Führersch", typing="true", facets="false", per_page=8)
    assert result["facets"] == []
    assert any("Führerschein" in title for title in first_titles(result, 8))


def test_facets_filter_and_count_under_the_other_filters(search_client):
    everything = search(search_client, q="Hund")
    kinds = {facet["name"]: facet for facet in everything["facets"]}["kind"]
    counts = {value["value"]: value["count"] for value in kinds["values"]}
    assert sum(counts.values()) == everything["total"]
    only = search(search_client, q="Hund", kind="musterprozess")
    assert only["total"] == counts["musterprozess"]
    assert {hit["kind"] for hit in only["hits"]} == {"musterprozess"}
    selected = {facet["name"]: facet for facet in only["facets"]}["kind"]["values"]
    assert [value["value"] for value in selected if value["selected"]] == ["musterprozess"]


def test_pages_are_stable(search_client):
    whole = [hit["id"] for hit in search(search_client, q="Genehmigung", per_page=20)["hits"]]
    paged = []
    for page in (1, 2, 3, 4):
        paged += [
            h["id"] for h in search(search_client, q="Genehmigung", per_page=5, page=page)["hits"]
        ]
    assert paged == whole


@pytest.mark.parametrize(
    "params",
    [
        {"q": ""},
        {"q": "x" * 201},
        {"q": "hund", "kind": "unbekannt"},
        {"q": "hund", "authority": "keine-uuid"},
        {"q": "hund", "page": 0},
        {"q": "hund", "per_page": 51},
        {"q": "hund", "page": 1000, "per_page": 50},
    ],
)
def test_bad_parameters_are_refused_with_a_problem(search_client, params):
    response = search_client.get("/api/v1/search", query_string=params)
    assert response.status_code in {400, 422}
    assert response.content_type == "application/problem+json"


def test_hostile_text_is_escaped_in_the_highlighting(search_client):
    result = search(search_client, q="<script>alert(1)</script> hund")
    for hit in result["hits"]:
        assert "<script>" not in hit["title_html"] + hit["snippet_html"]


def test_unpublished_models_are_found_only_by_their_authority_which_ranks_first(
    search_app, search_client
):
    database = get_database(search_app)
    with database.session() as session:
        authority, other = make_authority(session), make_authority(session)
        member = make_member(session, authority, Role.CONTRIBUTOR)
        stranger = make_member(session, other, Role.CONTRIBUTOR)
        process = make_process(session, authority, title="Schwanenfütterungsverbot Ausnahme")
        make_revision(session, make_model(session, process, title="Schwanenfütterung Entwurf"))
        session.commit()
    mine = search_client.get(
        "/api/v1/search", query_string={"q": "Schwanenfütterung"}, headers=member.headers
    ).get_json()
    theirs = search_client.get(
        "/api/v1/search", query_string={"q": "Schwanenfütterung"}, headers=stranger.headers
    ).get_json()
    assert {hit["status"] for hit in mine["hits"]} == {"published", "draft"}
    assert mine["hits"][0]["own_authority"]
    assert {hit["status"] for hit in theirs["hits"]} == {"published"}


def test_the_search_is_in_the_openapi_document(search_client):
    spec = search_client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/search"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"q", "typing", "page", "per_page", "kind", "authority", "has_model"} <= names
