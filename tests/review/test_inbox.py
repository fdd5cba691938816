"""The own inbox and the choices per kind: pages (/postfach, /konto/benachrichtigungen) and API."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.identity.models import Role
from app.review.models import Delivery, Notification, NotificationKind, NotificationPreference
from app.review.notifications import notify
from tests.factories import SYSTEM, csrf_token, login_as, make_authority, make_member


@pytest.fixture()
def scene(session):
    authority = make_authority(session)
    anna, bernd = make_member(session, authority), make_member(session, authority, Role.REVIEWER)
    anna.account.email = "anna@example.org"
    scene = {
        "anna": anna,
        "bernd": bernd,
        "older": tell(session, anna, "Ältere Nachricht", "/modelle/eins"),
        "newer": tell(session, anna, "Neuere Nachricht", "/pruefung"),
        "for_bernd": tell(session, bernd, "Nur für Bernd", "/"),
    }
    session.commit()
    return scene


def tell(session, member, title, link, kind=NotificationKind.COMMENT):
    (notification,) = notify(session, SYSTEM, kind, [member.account], title=title, link=link)
    session.flush()
    return notification


def read_at(session, notification):
    session.expire_all()
    return session.get(Notification, notification.id).read_at


# --- the inbox page -----------------------------------------------------------------------------


def test_the_inbox_lists_newest_first_and_counts_unread_in_the_header(client, session, scene):
    login_as(client, scene["anna"].account)
    html = client.get("/postfach").get_data(as_text=True)
    assert html.index("Neuere Nachricht") < html.index("Ältere Nachricht")
    assert "Nur für Bernd" not in html
    assert "2 ungelesene Benachrichtigungen." in html
    assert '<span class="nav-badge">2<span class="kern-sr-only"> ungelesen</span>' in html
    assert "Alle als gelesen markieren" in html


def test_opening_a_notification_marks_it_read_and_goes_to_its_link(client, session, scene):
    login_as(client, scene["anna"].account)
    response = client.get(f"/postfach/{scene['older'].id}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/modelle/eins"
    assert read_at(session, scene["older"]) is not None
    html = client.get("/postfach").get_data(as_text=True)
    assert '<span class="nav-badge">1<' in html
    only_unread = client.get("/postfach?filter=ungelesen").get_data(as_text=True)
    assert "Neuere Nachricht" in only_unread and "Ältere Nachricht" not in only_unread


@pytest.mark.parametrize(
    "link", ["//boese.example/x", "https://boese.example/", "/\\boese.example", "javascript:x"]
)
def test_a_notification_never_redirects_to_another_host(client, session, scene, link):
    notification = tell(session, scene["anna"], "Umleitung?", link)
    session.commit()
    login_as(client, scene["anna"].account)
    response = client.get(f"/postfach/{notification.id}")
    assert response.headers["Location"] == "/postfach"


def test_marking_read_one_and_all(client, session, scene):
    login_as(client, scene["anna"].account)
    token = csrf_token(client, "/postfach")
    response = client.post(
        f"/postfach/{scene['newer'].id}/gelesen",
        data={"csrf_token": token, "seite": "1", "filter": "ungelesen"},
    )
    assert response.headers["Location"] == "/postfach?filter=ungelesen"
    assert read_at(session, scene["newer"]) is not None
    assert read_at(session, scene["older"]) is None
    done = client.post("/postfach/alle-gelesen", data={"csrf_token": token}, follow_redirects=True)
    assert "Eine Benachrichtigung als gelesen markiert." in done.get_data(as_text=True)
    assert read_at(session, scene["older"]) is not None
    assert read_at(session, scene["for_bernd"]) is None
    html = client.get("/postfach").get_data(as_text=True)
    assert "Keine ungelesenen Benachrichtigungen." in html and "nav-badge" not in html


def test_another_persons_notification_does_not_exist(client, session, scene):
    login_as(client, scene["anna"].account)
    token = csrf_token(client, "/postfach")
    other = scene["for_bernd"].id
    assert client.get(f"/postfach/{other}").status_code == 404
    assert client.post(f"/postfach/{other}/gelesen", data={"csrf_token": token}).status_code == 404
    assert read_at(session, scene["for_bernd"]) is None


def test_the_inbox_pages_and_needs_a_login(client, session, scene):
    for number in range(21):
        tell(session, scene["anna"], f"Meldung {number:02d}", "/")
    session.commit()
    assert client.get("/postfach").status_code in {302, 401}
    login_as(client, scene["anna"].account)
    first = client.get("/postfach").get_data(as_text=True)
    assert "Meldung 20" in first and "Seite 1 von 2" in first and "Ältere Nachricht" not in first
    second = client.get("/postfach?seite=2").get_data(as_text=True)
    assert "Ältere Nachricht" in second and "Meldung 20" not in second
    assert client.get("/postfach?seite=0").status_code == 404


# --- the preferences page -----------------------------------------------------------------------


def test_preferences_are_saved_audited_and_obeyed(client, session, scene):
    login_as(client, scene["anna"].account)
    page = client.get("/konto/benachrichtigungen").get_data(as_text=True)
    assert "E-Mails gehen an <strong>anna@example.org</strong>" in page
    assert page.count('type="radio"') == 3 * len(NotificationKind)
    form = {kind.value: Delivery.INBOX_AND_EMAIL.value for kind in NotificationKind}
    form.update(comment="off", decision_made="inbox")
    form["csrf_token"] = csrf_token(client, "/konto/benachrichtigungen")
    saved = client.post("/konto/benachrichtigungen", data=form, follow_redirects=True)
    assert "Ihre Einstellungen für Benachrichtigungen sind gespeichert." in saved.get_data(
        as_text=True
    )
    session.expire_all()
    stored = {
        row.kind: row.delivery
        for row in session.scalars(
            select(NotificationPreference).where(
                NotificationPreference.account_id == scene["anna"].account.id
            )
        )
    }
    assert stored[NotificationKind.COMMENT] is Delivery.OFF
    assert stored[NotificationKind.DECISION_MADE] is Delivery.INBOX
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "account.notification_preferences_changed")
    ).one()
    assert event.before == {"comment": "inbox_and_email", "decision_made": "inbox_and_email"}
    assert event.after == {"comment": "off", "decision_made": "inbox"}
    assert (
        notify(
            session, SYSTEM, NotificationKind.COMMENT, [scene["anna"].account], title="x", link="/"
        )
        == []
    )


def test_a_wrong_choice_is_refused_and_no_address_is_explained(client, session, scene):
    login_as(client, scene["bernd"].account)
    page = client.get("/konto/benachrichtigungen").get_data(as_text=True)
    assert "keine E-Mail-Adresse bekannt" in page
    token = csrf_token(client, "/konto/benachrichtigungen")
    refused = client.post(
        "/konto/benachrichtigungen", data={"csrf_token": token, "comment": "laut"}
    )
    assert refused.status_code == 422
    assert "Bitte wählen Sie eine der drei Möglichkeiten." in refused.get_data(as_text=True)


# --- the API ------------------------------------------------------------------------------------


def test_the_api_lists_own_notifications_and_marks_them_read(client, session, scene):
    headers = scene["anna"].headers
    listed = client.get("/api/v1/notifications", headers=headers).get_json()
    assert [item["title"] for item in listed["items"]] == ["Neuere Nachricht", "Ältere Nachricht"]
    assert (listed["total"], listed["unread"]) == (2, 2)
    item = listed["items"][0]
    assert item["kind"] == "comment" and item["kind_label"] == "Kommentar zu Ihrem Modell"
    assert item["link"] == "/pruefung" and item["url"].endswith("/pruefung")
    read = client.post(f"/api/v1/notifications/{scene['newer'].id}/read", headers=headers)
    assert read.status_code == 200 and read.get_json()["read_at"]
    unread = client.get("/api/v1/notifications?unread=true", headers=headers).get_json()
    assert [item["title"] for item in unread["items"]] == ["Ältere Nachricht"]
    assert unread["unread"] == 1
    other = client.post(f"/api/v1/notifications/{scene['for_bernd'].id}/read", headers=headers)
    assert other.status_code == 404
    assert read_at(session, scene["for_bernd"]) is None
    assert client.get("/api/v1/notifications").status_code == 401


def test_the_api_reads_and_changes_the_preferences(client, session, scene):
    headers = scene["anna"].headers
    current = client.get("/api/v1/notifications/preferences", headers=headers).get_json()
    assert current["email_known"] is True
    assert set(current["preferences"].values()) == {"inbox_and_email"}
    changed = client.put(
        "/api/v1/notifications/preferences",
        json={"preferences": {"upstream_published": "inbox"}},
        headers=headers,
    )
    assert changed.status_code == 200
    assert changed.get_json()["preferences"]["upstream_published"] == "inbox"
    assert changed.get_json()["preferences"]["comment"] == "inbox_and_email"
    wrong = client.put(
        "/api/v1/notifications/preferences",
        json={"preferences": {"upstream_published": "laut"}},
        headers=headers,
    )
    assert wrong.status_code == 422
    unknown = client.put(
        "/api/v1/notifications/preferences",
        json={"preferences": {"wetter": "off"}},
        headers=headers,
    )
    assert unknown.status_code == 422
    bernd = client.get("/api/v1/notifications/preferences", headers=scene["bernd"].headers)
    assert bernd.get_json()["preferences"]["upstream_published"] == "inbox_and_email"
