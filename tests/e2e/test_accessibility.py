"""axe-core on every page of the register, for a visitor, a contributor, a reviewer and an admin.

The pages come from the application's url_map (every GET route), filled with sample ids of a
scene built in the demo register. What is not an HTML page is left out by the type of its answer
(JSON, CSV, files); what a role may not open (401/403/404) is left to the roles that may. Every
HTML route must be checked by at least one role, so no page is skipped silently.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page
from sqlalchemy import select

from app import close_app, create_app
from app.catalog import imports
from app.db import Database
from app.identity.models import Account, Authority, Role
from app.library import forks, proposals
from app.library.models import RevisionStatus
from app.peering.models import Peer, PeerState
from app.review.models import Notification, NotificationKind
from tests.conftest import app_overrides
from tests.e2e.conftest import ARTIFACTS, check_accessibility, demo_login
from tests.factories import (
    make_member,
    make_model,
    make_ozg_service,
    make_process,
    make_revision,
    seed_model_bytes,
)

pytestmark = pytest.mark.browser

# Only reachable in the middle of a login at the authority's identity provider.
NEVER_ON_ITS_OWN = {"/anmelden/rueckkehr": "Rücksprung vom Anmeldedienst (nur mitten im Anmelden)"}
ROLES = {
    "Besucher": None,
    "Beitragende": ("Stadt Hamm", "Hanna Hamm – Stadt Hamm, Beitragende"),
    "Prüfende": ("Kreis Steinfurt", "Konrad Kreis – Kreis Steinfurt, Prüfende und Behördenadmin"),
    "Registeradmin": (
        "Redaktion Musterregister",
        "Rita Redaktion – Redaktion Musterregister, Registeradmin",
    ),
}
# Public pages that offer people logged in more (forms to submit, edit, comment, fork).
SHOWN_DIFFERENTLY = {"/modelle/<uuid:model_id>", "/prozesse/<uuid:process_id>"}
PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


@dataclass
class Visits:
    checked: dict[str, list[str]] = field(default_factory=dict)  # rule → roles
    not_html: dict[str, str] = field(default_factory=dict)  # rule → content type
    refused: dict[str, list[str]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # rule → <title> of its first visit
    error_page: str = ""  # title of the error page checked
    failures: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def routes(demo_database_url, tmp_path_factory) -> list[tuple[str, bool]]:
    """(rule, public?) of every GET route of the application."""
    from app.authz import ACCESS_ATTRIBUTE, PUBLIC

    app = create_app(app_overrides(tmp_path_factory.mktemp("routes"), demo_database_url))
    try:
        return sorted(
            (rule.rule, getattr(app.view_functions[rule.endpoint], ACCESS_ATTRIBUTE) == PUBLIC)
            for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or ())
        )
    finally:
        close_app(app)


@pytest.fixture(scope="module")
def scene(demo_database_url, demo_site) -> dict[str, str]:
    """Something behind every parameter: published, submitted and forked models, a proposal, an
    import, a peer (notifications follow per person, once they have logged in)."""
    database = Database(demo_database_url)
    try:
        with database.transaction() as session:
            return _build_scene(session)
    finally:
        database.dispose()


def _build_scene(session) -> dict[str, str]:
    hamm, steinfurt = (
        session.scalar(select(Authority).where(Authority.slug == slug))
        for slug in ("hamm", "kreis-steinfurt")
    )
    make_ozg_service(session, "92001", themenfeld="Querschnitt", lebenslage="Verwaltung")
    process = make_process(session, hamm, title="Barrierefreiheit prüfen (Hamm)", ozg_id="92001")
    model = make_model(session, process, title="Barrierefreiheit prüfen (Hamm)")
    bpmn = seed_model_bytes("wohnsitz-anmelden")
    published = make_revision(session, model, bpmn, status=RevisionStatus.PUBLISHED)
    make_revision(
        session, model, bpmn.replace(b"Unterlagen", b"Nachweise"), RevisionStatus.SUBMITTED
    )
    forker = make_member(session, steinfurt, Role.CONTRIBUTOR)
    fork = forks.fork_model(session, forker.actor, published, authority=steinfurt, max_bytes=10**7)
    proposal = proposals.propose(session, forker.actor, fork.revisions[0], message="Vorschlag")
    hamm_member = make_member(session, hamm, Role.CONTRIBUTOR)
    job = imports.check_file(
        session,
        hamm_member.actor,
        hamm,
        "LeiKa-Schlüssel;Bezeichnung\n99050012104000;Gewerbeanmeldung\n".encode(),
        "register.csv",
        max_bytes=1_000_000,
    )
    session.add(_peer())
    session.flush()
    return {
        "slug": "hamm",
        "key": "hamm",
        "table": "priorisierung",  # a table of the register and of authorities
        "process_id": str(process.id),
        "model_id": str(model.id),
        "number": "2",
        "version": "1",
        "proposal_id": str(proposal.id),
        "job_id": str(job.id),
        "object_type": "process",
        "object_id": str(process.id),
        "name": "partner-barrierefrei",
        "sha256": published.blob_sha256,
        "filename": "css/app.css",
    }


def _peer() -> Peer:
    return Peer(
        name="partner-barrierefrei",
        base_url="https://partner.invalid",
        instance_name="Partnerregister",
        protocol_version="1",
        jwks={"keys": []},
        fingerprint="SHA256:" + "0" * 43,
        state=PeerState.PENDING,
        accept_vouched=False,
        vouched=[],
        cursor=0,
    )


def _notify(database_url: str, name: str, link: str) -> str:
    database = Database(database_url)
    try:
        with database.transaction() as session:
            account = session.scalar(select(Account).where(Account.display_name == name))
            notification = Notification(
                account_id=account.id, kind=NotificationKind.COMMENT, title="Zum Prüfen", link=link
            )
            session.add(notification)
            session.flush()
            return str(notification.id)
    finally:
        database.dispose()


def _visit(
    context: BrowserContext, site: str, role: str, rules: list[str], values: dict, visits: Visits
):
    page = context.new_page()
    for rule in rules:
        url = site + PARAMETER.sub(lambda match: values[match.group(1)], rule)
        answer = context.request.get(url, max_redirects=0)
        kind = answer.headers.get("content-type", "").split(";")[0]
        if 300 <= answer.status < 400:
            _redirected(rule, role, answer.headers["location"], site, visits)
        elif kind != "text/html":  # JSON (answers and problems), CSV, files
            visits.not_html[rule] = kind
        elif answer.status >= 400:
            visits.refused.setdefault(rule, []).append(f"{role}: {answer.status}")
            if not visits.error_page:  # the error page is a page too: check it once
                visits.error_page = _check(page, url, role, visits)
        else:
            started = time.monotonic()
            visits.titles.setdefault(rule, _check(page, url, role, visits))
            visits.checked.setdefault(rule, []).append(f"{role} {time.monotonic() - started:.1f} s")
    page.close()


def _check(page: Page, url: str, role: str, visits: Visits) -> str:
    """Open the page, run axe on it, note a failure; returns the page's title."""
    page.goto(url)
    try:
        check_accessibility(page)
    except AssertionError as problem:
        visits.failures.append(f"[{role}] {problem}")
    return page.title()


def _redirected(rule: str, role: str, location: str, site: str, visits: Visits) -> None:
    """To the login: refused for this role. Elsewhere: not a page of its own."""
    target = urlsplit(location)
    if target.netloc not in ("", urlsplit(site).netloc):
        visits.not_html[rule] = "Weiterleitung zum Anmeldedienst"
    elif target.path.startswith("/anmelden"):
        visits.refused.setdefault(rule, []).append(f"{role}: zur Anmeldung")
    else:
        visits.not_html[rule] = f"Weiterleitung nach {target.path}"


def _assert_titles_tell_pages_apart(titles: dict[str, str]) -> None:
    """Every page says what it is in its title, before the name of the register."""
    for rule, title in titles.items():
        assert re.fullmatch(r"\S.* – Musterregister", title), (rule, title)
    shared = {t: [r for r in titles if titles[r] == t] for t in set(titles.values())}
    assert {t: rules for t, rules in shared.items() if len(rules) > 1} == {}


def _rules_for(role: str, routes: list[tuple[str, bool]]) -> list[str]:
    """Visitors open every route; people logged in the ones that differ for them (every page they
    open shows their navigation, too)."""
    if role == "Besucher":
        return [rule for rule, _public in routes]
    return [rule for rule, public in routes if not public or rule in SHOWN_DIFFERENTLY]


def test_every_page_passes_axe_for_every_role(browser, demo_site, demo_database_url, routes, scene):
    started, visits = time.monotonic(), Visits()
    for role, login in ROLES.items():
        context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
        try:
            values = dict(scene, notification_id=str(uuid.uuid4()))
            if login:
                page = context.new_page()
                demo_login(page, demo_site, *login)
                page.close()
                person = login[1].split(" – ")[0]
                values["notification_id"] = _notify(
                    demo_database_url, person, f"/modelle/{scene['model_id']}"
                )
            _visit(context, demo_site, role, _rules_for(role, routes), values, visits)
        finally:
            context.close()
    html_rules = {rule for rule, _ in routes} - set(visits.not_html)
    unchecked = html_rules - set(visits.checked) - set(NEVER_ON_ITS_OWN)
    assert not unchecked, f"Nicht geprüfte Seiten: {sorted(unchecked)} ({visits.refused})"
    assert set(NEVER_ON_ITS_OWN) <= set(visits.refused)
    assert not visits.failures, "\n".join(visits.failures)
    _assert_titles_tell_pages_apart(visits.titles)
    assert visits.error_page.endswith(" – Musterregister")
    report = ARTIFACTS / "axe-seiten.txt"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(
        "\n".join(
            [f"{rule}: {', '.join(roles)}" for rule, roles in sorted(visits.checked.items())]
            + [f"{rule}: kein HTML ({kind})" for rule, kind in sorted(visits.not_html.items())]
            + [f"{took:.0f} s" for took in [time.monotonic() - started]]
        ),
        encoding="utf-8",
    )
    assert len(visits.checked) >= 30
