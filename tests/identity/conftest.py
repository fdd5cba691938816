"""Three real OpenID providers: one for Stadt Hamm, one for Kreis Steinfurt, and one state-wide
provider shared by Dresden and Lüneburg, where the ``ars`` claim tells the authorities apart."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from app.identity import login as logins
from app.identity.models import Authority, AuthorityKind
from tests.factories import SYSTEM, make_authority
from tests.support.oidc import OidcProvider

APP_BASE = "http://127.0.0.1:5000"
REDIRECT_URI = f"{APP_BASE}/anmelden/rueckkehr"
LOGOUT_URI = f"{APP_BASE}/abgemeldet"
HAMM_SECRET_VARIABLE = "OIDC_TEST_SECRET_HAMM"
ROLE_MAPPING = {
    "Sachbearbeitung": "contributor",
    "Qualitaetssicherung": "reviewer",
    "IT-Admin": "authority-admin",
}
ARS = {"dresden": "146120000000", "lueneburg": "033550000000"}


def client(client_id: str, secret: str | None = None) -> dict[str, object]:
    config: dict[str, object] = {
        "client_id": client_id,
        "redirect_uris": [REDIRECT_URI],
        "post_logout_redirect_uris": [LOGOUT_URI],
    }
    if secret:
        config.update(client_secret=secret, token_endpoint_auth_method="client_secret_basic")
    else:
        config["token_endpoint_auth_method"] = "none"
    return config


def person(pid: str, name: str, roles: list[str], **claims: str) -> dict[str, object]:
    return {
        "id": pid,
        "label": name,
        "claims": {"name": name, "email": f"{pid}@example.org", "roles": roles, **claims},
    }


@dataclass
class Providers:
    hamm: OidcProvider
    steinfurt: OidcProvider
    land: OidcProvider


@pytest.fixture(scope="session")
def providers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Providers]:
    workdir = tmp_path_factory.mktemp("oidc")
    os.environ[HAMM_SECRET_VARIABLE] = "hamm-client-secret-that-is-long-enough"
    started = Providers(
        hamm=OidcProvider(
            workdir,
            "hamm",
            [client("register-hamm", os.environ[HAMM_SECRET_VARIABLE])],
            [
                person("anna", "Anna Amt", ["Sachbearbeitung"]),
                person("otto", "Otto Ordnung", ["Qualitaetssicherung", "IT-Admin", "unbekannt"]),
            ],
        ),
        steinfurt=OidcProvider(
            workdir,
            "steinfurt",
            [client("register-steinfurt")],
            [person("berta", "Berta Kreis", ["Sachbearbeitung"])],
        ),
        land=OidcProvider(
            workdir,
            "land",
            [client("register-land")],
            [
                person("dora", "Dora Dresden", ["Sachbearbeitung"], ars=ARS["dresden"]),
                person("lena", "Lena Lüneburg", ["Qualitaetssicherung"], ars=ARS["lueneburg"]),
            ],
        ),
    )
    for provider in (started.hamm, started.steinfurt, started.land):
        provider.start()
    try:
        yield started
    finally:
        for provider in (started.hamm, started.steinfurt, started.land):
            provider.stop()
        os.environ.pop(HAMM_SECRET_VARIABLE, None)


@pytest.fixture(autouse=True)
def _no_forgery(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "providers" in request.fixturenames:
        for provider in vars(request.getfixturevalue("providers")).values():
            provider.tamper = None


def configure(
    session, authority: Authority, provider: OidcProvider, client_id: str, **extra: object
) -> None:
    settings = logins.LoginSettings(
        issuer=extra.pop("issuer", provider.issuer),
        client_id=client_id,
        scopes="openid profile email roles",
        roles_claim="roles",
        role_mapping=ROLE_MAPPING,
        **extra,
    )
    logins.set_authority_login(session, SYSTEM, authority, settings)


@dataclass
class World:
    hamm: Authority
    steinfurt: Authority
    dresden: Authority
    lueneburg: Authority


@pytest.fixture()
def world(session, providers: Providers) -> World:
    made = World(
        hamm=make_authority(session, slug="hamm", name="Stadt Hamm"),
        steinfurt=make_authority(
            session, slug="kreis-steinfurt", name="Kreis Steinfurt", kind=AuthorityKind.KREIS
        ),
        dresden=make_authority(
            session, slug="dresden", name="Landeshauptstadt Dresden", state="SN", ars=ARS["dresden"]
        ),
        lueneburg=make_authority(
            session, slug="lueneburg", name="Landkreis Lüneburg", state="NI", ars=ARS["lueneburg"]
        ),
    )
    configure(
        session,
        made.hamm,
        providers.hamm,
        "register-hamm",
        client_secret_ref=f"env:{HAMM_SECRET_VARIABLE}",
    )
    configure(session, made.steinfurt, providers.steinfurt, "register-steinfurt")
    for authority in (made.dresden, made.lueneburg):
        configure(
            session,
            authority,
            providers.land,
            "register-land",
            tenant_claim="ars",
            tenant_value=authority.ars,
        )
    session.commit()
    return made


CallbackEdit = Callable[[str], str]


def follow_provider(start_location: str, person_id: str) -> str:
    """Act as the browser at the provider: pick the person, return the URL it sends us back to."""
    browser = requests.Session()
    url = start_location
    for _ in range(12):
        response = browser.get(url, allow_redirects=False)
        if response.status_code == 200:
            action = re.search(r'action="([^"]+)"', response.text).group(1)
            response = browser.post(
                urljoin(url, action), data={"account": person_id}, allow_redirects=False
            )
        assert response.status_code in {302, 303}, response.text
        url = urljoin(response.url, response.headers["Location"])
        if url.startswith(APP_BASE):
            return url
    raise AssertionError("the provider never sent the browser back")


def app_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def log_in(test_client, slug: str, person_id: str, edit: CallbackEdit | None = None):
    """The whole redirect flow over HTTP; returns the register's answer to the provider's callback."""
    start = test_client.get(f"/anmelden/{slug}")
    assert start.status_code == 302, start.get_data(as_text=True)
    callback = follow_provider(start.headers["Location"], person_id)
    return test_client.get(app_path(edit(callback) if edit else callback))
