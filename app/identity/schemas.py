"""API shapes of authorities."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import PageQuerySchema, Text, page_schema
from app.identity.models import GERMAN_STATES, AuthorityKind


class AuthorityOut(Schema):
    id = fields.UUID()
    slug = fields.String()
    name = fields.String()
    kind = fields.Enum(AuthorityKind, by_value=True)
    ars = fields.String(allow_none=True, metadata={"description": "Amtlicher Regionalschlüssel"})
    state = fields.String(allow_none=True, metadata={"description": "Land (ISO 3166-2:DE)"})
    website = fields.String(allow_none=True)
    is_register = fields.Boolean(metadata={"description": "Redaktion dieses Registers"})


class AuthorityQuery(PageQuerySchema):
    q = Text(validate=validate.Length(max=200), metadata={"description": "Teil des Namens"})
    kind = fields.Enum(AuthorityKind, by_value=True)
    state = fields.String(validate=validate.OneOf(sorted(GERMAN_STATES)))


AuthorityPage = page_schema(AuthorityOut, "AuthorityPage")
