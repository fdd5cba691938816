"""Every change of a Steckbrief, a revision's state or a permission leaves an audit event with
before and after — and never a secret."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.authz import TokenScope
from app.catalog import services as catalog
from app.identity import login as logins
from app.identity import services as identity
from app.identity.models import Role
from app.identity.oidc import VerifiedLogin
from app.review import services as review
from app.review.workflow import Decision
from tests.factories import (
    SYSTEM,
    make_account,
    make_authority,
    make_member,
    make_model,
    make_process,
    make_revision,
)


def events(session, object_id, action=None) -> list[AuditEvent]:
    statement = select(AuditEvent).where(AuditEvent.object_id == str(object_id))
    if action:
        statement = statement.where(AuditEvent.action == action)
    return list(session.scalars(statement.order_by(AuditEvent.id)))


def all_event_text(session) -> str:
    return json.dumps(
        [[e.before, e.after, e.details] for e in session.scalars(select(AuditEvent))],
        ensure_ascii=False,
    )


def test_a_steckbrief_is_audited_on_creation_and_with_only_the_changed_fields(session):
    authority = make_authority(session)
    process = make_process(session, authority, title="Hund anmelden", fees="10 EUR")
    [created] = events(session, process.id, "process.created")
    assert created.before is None and created.after["fees"] == "10 EUR"
    assert created.authority_id == authority.id

    catalog.update_process(session, SYSTEM, process, {"fees": "12 EUR"}, expected_version=1)
    [updated] = events(session, process.id, "process.updated")
    assert (updated.before, updated.after) == ({"fees": "10 EUR"}, {"fees": "12 EUR"})
    assert updated.details == {"version": 2}


def test_every_status_change_of_a_revision_is_audited_with_before_and_after(session):
    owner, other = make_authority(session), make_authority(session)
    contributor = make_member(session, owner, Role.CONTRIBUTOR)
    reviewer = make_member(session, other, Role.REVIEWER)
    revision = make_revision(session, make_model(session, make_process(session, owner)))
    review.submit(session, contributor.actor, revision)
    review.decide(session, reviewer.actor, revision, Decision.REQUEST_CHANGES, comment="Bitte")
    trail = [
        (e.action, e.before and e.before["status"], e.after["status"])
        for e in events(session, revision.id)
    ]
    assert trail == [
        ("revision.created", None, "draft"),
        ("revision.submitted", "draft", "submitted"),
        ("review.request_changes", "submitted", "changes_requested"),
    ]


def test_roles_from_a_login_are_audited_as_a_permission_change(session):
    authority = make_authority(session)
    settings = logins.LoginSettings(
        issuer="https://login.example.org",
        client_id="register",
        client_secret_ref="env:GEHEIM_VARIABLE",
        roles_claim="roles",
        role_mapping={"QS": "reviewer", "SB": "contributor"},
    )
    login = logins.set_authority_login(session, SYSTEM, authority, settings)
    verified = VerifiedLogin(
        issuer="https://login.example.org",
        subject="paula",
        claims={"sub": "paula", "name": "Paula", "roles": ["SB"]},
        id_token="eyJ.geheimes.idtoken",
    )
    account = logins.account_for_login(session, authority, login, verified)
    verified.claims["roles"] = ["SB", "QS"]
    logins.account_for_login(session, authority, login, verified)
    [change] = events(session, account.id, "account.roles_changed")
    assert change.before == {"roles": ["contributor"]}
    assert change.after == {"roles": ["contributor", "reviewer"]}
    assert "eyJ.geheimes.idtoken" not in all_event_text(session)


def test_login_settings_are_audited_by_reference_never_with_the_secret(session, monkeypatch):
    monkeypatch.setenv("GEHEIM_VARIABLE", "das-client-geheimnis")
    authority = make_authority(session)
    settings = logins.LoginSettings(
        issuer="https://login.example.org",
        client_id="register",
        client_secret_ref="env:GEHEIM_VARIABLE",
        role_mapping={"SB": "contributor"},
    )
    logins.set_authority_login(session, SYSTEM, authority, settings)
    changed = logins.LoginSettings(**{**settings.__dict__, "role_mapping": {"SB": "reviewer"}})
    logins.set_authority_login(session, SYSTEM, authority, changed)
    [_created, update] = events(session, authority.id, "authority.login_changed")
    assert update.before["role_mapping"] == {"SB": "contributor"}
    assert update.after["role_mapping"] == {"SB": "reviewer"}
    assert update.after["client_secret_ref"] == "env:GEHEIM_VARIABLE"
    assert "das-client-geheimnis" not in all_event_text(session)


def test_tokens_are_audited_without_their_value(session):
    authority = make_authority(session)
    account = make_account(session, authority, Role.CONTRIBUTOR)
    token, raw = identity.create_token(
        session, SYSTEM, account, name="CI", scopes=[TokenScope.CATALOG_WRITE]
    )
    identity.revoke_token(session, SYSTEM, token)
    created, revoked = events(session, token.id)
    assert created.action == "token.created" and created.after["scopes"] == ["catalog:write"]
    assert revoked.before == {"revoked_at": None} and revoked.after["revoked_at"]
    text = all_event_text(session)
    assert raw not in text and token.token_hash not in text
