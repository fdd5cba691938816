"""Builders for test data, going through the same services as the application."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.authz import Actor, TokenScope, system_actor
from app.catalog import services as catalog
from app.catalog.models import OzgService, Process
from app.identity import services as identity
from app.identity.models import Account, Authority, AuthorityKind, Role
from app.library import services as library
from app.library.models import ProcessModel, Revision, RevisionStatus

SEED_MODELS = Path(__file__).resolve().parent.parent / "seed" / "musterregister" / "musterprozesse"
SYSTEM = system_actor("Testdaten")
_numbers = itertools.count(1)

MINIMAL_BPMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="Definitions_1" targetNamespace="https://example.org/test">
  <bpmn:process id="Process_1" isExecutable="false">
    <bpmn:startEvent id="Start_1" name="Antrag eingegangen"/>
    <bpmn:task id="Task_1" name="Antrag pr\xc3\xbcfen"><bpmn:documentation>Vollst\xc3\xa4ndigkeit pr\xc3\xbcfen.</bpmn:documentation></bpmn:task>
    <bpmn:endEvent id="End_1" name="Bescheid versandt"/>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_1" targetRef="Task_1"/>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_1" targetRef="End_1"/>
  </bpmn:process>
</bpmn:definitions>
"""


def seed_model_bytes(slug: str = "wohnsitz-anmelden") -> bytes:
    return (SEED_MODELS / f"{slug}.bpmn").read_bytes()


def make_authority(session: Session, **overrides: Any) -> Authority:
    number = next(_numbers)
    data = {
        "slug": f"behoerde-{number}",
        "name": f"Testbehörde {number}",
        "kind": AuthorityKind.GEMEINDE,
        "state": "NW",
        **overrides,
    }
    return identity.create_authority(session, SYSTEM, identity.AuthorityData(**data))


def make_ozg_service(session: Session, ozg_id: str = "10124", **overrides: Any) -> OzgService:
    service = session.get(OzgService, ozg_id)
    if service is None:
        values = {
            "name": "Meldewesen",
            "lebenslage": "Umzug",
            "themenfeld": "Bauen & Wohnen",
            **overrides,
        }
        service = OzgService(ozg_id=ozg_id, **values)
        session.add(service)
        session.flush()
    return service


def make_account(
    session: Session, authority: Authority, *roles: Role, name: str | None = None
) -> Account:
    return identity.create_account(
        session,
        SYSTEM,
        authority,
        display_name=name or f"Person {next(_numbers)}",
        roles=roles or (Role.CONTRIBUTOR,),
    )


@dataclass
class Member:
    """An account with a token, ready to call the API."""

    account: Account
    token: str
    actor: Actor

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_member(
    session: Session,
    authority: Authority,
    *roles: Role,
    scopes: tuple[TokenScope, ...] = tuple(TokenScope),
    days: int = 30,
) -> Member:
    account = make_account(session, authority, *roles)
    _token, raw = identity.create_token(
        session, SYSTEM, account, name="Test", scopes=scopes, days=days
    )
    return Member(
        account=account, token=raw, actor=identity.actor_for(account, [s.value for s in scopes])
    )


def make_process(session: Session, authority: Authority, **data: Any) -> Process:
    values = {"title": f"Testprozess {next(_numbers)}", **data}
    return catalog.create_process(session, SYSTEM, authority, values)


def make_model(session: Session, process: Process, title: str = "Testmodell") -> ProcessModel:
    return library.create_model(session, SYSTEM, process, title=title)


def make_revision(
    session: Session,
    model: ProcessModel,
    data: bytes = MINIMAL_BPMN,
    status: RevisionStatus = RevisionStatus.DRAFT,
) -> Revision:
    return library.add_revision(
        session,
        SYSTEM,
        model,
        library.Upload(data=data),
        message="Test",
        max_bytes=10**7,
        status=status,
    )


def login_as(client: Any, account: Account) -> None:
    """A browser session for ``account`` without the provider round trip (tests of pages)."""
    from app.db import utcnow

    with client.session_transaction() as session:
        session["account_id"] = str(account.id)
        session["authenticated_at"] = utcnow().isoformat()


def csrf_token(client: Any, page: str) -> str:
    html = client.get(page).get_data(as_text=True)
    return html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
