"""The response cache: served only while the register's generation is unchanged."""

from __future__ import annotations

import uuid

import pytest

from app import close_app, create_app
from app.cache import ResponseCache, _Entry, current_generation, response_cache
from app.catalog import services as catalog
from app.db import get_database
from app.identity.models import Role
from app.review import services as review
from app.review.workflow import Decision
from app.search import search_runtime
from tests.conftest import TEST_SECRET
from tests.factories import (
    MINIMAL_BPMN,
    SYSTEM,
    make_authority,
    make_member,
    make_model,
    make_process,
)
from tests.peering.helpers import new_revision, published_model


@pytest.fixture()
def cache(app, database):
    return response_cache(app)


def test_a_repeated_read_comes_from_the_cache(client, cache):
    first = client.get("/api/v1/processes?page_size=5")
    hits = cache.hits
    second = client.get("/api/v1/processes?page_size=5")
    assert cache.hits == hits + 1
    assert (
        second.data == first.data
        and second.headers["Content-Type"] == first.headers["Content-Type"]
    )


def test_a_committed_change_is_visible_at_once(client, session, cache):
    authority = make_authority(session)
    member = make_member(session, authority, Role.CONTRIBUTOR)
    session.commit()
    before = client.get("/api/v1/processes?q=Generationstest").get_json()["total"]
    created = client.post(
        "/api/v1/processes", json={"title": "Generationstest"}, headers=member.headers
    )
    assert client.get("/api/v1/processes?q=Generationstest").get_json()["total"] == before + 1
    url = f"/api/v1/processes/{created.get_json()['id']}"
    assert client.get(url).get_json()["fees"] is None
    client.patch(url, json={"fees": "5 €"}, headers={**member.headers, "If-Match": '"1"'})
    response = client.get(url)
    assert response.get_json()["fees"] == "5 €" and response.headers["ETag"] == '"2"'


def test_every_commit_of_content_changes_the_generation(database, session):
    start = current_generation(database)
    process = make_process(session, make_authority(session))
    session.commit()
    after_create = current_generation(database)
    catalog.update_process(session, SYSTEM, process, {"fees": "x"}, expected_version=1)
    session.commit()
    assert len({start, after_create, current_generation(database)}) == 3


def test_rollbacks_and_token_use_keep_the_generation(client, database, session):
    member = make_member(session, make_authority(session), Role.CONTRIBUTOR)
    session.commit()
    start = current_generation(database)
    with pytest.raises(RuntimeError), database.transaction() as other:
        make_process(other, make_authority(other))
        other.flush()
        raise RuntimeError("abgebrochen")
    client.get("/api/v1/processes", headers=member.headers)  # records the token's last use
    assert current_generation(database) == start


def test_errors_are_not_cached(client, cache):
    url = f"/api/v1/processes/{uuid.uuid4()}"
    assert client.get(url).status_code == 404
    misses = cache.misses
    assert client.get(url).status_code == 404
    assert cache.misses == misses + 1


def test_least_recently_used_entries_go_first():
    cache = ResponseCache(max_entries=2, max_bytes=10)
    for key in ("a", "b"):
        cache.put(key, _Entry(1, 200, (), b"1234"))
    assert cache.get("a", 1) is not None  # "b" is now the oldest
    cache.put("c", _Entry(1, 200, (), b"1234"))
    assert cache.get("b", 1) is None and cache.get("a", 1) and cache.get("c", 1)
    cache.put("d", _Entry(1, 200, (), b"123456789"))  # too many bytes: all older entries go
    assert cache.get("a", 1) is None and cache.get("c", 1) is None and cache.get("d", 1)
    assert cache.get("d", 2) is None  # another generation


def test_the_cache_can_be_switched_off(tmp_path, database_url):
    app = create_app(
        {
            "instance_path": tmp_path,
            "database_url": database_url,
            "secret_key": TEST_SECRET,
            "response_cache": False,
        }
    )
    try:
        assert response_cache(app) is None
        assert app.test_client().get("/api/v1/processes?page_size=1").status_code == 200
    finally:
        close_app(app)


def test_anonymous_searches_are_cached_until_the_register_or_its_index_changes(
    client, session, cache
):
    member = make_member(session, make_authority(session), Role.CONTRIBUTOR)
    session.commit()
    url = "/api/v1/search?q=Zwischenspeicherprobe&typing=true&facets=false&per_page=8"
    assert client.get(url).get_json()["total"] == 0  # indexes what was queued: a new generation
    assert client.get(url).get_json()["total"] == 0
    hits = cache.hits
    assert client.get(url).get_json()["total"] == 0
    assert cache.hits == hits + 1

    client.post(
        "/api/v1/processes", json={"title": "Zwischenspeicherprobe"}, headers=member.headers
    )
    found = client.get(url).get_json()
    assert found["total"] == 1 and found["hits"][0]["title"] == "Zwischenspeicherprobe"
    assert client.get(url).get_json() == found


def test_searches_of_logged_in_callers_bypass_the_cache(client, session, cache):
    member = make_member(session, make_authority(session), Role.CONTRIBUTOR)
    session.commit()
    url = "/api/v1/search?q=Personalausweis"
    client.get(url, headers=member.headers)
    hits, misses = cache.hits, cache.misses
    client.get(url, headers=member.headers)
    assert (cache.hits, cache.misses) == (hits, misses)


def test_unpublished_work_keeps_the_generation_and_publication_changes_it(database, session):
    """Only public reads are cached: drafts, submissions and the revision counter a new draft
    moves on its model show in none of them."""
    authority = make_authority(session)
    process = make_process(session, authority)
    session.commit()
    start = current_generation(database)

    model = make_model(session, process)
    session.commit()
    draft = new_revision(session, model, "erster Entwurf")
    session.commit()
    author = make_member(session, authority, Role.CONTRIBUTOR)
    reviewer = make_member(session, make_authority(session), Role.REVIEWER)
    session.commit()
    start = current_generation(database)  # the members' accounts belong to no public read
    review.submit(session, author.actor, draft)
    session.commit()
    assert current_generation(database) == start

    review.decide(session, reviewer.actor, draft, Decision.APPROVE)
    session.commit()
    published = current_generation(database)
    assert published != start

    new_revision(session, model, "zweiter Entwurf")
    session.commit()
    assert current_generation(database) == published

    model.title = "Neuer Titel"  # shown by the search for the published revision
    session.commit()
    renamed = current_generation(database)
    assert renamed != published

    review.withdraw(session, author.actor, draft)
    session.commit()
    assert current_generation(database) != renamed


def test_indexing_a_draft_keeps_cached_anonymous_searches(app, client, session, cache):
    authority = make_authority(session)
    model = published_model(session, authority)
    model.title = "Zwischenspeicherentwurf"
    session.commit()
    url = "/api/v1/search?q=Zwischenspeicherentwurf&typing=true&facets=false&per_page=8"
    found = client.get(url).get_json()  # indexes the publication and the new title
    assert [hit["title"] for hit in client.get(url).get_json()["hits"]] == [model.title]
    generation = current_generation(get_database(app))

    member = make_member(session, authority, Role.CONTRIBUTOR)
    session.commit()
    uploaded = client.post(
        f"/api/v1/models/{model.id}/revisions?message=Test",
        data=MINIMAL_BPMN.replace(b"</bpmn:definitions>", b"<!-- neu --></bpmn:definitions>"),
        headers={**member.headers, "Content-Type": "application/xml"},
    )
    assert uploaded.status_code == 201
    assert current_generation(get_database(app)) == generation
    search_runtime(app).drain()  # the draft's document goes into the index, with known words
    assert current_generation(get_database(app)) == generation

    hits = cache.hits
    assert client.get(url).get_json() == found
    assert cache.hits == hits + 1
    own = client.get(url, headers=member.headers).get_json()["hits"]
    assert any(hit["status"] == "draft" for hit in own)  # the index did take the draft
