"""Review pages: the reviewers' queue, one submission with its diff and the decision form, and
submitting a draft from the model page."""

from __future__ import annotations

import uuid

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from app.authz import Permission, is_allowed, requires
from app.config import current_settings
from app.db import request_session
from app.errors import DomainError
from app.i18n import _, _l
from app.identity.auth import current_actor
from app.library.api import unpacked_limit
from app.library.models import Revision
from app.review import comments_views, services
from app.review.services import MAX_COMMENT_LENGTH
from app.review.workflow import Decision
from app.web.decisions import REFUSALS, store_decision

bp = Blueprint("review_pages", __name__)

DECISION_LABELS = {
    Decision.APPROVE: _l("Freigeben"),
    Decision.REQUEST_CHANGES: _l("Änderungen erbitten"),
    Decision.REJECT: _l("Ablehnen"),
}


class DecisionForm(FlaskForm):
    decision = RadioField(
        _l("Entscheidung"),
        choices=[
            SelectChoice(decision.value, label) for decision, label in DECISION_LABELS.items()
        ],
    )
    comment = TextAreaField(
        _l("Kommentar"), validators=[Length(max=MAX_COMMENT_LENGTH)], render_kw={"rows": 5}
    )


class SubmitForm(FlaskForm):
    comment = TextAreaField(
        _l("Hinweis für die Prüfenden (optional)"),
        validators=[Length(max=MAX_COMMENT_LENGTH)],
        render_kw={"rows": 3},
    )


@bp.route("/pruefung")
@requires(Permission.REVIEW_QUEUE)
def queue_page():
    session = request_session()
    filters = services.QueueFilter(
        authority=request.args.get("behoerde") or None,
        themenfeld=request.args.get("themenfeld") or None,
        min_age_days=_positive_int(request.args.get("tage")),
    )
    items = services.queue(session, current_actor(), filters)
    return render_template(
        "pruefung.html",
        items=items,
        filters=filters,
        authorities=services.authorities_in_queue(session, current_actor()),
        themenfelder=services.themenfelder_in_queue(session),
    )


@bp.route("/pruefung/<uuid:model_id>/<int:number>", methods=["GET", "POST"])
@requires(Permission.REVISION_READ)
def review_page(model_id: uuid.UUID, number: int):
    session, actor = request_session(), current_actor()
    revision = services.revision_of(request_session(), current_actor(), model_id, number)
    form = DecisionForm()
    status = 200
    if request.method == "POST":
        answer = _decide(revision, form)
        if isinstance(answer, Response):
            return answer
        status = answer
    previous = services.last_published(session, revision)
    page = render_template(
        "pruefung_revision.html",
        revision=revision,
        shown=revision,  # loads the diagram viewer
        model=revision.model,
        previous=previous,
        diff=services.revision_diff(session, previous, revision, max_bytes=unpacked_limit())
        if previous
        else None,
        decisions=services.decisions(session, revision),
        form=form,
        may_decide=is_allowed(actor, Permission.REVIEW_DECIDE, revision),
        approvals_required=current_settings().review_approvals_required,
        decision_labels=DECISION_LABELS,
        comments=comments_views.comment_section(session, actor, revision, back="pruefung"),
    )
    return page, status


@bp.route("/modelle/<uuid:model_id>/revisionen/<int:number>/einreichen", methods=["POST"])
@requires(Permission.REVISION_SUBMIT)
def submit_page(model_id: uuid.UUID, number: int) -> Response:
    session = request_session()
    form = SubmitForm()
    if form.validate_on_submit():
        try:
            services.submit(
                session,
                current_actor(),
                services.revision_of(request_session(), current_actor(), model_id, number),
                comment=form.comment.data or "",
            )
        except DomainError as error:
            if error.status in REFUSALS:
                raise
            session.rollback()
            flash(error.detail, "error")
        else:
            session.commit()
            flash(_("Revision %(number)s ist zur Prüfung eingereicht.", number=number))
    return redirect(url_for("web.model_page", model_id=model_id))


def _decide(revision: Revision, form: DecisionForm) -> Response | int:
    """Store the decision and redirect, or the status to show the form again with (422)."""
    if not form.validate_on_submit() or not form.decision.data:
        form.decision.errors = [_("Bitte wählen Sie eine Entscheidung.")]
        return 422
    return store_decision(
        form,
        lambda: services.decide(
            request_session(),
            current_actor(),
            revision,
            Decision(form.decision.data),
            comment=form.comment.data or "",
            approvals_required=current_settings().review_approvals_required,
        ),
        lambda outcome: _decided(_decided_message(outcome), url_for(".queue_page")),
    )


def _decided(message: str, target: str) -> Response:
    flash(message)
    return redirect(target)


def _decided_message(outcome: services.Outcome) -> str:
    number, title = outcome.revision.number, outcome.revision.model.title
    if outcome.published:
        return _(
            "„%(title)s“, Revision %(number)s, ist veröffentlicht.", title=title, number=number
        )
    if outcome.decision.decision is Decision.APPROVE:
        return _(
            "Ihre Freigabe ist gespeichert (%(approvals)s von %(required)s); „%(title)s“ wartet "
            "auf weitere Prüfende.",
            approvals=outcome.revision.approvals,
            required=outcome.approvals_required,
            title=title,
        )
    if outcome.decision.decision is Decision.REJECT:
        return _("„%(title)s“, Revision %(number)s, wurde abgelehnt.", title=title, number=number)
    return _(
        "„%(title)s“, Revision %(number)s, wurde zur Überarbeitung zurückgegeben.",
        title=title,
        number=number,
    )


def _positive_int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and 0 < int(raw) <= 3650 else None


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    comments_views.init_app(app)
