"""Comments on the pages: the section under a revision (threads, reply forms, pins on the diagram)
shown on the model page and the review page, and the form route that stores a comment."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flask import Blueprint, Flask, flash, redirect, url_for
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import HiddenField, StringField, TextAreaField

from app.authz import Actor, Permission, is_allowed, requires
from app.db import request_session
from app.errors import DomainError
from app.i18n import _, _l
from app.identity.auth import current_actor
from app.library.models import Revision
from app.review import comments, services
from app.review.comments import MAX_BODY_LENGTH, MAX_DEPTH, Thread
from app.review.markdown import markdown_filter
from app.web.decisions import REFUSALS

bp = Blueprint("comment_pages", __name__)
BACK_TO_REVIEW = "pruefung"


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Kommentar"))
    parent_id = HiddenField()
    element_id = StringField(_l("BPMN-Element"))
    ziel = HiddenField()


@dataclass
class CommentSection:
    """What the comment section of a page shows for one revision."""

    revision: Revision
    threads: list[Thread]
    may_comment: bool
    back: str
    elements: list[dict[str, Any]]
    pins: list[dict[str, Any]]
    numbers: dict[uuid.UUID, int]
    other_revisions: dict[int, int] = field(default_factory=dict)
    max_length: int = MAX_BODY_LENGTH
    max_depth: int = MAX_DEPTH

    @cached_property
    def _elements_by_id(self) -> dict[str, dict[str, Any]]:
        return comments.element_names(self.revision)

    def element_label(self, element_id: str | None) -> str:
        element = self._elements_by_id.get(element_id or "")
        return str(element.get("name") or element_id) if element else element_id or ""


def comment_section(
    session: Session, actor: Actor, revision: Revision, *, back: str = "modell"
) -> CommentSection:
    threads = comments.threads(session, actor, revision)
    numbers = {thread.comment.id: index for index, thread in enumerate(threads, start=1)}
    return CommentSection(
        revision=revision,
        threads=threads,
        may_comment=is_allowed(actor, Permission.COMMENT_CREATE, revision),
        back=back,
        elements=comments.pinnable_elements(revision),
        pins=_pins(revision, threads, numbers),
        numbers=numbers,
        other_revisions=_other_revisions(session, actor, revision),
    )


def _other_revisions(session: Session, actor: Actor, revision: Revision) -> dict[int, int]:
    """Comment counts of the model's other revisions the actor may open (newest first).

    Only for people logged in: the links lead to the review page, which is behind the login.
    """
    if not actor.is_authenticated:
        return {}
    counts = comments.counts_by_revision(session, revision.model)
    return {
        number: count
        for number, count in sorted(counts.items(), reverse=True)
        if number != revision.number and _readable(session, actor, revision, number)
    }


def _readable(session: Session, actor: Actor, revision: Revision, number: int) -> bool:
    try:
        services.revision_of(session, actor, revision.model_id, number)
    except DomainError:
        return False
    return True


def _pins(
    revision: Revision, threads: list[Thread], numbers: dict[uuid.UUID, int]
) -> list[dict[str, Any]]:
    """One pin per comment that points at an element, numbered like its thread."""
    pins: list[dict[str, Any]] = []
    pinned: set[tuple[str, int]] = set()

    def walk(thread: Thread, number: int) -> None:
        comment = thread.comment
        if comment.element_id and (comment.element_id, number) not in pinned:
            pinned.add((comment.element_id, number))
            label = comments.element_label(revision, comment.element_id)
            pins.append(
                {
                    "element": comment.element_id,
                    "target": f"kommentar-{comment.id}",
                    "number": number,
                    "label": _(
                        "Kommentar %(number)s zu „%(label)s“ anzeigen", number=number, label=label
                    ),
                }
            )
        for reply in thread.replies:
            walk(reply, number)

    for thread in threads:
        walk(thread, numbers[thread.comment.id])
    return pins


@bp.route("/modelle/<uuid:model_id>/revisionen/<int:number>/kommentare", methods=["POST"])
@requires(Permission.COMMENT_CREATE)
def add_comment_page(model_id: uuid.UUID, number: int) -> Response:
    session, actor = request_session(), current_actor()
    revision = services.revision_of(session, actor, model_id, number)  # 404 before anything else
    form = CommentForm()
    if not form.validate_on_submit():
        flash(_("Das Formular war abgelaufen. Bitte versuchen Sie es noch einmal."), "error")
        return _back(revision, form.ziel.data)
    try:
        comment = comments.add_comment(
            session,
            actor,
            revision,
            form.body.data or "",
            parent=comments.parent_for(session, actor, revision, _uuid(form.parent_id.data)),
            element_id=form.element_id.data or None,
        )
    except DomainError as error:
        if error.status in REFUSALS:
            raise
        session.rollback()
        flash(error.detail, "error")
        return _back(revision, form.ziel.data)
    session.commit()
    flash(_("Ihr Kommentar ist gespeichert."))
    return _back(revision, form.ziel.data, anchor=f"kommentar-{comment.id}")


def _back(revision: Revision, target: str | None, *, anchor: str = "kommentare") -> Response:
    if target == BACK_TO_REVIEW:
        url = url_for(
            "review_pages.review_page", model_id=revision.model_id, number=revision.number
        )
    else:
        url = url_for("web.model_page", model_id=revision.model_id)
    return redirect(f"{url}#{anchor}")


def _uuid(raw: str | None) -> uuid.UUID | None:
    """The parent's id from the form; a malformed one is treated like an unknown comment."""
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        return uuid.UUID(int=0)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.filters["markdown"] = markdown_filter
