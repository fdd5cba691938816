"""REST API of processes: list, filters, pagination, read, create, optimistic update, versions."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.authz import TokenScope
from app.catalog.models import Process
from app.identity.models import Role
from app.text import fold
from tests.factories import make_authority, make_member, make_ozg_service, make_process

STECKBRIEF = {
    "title": "Wohnsitz anmelden",
    "description": "Anmeldung einer Wohnung im Stadtgebiet.",
    "leika_keys": ["99115005104000"],
    "ozg_id": "10124",
    "legal_bases": [
        {"text": "§ 17 BMG", "url": "https://www.gesetze-im-internet.de/bmg/__17.html"}
    ],
    "responsible_unit": "Bürgerbüro",
    "trigger": "Einzug",
    "result": "Meldebestätigung",
    "required_documents": ["Personalausweis", "Wohnungsgeberbestätigung"],
    "fees": "gebührenfrei",
    "cases_per_year": 12000,
    "minutes_per_case": 12.5,
    "cycle_time_days": 1.0,
    "digitisation_potential": "high",
    "maturity": {"documentation": 2, "it_support": 3, "cross_unit": 1, "evaluation": 0},
    "keywords": ["Umzug"],
    "synonyms": ["Ummeldung"],
}


@pytest.fixture()
def hamm(session):
    make_ozg_service(session)
    return make_authority(session, slug="hamm-test", name="Stadt Hamm (Test)")


@pytest.fixture()
def contributor(session, hamm):
    member = make_member(session, hamm, Role.CONTRIBUTOR)
    session.commit()
    return member


def create(client, member, body=None):
    return client.post("/api/v1/processes", json=body or STECKBRIEF, headers=member.headers)


def test_create_returns_the_full_steckbrief_with_location_and_etag(client, contributor, hamm):
    response = create(client, contributor)
    assert response.status_code == 201
    body = response.get_json()
    for name, value in STECKBRIEF.items():
        assert body[name] == value, name
    assert body["kind"] == "authority"
    assert body["authority"]["slug"] == "hamm-test"
    assert body["ozg_service"]["lebenslage"] == "Umzug"
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"].endswith(f"/api/v1/processes/{body['id']}")
    assert client.get(response.headers["Location"]).get_json()["title"] == "Wohnsitz anmelden"


def test_create_needs_a_token(client, hamm):
    response = client.post("/api/v1/processes", json=STECKBRIEF)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"title": "  "}, "title"),
        ({"leika_keys": ["123"]}, "leika_keys"),
        ({"leika_keys": ["99115005104000", "99115005104000"]}, "leika_keys"),
        ({"maturity": {"documentation": 4}}, "maturity"),
        ({"digitisation_potential": "sehr hoch"}, "digitisation_potential"),
        ({"legal_bases": [{"text": "BMG", "url": "javascript:alert(1)"}]}, "legal_bases"),
        ({"cases_per_year": -1}, "cases_per_year"),
        ({"minutes_per_case": "NaN"}, "minutes_per_case"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_invalid_steckbrief_is_a_422_with_field_errors_and_stores_nothing(
    client, session, contributor, patch, field
):
    response = create(client, contributor, {**STECKBRIEF, **patch})
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["status"] == 422 and problem["title"] == "Ungültige Eingabe"
    assert field in problem["errors"]
    assert session.scalar(select(Process).where(Process.title == STECKBRIEF["title"])) is None


def test_validation_messages_are_german(client, contributor):
    response = create(client, contributor, {"cases_per_year": "viele"})
    errors = response.get_json()["errors"]
    assert errors["title"] == ["Pflichtfeld fehlt."]
    assert errors["cases_per_year"] == ["Keine gültige ganze Zahl."]


def test_unknown_ozg_service_is_a_422(client, contributor):
    response = create(client, contributor, {**STECKBRIEF, "ozg_id": "99999"})
    assert response.status_code == 422
    assert "99999" in response.get_json()["errors"]["ozg_id"][0]


def test_update_needs_if_match(client, contributor):
    process_id = create(client, contributor).get_json()["id"]
    response = client.patch(
        f"/api/v1/processes/{process_id}", json={"fees": "5 €"}, headers=contributor.headers
    )
    assert response.status_code == 428


def test_update_with_current_etag_creates_a_new_version(client, contributor):
    created = create(client, contributor)
    url = f"/api/v1/processes/{created.get_json()['id']}"
    response = client.patch(
        url,
        json={"fees": "5,00 €", "message": "Gebühr nach Satzung"},
        headers={**contributor.headers, "If-Match": created.headers["ETag"]},
    )
    assert response.status_code == 200
    assert response.get_json()["fees"] == "5,00 €"
    assert response.headers["ETag"] == '"2"'
    versions = client.get(f"{url}/versions").get_json()["items"]
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[0]["message"] == "Gebühr nach Satzung"
    assert versions[0]["author_name"] == contributor.account.display_name
    first = client.get(f"{url}/versions/1").get_json()
    assert first["data"]["fees"] == "gebührenfrei"


def test_stale_update_is_a_412_and_changes_nothing(client, contributor):
    created = create(client, contributor)
    url = f"/api/v1/processes/{created.get_json()['id']}"
    headers = {**contributor.headers, "If-Match": created.headers["ETag"]}
    assert client.patch(url, json={"fees": "erste Änderung"}, headers=headers).status_code == 200
    stale = client.patch(url, json={"fees": "zweite Änderung"}, headers=headers)
    assert stale.status_code == 412
    assert "Fassung 2" in stale.get_json()["detail"]
    assert client.get(url).get_json()["fees"] == "erste Änderung"


def test_update_without_change_keeps_the_version(client, contributor):
    created = create(client, contributor)
    url = f"/api/v1/processes/{created.get_json()['id']}"
    headers = {**contributor.headers, "If-Match": "*"}
    response = client.patch(url, json={"fees": STECKBRIEF["fees"]}, headers=headers)
    assert response.headers["ETag"] == '"1"'
    assert len(client.get(f"{url}/versions").get_json()["items"]) == 1


def test_update_records_before_and_after_in_the_audit_trail(client, session, contributor):
    created = create(client, contributor)
    process_id = created.get_json()["id"]
    client.patch(
        f"/api/v1/processes/{process_id}",
        json={"fees": "3 €", "keywords": ["Umzug", "Zuzug"]},
        headers={**contributor.headers, "If-Match": '"1"'},
    )
    event = session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "process.updated", AuditEvent.object_id == process_id
        )
    )
    assert event.before == {"fees": "gebührenfrei", "keywords": ["Umzug"]}
    assert event.after == {"fees": "3 €", "keywords": ["Umzug", "Zuzug"]}
    assert event.actor_account_id == contributor.account.id


def test_contributor_of_another_authority_may_not_update(client, session, contributor):
    process_id = create(client, contributor).get_json()["id"]
    other = make_member(session, make_authority(session), Role.CONTRIBUTOR)
    session.commit()
    response = client.patch(
        f"/api/v1/processes/{process_id}",
        json={"fees": "x"},
        headers={**other.headers, "If-Match": '"1"'},
    )
    assert response.status_code == 403
    assert (
        response.get_json()["detail"]
        == "Nur Beitragende der besitzenden Behörde dürfen das ändern."
    )


def test_reviewer_without_contributor_role_may_not_create(client, session, hamm):
    reviewer = make_member(session, hamm, Role.REVIEWER)
    session.commit()
    assert create(client, reviewer).status_code == 403


def test_token_without_catalog_scope_may_not_create(client, session, hamm):
    member = make_member(session, hamm, Role.CONTRIBUTOR, scopes=(TokenScope.LIBRARY_WRITE,))
    session.commit()
    response = create(client, member)
    assert response.status_code == 403
    assert "catalog:write" in response.get_json()["detail"]


def test_unknown_process_is_a_404_problem(client):
    response = client.get(f"/api/v1/processes/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.get_json()["type"] == "urn:musterregister:problem:not-found"


# --- listing -----------------------------------------------------------------------------------


@pytest.fixture()
def listed(session, hamm):
    other = make_authority(session, slug="dresden-test", name="Dresden (Test)", state="SN")
    make_ozg_service(
        session, "10160", name="Hundesteuer", lebenslage="Tierhaltung", themenfeld="Steuern & Zoll"
    )
    processes = {
        "hund": make_process(
            session,
            hamm,
            title="Hundesteuer anmelden",
            leika_keys=["99102013002000"],
            ozg_id="10160",
        ),
        "hund_befreiung": make_process(
            session,
            hamm,
            title="Hundesteuer Befreiung",
            leika_keys=["99102013010000"],
            ozg_id="10160",
        ),
        "wohnsitz": make_process(
            session,
            other,
            title="Wohnsitz anmelden",
            leika_keys=["99115005104000"],
            ozg_id="10124",
            synonyms=["Ummeldung"],
        ),
        "fuehrung": make_process(
            session,
            other,
            title="Führungszeugnis beantragen",
            leika_keys=["99049001001001"],
            ozg_id="10124",
        ),
    }
    session.commit()
    return processes


def titles(response):
    return [item["title"] for item in response.get_json()["items"]]


def test_list_is_sorted_by_title_with_total(client, listed):
    body = client.get("/api/v1/processes").get_json()
    assert body["total"] == 4 and body["pages"] == 1
    listed_titles = [item["title"] for item in body["items"]]
    assert listed_titles == sorted(
        listed_titles, key=fold
    )  # "Hundesteuer anmelden" before "… Befreiung"


def test_list_pages_are_stable_and_complete(client, listed):
    pages = [client.get(f"/api/v1/processes?page_size=1&page={n}").get_json() for n in (1, 2, 3, 4)]
    seen = [page["items"][0]["id"] for page in pages]
    assert len(set(seen)) == 4
    assert all(page["total"] == 4 and page["pages"] == 4 for page in pages)
    assert client.get("/api/v1/processes?page_size=1&page=5").get_json()["items"] == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("leika=99102013002000", ["Hundesteuer anmelden"]),
        ("leika=99102013000000", ["Hundesteuer anmelden", "Hundesteuer Befreiung"]),
        ("leika=991020", ["Hundesteuer anmelden", "Hundesteuer Befreiung"]),
        ("ozg=10160", ["Hundesteuer anmelden", "Hundesteuer Befreiung"]),
        ("authority=dresden-test", ["Führungszeugnis beantragen", "Wohnsitz anmelden"]),
        ("q=hundesteuer%20befreiung", ["Hundesteuer Befreiung"]),
        ("q=FUEHRUNGSZEUGNIS", ["Führungszeugnis beantragen"]),
        ("q=ummeldung", ["Wohnsitz anmelden"]),
        ("themenfeld=Steuern%20%26%20Zoll", ["Hundesteuer anmelden", "Hundesteuer Befreiung"]),
        ("q=hund&sort=-title", ["Hundesteuer Befreiung", "Hundesteuer anmelden"]),
    ],
)
def test_list_filters(client, listed, query, expected):
    assert titles(client.get(f"/api/v1/processes?{query}")) == expected


@pytest.mark.parametrize(
    "query", ["leika=99x", "page=0", "page_size=101", "sort=random", "kind=secret"]
)
def test_list_rejects_bad_parameters(client, query):
    response = client.get(f"/api/v1/processes?{query}")
    assert response.status_code == 422
    assert response.get_json()["errors"]


def test_list_filter_by_unknown_authority_is_a_404(client):
    assert client.get("/api/v1/processes?authority=gibt-es-nicht").status_code == 404


def test_list_queries_do_not_grow_with_the_page(client, listed, count_queries):
    client.get("/api/v1/processes?page_size=1")
    small = count_queries.count
    count_queries.statements.clear()
    client.get("/api/v1/processes?page_size=50")
    assert count_queries.count == small


def test_fast_list_serialisation_matches_the_documented_schema(client, session, listed):
    from app.catalog.schemas import ProcessSummaryOut
    from app.catalog.services import get_process

    items = client.get("/api/v1/processes").get_json()["items"]
    assert len(items) == 4
    for item in items:
        assert item == ProcessSummaryOut().dump(get_process(session, uuid.UUID(item["id"])))


def test_unknown_version_is_a_404(client, contributor):
    process_id = create(client, contributor).get_json()["id"]
    response = client.get(f"/api/v1/processes/{process_id}/versions/9")
    assert response.status_code == 404
    assert "Fassung 9" in response.get_json()["detail"]
    assert client.get(f"/api/v1/processes/{uuid.uuid4()}/versions").status_code == 404
