"""The whole community loop through the API, with people of four authorities, e-mails over a real
SMTP server and the audit trail at the end:

upload → submit → changes requested → resubmit → approved → published → forked by another authority
→ upstream publishes again → the fork takes it over → the fork proposes a change → upstream accepts
→ the accepted revision is reviewed and published.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from app.identity.models import Authority, Role
from app.library.models import ProcessModel
from app.review.models import Notification, NotificationKind
from tests.factories import (
    MINIMAL_BPMN,
    Member,
    login_as,
    make_authority,
    make_member,
    make_model,
    make_process,
)
from tests.review.test_notifications import use_smtp
from tests.support.smtp import SmtpSink

FIRST = MINIMAL_BPMN
CORRECTED = MINIMAL_BPMN.replace(
    b"Antrag pr\xc3\xbcfen", b"Antrag vollst\xc3\xa4ndig pr\xc3\xbcfen"
)
UPSTREAM_AGAIN = CORRECTED.replace(b"Bescheid versandt", b"Bescheid elektronisch versandt")
FORK_CHANGE = UPSTREAM_AGAIN.replace(b"Antrag eingegangen", b"Antrag online eingegangen")


@dataclass
class Community:
    dresden: Authority
    leipzig: Authority
    author: Member  # contributor of Dresden: owns the upstream model
    reviewer: Member  # reviewer of Görlitz: decides on Dresden's and Leipzig's submissions
    own_reviewer: Member  # reviewer of Dresden: may never decide on Dresden's work
    forker: Member  # contributor of Leipzig: forks and proposes back
    model: ProcessModel


@pytest.fixture(scope="module")
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture()
def community(session, app, smtp, monkeypatch) -> Community:
    smtp.clear()
    use_smtp(monkeypatch, app, smtp.port)
    dresden = make_authority(session, name="Landeshauptstadt Dresden")
    leipzig = make_authority(session, name="Stadt Leipzig")
    goerlitz = make_authority(session, name="Stadt Görlitz")
    people = Community(
        dresden=dresden,
        leipzig=leipzig,
        author=make_member(session, dresden, Role.CONTRIBUTOR),
        reviewer=make_member(session, goerlitz, Role.REVIEWER),
        own_reviewer=make_member(session, dresden, Role.REVIEWER),
        forker=make_member(session, leipzig, Role.CONTRIBUTOR, Role.AUTHORITY_ADMIN),
        model=make_model(
            session, make_process(session, dresden, title="Hund anmelden"), title="Hund anmelden"
        ),
    )
    for member, address in (
        (people.author, "autorin@dresden.example"),
        (people.reviewer, "pruefer@goerlitz.example"),
        (people.forker, "prozesse@leipzig.example"),
    ):
        member.account.email = address
    session.commit()
    return people


def call(client, member, method, url, expected=(200, 201), **kwargs):
    response = client.open(url, method=method, headers=member.headers, **kwargs)
    assert response.status_code in expected, (url, response.status_code, response.get_json())
    return response.get_json()


def upload(client, member, model_id, data):
    return call(
        client,
        member,
        "POST",
        f"/api/v1/models/{model_id}/revisions",
        data=data,
        content_type="application/xml",
    )


def revision_url(model_id, number):
    return f"/api/v1/models/{model_id}/revisions/{number}"


def submit_and_approve(client, community, model_id, number):
    call(client, community.author, "POST", f"{revision_url(model_id, number)}/submit", json={})
    outcome = call(
        client,
        community.reviewer,
        "POST",
        f"{revision_url(model_id, number)}/decisions",
        json={"decision": "approve", "comment": "Passt."},
    )
    assert outcome["published"] is True


def kinds_for(session, member):
    session.expire_all()
    return [
        kind
        for kind in session.scalars(
            select(Notification.kind)
            .where(Notification.account_id == member.account.id)
            .order_by(Notification.created_at)
        )
    ]


def mails_to(smtp, address):
    return [str(message["Subject"]) for message in smtp.messages if message["To"] == address]


def test_the_whole_loop_across_four_authorities(client, session, community, smtp):
    c, model_id = community, community.model.id

    # upload, submit; the reviewer of another authority hears of it, Dresden's own reviewer not
    first = upload(client, c.author, model_id, FIRST)["number"]
    call(client, c.author, "POST", f"{revision_url(model_id, first)}/submit", json={})
    assert kinds_for(session, c.reviewer) == [NotificationKind.SUBMISSION_WAITING]
    assert kinds_for(session, c.own_reviewer) == []
    call(
        client,
        c.own_reviewer,
        "POST",
        f"{revision_url(model_id, first)}/decisions",
        expected=(403,),
        json={"decision": "approve"},
    )

    # the reviewer comments at an element and asks for changes; the author reads both
    comment = call(
        client,
        c.reviewer,
        "POST",
        f"{revision_url(model_id, first)}/comments",
        json={"body": "Bitte **genauer**: was wird geprüft?", "element_id": "Task_1"},
    )
    assert "<strong>genauer</strong>" in comment["body_html"]
    call(
        client,
        c.reviewer,
        "POST",
        f"{revision_url(model_id, first)}/decisions",
        json={"decision": "request_changes", "comment": "Prüfschritt unklar."},
    )
    assert kinds_for(session, c.author) == [
        NotificationKind.COMMENT,
        NotificationKind.DECISION_MADE,
    ]

    # resubmitted as a corrected revision, approved, published
    second = upload(client, c.author, model_id, CORRECTED)["number"]
    submit_and_approve(client, c, model_id, second)
    published = call(client, c.author, "GET", revision_url(model_id, second))
    assert published["status"] == "published"

    # Leipzig forks the publication; Dresden's model counts one authority using it
    fork = call(client, c.forker, "POST", f"{revision_url(model_id, second)}/fork", json={})
    forks = call(client, c.forker, "GET", f"/api/v1/models/{model_id}/forks")
    assert [item["authority"]["name"] for item in forks["items"]] == ["Stadt Leipzig"]

    # upstream publishes again; Leipzig is told and sees the diff
    third = upload(client, c.author, model_id, UPSTREAM_AGAIN)["number"]
    submit_and_approve(client, c, model_id, third)
    assert NotificationKind.UPSTREAM_PUBLISHED in kinds_for(session, c.forker)
    status = call(client, c.forker, "GET", f"/api/v1/models/{fork['id']}/upstream")
    assert status["newer"] is True
    assert status["latest"]["number"] == third
    assert [change["id"] for change in status["diff"]["changed"]] == ["End_1"]

    # the fork takes upstream over, then changes it and proposes that back
    taken = call(
        client,
        c.forker,
        "POST",
        f"/api/v1/models/{fork['id']}/upstream/take-over",
        json={"upstream_number": third},
    )
    assert taken["sha256"] == published_sha(client, c, model_id, third)
    own = upload(client, c.forker, fork["id"], FORK_CHANGE)
    proposal = call(
        client,
        c.forker,
        "POST",
        f"{revision_url(fork['id'], own['number'])}/proposals",
        json={"message": "Online-Eingang ergänzt"},
    )
    assert NotificationKind.PROPOSAL_RECEIVED in kinds_for(session, c.author)
    received = call(client, c.author, "GET", "/api/v1/proposals")
    assert [item["id"] for item in received["items"]] == [proposal["id"]]

    # Dresden accepts: a new upstream revision credited to Leipzig's person, then reviewed
    accepted = call(
        client,
        c.author,
        "POST",
        f"/api/v1/proposals/{proposal['id']}/decision",
        json={"accept": True, "comment": "Danke!"},
    )
    fourth = accepted["created_revision_number"]
    submit_and_approve(client, c, model_id, fourth)
    final = call(client, c.author, "GET", revision_url(model_id, fourth))
    assert final["status"] == "published"
    assert final["sha256"] == own["sha256"]
    assert final["author_name"] == c.forker.account.display_name
    superseded = call(client, c.author, "GET", revision_url(model_id, third))
    assert superseded["status"] == "superseded"

    # every message went out as e-mail after its commit, one per notification
    assert len(mails_to(smtp, "autorin@dresden.example")) == len(kinds_for(session, c.author))
    assert len(mails_to(smtp, "prozesse@leipzig.example")) == len(kinds_for(session, c.forker))
    assert len(mails_to(smtp, "pruefer@goerlitz.example")) == 4  # four submissions waited

    # the model's audit trail tells the story, and exports it
    login_as(client, c.author.account)
    trail = client.get(f"/protokoll/process_model/{model_id}.csv")
    assert trail.status_code == 200
    rows = list(
        csv.reader(io.StringIO(trail.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    assert Counter(row[2] for row in rows[1:]) == {
        "Prozessmodell angelegt": 1,
        "Revision hochgeladen": 4,
        "Revision zur Prüfung eingereicht": 4,
        "Überarbeitung erbeten": 1,
        "Revision freigegeben": 3,
        "Revision abgelöst": 2,
    }


def published_sha(client, community, model_id, number):
    return call(client, community.author, "GET", revision_url(model_id, number))["sha256"]
