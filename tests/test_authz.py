"""The authorization policy and the rule that every endpoint declares its access."""

from __future__ import annotations

import uuid

import pytest

from app.authz import (
    ANONYMOUS,
    PUBLIC,
    Actor,
    ActorKind,
    Permission,
    TokenScope,
    declared_access,
    is_allowed,
    require,
    system_actor,
)
from app.errors import Forbidden, NotFound, Unauthorized
from app.identity.models import Role
from app.library.models import RevisionStatus

AUTHORITY_A, AUTHORITY_B = uuid.uuid4(), uuid.uuid4()


def person(authority=AUTHORITY_A, *roles, scopes=None):
    return Actor(
        kind=ActorKind.ACCOUNT,
        name="P",
        account_id=uuid.uuid4(),
        authority_id=authority,
        roles=frozenset(roles),
        scopes=scopes,
    )


class Owned:
    def __init__(self, authority_id):
        self.authority_id = authority_id


class FakeRevision:
    def __init__(self, status, authority_id):
        self.status = status
        self.model = Owned(authority_id)


def test_every_endpoint_declares_a_permission_or_public(app):
    undeclared = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        methods = rule.methods - {"HEAD", "OPTIONS"}
        targets = [getattr(view_class, m.lower()) for m in methods] if view_class else [view]
        for target in targets:
            access = declared_access(target)
            if access != PUBLIC and not (
                isinstance(access, tuple) and all(isinstance(p, Permission) for p in access)
            ):
                undeclared.append(f"{rule.endpoint} {rule.rule}")
    assert undeclared == []


PUBLIC_WRITES = {
    "identity.logout"
}  # ending one's own session needs no permission (CSRF still applies)


def test_write_endpoints_declare_permissions(app):
    for rule in app.url_map.iter_rules():
        if rule.methods & {"POST", "PATCH", "PUT", "DELETE"} and rule.endpoint not in PUBLIC_WRITES:
            assert isinstance(declared_access(app.view_functions[rule.endpoint]), tuple), rule.rule


@pytest.mark.parametrize(
    "permission", [Permission.PROCESS_UPDATE, Permission.MODEL_CREATE, Permission.REVISION_CREATE]
)
def test_contributors_write_only_their_own_authority(permission):
    contributor = person(AUTHORITY_A, Role.CONTRIBUTOR)
    assert is_allowed(contributor, permission, Owned(AUTHORITY_A))
    assert not is_allowed(contributor, permission, Owned(AUTHORITY_B))
    with pytest.raises(Forbidden):
        require(contributor, permission, Owned(AUTHORITY_B))


def test_reviewers_and_admins_alone_do_not_write_content():
    for role in (Role.REVIEWER, Role.AUTHORITY_ADMIN, Role.REGISTER_ADMIN):
        assert not is_allowed(
            person(AUTHORITY_A, role), Permission.PROCESS_UPDATE, Owned(AUTHORITY_A)
        )


def test_anonymous_writes_are_unauthorized():
    with pytest.raises(Unauthorized):
        require(ANONYMOUS, Permission.PROCESS_UPDATE, Owned(AUTHORITY_A))


def test_token_scopes_limit_permissions():
    library_only = person(
        AUTHORITY_A, Role.CONTRIBUTOR, scopes=frozenset({TokenScope.LIBRARY_WRITE})
    )
    assert is_allowed(library_only, Permission.REVISION_CREATE, Owned(AUTHORITY_A))
    with pytest.raises(Forbidden, match="catalog:write"):
        require(library_only, Permission.PROCESS_UPDATE, Owned(AUTHORITY_A))


def test_only_register_admins_manage_authorities():
    assert is_allowed(person(AUTHORITY_A, Role.REGISTER_ADMIN), Permission.AUTHORITY_MANAGE)
    for role in (Role.CONTRIBUTOR, Role.REVIEWER, Role.AUTHORITY_ADMIN):
        with pytest.raises(Forbidden):
            require(person(AUTHORITY_A, role), Permission.AUTHORITY_MANAGE)


def test_unpublished_revisions_are_hidden_as_missing_from_others():
    draft = FakeRevision(RevisionStatus.DRAFT, AUTHORITY_A)
    published = FakeRevision(RevisionStatus.PUBLISHED, AUTHORITY_A)
    assert is_allowed(ANONYMOUS, Permission.REVISION_READ, published)
    assert is_allowed(person(AUTHORITY_A), Permission.REVISION_READ, draft)
    for outsider in (ANONYMOUS, person(AUTHORITY_B, Role.CONTRIBUTOR, Role.REGISTER_ADMIN)):
        with pytest.raises(NotFound):
            require(outsider, Permission.REVISION_READ, draft)


def test_the_system_actor_is_explicit_and_may_everything():
    assert all(
        is_allowed(system_actor(), permission, Owned(AUTHORITY_B))
        for permission in Permission
        if permission is not Permission.REVISION_READ
    )
    assert system_actor("Seed").name == "Seed"
