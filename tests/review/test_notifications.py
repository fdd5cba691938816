"""Who is notified of what, and the e-mail for it: sent to a real SMTP server, only after commit."""

from __future__ import annotations

import dataclasses
import time
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app import close_app, create_app
from app.db import Database, get_database
from app.identity.models import Role
from app.identity.services import actor_for
from app.review import services as review
from app.review.mail import MAX_ATTEMPTS, Mailer, _Due, mailer
from app.review.models import (
    Delivery,
    EmailStatus,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from app.review.notifications import notify
from app.review.workflow import Decision
from tests.conftest import app_overrides, new_database
from tests.factories import (
    SYSTEM,
    csrf_token,
    login_as,
    make_account,
    make_authority,
    make_model,
    make_process,
    make_revision,
)
from tests.support.smtp import SmtpSink, free_port

BASE_URL = "https://register.example"
NO_DELAYS = (timedelta(0),) * 4


@pytest.fixture(scope="module")
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture()
def sink(smtp):
    smtp.clear()
    return smtp


def use_smtp(monkeypatch, app, port, **settings):
    """Point the app's mailer at a local SMTP server for this test."""
    sender = mailer(app)
    changed = dataclasses.replace(
        sender.settings,
        smtp_host="127.0.0.1",
        smtp_port=port,
        base_url=BASE_URL,
        mail_from="Musterregister <register@example.org>",
        **settings,
    )
    monkeypatch.setattr(sender, "settings", changed)
    return sender


def with_email(session, account, address):
    account.email = address
    session.flush()
    return account


@pytest.fixture()
def scene(session):
    dresden, leipzig, chemnitz = (
        make_authority(session, name="Landeshauptstadt Dresden"),
        make_authority(session, name="Stadt Leipzig"),
        make_authority(session, name="Stadt Chemnitz"),
    )
    model = make_model(session, make_process(session, dresden), title="Hund anmelden")
    scene = {
        "model": model,
        "draft": make_revision(session, model),
        "author": with_email(
            session, make_account(session, dresden, Role.CONTRIBUTOR), "autorin@dresden.example"
        ),
        "own_reviewer": with_email(
            session, make_account(session, dresden, Role.REVIEWER), "pruefer@dresden.example"
        ),
        "reviewer": with_email(
            session, make_account(session, leipzig, Role.REVIEWER), "pruefer@leipzig.example"
        ),
        "reviewer_without_mail": make_account(session, chemnitz, Role.REVIEWER),
    }
    session.commit()
    return scene


def notifications_of(session, account, kind=None):
    session.expire_all()
    statement = select(Notification).where(Notification.account_id == account.id)
    if kind is not None:
        statement = statement.where(Notification.kind == kind)
    return list(session.scalars(statement))


def submit(session, scene):
    return review.submit(session, actor_for(scene["author"]), scene["draft"])


# --- who is told --------------------------------------------------------------------------------


def test_a_submission_waits_for_the_reviewers_of_other_authorities_only(session, scene):
    submit(session, scene)
    session.commit()
    waiting = NotificationKind.SUBMISSION_WAITING
    (told,) = notifications_of(session, scene["reviewer"], waiting)
    assert told.title == "Zur Prüfung: Hund anmelden, Revision 1"
    assert told.link == f"/pruefung/{scene['model'].id}/1"
    assert told.email_status is EmailStatus.PENDING
    (no_mail,) = notifications_of(session, scene["reviewer_without_mail"], waiting)
    assert no_mail.email_status is EmailStatus.NOT_WANTED  # no address known
    assert notifications_of(session, scene["own_reviewer"]) == []
    assert notifications_of(session, scene["author"]) == []


def test_a_decision_reaches_the_submitter_and_never_the_actor(session, scene):
    submit(session, scene)
    review.decide(
        session,
        actor_for(scene["reviewer"]),
        scene["draft"],
        Decision.REQUEST_CHANGES,
        comment="Bitte die Gebühr ergänzen.",
    )
    session.commit()
    (decision,) = notifications_of(session, scene["author"], NotificationKind.DECISION_MADE)
    assert decision.body == "Bitte die Gebühr ergänzen."
    assert decision.link == f"/modelle/{scene['model'].id}"
    assert notifications_of(session, scene["reviewer"], NotificationKind.DECISION_MADE) == []
    assert (
        notify(
            session,
            actor_for(scene["author"]),
            NotificationKind.COMMENT,
            [scene["author"]],
            title="Eigener Kommentar",
            link="/",
        )
        == []
    )


def test_a_kind_switched_off_writes_no_row_and_inbox_only_no_mail(session, scene):
    session.add_all(
        [
            NotificationPreference(
                account_id=scene["reviewer"].id,
                kind=NotificationKind.SUBMISSION_WAITING,
                delivery=Delivery.OFF,
            ),
            NotificationPreference(
                account_id=scene["own_reviewer"].id,
                kind=NotificationKind.COMMENT,
                delivery=Delivery.INBOX,
            ),
        ]
    )
    submit(session, scene)
    notify(
        session,
        SYSTEM,
        NotificationKind.COMMENT,
        [scene["own_reviewer"]],
        title="Neuer Kommentar",
        link="/modelle/x",
    )
    session.commit()
    assert notifications_of(session, scene["reviewer"]) == []
    (inbox_only,) = notifications_of(session, scene["own_reviewer"])
    assert inbox_only.email_status is EmailStatus.NOT_WANTED


# --- e-mail ---------------------------------------------------------------------------------------


def test_one_mail_per_notification_and_only_after_the_commit(
    app, session, scene, sink, monkeypatch
):
    use_smtp(monkeypatch, app, sink.port)
    submit(session, scene)
    session.flush()
    assert sink.messages == []  # written, not committed: nothing may leave the house yet
    session.commit()
    assert sink.recipients == [["pruefer@leipzig.example"]]
    (message,) = sink.messages
    assert message["Subject"] == "Zur Prüfung: Hund anmelden, Revision 1"
    assert message["From"] == "Musterregister <register@example.org>"
    assert message["To"] == "pruefer@leipzig.example"
    text = message.get_content()
    assert f"{BASE_URL}/pruefung/{scene['model'].id}/1" in text
    assert f"{BASE_URL}/konto/benachrichtigungen" in text
    assert "„Einreichung wartet auf Prüfung“" in text
    (sent,) = notifications_of(session, scene["reviewer"])
    assert sent.email_status is EmailStatus.SENT
    assert sent.email_attempts == 1 and sent.emailed_at is not None
    assert mailer(app).send_pending().sent == 0  # never twice
    assert len(sink.messages) == 1


def test_a_rolled_back_change_sends_nothing(app, session, scene, sink, monkeypatch):
    use_smtp(monkeypatch, app, sink.port)
    submit(session, scene)
    session.flush()
    session.rollback()
    assert notifications_of(session, scene["reviewer"]) == []
    assert mailer(app).send_pending().attempted == 0
    assert sink.messages == []


def test_an_unreachable_server_counts_attempts_and_gives_up(
    app, client, session, scene, monkeypatch
):
    sender = use_smtp(monkeypatch, app, free_port())  # nobody listens there
    login_as(client, scene["author"])
    page = f"/modelle/{scene['model'].id}"
    response = client.post(
        f"{page}/revisionen/1/einreichen", data={"csrf_token": csrf_token(client, page)}
    )
    assert response.status_code == 302  # the change is committed; the mail waits
    (waiting,) = notifications_of(session, scene["reviewer"])
    assert (waiting.email_status, waiting.email_attempts) == (EmailStatus.PENDING, 1)
    assert waiting.email_error.startswith("SMTP-Server nicht erreichbar")
    assert sender.send_pending().attempted == 0  # the retry delay is not over yet
    monkeypatch.setattr(sender, "retry_delays", NO_DELAYS)
    for _ in range(MAX_ATTEMPTS - 1):
        sender.send_pending()
    (given_up,) = notifications_of(session, scene["reviewer"])
    assert (given_up.email_status, given_up.email_attempts) == (EmailStatus.FAILED, MAX_ATTEMPTS)
    assert "127.0.0.1" not in given_up.email_error
    assert sender.send_pending().attempted == 0


def test_a_claimed_mail_is_never_sent_by_a_second_process(app, session, scene, sink, monkeypatch):
    submit(session, scene)
    session.commit()  # no SMTP host yet: the mail stays pending
    (row,) = notifications_of(session, scene["reviewer"])
    assert (row.email_status, row.email_attempts) == (EmailStatus.PENDING, 0)
    first = use_smtp(monkeypatch, app, sink.port)
    second = Mailer(get_database(app), first.settings, background=False)
    try:
        assert first._claim(_Due(row.id, 0), row.created_at) == 1
        assert second._claim(_Due(row.id, 0), row.created_at) is None
        assert second.send_pending().attempted == 0  # claimed a moment ago: leased
    finally:
        second.close()
    assert sink.messages == []


def test_without_smtp_host_mails_wait(app, session, scene):
    submit(session, scene)
    session.commit()
    assert mailer(app).send_pending().configured is False
    (row,) = notifications_of(session, scene["reviewer"])
    assert (row.email_status, row.email_attempts) == (EmailStatus.PENDING, 0)


def test_an_unusable_address_is_given_up_at_once(app, session, scene, sink, monkeypatch):
    use_smtp(monkeypatch, app, sink.port)
    with_email(session, scene["reviewer"], "pruefer@leipzig.example\r\nBcc: x@example.org")
    submit(session, scene)
    session.commit()
    (row,) = notifications_of(session, scene["reviewer"])
    assert row.email_status is EmailStatus.FAILED
    assert row.email_error == "Ungültige Empfängeradresse."
    assert sink.messages == []


# --- the command and the background thread -------------------------------------------------------


def test_the_command_sends_what_waits(tmp_path, sink):
    from app.cli import main

    runner = CliRunner()
    env = {"MUSTERREGISTER_DEMO": "1", "MUSTERREGISTER_INSTANCE_PATH": str(tmp_path)}

    def run(*args, ok=True, **extra):
        result = runner.invoke(main, list(args), env={**env, **extra}, catch_exceptions=False)
        assert (result.exit_code == 0) is ok, result.output
        return result.output

    run("db", "upgrade")
    database = Database(f"sqlite:///{tmp_path / 'musterregister.sqlite3'}")
    try:
        with database.transaction() as session:
            account = make_account(session, make_authority(session))
            account.email = "anna@example.org"
            notify(session, SYSTEM, NotificationKind.COMMENT, [account], title="Hallo", link="/")
    finally:
        database.dispose()
    assert "wartende E-Mails: 1." in run("notifications", "send", ok=False)
    assert "wartend: 1" in run("notifications", "status")
    smtp_env = {"MUSTERREGISTER_SMTP_HOST": "127.0.0.1", "MUSTERREGISTER_SMTP_PORT": str(sink.port)}
    assert "1 E-Mail gesendet." in run("notifications", "send", **smtp_env)
    assert [message["Subject"] for message in sink.messages] == ["Hallo"]
    assert "versandt: 1" in run("notifications", "status")


def test_the_background_mailer_sends_after_commit(request, tmp_path_factory, sink):
    url = new_database(request, tmp_path_factory, "musterregister_mail")
    app = create_app(
        app_overrides(
            tmp_path_factory.mktemp("mail-instance"),
            url,
            background_jobs=True,
            smtp_host="127.0.0.1",
            smtp_port=sink.port,
        )
    )
    try:
        app.test_client().get("/healthz")  # the first request starts the mailer
        with get_database(app).transaction() as session:
            account = make_account(session, make_authority(session))
            account.email = "bernd@example.org"
            notify(
                session,
                SYSTEM,
                NotificationKind.COMMENT,
                [account],
                title="Im Hintergrund",
                link="/",
            )
        deadline = time.monotonic() + 10
        while not sink.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [message["Subject"] for message in sink.messages] == ["Im Hintergrund"]
    finally:
        close_app(app)
