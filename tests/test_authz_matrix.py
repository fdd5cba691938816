"""The authorization matrix, over every route the application has.

- A contributor of authority A can change nothing of authority B: every write route, aimed at B's
  objects, is refused — 403 for what A may see, 404 for what A may not even see — and nothing changes.
- Anonymous visitors read only what is published.
- Only register admins manage authorities.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.catalog import imports
from app.db import Base, import_all_models
from app.identity.models import ApiToken, Role
from app.library import forks, proposals
from app.library.models import RevisionStatus
from app.review.models import Notification, NotificationKind
from tests.factories import (
    MINIMAL_BPMN,
    csrf_token,
    login_as,
    make_account,
    make_authority,
    make_member,
    make_model,
    make_process,
    make_revision,
)

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Routes that only ever write into the caller's own authority; their scoping has its own tests.
OWN_AUTHORITY_ROUTES = {"/api/v1/processes", "/api/v1/xprozess", "/import"}
# Routes that only ever change the caller's own account (inbox, notification choices).
OWN_AUTHORITY_ROUTES |= {
    "/api/v1/notifications/preferences",
    "/postfach/alle-gelesen",
    "/konto/benachrichtigungen",
}
REGISTER_CSV = "LeiKa-Schlüssel;Bezeichnung\n99050012104000;Gewerbeanmeldung\n".encode()
# Valid bodies, so that only the authorization can refuse; all routes point at authority B's objects.
BODIES = {
    "POST /api/v1/models/<uuid:model_id>/revisions": MINIMAL_BPMN,
    "POST /api/v1/processes/<uuid:process_id>/models": b'{"title": "Fremdes Modell"}',
    "PATCH /api/v1/processes/<uuid:process_id>": b'{"fees": "fremd"}',
    "POST /api/v1/processes": b'{"title": "Eigener Eintrag"}',
    "POST /api/v1/models/<uuid:model_id>/revisions/<int:number>/decisions": b'{"decision": "approve"}',
    "POST /api/v1/models/<uuid:model_id>/upstream/take-over": b'{"upstream_number": 1}',
    "POST /api/v1/proposals/<uuid:proposal_id>/decision": b'{"accept": true}',
    "POST /api/v1/models/<uuid:model_id>/revisions/<int:number>/comments": b'{"body": "Fremd"}',
}


@pytest.fixture()
def scene(session):
    a, b = make_authority(session, slug="behoerde-a"), make_authority(session, slug="behoerde-b")
    member_a = make_member(session, a, Role.CONTRIBUTOR, Role.REVIEWER, Role.AUTHORITY_ADMIN)
    member_b = make_member(session, b, Role.CONTRIBUTOR)
    process_b = make_process(session, b)
    model_b = make_model(session, process_b)
    published = make_revision(session, model_b, status=RevisionStatus.PUBLISHED)
    draft = make_revision(session, model_b)
    job_b = imports.check_file(
        session, member_b.actor, b, REGISTER_CSV, "register.csv", max_bytes=1_000_000
    )
    proposal_to_b = _proposal_from_a_fork(session, published)
    notification_b = Notification(
        account_id=member_b.account.id, kind=NotificationKind.COMMENT, title="Für B", link="/"
    )
    session.add(notification_b)
    session.commit()
    token_b = session.scalar(select(ApiToken).where(ApiToken.account_id == member_b.account.id))
    values = {
        "process_id": str(process_b.id),
        "model_id": str(model_b.id),
        "number": str(draft.number),
        "version": "1",
        "key": b.slug,
        "slug": b.slug,
        "token_id": str(token_b.id),
        "job_id": str(job_b.id),
        "notification_id": str(notification_b.id),
        "proposal_id": str(proposal_to_b.id),
        "name": "partner",  # a peer (federation); only register admins manage peers
    }
    return {
        "a": a,
        "b": b,
        "member_a": member_a,
        "values": values,
        "published": published,
        "draft": draft,
        "model_b": model_b,
    }


def _proposal_from_a_fork(session, published):
    """A third authority forks B's model and proposes a change back to B."""
    member_c = make_member(session, make_authority(session, slug="behoerde-c"), Role.CONTRIBUTOR)
    fork = forks.fork_model(
        session, member_c.actor, published, authority=member_c.account.authority, max_bytes=10**7
    )
    return proposals.propose(session, member_c.actor, fork.revisions[0], message="Vorschlag")


def fill(rule: str, values: dict[str, str]) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda match: values[match.group(1)], rule)


def row_counts(session) -> dict[str, int]:
    import_all_models()
    ignored = {"audit_events", "web_sessions", "api_tokens", "register_generation"}
    return {
        t.name: session.scalar(select(func.count()).select_from(t))
        for t in Base.metadata.sorted_tables
        if t.name not in ignored
    }


def write_routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & WRITE_METHODS):
            yield method, rule.rule


def test_a_contributor_of_a_changes_nothing_of_b_through_the_api(app, client, session, scene):
    before = row_counts(session)
    tried = 0
    for method, rule in write_routes(app):
        if not rule.startswith("/api/"):
            continue
        body = BODIES.get(f"{method} {rule}", b"{}")
        headers = {
            **scene["member_a"].headers,
            "Content-Type": "application/xml" if body is MINIMAL_BPMN else "application/json",
            "If-Match": '"1"',
        }
        response = client.open(
            fill(rule, scene["values"]), method=method, data=body, headers=headers
        )
        if rule in OWN_AUTHORITY_ROUTES:
            continue
        # 404 where the route names B's draft, which A may not even see (submit, decide, withdraw)
        assert response.status_code in {403, 404}, (method, rule, response.status_code)
        tried += 1
    assert tried >= 3
    after = row_counts(session)
    after["processes"] -= 1  # the one created by POST /api/v1/processes, in A
    after["process_versions"] -= 1
    after["search_queue"] -= 1  # the index update that creation queued
    assert after == before


def test_a_contributor_of_a_changes_nothing_of_b_through_the_pages(app, client, session, scene):
    login_as(client, make_account(session, scene["a"], Role.CONTRIBUTOR, Role.AUTHORITY_ADMIN))
    session.commit()
    token = csrf_token(client, "/konto/tokens")
    before = row_counts(session)
    for method, rule in write_routes(app):
        if rule.startswith("/api/") or rule in {"/konto/tokens", "/abmelden"}:
            continue  # own tokens and own logout concern only the own account
        if rule in OWN_AUTHORITY_ROUTES:
            continue
        response = client.open(
            fill(rule, scene["values"]), method=method, data={"csrf_token": token}
        )
        assert response.status_code in {403, 404}, (method, rule, response.status_code)
    assert row_counts(session) == before


def test_anonymous_visitors_read_only_what_is_published(client, scene):
    model = scene["model_b"].id
    assert client.get(f"/api/v1/models/{model}/revisions/1").status_code == 200
    assert client.get(f"/api/v1/models/{model}/revisions/1/content").status_code == 200
    assert client.get(f"/api/v1/models/{model}/revisions/2").status_code == 404
    assert client.get(f"/api/v1/models/{model}/revisions/2/content").status_code == 404
    listed = [
        item["number"]
        for item in client.get(f"/api/v1/models/{model}/revisions").get_json()["items"]
    ]
    assert listed == [1]
    assert "Revision 2" not in client.get(f"/modelle/{model}").get_data(as_text=True)


def test_members_of_another_authority_see_no_drafts_either(client, scene):
    model = scene["model_b"].id
    headers = scene["member_a"].headers
    assert client.get(f"/api/v1/models/{model}/revisions/2", headers=headers).status_code == 404
    assert [
        i["number"]
        for i in client.get(f"/api/v1/models/{model}/revisions", headers=headers).get_json()[
            "items"
        ]
    ] == [1]


def test_every_anonymous_write_is_refused_and_recorded(app, client, session, scene):
    before = row_counts(session)
    for method, rule in write_routes(app):
        if not rule.startswith("/api/"):
            continue
        response = client.open(fill(rule, scene["values"]), method=method, json={})
        assert response.status_code == 401, (method, rule)
    assert row_counts(session) == before
    refused = session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "request.refused")
    )
    assert refused >= 4


@pytest.mark.parametrize(
    "roles",
    [
        (Role.CONTRIBUTOR,),
        (Role.REVIEWER,),
        (Role.AUTHORITY_ADMIN,),
        (Role.CONTRIBUTOR, Role.REVIEWER, Role.AUTHORITY_ADMIN),
    ],
)
def test_only_register_admins_manage_authorities(client, session, scene, roles):
    login_as(client, make_account(session, scene["a"], *roles))
    session.commit()
    for page in (
        "/verwaltung/behoerden",
        "/verwaltung/behoerden/neu",
        f"/verwaltung/behoerden/{scene['b'].slug}",
        "/verwaltung/peers",
    ):
        assert client.get(page).status_code == 403
    login_as(client, make_account(session, scene["a"], Role.REGISTER_ADMIN))
    session.commit()
    for page in (
        "/verwaltung/behoerden",
        "/verwaltung/behoerden/neu",
        f"/verwaltung/behoerden/{scene['b'].slug}",
        "/verwaltung/peers",
    ):
        assert client.get(page).status_code == 200


def test_a_member_of_a_reads_no_audit_trail_of_b(app, client, session, scene):
    """Every audit route (page and CSV), aimed at B's objects, is refused to A's admins."""
    login_as(client, make_account(session, scene["a"], Role.CONTRIBUTOR, Role.AUTHORITY_ADMIN))
    session.commit()
    targets = [
        ("process", scene["values"]["process_id"], 403),
        ("process_model", scene["values"]["model_id"], 403),
        ("revision", str(scene["draft"].id), 404),  # a draft A may not even see
        ("api_token", scene["values"]["token_id"], 403),
    ]
    audit_rules = [r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("audit.")]
    assert len(audit_rules) == 4
    for rule in audit_rules:
        for object_type, object_id, status in targets:
            values = {"object_type": object_type, "object_id": object_id, "slug": scene["b"].slug}
            response = client.get(fill(rule, values))
            expected = 403 if "<string:slug>" in rule else status
            assert response.status_code == expected, (rule, object_type)
