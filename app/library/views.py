"""Pages of forks and change proposals: fork a published revision, take upstream over, propose a
change back, and the proposals an authority received."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.authz import (
    Actor,
    Permission,
    is_allowed,
    is_interactive,
    owned_by,
    require,
    requires,
)
from app.db import request_session
from app.errors import DomainError, Forbidden
from app.i18n import _, _l
from app.identity.auth import current_actor
from app.identity.models import Authority
from app.library import forks, proposals
from app.library import services as library
from app.library.api import unpacked_limit
from app.library.models import (
    ChangeProposal,
    ProcessModel,
    ProposalStatus,
    Revision,
    RevisionStatus,
)
from app.library.proposals import MAX_TEXT_LENGTH, STATUS_LABELS, Direction
from app.web.decisions import REFUSALS, store_decision

bp = Blueprint("library_pages", __name__)
T = TypeVar("T")

PROPOSAL_LABEL = _l("Was haben Sie geändert, und warum?")


class ForkForm(FlaskForm):
    pass


class TakeOverForm(FlaskForm):
    upstream_number = IntegerField(widget=HiddenField.widget)
    confirm = BooleanField(
        _l("Ich habe die Änderungen geprüft und möchte sie als neuen Entwurf übernehmen."),
        validators=[DataRequired(_l("Bitte bestätigen Sie die Übernahme."))],
    )


class ProposalForm(FlaskForm):
    message = TextAreaField(
        PROPOSAL_LABEL,
        validators=[Length(max=MAX_TEXT_LENGTH)],
        render_kw={"rows": 3},
    )


class ProposalDecisionForm(FlaskForm):
    decision = RadioField(
        _l("Entscheidung"),
        choices=[
            SelectChoice("accept", _l("Annehmen")),
            SelectChoice("decline", _l("Ablehnen")),
        ],
    )
    comment = TextAreaField(
        _l("Kommentar"), validators=[Length(max=MAX_TEXT_LENGTH)], render_kw={"rows": 4}
    )


class WithdrawForm(FlaskForm):
    pass


# --- on the model page -------------------------------------------------------------------------


def model_context(
    session: Session, actor: Actor, model: ProcessModel, revisions: list[Revision]
) -> dict[str, Any]:
    """What the model page shows of forks: upstream, its news, who uses the model, the buttons.
    Forms are only built for those who may use them (a form means a session cookie)."""
    status = (
        forks.upstream_status(session, model, max_bytes=unpacked_limit()) if model.is_fork else None
    )
    used_by = forks.forks_of(session, model)
    return {
        "upstream": status,
        "take_over_form": _take_over_form(actor, model, status),
        "forks": used_by,
        "fork_authorities": forks.authorities_using(used_by),
        "own_fork": next((f for f in used_by if f.authority_id == actor.authority_id), None),
        "forkable": {r.number for r in revisions if _may_fork(actor, model, r)},
        "proposable": {r.number for r in revisions if _may_propose(actor, model, r)},
        "proposal_label": PROPOSAL_LABEL,
    }


def _take_over_form(
    actor: Actor, model: ProcessModel, status: forks.UpstreamStatus | None
) -> TakeOverForm | None:
    if status is None or status.latest is None or not status.newer:
        return None
    if not _may(actor, Permission.REVISION_CREATE, model):
        return None
    return TakeOverForm(upstream_number=status.latest.number)


def process_context(session: Session, models: list[ProcessModel]) -> dict[str, Any]:
    """Who uses the models of a process (a Musterprozess's page lists them)."""
    used_by = forks.forks_of_models(session, [model.id for model in models])
    return {"forks": used_by, "fork_authorities": forks.authorities_using(used_by)}


def _may(actor: Actor, permission: Permission, obj: object) -> bool:
    return is_interactive(actor) and is_allowed(actor, permission, obj)


def _may_fork(actor: Actor, model: ProcessModel, revision: Revision) -> bool:
    return (
        revision.status is RevisionStatus.PUBLISHED
        and actor.authority_id is not None
        and actor.authority_id != model.authority_id
        and _may(actor, Permission.MODEL_FORK, owned_by(actor.authority_id))
    )


def _may_propose(actor: Actor, model: ProcessModel, revision: Revision) -> bool:
    upstream_is_local = (
        model.upstream_model is not None and not model.upstream_model.origin_instance
    )
    return (
        upstream_is_local
        and revision.is_valid
        and _may(actor, Permission.PROPOSAL_CREATE, revision)
    )


@bp.route("/modelle/<uuid:model_id>/revisionen/<int:number>/fork", methods=["POST"])
@requires(Permission.MODEL_FORK)
def fork_page(model_id: uuid.UUID, number: int) -> Response:
    session, actor = request_session(), current_actor()
    revision = library.get_revision(session, actor, library.get_model(session, model_id), number)
    authority = session.get(Authority, actor.authority_id) if actor.authority_id else None
    if authority is None:
        raise Forbidden(_("Übernehmen können nur Mitglieder einer Behörde."))
    if not ForkForm().validate_on_submit():
        return redirect(url_for("web.model_page", model_id=model_id))
    fork = _attempt(
        lambda: forks.fork_model(
            session, actor, revision, authority=authority, max_bytes=unpacked_limit()
        )
    )
    if fork is None:
        return redirect(url_for("web.model_page", model_id=model_id))
    flash(
        _("„%(title)s“ ist jetzt auch ein Modell Ihrer Behörde (Fork).", title=revision.model.title)
    )
    return redirect(url_for("web.model_page", model_id=fork.id))


@bp.route("/modelle/<uuid:model_id>/upstream", methods=["POST"])
@requires(Permission.REVISION_CREATE)
def take_over_page(model_id: uuid.UUID) -> Response:
    session, actor = request_session(), current_actor()
    model = library.get_model(session, model_id)
    require(actor, Permission.REVISION_CREATE, model)
    form = TakeOverForm()
    if not form.validate_on_submit() or not form.upstream_number.data:
        flash(_("Bitte bestätigen Sie die Übernahme."), "error")
        return redirect(url_for("web.model_page", model_id=model_id))
    revision = _attempt(
        lambda: forks.take_over_upstream(
            session,
            actor,
            model,
            upstream_number=form.upstream_number.data,
            max_bytes=unpacked_limit(),
        )
    )
    if revision is not None:
        flash(
            _("Upstream ist als Revision %(number)s (Entwurf) übernommen.", number=revision.number)
        )
    return redirect(url_for("web.model_page", model_id=model_id))


@bp.route("/modelle/<uuid:model_id>/revisionen/<int:number>/vorschlagen", methods=["POST"])
@requires(Permission.PROPOSAL_CREATE)
def propose_page(model_id: uuid.UUID, number: int) -> Response:
    session, actor = request_session(), current_actor()
    revision = library.get_revision(session, actor, library.get_model(session, model_id), number)
    require(actor, Permission.PROPOSAL_CREATE, revision)
    form = ProposalForm()
    if not form.validate_on_submit():
        flash(_("Die Beschreibung ist zu lang."), "error")
        return redirect(url_for("web.model_page", model_id=model_id))
    proposal = _attempt(
        lambda: proposals.propose(session, actor, revision, message=form.message.data or "")
    )
    if proposal is None:
        return redirect(url_for("web.model_page", model_id=model_id))
    flash(_("Revision %(number)s ist dem Upstream-Modell vorgeschlagen.", number=number))
    return redirect(url_for(".proposal_page", proposal_id=proposal.id))


# --- proposals ---------------------------------------------------------------------------------


@bp.route("/vorschlaege")
@requires(Permission.PROPOSAL_LIST)
def proposals_page():
    session, actor = request_session(), current_actor()
    return render_template(
        "library/vorschlaege.html",
        received=proposals.list_proposals(session, actor, Direction.RECEIVED),
        sent=proposals.list_proposals(session, actor, Direction.SENT),
        status_labels=STATUS_LABELS,
    )


@bp.route("/vorschlaege/<uuid:proposal_id>", methods=["GET", "POST"])
@requires(Permission.PROPOSAL_READ)
def proposal_page(proposal_id: uuid.UUID):
    session, actor = request_session(), current_actor()
    proposal = proposals.get_proposal(session, actor, proposal_id)
    form, status = ProposalDecisionForm(), 200
    if request.method == "POST":
        require(actor, Permission.PROPOSAL_DECIDE, proposal)
        answer = _decide(proposal, form)
        if isinstance(answer, Response):
            return answer
        status = answer
    compared = proposals.comparison(session, proposal, max_bytes=unpacked_limit())
    page = render_template(
        "library/vorschlag.html",
        proposal=proposal,
        shown=proposal.source_revision,  # loads the diagram viewer
        compared=compared,
        form=form,
        withdraw_form=WithdrawForm(),
        is_open=proposal.status is ProposalStatus.OPEN,
        may_decide=_may(actor, Permission.PROPOSAL_DECIDE, proposal),
        may_withdraw=_may(actor, Permission.PROPOSAL_WITHDRAW, proposal),
        status_labels=STATUS_LABELS,
    )
    return page, status


@bp.route("/vorschlaege/<uuid:proposal_id>/zurueckziehen", methods=["POST"])
@requires(Permission.PROPOSAL_WITHDRAW)
def withdraw_page(proposal_id: uuid.UUID) -> Response:
    session, actor = request_session(), current_actor()
    proposal = proposals.get_proposal(session, actor, proposal_id)
    require(actor, Permission.PROPOSAL_WITHDRAW, proposal)
    if WithdrawForm().validate_on_submit() and _attempt(
        lambda: proposals.withdraw_proposal(session, actor, proposal)
    ):
        flash(_("Der Vorschlag ist zurückgezogen."))
    return redirect(url_for(".proposal_page", proposal_id=proposal_id))


def _decide(proposal: ChangeProposal, form: ProposalDecisionForm) -> Response | int:
    """Store the decision and redirect, or the status to show the form again with (422)."""
    if not form.validate_on_submit() or form.decision.data not in {"accept", "decline"}:
        form.decision.errors = [_("Bitte wählen Sie eine Entscheidung.")]
        return 422
    return store_decision(
        form,
        lambda: proposals.decide_proposal(
            request_session(),
            current_actor(),
            proposal,
            accept=form.decision.data == "accept",
            comment=form.comment.data or "",
            max_bytes=unpacked_limit(),
        ),
        lambda _decided: _decided_redirect(proposal),
    )


def _decided_redirect(proposal: ChangeProposal) -> Response:
    flash(_decided_message(proposal))
    return redirect(url_for(".proposals_page"))


def _decided_message(proposal: ChangeProposal) -> str:
    if proposal.created_revision is not None:
        return _(
            "Der Vorschlag ist angenommen: Revision %(number)s von „%(title)s“ ist als Entwurf "
            "angelegt.",
            number=proposal.created_revision.number,
            title=proposal.target_model.title,
        )
    return _("Der Vorschlag ist abgelehnt.")


def _attempt(work: Callable[[], T]) -> T | None:
    """Run a service call and commit; a conflict or invalid input becomes a message instead."""
    session = request_session()
    try:
        result = work()
    except DomainError as error:
        if error.status in REFUSALS:
            raise
        session.rollback()
        flash(error.detail, "error")
        return None
    session.commit()
    return result


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
