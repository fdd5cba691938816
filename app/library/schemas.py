"""API shapes of process models and revisions."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from app.api.schemas import AuthorityRefSchema, Text
from app.library.models import RevisionStatus


class ModelIn(Schema):
    title = Text(required=True, validate=validate.Length(min=1, max=300))
    description = Text(allow_none=True, validate=validate.Length(max=20_000))


class UpstreamRefOut(Schema):
    model_id = fields.UUID(attribute="upstream_model.id")
    title = fields.String(attribute="upstream_model.title")
    authority = fields.Nested(AuthorityRefSchema, attribute="upstream_model.authority")
    revision_number = fields.Function(
        lambda model: model.upstream_revision.number if model.upstream_revision else None,
        metadata={"type": "integer", "description": "Upstream-Revision, auf der der Fork beruht"},
    )


class _Upstream(fields.Nested):
    """The model itself, dumped as its upstream reference, when it is a fork; else null."""

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = None) -> Any:
        return obj if obj.is_fork else None


class ModelOut(Schema):
    id = fields.UUID()
    process_id = fields.UUID()
    authority = fields.Nested(AuthorityRefSchema)
    title = fields.String()
    description = fields.String(allow_none=True)
    revision_count = fields.Integer()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    upstream = _Upstream(
        UpstreamRefOut,
        allow_none=True,
        dump_only=True,
        metadata={"description": "bei einem Fork: das Modell, aus dem er abgeleitet ist"},
    )


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
    valid = fields.Boolean(
        attribute="is_valid",
        metadata={"description": "ohne Schema- und Importfehler; nur dann veröffentlichbar"},
    )
    main_document = fields.String(
        allow_none=True, metadata={"description": "Hauptdatei eines ZIP-Uploads"}
    )
    created_at = fields.AwareDateTime()
    published_at = fields.AwareDateTime(allow_none=True)


class ValidationIssueOut(Schema):
    document = fields.String(metadata={"description": "Datei (bei ZIP-Uploads)"})
    line = fields.Integer(allow_none=True)
    column = fields.Integer(allow_none=True)
    message = fields.String(metadata={"description": "Meldung (deutsch)"})
    detail = fields.String(metadata={"description": "Originalmeldung des Validators"})


class LintFindingOut(Schema):
    rule = fields.String()
    severity = fields.String(metadata={"description": "error, warning oder info"})
    message = fields.String()
    element_id = fields.String(allow_none=True)


class LintRuleOut(Schema):
    id = fields.String()
    severity = fields.String()
    title = fields.String()
    description = fields.String()
    enabled = fields.Boolean(metadata={"description": "in dieser Instanz eingeschaltet"})


class LintRuleListOut(Schema):
    items = fields.List(fields.Nested(LintRuleOut))


class DiffQuery(Schema):
    old = fields.UUID(required=True, metadata={"description": "ID der älteren Revision"})
    new = fields.UUID(required=True, metadata={"description": "ID der neueren Revision"})


class ExtractedElementOut(Schema):
    id = fields.String()
    document = fields.String()
    type = fields.String()
    name = fields.String()
    lane = fields.String(allow_none=True)
    pool = fields.String(allow_none=True)
    documentation = fields.String()


class ExtractedDocumentOut(Schema):
    name = fields.String()
    flow_node_count = fields.Integer()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class ExtractionOut(Schema):
    elements = fields.List(fields.Nested(ExtractedElementOut))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    flow_node_count = fields.Integer()
    documents = fields.List(fields.Nested(ExtractedDocumentOut))


class RevisionDetailOut(RevisionOut):
    extraction = fields.Nested(ExtractionOut)
    validation = fields.List(
        fields.Nested(ValidationIssueOut),
        metadata={"description": "Verstöße gegen das BPMN-2.0-Schema, fehlende Importe"},
    )
    lint = fields.List(
        fields.Nested(LintFindingOut),
        metadata={"description": "Hinweise zu Modellierungskonventionen"},
    )


class RevisionListOut(Schema):
    items = fields.List(fields.Nested(RevisionOut))


class DiffElementOut(Schema):
    id = fields.String()
    type = fields.String()
    name = fields.String(allow_none=True)
    lane = fields.String(allow_none=True)
    pool = fields.String(allow_none=True)


class DiffChangeOut(Schema):
    field = fields.String(
        metadata={
            "description": "name, type, documentation, lane, flow, condition, default, attributes"
        }
    )
    old = fields.Raw(allow_none=True)
    new = fields.Raw(allow_none=True)


class DiffChangedOut(Schema):
    id = fields.String()
    type = fields.String()
    name = fields.String(allow_none=True)
    changes = fields.List(fields.Nested(DiffChangeOut))


class DiffLayoutOut(Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "moved, resized, rerouted oder label"})


class DiffSummaryOut(Schema):
    added = fields.Integer()
    removed = fields.Integer()
    changed = fields.Integer()
    layout = fields.Integer()
    identical = fields.Boolean()


class DiffOut(Schema):
    added = fields.List(fields.Nested(DiffElementOut))
    removed = fields.List(fields.Nested(DiffElementOut))
    changed = fields.List(fields.Nested(DiffChangedOut))
    layout = fields.List(
        fields.Nested(DiffLayoutOut),
        metadata={"description": "nur Layout geändert, nicht die Bedeutung"},
    )
    summary = fields.Nested(DiffSummaryOut)
