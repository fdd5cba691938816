"""Account, token and administration pages; sessions versus tokens."""

from __future__ import annotations

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.identity.models import ApiToken, AuthorityLogin, Role
from app.library.models import RevisionStatus
from tests.factories import (
    csrf_token,
    login_as,
    make_account,
    make_authority,
    make_member,
    make_model,
    make_process,
    make_revision,
)


def test_pages_that_need_a_login_send_visitors_to_it(client):
    for page in ("/konto", "/konto/tokens", "/verwaltung/behoerden"):
        response = client.get(page)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/anmelden?next=")


def test_account_page_shows_name_authority_and_roles(client, session):
    account = make_account(
        session,
        make_authority(session, name="Stadt Beispiel"),
        Role.CONTRIBUTOR,
        Role.REVIEWER,
        name="Erika Muster",
    )
    session.commit()
    login_as(client, account)
    page = client.get("/konto").get_data(as_text=True)
    assert "Erika Muster" in page and "Stadt Beispiel" in page and "Prüfende/r" in page
    assert "Konto: Erika Muster" in page  # in the header of every page


def test_tokens_are_created_shown_once_listed_and_revoked(client, session):
    account = make_account(session, make_authority(session), Role.CONTRIBUTOR)
    session.commit()
    login_as(client, account)
    created = client.post(
        "/konto/tokens",
        data={
            "csrf_token": csrf_token(client, "/konto/tokens"),
            "name": "Export Signavio",
            "scopes": ["library:write"],
            "days": "30",
        },
    )
    page = created.get_data(as_text=True)
    secret = page.split('id="neues-token">')[1].split("<")[0]
    assert secret.startswith("mr_")
    again = client.get("/konto/tokens").get_data(as_text=True)
    assert "Export Signavio" in again and secret not in again and secret[:10] in again
    token = session.scalar(select(ApiToken).where(ApiToken.account_id == account.id))
    assert token.scopes == ["library:write"]
    client.post(
        f"/konto/tokens/{token.id}/widerrufen",
        data={"csrf_token": csrf_token(client, "/konto/tokens")},
    )
    session.refresh(token)
    assert token.revoked_at is not None
    assert (
        client.get("/api/v1/processes", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 401
    )


def test_token_form_errors_are_german_and_a_422(client, session):
    login_as(client, make_account(session, make_authority(session)))
    session.commit()
    response = client.post(
        "/konto/tokens",
        data={"csrf_token": csrf_token(client, "/konto/tokens"), "name": "", "days": "999"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert (
        "Bitte einen Namen angeben." in page and "Mindestens einen Geltungsbereich wählen." in page
    )


def test_forms_without_csrf_token_are_refused(client, session):
    login_as(client, make_account(session, make_authority(session)))
    session.commit()
    response = client.post(
        "/konto/tokens", data={"name": "x", "scopes": ["catalog:write"], "days": "3"}
    )
    assert response.status_code == 400
    assert session.scalar(select(ApiToken)) is None


def test_an_api_token_cannot_manage_tokens(client, session):
    member = make_member(session, make_authority(session), Role.CONTRIBUTOR)
    session.commit()
    response = client.get("/konto/tokens", headers=member.headers)
    assert response.status_code == 403


def test_someone_elses_token_cannot_be_revoked(client, session):
    authority = make_authority(session)
    owner = make_member(session, authority, Role.CONTRIBUTOR)
    intruder = make_account(session, authority)
    session.commit()
    login_as(client, intruder)
    token = session.scalar(select(ApiToken).where(ApiToken.account_id == owner.account.id))
    response = client.post(
        f"/konto/tokens/{token.id}/widerrufen",
        data={"csrf_token": csrf_token(client, "/konto/tokens")},
    )
    assert response.status_code == 404
    session.refresh(token)
    assert token.revoked_at is None


def test_a_browser_session_reads_drafts_but_never_writes_through_the_api(client, session):
    authority = make_authority(session)
    account = make_account(session, authority, Role.CONTRIBUTOR)
    model = make_model(session, make_process(session, authority))
    make_revision(session, model, status=RevisionStatus.DRAFT)
    session.commit()
    login_as(client, account)
    assert client.get(f"/api/v1/models/{model.id}/revisions/1/content").status_code == 200
    response = client.post("/api/v1/processes", json={"title": "über den Cookie"})
    assert response.status_code == 401


def test_only_register_admins_reach_the_administration(client, session):
    authority = make_authority(session)
    for roles in ((Role.CONTRIBUTOR,), (Role.AUTHORITY_ADMIN, Role.REVIEWER)):
        login_as(client, make_account(session, authority, *roles))
        session.commit()
        assert client.get("/verwaltung/behoerden").status_code == 403
    login_as(client, make_account(session, authority, Role.REGISTER_ADMIN))
    session.commit()
    assert client.get("/verwaltung/behoerden").status_code == 200


def test_register_admin_creates_an_authority_and_configures_its_login(client, session):
    login_as(client, make_account(session, make_authority(session), Role.REGISTER_ADMIN))
    session.commit()
    response = client.post(
        "/verwaltung/behoerden/neu",
        data={
            "csrf_token": csrf_token(client, "/verwaltung/behoerden/neu"),
            "slug": "stadt-neu",
            "name": "Stadt Neu",
            "kind": "gemeinde",
            "state": "NW",
            "ars": "",
            "website": "",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/verwaltung/behoerden/stadt-neu"
    )
    form = client.get("/verwaltung/behoerden/stadt-neu").get_data(as_text=True)
    token = form.split('name="anmeldung-csrf_token" type="hidden" value="')[1].split('"')[0]
    saved = client.post(
        "/verwaltung/behoerden/stadt-neu/anmeldung",
        data={
            "anmeldung-csrf_token": token,
            "anmeldung-issuer": "https://login.stadt-neu.example/realms/verwaltung",
            "anmeldung-client_id": "musterregister",
            "anmeldung-client_secret_ref": "env:OIDC_SECRET_STADT_NEU",
            "anmeldung-scopes": "openid profile email",
            "anmeldung-roles_claim": "realm_access.roles",
            "anmeldung-role_mapping": "prozessmanagement = contributor\nqs = reviewer",
            "anmeldung-enabled": "y",
        },
    )
    assert saved.status_code == 302
    login = session.scalar(select(AuthorityLogin))
    assert login.role_mapping == {"prozessmanagement": "contributor", "qs": "reviewer"}
    assert login.client_secret_ref == "env:OIDC_SECRET_STADT_NEU"
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "authority.login_changed"))
    assert event.after["issuer"].startswith("https://login.stadt-neu.example")
    page = client.get("/verwaltung/behoerden/stadt-neu").get_data(as_text=True)
    assert "prozessmanagement = contributor" in page


def test_the_secret_itself_is_never_accepted_or_shown(client, session):
    login_as(client, make_account(session, make_authority(session), Role.REGISTER_ADMIN))
    target = make_authority(session, slug="geheim")
    session.commit()
    form = client.get("/verwaltung/behoerden/geheim").get_data(as_text=True)
    token = form.split('name="anmeldung-csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/verwaltung/behoerden/geheim/anmeldung",
        data={
            "anmeldung-csrf_token": token,
            "anmeldung-issuer": "https://idp.example",
            "anmeldung-client_id": "x",
            "anmeldung-client_secret_ref": "mein-geheimes-passwort",
            "anmeldung-scopes": "openid",
        },
    )
    assert response.status_code == 422
    assert "env:VARIABLE oder file:/pfad" in response.get_data(as_text=True)
    assert session.get(AuthorityLogin, target.id) is None


def test_demo_mode_shows_a_banner(tmp_path, database_url):
    from app import close_app, create_app
    from tests.conftest import TEST_SECRET

    app = create_app(
        {
            "instance_path": tmp_path,
            "database_url": database_url,
            "secret_key": TEST_SECRET,
            "demo": True,
        }
    )
    try:
        assert "Demo" in app.test_client().get("/anmelden").get_data(as_text=True)
    finally:
        close_app(app)
