"""Schemas shared by all API features: problem details, pagination, trimmed text."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from app.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE


class Text(fields.String):
    """A string with surrounding whitespace removed before validation."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class ProblemSchema(Schema):
    """RFC 9457 problem details, the shape of every error response."""

    type = fields.String(metadata={"description": "URI des Problemtyps"})
    title = fields.String(metadata={"description": "Kurzbeschreibung (deutsch)"})
    status = fields.Integer(metadata={"description": "HTTP-Status"})
    detail = fields.String(metadata={"description": "Erklärung dieses Falls (deutsch)"})
    instance = fields.String(metadata={"description": "Pfad der Anfrage"})
    errors = fields.Dict(metadata={"description": "Fehler je Feld, bei 422"})


class PageQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(
        load_default=DEFAULT_PAGE_SIZE, validate=validate.Range(min=1, max=MAX_PAGE_SIZE)
    )


class PageSchema(Schema):
    total = fields.Integer(metadata={"description": "Anzahl aller Treffer"})
    page = fields.Integer()
    page_size = fields.Integer()
    pages = fields.Integer()


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    """An envelope ``{items, total, page, page_size, pages}`` around ``item_schema``."""
    return type(name, (PageSchema,), {"items": fields.List(fields.Nested(item_schema))})


class AuthorityRefSchema(Schema):
    id = fields.UUID()
    slug = fields.String()
    name = fields.String()
