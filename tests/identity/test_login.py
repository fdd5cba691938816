"""Login through real OpenID providers: the full redirect flow, and every refusal."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.db import utcnow
from app.identity.models import Account, Role, WebSession
from app.identity.sessions import COOKIE_NAME
from tests.factories import SYSTEM
from tests.identity.conftest import app_path, follow_provider, log_in
from tests.support.oidc import signing_key


def accounts(session) -> int:
    return session.scalar(select(func.count(Account.id)))


def logged_in_sessions(session) -> int:
    return session.scalar(
        select(func.count()).select_from(WebSession).where(WebSession.account_id.is_not(None))
    )


def account_of(session, subject: str) -> Account:
    return session.scalar(select(Account).where(Account.subject == subject))


def with_param(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.update(params)
    return urlunsplit(parts._replace(query=urlencode(query)))


# --- succeeding ----------------------------------------------------------------------------------


def test_two_issuers_log_in_people_of_their_own_authority(client, session, world, providers):
    response = log_in(client, "hamm", "anna")
    assert response.status_code == 302 and response.headers["Location"] == "/konto"
    anna = account_of(session, "anna")
    assert (anna.issuer, anna.authority_id, anna.roles) == (
        providers.hamm.issuer,
        world.hamm.id,
        ["contributor"],
    )
    assert "Anna Amt" in client.get("/konto").get_data(as_text=True)

    other_browser = client.application.test_client()
    assert log_in(other_browser, "kreis-steinfurt", "berta").status_code == 302
    berta = account_of(session, "berta")
    assert (berta.issuer, berta.authority_id) == (providers.steinfurt.issuer, world.steinfurt.id)


def test_a_shared_issuer_serves_two_authorities_by_claim(client, session, world, providers):
    assert log_in(client, "dresden", "dora").status_code == 302
    assert log_in(client.application.test_client(), "lueneburg", "lena").status_code == 302
    dora, lena = account_of(session, "dora"), account_of(session, "lena")
    assert dora.issuer == lena.issuer == providers.land.issuer
    assert (dora.authority_id, dora.roles) == (world.dresden.id, ["contributor"])
    assert (lena.authority_id, lena.roles) == (world.lueneburg.id, ["reviewer"])


def test_roles_are_refreshed_from_the_claims_at_every_login(client, session, world, providers):
    otto = Account(
        authority_id=world.hamm.id,
        issuer=providers.hamm.issuer,
        subject="otto",
        display_name="Otto",
        roles=["contributor"],
    )
    session.add(otto)
    session.commit()
    log_in(client, "hamm", "otto")
    session.refresh(otto)
    assert otto.roles == [
        "authority-admin",
        "reviewer",
    ]  # the unmapped value "unbekannt" gives nothing
    change = session.scalar(select(AuditEvent).where(AuditEvent.action == "account.roles_changed"))
    assert change.before == {"roles": ["contributor"]} and change.after == {
        "roles": ["authority-admin", "reviewer"]
    }


def test_accounts_are_never_matched_by_email(client, session, world, providers):
    namesake = Account(
        authority_id=world.hamm.id,
        issuer=providers.hamm.issuer,
        subject="someone-else",
        display_name="X",
        email="anna@example.org",
        roles=[],
    )
    session.add(namesake)
    session.commit()
    log_in(client, "hamm", "anna")
    assert account_of(session, "anna").id != namesake.id


def test_login_starts_a_new_session_id(client, session, world):
    client.get("/anmelden/hamm")
    before = client.get_cookie(COOKIE_NAME).value  # the session that holds state and nonce
    callback = follow_provider(client.get("/anmelden/hamm").headers["Location"], "anna")
    client.get(app_path(callback))
    after = client.get_cookie(COOKIE_NAME)
    assert after.value != before and after.http_only and after.same_site == "Lax"
    assert logged_in_sessions(session) == 1


def test_login_returns_to_the_page_asked_for_but_never_to_another_host(client, world):
    start = client.get("/anmelden/hamm?next=/konto/tokens")
    response = client.get(app_path(follow_provider(start.headers["Location"], "anna")))
    assert response.headers["Location"] == "/konto/tokens"
    start = client.get("/anmelden/hamm?next=//evil.example/")
    response = client.get(app_path(follow_provider(start.headers["Location"], "anna")))
    assert response.headers["Location"] == "/konto"


def test_logout_ends_the_session_and_the_providers(client, session, world, providers):
    log_in(client, "hamm", "anna")
    page = client.get("/konto").get_data(as_text=True)
    csrf = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/abmelden", data={"csrf_token": csrf})
    location = response.headers["Location"]
    assert location.startswith(f"{providers.hamm.issuer}/session/end?")
    assert "id_token_hint=" in location and "post_logout_redirect_uri=" in location
    assert logged_in_sessions(session) == 0
    assert client.get("/konto").status_code == 302  # to the login page


def test_logout_needs_the_csrf_token(client, session, world):
    log_in(client, "hamm", "anna")
    assert client.post("/abmelden").status_code == 400
    assert logged_in_sessions(session) == 1


@pytest.mark.parametrize("field", ["last_seen_at", "authenticated_at"])
def test_idle_and_absolute_timeouts_end_a_session(client, session, world, field):
    log_in(client, "hamm", "anna")
    row = session.scalar(select(WebSession).where(WebSession.account_id.is_not(None)))
    setattr(row, field, utcnow() - timedelta(days=1))
    session.commit()
    assert client.get("/konto").status_code == 302


def test_the_login_page_lists_authorities_with_login(client, world):
    page = client.get("/anmelden?q=hamm").get_data(as_text=True)
    assert "Stadt Hamm" in page and "Kreis Steinfurt" not in page
    assert "/anmelden/kreis-steinfurt" in client.get("/anmelden").get_data(as_text=True)


def test_authorities_without_login_cannot_be_chosen(client, session, world):
    from tests.factories import make_authority

    make_authority(session, slug="ohne-anmeldung")
    session.commit()
    assert client.get("/anmelden/ohne-anmeldung").status_code == 404


# --- refusing --------------------------------------------------------------------------------------


def assert_refused(
    response, session, code: str, before_accounts: int, before_sessions: int = 0
) -> None:
    assert response.status_code == 403, response.get_data(as_text=True)
    assert "Anmeldung abgelehnt" in response.get_data(as_text=True)
    assert accounts(session) == before_accounts
    assert logged_in_sessions(session) == before_sessions
    refusal = session.scalars(select(AuditEvent).where(AuditEvent.action == "login.refused")).all()[
        -1
    ]
    assert refusal.details["code"] == code


def test_tampered_state_is_refused(client, session, world):
    before = accounts(session)
    response = log_in(client, "hamm", "anna", edit=lambda url: with_param(url, state="gefaelscht"))
    assert_refused(response, session, "state", before)


def test_a_replayed_callback_is_refused(client, session, world):
    callback = follow_provider(client.get("/anmelden/kreis-steinfurt").headers["Location"], "berta")
    assert client.get(app_path(callback)).status_code == 302
    attacker = client.application.test_client()
    assert_refused(
        attacker.get(app_path(callback)), session, "state", accounts(session), before_sessions=1
    )


def test_a_replayed_code_is_refused_by_the_provider(client, session, world):
    used = follow_provider(client.get("/anmelden/kreis-steinfurt").headers["Location"], "berta")
    client.get(app_path(used))
    attacker = client.application.test_client()
    own_state = parse_qs(
        urlsplit(attacker.get("/anmelden/kreis-steinfurt").headers["Location"]).query
    )["state"][0]
    response = attacker.get(app_path(with_param(used, state=own_state)))
    assert_refused(response, session, "token-exchange", accounts(session), before_sessions=1)


def test_the_iss_parameter_of_another_provider_is_refused(client, session, world, providers):
    before = accounts(session)
    response = log_in(
        client, "hamm", "anna", edit=lambda url: with_param(url, iss=providers.steinfurt.issuer)
    )
    assert_refused(response, session, "issuer-mixup", before)


def test_a_missing_iss_parameter_is_refused_when_the_provider_sends_it(client, session, world):
    def drop_iss(url: str) -> str:
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items() if k != "iss"}
        return urlunsplit(parts._replace(query=urlencode(query)))

    before = accounts(session)
    assert_refused(log_in(client, "hamm", "anna", edit=drop_iss), session, "issuer-missing", before)


def test_a_mismatched_issuer_is_refused(client, session, world, providers):
    from tests.identity.conftest import configure

    configure(
        session,
        world.hamm,
        providers.hamm,
        "register-hamm",
        issuer=providers.hamm.issuer + "/",
        client_secret_ref="env:OIDC_TEST_SECRET_HAMM",
    )
    session.commit()
    before = accounts(session)
    response = client.get("/anmelden/hamm")
    assert_refused(response, session, "issuer-mismatch", before)


@pytest.mark.parametrize(
    ("code", "forge"),
    [
        (
            "signature",
            lambda p: lambda token, provider: provider.resign(
                token, lambda c: None, key=signing_key("fremd")
            ),
        ),
        (
            "signature",
            lambda p: lambda token, provider: provider.resign(
                token, lambda c: None, key=signing_key(provider.key.kid)
            ),
        ),
        (
            "claim-aud",
            lambda p: lambda token, provider: provider.resign(
                token, lambda c: c.update(aud="andere-anwendung")
            ),
        ),
        (
            "expired-token",
            lambda p: lambda token, provider: provider.resign(
                token, lambda c: c.update(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200)
            ),
        ),
        (
            "claim-nonce",
            lambda p: lambda token, provider: provider.resign(token, lambda c: c.pop("nonce")),
        ),
        (
            "claim-nonce",
            lambda p: lambda token, provider: provider.resign(
                token, lambda c: c.update(nonce="falsch")
            ),
        ),
        (
            "claim-iss",
            lambda p: lambda token, provider: provider.resign(
                token, lambda c: c.update(iss="https://boese.example")
            ),
        ),
        (
            "id-token-missing",
            lambda p: lambda token, provider: {k: v for k, v in token.items() if k != "id_token"},
        ),
    ],
    ids=[
        "foreign-key",
        "same-kid-other-key",
        "wrong-aud",
        "expired",
        "missing-nonce",
        "wrong-nonce",
        "wrong-iss",
        "no-id-token",
    ],
)
def test_forged_id_tokens_are_refused(client, session, world, providers, code, forge):
    providers.steinfurt.tamper = forge(providers.steinfurt)
    before = accounts(session)
    assert_refused(log_in(client, "kreis-steinfurt", "berta"), session, code, before)


def test_a_role_claim_of_another_authority_is_refused(client, session, world):
    before = accounts(session)
    assert_refused(log_in(client, "dresden", "lena"), session, "tenant", before)


def test_an_account_of_another_authority_is_refused(client, session, world, providers):
    session.add(
        Account(
            authority_id=world.steinfurt.id,
            issuer=providers.hamm.issuer,
            subject="anna",
            display_name="A",
            roles=[],
        )
    )
    session.commit()
    before = accounts(session)
    assert_refused(log_in(client, "hamm", "anna"), session, "other-authority", before)


def test_the_provider_saying_no_is_refused(client, session, world):
    before = accounts(session)
    callback_error = "/anmelden/rueckkehr?error=access_denied&error_description=abgebrochen"
    client.get("/anmelden/hamm")
    response = client.get(callback_error)
    assert_refused(response, session, "provider-error", before)


def test_a_callback_without_a_started_login_is_refused(client, session, world):
    assert_refused(
        client.get("/anmelden/rueckkehr?code=x&state=y"), session, "state", accounts(session)
    )


def test_a_missing_client_secret_is_refused(client, session, world, monkeypatch):
    monkeypatch.delenv("OIDC_TEST_SECRET_HAMM")
    before = accounts(session)
    response = client.get("/anmelden/hamm")
    assert_refused(response, session, "client-secret", before)


def test_demo_logins_are_ignored_outside_demo_mode(client, session, world, providers):
    from tests.identity.conftest import configure

    configure(session, world.steinfurt, providers.steinfurt, "register-steinfurt", is_demo=True)
    session.commit()
    assert "kreis-steinfurt" not in client.get("/anmelden").get_data(as_text=True)
    assert client.get("/anmelden/kreis-steinfurt").status_code == 404


def test_roles_outside_the_authority_cannot_be_mapped(session, world):
    from app.errors import ValidationFailed
    from app.identity.login import LoginSettings, set_authority_login

    with pytest.raises(ValidationFailed) as refused:
        set_authority_login(
            session,
            SYSTEM,
            world.hamm,
            LoginSettings(
                issuer="https://idp.example", client_id="x", role_mapping={"Chef": "register-admin"}
            ),
        )
    assert "role_mapping" in refused.value.errors
    assert Role.REGISTER_ADMIN.value in str(refused.value.errors)
