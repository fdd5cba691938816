"""E-mail for notifications over SMTP, sent only after the commit that wrote them.

``notify`` writes a notification with ``email_status = pending`` in the transaction of the change it
reports. An ``after_flush`` listener notes such rows in ``session.info``; ``after_commit`` wakes the
mailer of that database. With ``background_jobs`` the mailer is a thread of the server process
(started with the first request, like the search indexer, and polling every minute for mails that
other processes committed); without, it sends inline right after the commit. A rolled-back
transaction leaves nothing behind, so nothing is sent for it.

The mailer only ever reads committed rows. Each row is *claimed* before it is sent: a conditional
``UPDATE`` that counts the attempt and stamps ``emailed_at`` — it succeeds only if the row is still
pending with the attempt count just read, so two processes never send the same mail. A pending row
whose last attempt is younger than the retry delay is left alone; that delay is also the lease of a
claim, so a process that died after claiming leaves the row to be retried later (at worst the mail
goes out twice, never not at all). After ``MAX_ATTEMPTS`` failures the row is ``failed``, with a
message that names the kind of error but no server text and no credentials.

Without ``MUSTERREGISTER_SMTP_HOST`` nothing is sent and rows stay pending: an instance configured
later (or ``musterregister notifications send``) sends them.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app
from sqlalchemy import and_, event, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, joinedload

from app.background import FailureStreak
from app.config import Settings
from app.db import Database, get_database, utcnow
from app.review.mail_message import SMTP_TIMEOUT, compose, describe
from app.review.models import EmailStatus, Notification

log = logging.getLogger(__name__)

EXTENSION = "musterregister.mailer"
PENDING_KEY = "musterregister.mail.pending"
MAX_ATTEMPTS = 5
# wait after attempt 1, 2, 3, 4 before the next one; also the lease of a claim
RETRY_DELAYS = (
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=4),
)
BATCH = 50  # rows read at once
MAX_BATCHES = 20  # per run, so one run always ends
POLL_SECONDS = 60.0
ERROR_LIMIT = 300

_mailers: weakref.WeakSet[Mailer] = weakref.WeakSet()
_mailers_lock = threading.Lock()


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0  # failed this time, tried again later
    failed: int = 0  # given up
    configured: bool = True  # False: no SMTP host, nothing was tried

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.failed


@dataclass(frozen=True)
class _Due:
    id: uuid.UUID
    attempts: int


class _ConnectionLost(Exception):
    """The SMTP connection broke while sending: the rest of the batch waits for the next run."""


# --- noticing pending mail after commit ----------------------------------------------------------


def _note_pending(session: Session, _flush_context: Any) -> None:
    if any(
        isinstance(instance, Notification) and instance.email_status is EmailStatus.PENDING
        for instance in session.new
    ):
        session.info[PENDING_KEY] = True


def _after_commit(session: Session) -> None:
    if not session.info.pop(PENDING_KEY, False):
        return
    engine = _engine_of(session)
    with _mailers_lock:
        mailers = [mailer for mailer in _mailers if engine is not None and mailer.serves(engine)]
    for mailer in mailers:
        mailer.wake()


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(PENDING_KEY, None)


def _engine_of(session: Session) -> Engine | None:
    try:
        return session.get_bind().engine
    except Exception:  # an unbound session has no mailer to wake
        return None


def install() -> None:
    if not event.contains(Session, "after_flush", _note_pending):
        event.listen(Session, "after_flush", _note_pending)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _forget)


# --- the mailer ----------------------------------------------------------------------------------


class Mailer:
    """Sends the pending e-mails of one database, inline or in a thread of its own."""

    def __init__(self, database: Database, settings: Settings, *, background: bool) -> None:
        self.database, self.settings, self.background = database, settings, background
        self.retry_delays = RETRY_DELAYS
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        with _mailers_lock:
            _mailers.add(self)

    def serves(self, engine: Engine) -> bool:
        return engine.url == self.database.engine.url

    def wake(self) -> None:
        """Called after a commit that left mail pending; never raises into the request."""
        if self.background:
            self._wake.set()
            return
        try:
            self.send_pending()
        except Exception:
            log.exception("E-Mail-Versand fehlgeschlagen; die Nachrichten bleiben vorgemerkt")

    def pending(self) -> int:
        with self.database.session(write=False) as session:
            statement = select(func.count(Notification.id)).where(
                Notification.email_status == EmailStatus.PENDING
            )
            return session.scalar(statement) or 0

    def send_pending(self, now: datetime | None = None) -> SendReport:
        """Send every pending mail that is due; returns what happened."""
        if not self.settings.smtp_host:
            return SendReport(configured=False)
        report = SendReport()
        seen: set[uuid.UUID] = set()
        for _ in range(MAX_BATCHES):
            due = [row for row in self._due(now or utcnow()) if row.id not in seen]
            if not due:
                break
            seen.update(row.id for row in due)
            self._send_batch(due, report, now or utcnow())
        return report

    # --- one batch ---------------------------------------------------------------------------

    def _due(self, now: datetime) -> list[_Due]:
        waited_enough = [Notification.emailed_at.is_(None)]
        for attempts, delay in enumerate(self.retry_delays, start=1):
            waited_enough.append(
                and_(
                    Notification.email_attempts == attempts, Notification.emailed_at <= now - delay
                )
            )
        waited_enough.append(
            and_(
                Notification.email_attempts > len(self.retry_delays),
                Notification.emailed_at <= now - self.retry_delays[-1],
            )
        )
        statement = (
            select(Notification.id, Notification.email_attempts)
            .where(Notification.email_status == EmailStatus.PENDING, or_(*waited_enough))
            .order_by(Notification.created_at, Notification.id)
            .limit(BATCH)
        )
        with self.database.session(write=False) as session:
            return [_Due(row_id, attempts) for row_id, attempts in session.execute(statement)]

    def _send_batch(self, due: list[_Due], report: SendReport, now: datetime) -> None:
        try:
            smtp = self._connect()
        except (OSError, smtplib.SMTPException, ValueError) as error:
            log.warning("SMTP-Server nicht nutzbar: %s", describe(error))
            for row in due:
                attempts = self._claim(row, now)
                if attempts is not None:
                    self._record_failure(row.id, attempts, describe(error), report)
            return
        try:
            for row in due:
                self._deliver(smtp, row, report, now)
        except _ConnectionLost:
            pass  # the rest stays pending, unclaimed, for the next run
        finally:
            _close_quietly(smtp)

    def _deliver(self, smtp: smtplib.SMTP, row: _Due, report: SendReport, now: datetime) -> None:
        attempts = self._claim(row, now)
        if attempts is None:
            return  # another process has it
        try:
            message = self._message(row.id)
        except ValueError:
            self._record_failure(row.id, MAX_ATTEMPTS, "Ungültige Empfängeradresse.", report)
            return
        if message is None:
            self._record_failure(
                row.id, MAX_ATTEMPTS, "Das Konto hat keine E-Mail-Adresse.", report
            )
            return
        try:
            smtp.send_message(message)
        except (OSError, smtplib.SMTPServerDisconnected) as error:
            self._record_failure(row.id, attempts, describe(error), report)
            raise _ConnectionLost from error
        except smtplib.SMTPException as error:
            self._record_failure(row.id, attempts, describe(error), report)
            return
        self._mark_sent(row.id)
        report.sent += 1

    # --- SMTP --------------------------------------------------------------------------------

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        smtp = smtplib.SMTP(
            settings.smtp_host or "",
            settings.smtp_port,
            local_hostname=self._hostname(),
            timeout=SMTP_TIMEOUT,
        )
        try:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _hostname(self) -> str:
        """Given, so that smtplib never waits for a DNS lookup of this host's own name."""
        return urlsplit(self.settings.base_url).hostname or "localhost"

    def _message(self, notification_id: uuid.UUID) -> EmailMessage | None:
        with self.database.session(write=False) as session:
            notification = session.get(
                Notification, notification_id, options=[joinedload(Notification.account)]
            )
            if notification is None or not notification.account.email:
                return None
            return compose(self.settings, notification, self._hostname())

    # --- row states --------------------------------------------------------------------------

    def _claim(self, row: _Due, now: datetime) -> int | None:
        """Count the attempt, if the row is still pending as read; the new count or None."""
        statement = (
            update(Notification)
            .where(
                Notification.id == row.id,
                Notification.email_status == EmailStatus.PENDING,
                Notification.email_attempts == row.attempts,
            )
            .values(email_attempts=row.attempts + 1, emailed_at=now)
            .execution_options(synchronize_session=False)
        )
        with self.database.transaction() as session:
            claimed = session.execute(statement).rowcount  # type: ignore[attr-defined]
        return row.attempts + 1 if claimed == 1 else None

    def _mark_sent(self, notification_id: uuid.UUID) -> None:
        self._set(
            notification_id, email_status=EmailStatus.SENT, emailed_at=utcnow(), email_error=None
        )

    def _record_failure(
        self, notification_id: uuid.UUID, attempts: int, error: str, report: SendReport
    ) -> None:
        final = attempts >= MAX_ATTEMPTS
        status = EmailStatus.FAILED if final else EmailStatus.PENDING
        self._set(notification_id, email_status=status, email_error=error[:ERROR_LIMIT])
        if final:
            report.failed += 1
        else:
            report.retrying += 1

    def _set(self, notification_id: uuid.UUID, **values: Any) -> None:
        statement = (
            update(Notification)
            .where(
                Notification.id == notification_id,
                Notification.email_status == EmailStatus.PENDING,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        with self.database.transaction() as session:
            session.execute(statement)

    # --- the background thread ---------------------------------------------------------------

    def start(self) -> None:
        """Send in a thread of this process: at once after a commit, else every minute."""
        if self._thread is not None or not self.background or not self.settings.smtp_host:
            return
        with self._start_lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(
                target=self._loop, name="benachrichtigungen", daemon=True
            )
            self._thread.start()

    def _loop(self) -> None:
        streak = FailureStreak(log, "E-Mail-Versand")
        while not self._stop.is_set():
            try:
                self.send_pending()
            except Exception as error:
                streak.failed(error)
            else:
                streak.succeeded()
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=3 * SMTP_TIMEOUT)
            self._thread = None

    def close(self) -> None:
        self.stop()
        with _mailers_lock:
            _mailers.discard(self)


def _close_quietly(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


STATUS_LABELS = {
    EmailStatus.PENDING: "wartend",
    EmailStatus.SENT: "versandt",
    EmailStatus.FAILED: "aufgegeben",
    EmailStatus.NOT_WANTED: "nur Postfach",
}


def status_counts(database: Database) -> dict[str, int]:
    """How many notifications are in each e-mail state (for the operator)."""
    statement = select(Notification.email_status, func.count(Notification.id)).group_by(
        Notification.email_status
    )
    with database.session(write=False) as session:
        counts = {status: count for status, count in session.execute(statement)}
    return {label: counts.get(status, 0) for status, label in STATUS_LABELS.items()}


# --- wiring --------------------------------------------------------------------------------------


def init_app(app: Flask, settings: Settings) -> None:
    install()
    app.extensions[EXTENSION] = Mailer(
        get_database(app), settings, background=settings.background_jobs
    )
    if settings.background_jobs:
        # started with the first request: commands such as "db upgrade" run before the tables exist
        app.before_request(_start_mailer_once)


def _start_mailer_once() -> None:
    mailer().start()


def mailer(app: Flask | None = None) -> Mailer:
    return (app or current_app).extensions[EXTENSION]
