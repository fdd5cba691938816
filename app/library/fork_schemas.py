"""API shapes of forks, their upstream and change proposals."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import AuthorityRefSchema, Text
from app.library.models import ProposalStatus
from app.library.proposals import MAX_TEXT_LENGTH, Direction
from app.library.schemas import DiffOut, ModelOut, RevisionOut


class ForkIn(Schema):
    process_id = fields.UUID(
        metadata={
            "description": "Registereintrag der eigenen Behörde; ohne ihn wird einer aus dem "
            "Steckbrief des Originals angelegt"
        }
    )
    title = Text(validate=validate.Length(max=300), metadata={"description": "Titel des Forks"})


class TakeOverIn(Schema):
    upstream_number = fields.Integer(
        required=True,
        validate=validate.Range(min=1),
        metadata={
            "description": "Nummer der Upstream-Revision, die übernommen werden soll (wie von "
            "GET …/upstream gemeldet); 409, wenn Upstream inzwischen weiter ist"
        },
    )


class ModelRefOut(Schema):
    id = fields.UUID()
    title = fields.String()
    authority = fields.Nested(AuthorityRefSchema)


class ForkListOut(Schema):
    items = fields.List(fields.Nested(ModelOut))
    authority_count = fields.Integer(
        metadata={"description": "Anzahl der Behörden, die das Modell verwenden"}
    )


class UpstreamStatusOut(Schema):
    upstream_model = fields.Nested(ModelRefOut, attribute="upstream")
    based_on = fields.Nested(
        RevisionOut, allow_none=True, metadata={"description": "Upstream-Revision des Forks"}
    )
    latest = fields.Nested(
        RevisionOut,
        allow_none=True,
        metadata={"description": "neueste veröffentlichte Upstream-Revision"},
    )
    newer = fields.Boolean(metadata={"description": "Upstream hat Neueres veröffentlicht"})
    diff = fields.Nested(
        DiffOut,
        allow_none=True,
        metadata={"description": "von based_on nach latest, wenn Upstream neuer ist"},
    )


class ProposalIn(Schema):
    message = Text(
        load_default="",
        validate=validate.Length(max=MAX_TEXT_LENGTH),
        metadata={"description": "Was geändert wurde und warum"},
    )


class ProposalDecisionIn(Schema):
    accept = fields.Boolean(required=True, metadata={"description": "annehmen oder ablehnen"})
    comment = Text(
        load_default="",
        validate=validate.Length(max=MAX_TEXT_LENGTH),
        metadata={"description": "Pflicht beim Ablehnen"},
    )


class ProposalQuery(Schema):
    direction = fields.Enum(
        Direction,
        by_value=True,
        load_default=Direction.RECEIVED,
        metadata={"description": "received (für Modelle der eigenen Behörde) oder sent"},
    )
    status = fields.Enum(ProposalStatus, by_value=True)


class ProposalOut(Schema):
    id = fields.UUID()
    status = fields.Enum(ProposalStatus, by_value=True)
    message = fields.String()
    target_model = fields.Nested(ModelRefOut)
    source_model_id = fields.UUID(attribute="source_revision.model_id")
    source_revision_number = fields.Integer(attribute="source_revision.number")
    base_revision_number = fields.Function(
        lambda proposal: proposal.base_revision.number if proposal.base_revision else None,
        metadata={"type": "integer", "nullable": True},
    )
    proposer_name = fields.String()
    proposer_authority = fields.Nested(AuthorityRefSchema)
    decided_by_name = fields.String(allow_none=True)
    decision_comment = fields.String(allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    created_revision_number = fields.Function(
        lambda proposal: proposal.created_revision.number if proposal.created_revision else None,
        metadata={"type": "integer", "nullable": True},
    )
    created_at = fields.AwareDateTime()


class ProposalListOut(Schema):
    items = fields.List(fields.Nested(ProposalOut))


class ProposalDetailOut(Schema):
    proposal = fields.Nested(ProposalOut)
    compared_with = fields.Nested(
        RevisionOut,
        allow_none=True,
        metadata={"description": "neueste Upstream-Veröffentlichung (sonst Basis des Forks)"},
    )
    diff = fields.Nested(DiffOut, allow_none=True)
