"""API shapes of processes (Steckbriefe) and their versions."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates

from app.api.schemas import AuthorityRefSchema, PageQuerySchema, Text, page_schema
from app.catalog.listing import SORTS
from app.catalog.models import DigitisationPotential, ProcessKind
from app.fim.leika import is_leika_key
from app.i18n import _

STAGE = validate.Range(min=0, max=3)
SHORT = validate.Length(min=1, max=300)


def _optional_text(max_length: int, description: str) -> Text:
    return Text(
        allow_none=True,
        validate=validate.Length(max=max_length),
        metadata={"description": description},
    )


def _text_list(max_items: int, description: str) -> fields.List:
    return fields.List(
        Text(validate=SHORT),
        validate=validate.Length(max=max_items),
        metadata={"description": description},
    )


class LegalBasisSchema(Schema):
    text = Text(required=True, validate=validate.Length(min=1, max=500))
    url = fields.Url(allow_none=True, schemes={"http", "https"}, validate=validate.Length(max=500))


class MaturitySchema(Schema):
    """Reifegrad in vier Dimensionen, je Stufe 0 bis 3."""

    documentation = fields.Integer(
        allow_none=True, validate=STAGE, metadata={"description": "Dokumentation"}
    )
    it_support = fields.Integer(
        allow_none=True, validate=STAGE, metadata={"description": "IT-Unterstützung"}
    )
    cross_unit = fields.Integer(
        allow_none=True, validate=STAGE, metadata={"description": "Organisationsübergreifend"}
    )
    evaluation = fields.Integer(
        allow_none=True, validate=STAGE, metadata={"description": "Evaluation"}
    )


class SteckbriefSchema(Schema):
    title = Text(required=True, validate=SHORT, metadata={"description": "Bezeichnung"})
    description = _optional_text(20_000, "Beschreibung")
    leika_keys = fields.List(
        fields.String(),
        validate=validate.Length(max=20),
        metadata={"description": "LeiKa-Schlüssel (14 Ziffern)"},
    )
    ozg_id = fields.String(
        allow_none=True,
        validate=validate.Regexp(r"^\d{1,10}$"),
        metadata={"description": "OZG-Leistung"},
    )
    legal_bases = fields.List(fields.Nested(LegalBasisSchema), validate=validate.Length(max=50))
    responsible_unit = _optional_text(300, "Zuständige Stelle")
    trigger = _optional_text(5_000, "Auslöser")
    result = _optional_text(5_000, "Ergebnis")
    required_documents = _text_list(100, "Mitzubringende Unterlagen")
    fees = _optional_text(2_000, "Gebühren")
    cases_per_year = fields.Integer(
        allow_none=True, validate=validate.Range(min=0, max=100_000_000)
    )
    minutes_per_case = fields.Float(allow_none=True, validate=validate.Range(min=0, max=100_000))
    cycle_time_days = fields.Float(allow_none=True, validate=validate.Range(min=0, max=3_650))
    digitisation_potential = fields.Enum(DigitisationPotential, by_value=True, allow_none=True)
    maturity = fields.Nested(MaturitySchema)
    keywords = _text_list(100, "Schlagwörter")
    synonyms = _text_list(100, "Synonyme, wie Anrufende es sagen")

    @validates("leika_keys")
    def _validate_leika_keys(self, keys: list[str], **_kwargs: Any) -> None:
        invalid = [key for key in keys if not is_leika_key(key)]
        if invalid:
            raise ValidationError(
                _("Kein LeiKa-Schlüssel (14 Ziffern): %(keys)s", keys=", ".join(invalid))
            )
        if len(set(keys)) != len(keys):
            raise ValidationError(_("Ein LeiKa-Schlüssel steht doppelt in der Liste."))


class ProcessIn(SteckbriefSchema):
    message = Text(
        load_only=True,
        validate=validate.Length(max=500),
        metadata={
            "description": "Änderungsnotiz für die Versionsgeschichte (nicht Teil des Steckbriefs)"
        },
    )


class ProcessPatchIn(ProcessIn):
    """Only the fields to change; load with ``partial=True``."""


class OzgServiceOut(Schema):
    ozg_id = fields.String()
    name = fields.String()
    lebenslage = fields.String()
    themenfeld = fields.String()


class ProcessSummaryOut(Schema):
    id = fields.UUID()
    kind = fields.Enum(ProcessKind, by_value=True)
    title = fields.String()
    leika_keys = fields.List(fields.String())
    ozg_id = fields.String(allow_none=True)
    responsible_unit = fields.String(allow_none=True)
    authority = fields.Nested(AuthorityRefSchema)
    version = fields.Integer()
    updated_at = fields.AwareDateTime()


class ProcessOut(SteckbriefSchema):
    id = fields.UUID()
    kind = fields.Enum(ProcessKind, by_value=True)
    authority = fields.Nested(AuthorityRefSchema)
    ozg_service = fields.Nested(OzgServiceOut, allow_none=True)
    version = fields.Integer(metadata={"description": "Fassung; als ETag für If-Match"})
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class ProcessQuery(PageQuerySchema):
    q = Text(
        validate=validate.Length(max=200),
        metadata={"description": "Wörter in Titel, Beschreibung, Schlagwörtern"},
    )
    leika = fields.String(
        validate=validate.Regexp(r"^\d{1,14}$"),
        metadata={
            "description": "LeiKa-Schlüssel oder Anfang davon; ein Schlüssel auf 000 deckt seine Verrichtungen ab"
        },
    )
    ozg = fields.String(
        validate=validate.Regexp(r"^\d{1,10}$"), metadata={"description": "OZG-Leistung"}
    )
    authority = fields.String(
        validate=validate.Length(max=80), metadata={"description": "Behörde (Kürzel oder ID)"}
    )
    kind = fields.Enum(ProcessKind, by_value=True)
    themenfeld = Text(validate=validate.Length(max=200))
    lebenslage = Text(validate=validate.Length(max=200))
    sort = fields.String(load_default="title", validate=validate.OneOf(sorted(SORTS)))


ProcessPage = page_schema(ProcessSummaryOut, "ProcessPage")


class ProcessVersionSummaryOut(Schema):
    version = fields.Integer()
    author_name = fields.String()
    message = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()


class ProcessVersionOut(ProcessVersionSummaryOut):
    data = fields.Dict(metadata={"description": "Der Steckbrief in dieser Fassung"})


class ProcessVersionListOut(Schema):
    items = fields.List(fields.Nested(ProcessVersionSummaryOut))
