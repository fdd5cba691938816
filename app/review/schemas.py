"""API shapes of submissions, decisions and the review queue."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import AuthorityRefSchema, Text
from app.config import current_settings
from app.library.models import RevisionStatus
from app.library.schemas import DiffOut, LintFindingOut, RevisionOut
from app.review.comments import MAX_BODY_LENGTH, element_label
from app.review.markdown import render as render_markdown
from app.review.services import MAX_COMMENT_LENGTH
from app.review.workflow import Action, Decision, allowed_actions


class CommentIn(Schema):
    comment = Text(load_default="", validate=validate.Length(max=MAX_COMMENT_LENGTH))


class DecisionIn(CommentIn):
    decision = fields.Enum(
        Decision,
        by_value=True,
        required=True,
        metadata={"description": "approve, request_changes (Kommentar nötig) oder reject (ebenso)"},
    )


class DecisionOut(Schema):
    id = fields.UUID()
    round = fields.Integer(metadata={"description": "Prüfrunde (jede Einreichung beginnt eine)"})
    reviewer_name = fields.String()
    reviewer_authority = fields.Nested(AuthorityRefSchema)
    decision = fields.Enum(Decision, by_value=True)
    comment = fields.String()
    created_at = fields.AwareDateTime()


class DecisionListOut(Schema):
    items = fields.List(fields.Nested(DecisionOut))


class ReviewStateOut(RevisionOut):
    review_round = fields.Integer()
    approvals = fields.Integer(metadata={"description": "Freigaben in der laufenden Prüfrunde"})
    approvals_required = fields.Function(
        lambda _revision: current_settings().review_approvals_required, dump_only=True
    )
    submitted_at = fields.AwareDateTime(allow_none=True)
    submitted_by_name = fields.String(allow_none=True)
    published_at = fields.AwareDateTime(allow_none=True)
    allowed_actions = fields.Function(
        lambda revision: [action.value for action in allowed_actions(revision.status)],
        metadata={"type": "array", "items": {"type": "string", "enum": [a.value for a in Action]}},
    )


class OutcomeOut(Schema):
    decision = fields.Nested(DecisionOut)
    revision = fields.Nested(ReviewStateOut)
    published = fields.Boolean(metadata={"description": "diese Freigabe hat veröffentlicht"})


class ReviewDetailOut(Schema):
    revision = fields.Nested(ReviewStateOut)
    previous_published = fields.Nested(RevisionOut, allow_none=True)
    diff = fields.Nested(
        DiffOut,
        allow_none=True,
        metadata={"description": "gegenüber der zuletzt veröffentlichten Revision"},
    )
    lint = fields.List(fields.Nested(LintFindingOut))
    decisions = fields.List(fields.Nested(DecisionOut))


class QueueQuery(Schema):
    authority = Text(metadata={"description": "Kurzname (slug) der einreichenden Behörde"})
    themenfeld = Text(validate=validate.Length(max=200))
    min_age_days = fields.Integer(
        validate=validate.Range(min=1, max=3650),
        metadata={"description": "nur Einreichungen, die mindestens so viele Tage warten"},
    )


class QueueItemOut(Schema):
    revision_id = fields.UUID(attribute="id")
    model_id = fields.UUID()
    number = fields.Integer()
    model_title = fields.String(attribute="model.title")
    process_title = fields.String(attribute="model.process.title")
    authority = fields.Nested(AuthorityRefSchema, attribute="model.authority")
    submitted_at = fields.AwareDateTime()
    submitted_by_name = fields.String(allow_none=True)
    approvals = fields.Integer()
    lint_findings = fields.Function(lambda revision: len(revision.lint or []))
    status = fields.Enum(RevisionStatus, by_value=True)


class QueueOut(Schema):
    items = fields.List(fields.Nested(QueueItemOut))


# --- comments -----------------------------------------------------------------------------------


class CommentCreateIn(Schema):
    body = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_BODY_LENGTH),
        metadata={"description": "Markdown (CommonMark ohne HTML, ohne Bilder)"},
    )
    parent_id = fields.UUID(
        load_default=None, allow_none=True, metadata={"description": "Antwort auf diesen Kommentar"}
    )
    element_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=255),
        metadata={"description": "Id eines BPMN-Elements dieser Revision"},
    )


class CommentOut(Schema):
    id = fields.UUID()
    model_id = fields.UUID()
    revision_number = fields.Integer(attribute="revision.number")
    parent_id = fields.UUID(allow_none=True)
    element_id = fields.String(allow_none=True)
    element_name = fields.Function(
        lambda comment: element_label(comment.revision, comment.element_id)
        if comment.element_id
        else None,
        metadata={"type": "string", "nullable": True},
    )
    author_name = fields.String()
    author_authority = fields.Nested(AuthorityRefSchema, allow_none=True)
    body = fields.String(metadata={"description": "wie geschrieben (Markdown)"})
    body_html = fields.Function(
        lambda comment: str(render_markdown(comment.body)),
        metadata={"type": "string", "description": "bereinigtes HTML"},
    )
    created_at = fields.AwareDateTime()


class ThreadOut(Schema):
    comment = fields.Nested(CommentOut)
    depth = fields.Integer(metadata={"description": "1 für einen Kommentar, 2 für eine Antwort …"})
    replies = fields.List(fields.Nested(lambda: ThreadOut()))


class ThreadListOut(Schema):
    items = fields.List(fields.Nested(ThreadOut))


class CommentListOut(Schema):
    items = fields.List(fields.Nested(CommentOut))
