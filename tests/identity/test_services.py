from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.authz import ANONYMOUS, TokenScope
from app.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from app.identity import services
from app.identity.models import ApiToken, Role
from tests.factories import SYSTEM, make_account, make_authority


def test_duplicate_slug_is_a_conflict_and_keeps_the_session_usable(session):
    make_authority(session, slug="doppelt")
    with pytest.raises(Conflict):
        make_authority(session, slug="doppelt")
    assert services.get_authority(session, "doppelt").slug == "doppelt"


def test_accounts_are_unique_per_issuer_and_subject(session):
    authority = make_authority(session)
    services.create_account(
        session,
        SYSTEM,
        authority,
        display_name="A",
        roles=[Role.CONTRIBUTOR],
        subject="s1",
        issuer="https://idp.example",
    )
    services.create_account(
        session,
        SYSTEM,
        authority,
        display_name="B",
        roles=[Role.CONTRIBUTOR],
        subject="s1",
        issuer="https://other.example",
    )
    with pytest.raises(Conflict):
        services.create_account(
            session,
            SYSTEM,
            authority,
            display_name="C",
            roles=[],
            subject="s1",
            issuer="https://idp.example",
        )


def test_anonymous_cannot_create_accounts(session):
    with pytest.raises(Unauthorized):
        services.create_account(
            session, ANONYMOUS, make_authority(session), display_name="X", roles=[]
        )


def test_token_is_stored_hashed_and_authenticates(session):
    account = make_account(session, make_authority(session), Role.CONTRIBUTOR)
    token, raw = services.create_token(
        session, SYSTEM, account, name="CI", scopes=[TokenScope.LIBRARY_WRITE]
    )
    assert raw.startswith("mr_") and raw not in {token.token_hash, token.token_prefix}
    assert token.token_hash == services.hash_token(raw)
    actor, found = services.authenticate_token(session, raw)
    assert found.id == token.id
    assert actor.account_id == account.id and actor.scopes == frozenset({"library:write"})
    created = session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "token.created", AuditEvent.object_id == str(token.id)
        )
    )
    assert raw not in str(created.after)


def test_token_lifetime_is_bounded(session):
    account = make_account(session, make_authority(session))
    with pytest.raises(ValidationFailed):
        services.create_token(session, SYSTEM, account, name="x", scopes=[], days=400)


def test_only_the_owner_creates_tokens_for_an_account(session):
    authority = make_authority(session)
    owner, other = make_account(session, authority), make_account(session, authority)
    with pytest.raises(NotFound):
        services.create_token(session, services.actor_for(other), owner, name="x", scopes=[])
    services.create_token(session, services.actor_for(owner), owner, name="x", scopes=[])


def test_revoked_token_no_longer_authenticates(session):
    account = make_account(session, make_authority(session))
    token, raw = services.create_token(session, SYSTEM, account, name="x", scopes=[])
    services.revoke_token(session, services.actor_for(account), token)
    services.revoke_token(session, services.actor_for(account), token)  # twice is harmless
    with pytest.raises(Unauthorized):
        services.authenticate_token(session, raw)
    assert [t.id for t in services.list_tokens(session, SYSTEM, account)] == [token.id]


def test_token_of_a_moved_account_is_refused(session):
    account = make_account(session, make_authority(session))
    _token, raw = services.create_token(session, SYSTEM, account, name="x", scopes=[])
    account.authority_id = make_authority(session).id
    session.flush()
    with pytest.raises(Unauthorized, match="anderen Behörde"):
        services.authenticate_token(session, raw)


def test_find_account_by_subject_or_id(session):
    account = services.create_account(
        session, SYSTEM, make_authority(session), display_name="L", roles=[], subject="lokal-1"
    )
    assert services.find_account(session, "lokal-1").id == account.id
    assert services.find_account(session, str(account.id)).id == account.id
    with pytest.raises(NotFound):
        services.find_account(session, "niemand")


def test_update_authority_records_before_and_after(session):
    authority = make_authority(session, slug="aenderbar", name="Alt")
    data = services.AuthorityData(slug="aenderbar", name="Neu", kind=authority.kind, state="NW")
    assert services.update_authority(session, SYSTEM, authority, data) is True
    assert services.update_authority(session, SYSTEM, authority, data) is False
    event = session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "authority.updated", AuditEvent.object_id == str(authority.id)
        )
    )
    assert event.before["name"] == "Alt" and event.after["name"] == "Neu"


def test_tokens_are_listed_without_secrets(session):
    account = make_account(session, make_authority(session))
    services.create_token(session, SYSTEM, account, name="x", scopes=[])
    assert all(len(token.token_hash) == 64 for token in session.scalars(select(ApiToken)))
