"""No secret ever lands in a log line or on a page.

A person logs in through a real OpenID provider whose client secret the register holds, creates an
API token on the tokens page, and uses it to create an entry and upload a BPMN model; an admin looks
at the authority's login settings. Everything is logged at DEBUG level (the register's own loggers
and those of the libraries it calls). The secret key, the client secret, the session cookie and the
token never appear in the logs, and the token appears exactly once: on the page that creates it.
"""

from __future__ import annotations

import logging
import os
import re

from app.identity.models import Role
from app.identity.sessions import COOKIE_NAME
from tests.conftest import TEST_SECRET
from tests.factories import MINIMAL_BPMN, csrf_token, login_as, make_account
from tests.identity.conftest import HAMM_SECRET_VARIABLE, log_in

ALL_SCOPES = ["catalog:write", "library:write", "review:write"]


def create_token(client) -> tuple[str, str]:
    data = {"csrf_token": csrf_token(client, "/konto/tokens"), "name": "Skript", "days": "7"}
    page = client.post("/konto/tokens", data={**data, "scopes": ALL_SCOPES})
    html = page.get_data(as_text=True)
    return re.search(r'id="neues-token">([^<]+)<', html).group(1), html


def upload_with(client, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    process = client.post("/api/v1/processes", json={"title": "Geheimnistest"}, headers=headers)
    model = client.post(
        f"/api/v1/processes/{process.get_json()['id']}/models",
        json={"title": "Modell"},
        headers=headers,
    )
    revision = client.post(
        f"/api/v1/models/{model.get_json()['id']}/revisions",
        data=MINIMAL_BPMN,
        headers={**headers, "Content-Type": "application/xml"},
    )
    assert revision.status_code == 201, revision.get_data(as_text=True)


def test_no_secret_in_logs_or_pages(client, session, world, caplog):
    caplog.set_level(logging.DEBUG)
    assert log_in(client, "hamm", "anna").status_code == 302
    cookie = client.get_cookie(COOKIE_NAME).value
    pages = [client.get(path).get_data(as_text=True) for path in ("/", "/konto")]
    token, creation_page = create_token(client)
    pages.append(client.get("/konto/tokens").get_data(as_text=True))
    upload_with(client, token)
    admin = client.application.test_client()
    login_as(admin, make_account(session, world.hamm, Role.REGISTER_ADMIN))
    session.commit()
    pages.append(admin.get("/verwaltung/behoerden/hamm").get_data(as_text=True))

    secrets = {
        "secret key": TEST_SECRET,
        "client secret": os.environ[HAMM_SECRET_VARIABLE],
        "session cookie": cookie,
        "API token": token,
    }
    assert token in creation_page
    assert caplog.records, "the flows log nothing: the test would prove nothing"
    for name, secret in secrets.items():
        assert secret not in caplog.text, f"{name} im Log"
        assert all(secret not in page for page in pages), f"{name} auf einer Seite"
