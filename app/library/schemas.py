"""API shapes of process models and revisions."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import AuthorityRefSchema, Text
from app.library.models import RevisionStatus


class ModelIn(Schema):
    title = Text(required=True, validate=validate.Length(min=1, max=300))
    description = Text(allow_none=True, validate=validate.Length(max=20_000))


class ModelOut(Schema):
    id = fields.UUID()
    process_id = fields.UUID()
    authority = fields.Nested(AuthorityRefSchema)
    title = fields.String()
    description = fields.String(allow_none=True)
    revision_count = fields.Integer()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class ModelListOut(Schema):
    items = fields.List(fields.Nested(ModelOut))


class RevisionUploadQuery(Schema):
    message = Text(
        validate=validate.Length(max=2_000), metadata={"description": "Beschreibung der Änderung"}
    )
    parent = fields.Integer(
        validate=validate.Range(min=1),
        metadata={
            "description": "Nummer der Revision, auf der die Datei beruht; 409 wenn es eine neuere gibt"
        },
    )


class RevisionOut(Schema):
    id = fields.UUID()
    model_id = fields.UUID()
    number = fields.Integer()
    parent_id = fields.UUID(allow_none=True)
    sha256 = fields.String(attribute="blob_sha256")
    size = fields.Integer()
    filename = fields.String()
    media_type = fields.String()
    message = fields.String()
    author_name = fields.String()
    status = fields.Enum(RevisionStatus, by_value=True)
    created_at = fields.AwareDateTime()
    published_at = fields.AwareDateTime(allow_none=True)


class ExtractedElementOut(Schema):
    id = fields.String()
    type = fields.String()
    name = fields.String()
    lane = fields.String(allow_none=True)
    pool = fields.String(allow_none=True)
    documentation = fields.String()


class ExtractionOut(Schema):
    elements = fields.List(fields.Nested(ExtractedElementOut))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    flow_node_count = fields.Integer()


class RevisionDetailOut(RevisionOut):
    extraction = fields.Nested(ExtractionOut)


class RevisionListOut(Schema):
    items = fields.List(fields.Nested(RevisionOut))
