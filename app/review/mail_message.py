"""The e-mail of one notification, and what a sending failure is called (without server text)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from app.config import Settings
from app.db import utcnow
from app.review.inbox_services import PREFERENCES_PATH, safe_link
from app.review.models import Notification
from app.review.notifications import kind_label

SMTP_TIMEOUT = 10  # seconds per connect, read and write


def compose(settings: Settings, notification: Notification, hostname: str) -> EmailMessage:
    """The plain-text mail for one notification (ValueError for an unusable address)."""
    base_url = settings.base_url.rstrip("/")
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = notification.account.email
    message["Subject"] = " ".join(notification.title.split())
    message["Date"] = format_datetime(notification.created_at or utcnow())
    message["Message-ID"] = make_msgid(domain=hostname)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_body(notification, base_url))
    return message


def _body(notification: Notification, base_url: str) -> str:
    kind = kind_label(notification.kind)
    parts = [notification.title, ""]
    if notification.body:
        parts += [notification.body, ""]
    parts += [
        f"Öffnen: {base_url}{safe_link(notification.link)}",
        "",
        "-- ",
        f"Sie erhalten diese E-Mail, weil Sie Benachrichtigungen der Art „{kind}“ per E-Mail "
        "bekommen.",
        f"Abschalten oder nur noch im Postfach: {base_url}{PREFERENCES_PATH}",
    ]
    return "\n".join(parts) + "\n"


def describe(error: BaseException) -> str:
    """What went wrong, for the row and the operator: never server text or credentials."""
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"Anmeldung am SMTP-Server abgelehnt (Code {error.smtp_code})."
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "Der SMTP-Server hat die Empfängeradresse abgelehnt."
    if isinstance(error, smtplib.SMTPResponseException):
        return f"Der SMTP-Server antwortet mit Code {error.smtp_code}."
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "Die Verbindung zum SMTP-Server ist abgebrochen."
    if isinstance(error, smtplib.SMTPException):
        return f"SMTP-Fehler ({type(error).__name__})."
    if isinstance(error, TimeoutError):
        return f"Zeitüberschreitung beim SMTP-Server (nach {SMTP_TIMEOUT} s)."
    if isinstance(error, ssl.SSLError):
        return f"TLS-Fehler beim SMTP-Server ({type(error).__name__})."
    if isinstance(error, OSError):
        return f"SMTP-Server nicht erreichbar ({error.strerror or type(error).__name__})."
    return f"E-Mail nicht zustellbar ({type(error).__name__})."
