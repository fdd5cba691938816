"""Uploads over the limit are refused cleanly, in German, in the browser and in the API."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from app import MULTIPART_ALLOWANCE
from app.catalog.models import ImportJob
from app.identity.models import Role
from tests.conftest import TEST_UPLOAD_LIMIT
from tests.factories import csrf_token, login_as, make_account, make_authority


def upload_page(client, session, size: int):
    login_as(client, make_account(session, make_authority(session), Role.CONTRIBUTOR))
    session.commit()
    data = {
        "csrf_token": csrf_token(client, "/import"),
        "file": (io.BytesIO(b"x" * size), "register.csv"),
    }
    return client.post("/import", data=data, content_type="multipart/form-data")


def test_a_request_over_the_limit_is_a_german_413_page(client, session):
    response = upload_page(client, session, TEST_UPLOAD_LIMIT + MULTIPART_ALLOWANCE + 1024)
    assert response.status_code == 413 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Inhalt zu groß" in page
    assert f"{TEST_UPLOAD_LIMIT // 1024} KiB für Dateien" in page
    assert session.scalar(select(func.count()).select_from(ImportJob)) == 0


def test_a_file_just_over_the_limit_is_refused_by_the_import(client, session):
    response = upload_page(client, session, TEST_UPLOAD_LIMIT + 1)
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert f"Die Datei ist größer als {TEST_UPLOAD_LIMIT // 1024} KB" in response.get_data(
        as_text=True
    )
    assert session.scalar(select(func.count()).select_from(ImportJob)) == 0
