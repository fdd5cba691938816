"""Comments on revisions: on submissions under review and on published models, threaded, and
optionally pinned to one BPMN element of the revision.

Whoever may read a revision and is logged in may comment on it (``Permission.COMMENT_CREATE``);
someone who may not read it gets a 404, as for the revision itself. Each comment is an audit event
and tells the contributors of the model's authority and the author of the comment answered.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.audit.services import record
from app.authz import Actor, Permission, is_allowed, require
from app.errors import ValidationFailed
from app.i18n import _
from app.library.models import ProcessModel, Revision
from app.review import notifications
from app.review.models import Comment, NotificationKind

MAX_BODY_LENGTH = 10_000
MAX_DEPTH = 5  # a top-level comment is depth 1; replies to depth-5 comments are refused
EXCERPT_LENGTH = 300
UNNAMED_FLOWS = frozenset({"sequenceFlow", "messageFlow"})
NOT_PINNABLE = frozenset({"process"})


@dataclass
class Thread:
    """A comment with its replies, in the order they were written."""

    comment: Comment
    depth: int
    replies: list[Thread] = field(default_factory=list)

    @property
    def size(self) -> int:
        return 1 + sum(reply.size for reply in self.replies)


# --- writing -----------------------------------------------------------------------------------


def add_comment(
    session: Session,
    actor: Actor,
    revision: Revision,
    body: str,
    *,
    parent: Comment | None = None,
    element_id: str | None = None,
) -> Comment:
    """Add a comment (or a reply to ``parent``) to ``revision``; 422 for what does not fit."""
    require(actor, Permission.COMMENT_CREATE, revision)
    text = _checked_body(body)
    element_id = _checked_element(revision, element_id)
    _check_parent(session, revision, parent)
    comment = Comment(
        model_id=revision.model_id,
        revision_id=revision.id,
        parent_id=parent.id if parent else None,
        element_id=element_id,
        author_account_id=actor.account_id,
        author_name=actor.name,
        author_authority_id=actor.authority_id,
        body=text,
    )
    session.add(comment)
    session.flush()
    _audit(session, actor, comment, revision)
    _notify(session, actor, comment, revision, parent)
    return comment


def parent_for(
    session: Session, actor: Actor, revision: Revision, parent_id: uuid.UUID | None
) -> Comment | None:
    """The comment a new one answers, given by id (checked after the right to comment)."""
    require(actor, Permission.COMMENT_CREATE, revision)
    return get_comment(session, revision, parent_id) if parent_id else None


def get_comment(session: Session, revision: Revision, comment_id: uuid.UUID) -> Comment:
    """A comment of ``revision`` (the parent of a reply); 422 if it is not one of its comments."""
    comment = session.get(Comment, comment_id)
    if comment is None or comment.revision_id != revision.id:
        raise _foreign_parent()
    return comment


def _foreign_parent() -> ValidationFailed:
    return ValidationFailed(
        _("Der Kommentar, auf den Sie antworten, gehört nicht zu dieser Revision."),
        errors={"parent_id": [_("Unbekannter Kommentar dieser Revision.")]},
    )


def _checked_body(body: str) -> str:
    text = (body or "").replace("\r\n", "\n").strip("\n").rstrip()
    if not text.strip():
        raise ValidationFailed(
            _("Bitte schreiben Sie einen Kommentar."), errors={"body": [_("Pflichtfeld.")]}
        )
    if len(text) > MAX_BODY_LENGTH:
        raise ValidationFailed(
            _(
                "Ein Kommentar darf höchstens %(limit)s Zeichen lang sein.",
                limit=f"{MAX_BODY_LENGTH:,}".replace(",", "."),
            ),
            errors={"body": [_("Höchstens %(limit)s Zeichen.", limit=MAX_BODY_LENGTH)]},
        )
    return text


def _checked_element(revision: Revision, element_id: str | None) -> str | None:
    element_id = (element_id or "").strip() or None
    if element_id is not None and element_id not in element_names(revision):
        raise ValidationFailed(
            _(
                "Das Element „%(element)s“ gibt es in Revision %(number)s nicht.",
                element=element_id[:100],
                number=revision.number,
            ),
            errors={"element_id": [_("Unbekanntes BPMN-Element dieser Revision.")]},
        )
    return element_id


def _check_parent(session: Session, revision: Revision, parent: Comment | None) -> None:
    if parent is None:
        return
    if parent.revision_id != revision.id:
        raise _foreign_parent()
    if depth_of(session, parent) >= MAX_DEPTH:
        raise ValidationFailed(
            _(
                "Antworten lassen sich höchstens %(depth)s Ebenen tief schachteln. "
                "Bitte antworten Sie weiter oben im Gespräch.",
                depth=MAX_DEPTH,
            ),
            errors={"parent_id": [_("Höchstens %(depth)s Ebenen.", depth=MAX_DEPTH)]},
        )


def depth_of(session: Session, comment: Comment) -> int:
    """1 for a top-level comment, 2 for a reply to it, and so on."""
    depth, current = 1, comment
    while current.parent_id is not None and depth <= MAX_DEPTH:
        current = session.get_one(Comment, current.parent_id)
        depth += 1
    return depth


def _audit(session: Session, actor: Actor, comment: Comment, revision: Revision) -> None:
    record(
        session,
        actor,
        "comment.created",
        object_type="comment",
        object_id=comment.id,
        authority_id=revision.model.authority_id,
        after={
            "body": comment.body,
            "element_id": comment.element_id,
            "parent_id": str(comment.parent_id) if comment.parent_id else None,
        },
        details={"model_id": str(revision.model_id), "number": revision.number},
    )


def _notify(
    session: Session, actor: Actor, comment: Comment, revision: Revision, parent: Comment | None
) -> None:
    model = revision.model
    recipients = notifications.contributors_of(session, [model.authority_id])
    if parent is not None:
        recipients += notifications.accounts_by_id(session, [parent.author_account_id])
    where = f" (zu „{element_label(revision, comment.element_id)}“)" if comment.element_id else ""
    notifications.notify(
        session,
        actor,
        NotificationKind.COMMENT,
        recipients,
        title=f"{'Antwort' if parent else 'Kommentar'} zu {model.title}, Revision {revision.number}",
        body=f"{actor.name}{where}: {_excerpt(comment.body)}",
        link=comment_link(revision, comment),
    )


def _excerpt(body: str) -> str:
    return body if len(body) <= EXCERPT_LENGTH else body[: EXCERPT_LENGTH - 1] + "…"


def comment_link(revision: Revision, comment: Comment) -> str:
    """Where a comment is shown: the revision's page, which everyone who may read it can open."""
    return f"/pruefung/{revision.model_id}/{revision.number}#kommentar-{comment.id}"


# --- reading -----------------------------------------------------------------------------------


def comments_of(session: Session, revision: Revision) -> list[Comment]:
    return list(
        session.scalars(
            select(Comment)
            .where(Comment.revision_id == revision.id)
            .options(selectinload(Comment.author_authority))
            .order_by(Comment.created_at, Comment.id)
        )
    )


def threads(session: Session, actor: Actor, revision: Revision) -> list[Thread]:
    """The revision's comments as threads, oldest first (404 if ``actor`` may not read it)."""
    require(actor, Permission.REVISION_READ, revision)
    return build_threads(comments_of(session, revision))


def build_threads(comments: list[Comment]) -> list[Thread]:
    children: dict[uuid.UUID | None, list[Comment]] = defaultdict(list)
    for comment in comments:
        children[comment.parent_id].append(comment)

    def grow(comment: Comment, depth: int) -> Thread:
        replies = [grow(reply, depth + 1) for reply in children.get(comment.id, [])]
        return Thread(comment, depth, replies)

    return [grow(comment, 1) for comment in children[None]]


def comments_of_model(session: Session, actor: Actor, model: ProcessModel) -> list[Comment]:
    """All comments on the revisions of ``model`` that ``actor`` may read, oldest first."""
    rows = session.scalars(
        select(Comment)
        .where(Comment.model_id == model.id)
        .options(joinedload(Comment.revision).joinedload(Revision.model))
        .order_by(Comment.created_at, Comment.id)
    )
    return [c for c in rows if is_allowed(actor, Permission.REVISION_READ, c.revision)]


def counts_by_revision(session: Session, model: ProcessModel) -> dict[int, int]:
    """How many comments each revision number of ``model`` has."""
    rows = session.execute(
        select(Revision.number, func.count(Comment.id))
        .join(Comment, Comment.revision_id == Revision.id)
        .where(Revision.model_id == model.id)
        .group_by(Revision.number)
    )
    return {number: count for number, count in rows}


# --- the elements a comment can point at -------------------------------------------------------


def element_names(revision: Revision) -> dict[str, dict[str, Any]]:
    """The revision's BPMN elements by id (from what was extracted when it was uploaded)."""
    elements = (revision.extraction or {}).get("elements") or []
    return {str(element["id"]): element for element in elements if element.get("id")}


def element_label(revision: Revision, element_id: str | None) -> str:
    element = element_names(revision).get(element_id or "")
    if element is None:
        return element_id or ""
    return str(element.get("name") or element_id)


def pinnable_elements(revision: Revision) -> list[dict[str, Any]]:
    """Elements worth offering in a selection: named ones first, no processes, no bare flows."""
    chosen = [
        element
        for element in element_names(revision).values()
        if element.get("type") not in NOT_PINNABLE
        and (element.get("name") or element.get("type") not in UNNAMED_FLOWS)
    ]
    return sorted(chosen, key=lambda e: (not e.get("name"), str(e.get("name") or e["id"]).lower()))
