"""Pages of the own inbox (/postfach) and of the choices per notification kind
(/konto/benachrichtigungen), plus the unread count in the page header."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice

from app.authz import Permission, is_interactive, requires
from app.db import get_database, request_session
from app.errors import DomainError, NotFound
from app.i18n import _, ngettext
from app.identity.auth import current_actor
from app.identity.forms import ConfirmForm
from app.identity.models import Account
from app.review import inbox_services as services
from app.review.models import Delivery, NotificationKind
from app.review.notifications import DELIVERY_LABELS, KIND_LABELS

bp = Blueprint("inbox", __name__)
PAGE_SIZE = 20
UNREAD_FILTER = "ungelesen"


class PreferencesForm(FlaskForm):
    """One radio group per kind; the fields are added below, one per ``NotificationKind``."""

    def choices(self) -> dict[NotificationKind, Delivery]:
        return {kind: Delivery(getattr(self, kind.value).data) for kind in NotificationKind}


for _kind, _label in KIND_LABELS.items():
    setattr(
        PreferencesForm,
        _kind.value,
        RadioField(
            _label,
            choices=[SelectChoice(value.value, text) for value, text in DELIVERY_LABELS.items()],
            default=services.DEFAULT_DELIVERY.value,
        ),
    )


# --- the inbox ----------------------------------------------------------------------------------


@bp.route("/postfach")
@requires(Permission.INBOX_USE)
def inbox_page():
    unread_only = request.args.get("filter") == UNREAD_FILTER
    session, actor = request_session(), current_actor()
    page = services.list_notifications(
        session, actor, unread_only=unread_only, page=_page_number(), page_size=PAGE_SIZE
    )
    return render_template(
        "postfach.html",
        page=page,
        unread_only=unread_only,
        unread=services.unread_count(session, actor.account_id),
        kind_labels=KIND_LABELS,
        form=ConfirmForm(),
    )


@bp.route("/postfach/<uuid:notification_id>")
@requires(Permission.INBOX_USE)
def open_notification(notification_id: uuid.UUID) -> Response:
    """Opening a notification marks it read: a GET that writes, in a transaction of its own."""
    with get_database().transaction() as session:
        notification = services.get_notification(session, current_actor(), notification_id)
        services.mark_read(session, current_actor(), notification)
        target = services.safe_link(notification.link)
    return redirect(target)


@bp.route("/postfach/<uuid:notification_id>/gelesen", methods=["POST"])
@requires(Permission.INBOX_USE)
def mark_read(notification_id: uuid.UUID) -> Response:
    session = request_session()
    notification = services.get_notification(session, current_actor(), notification_id)
    services.mark_read(session, current_actor(), notification)
    session.commit()
    return redirect(_back_to_inbox())


@bp.route("/postfach/alle-gelesen", methods=["POST"])
@requires(Permission.INBOX_USE)
def mark_all_read() -> Response:
    session = request_session()
    count = services.mark_all_read(session, current_actor())
    session.commit()
    flash(_all_read_message(count))
    return redirect(url_for(".inbox_page"))


def _all_read_message(count: int) -> str:
    if count == 0:
        return _("Es gab keine ungelesenen Benachrichtigungen.")
    return ngettext(
        "Eine Benachrichtigung als gelesen markiert.",
        "%(num)d Benachrichtigungen als gelesen markiert.",
        count,
    )


def _back_to_inbox() -> str:
    """Back to the page of the inbox the person came from (only our own inbox URLs)."""
    page = request.form.get("seite", "")
    args: dict[str, str] = {}
    if page.isdigit() and 1 < int(page) <= 100_000:
        args["seite"] = page
    if request.form.get("filter") == UNREAD_FILTER:
        args["filter"] = UNREAD_FILTER
    return url_for(".inbox_page", **args)


def _page_number() -> int:
    page = request.args.get("seite", "1")
    if not page.isdigit() or not 1 <= int(page) <= 100_000:
        raise NotFound(_("Diese Seite gibt es nicht."))
    return int(page)


# --- choices per kind ---------------------------------------------------------------------------


@bp.route("/konto/benachrichtigungen", methods=["GET", "POST"])
@requires(Permission.INBOX_USE)
def preferences_page():
    session, actor = request_session(), current_actor()
    current = services.preferences(session, actor)
    form = PreferencesForm(data={kind.value: delivery.value for kind, delivery in current.items()})
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            services.set_preferences(session, actor, form.choices())
            session.commit()
            flash(_("Ihre Einstellungen für Benachrichtigungen sind gespeichert."))
            return redirect(url_for(".preferences_page"))
        status = 422
        _explain(form)
    account = session.get(Account, actor.account_id)
    return render_template(
        "benachrichtigungen.html",
        form=form,
        fields=[getattr(form, kind.value) for kind in NotificationKind],
        email=account.email if account else None,
    ), status


def _explain(form: PreferencesForm) -> None:
    """WTForms speaks English; the page speaks German."""
    for kind in NotificationKind:
        field = getattr(form, kind.value)
        if field.errors:
            field.errors = [_("Bitte wählen Sie eine der drei Möglichkeiten.")]


# --- the header's unread count ------------------------------------------------------------------


def _unread_badge() -> dict[str, Callable[[], int]]:
    """Called by the page header only for people logged in through the browser.

    Pages are never taken from the response cache (it holds public API reads only), so the count
    is always the viewer's own.
    """

    def unread_notifications() -> int:
        try:
            actor = current_actor()
            if not is_interactive(actor):
                return 0
            with get_database().session(write=False) as session:
                return services.unread_count(session, actor.account_id)
        except (DomainError, SQLAlchemyError):  # e.g. on an error page while the database is down
            return 0

    return {"unread_notifications": unread_notifications}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.context_processor(_unread_badge)
