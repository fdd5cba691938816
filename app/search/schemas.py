"""API shapes of the search."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import Text
from app.search.services import MAX_PAGE_SIZE, MAX_QUERY_LENGTH

FILTER_LENGTH = validate.Length(min=1, max=200)


class SearchQuery(Schema):
    q = Text(
        required=True,
        validate=validate.Length(min=1, max=MAX_QUERY_LENGTH),
        metadata={
            "description": "Was gesucht wird: Wörter (auch umgangssprachlich, mit Tippfehlern), "
            "ein LeiKa-Schlüssel oder sein Anfang (ab 5 Ziffern), eine OZG-Leistungsnummer"
        },
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1000))
    per_page = fields.Integer(load_default=10, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))
    typing = fields.Boolean(
        load_default=False,
        metadata={"description": "Eingabe läuft noch: das letzte Wort darf unvollständig sein"},
    )
    facets = fields.Boolean(load_default=True, metadata={"description": "Facetten mitliefern"})
    kind = Text(
        validate=validate.OneOf(["musterprozess", "leistung", "behoerde", "modell"]),
        metadata={"description": "Art: musterprozess, leistung, behoerde, modell"},
    )
    type = Text(validate=validate.OneOf(["process", "model"]))
    authority = fields.UUID(metadata={"description": "Behörde (ID)"})
    state = Text(validate=validate.Length(equal=2), metadata={"description": "Land, z. B. NW"})
    themenfeld = Text(validate=FILTER_LENGTH)
    lebenslage = Text(validate=FILTER_LENGTH)
    status = Text(validate=validate.OneOf(["published", "draft"]))
    has_model = Text(validate=validate.OneOf(["ja", "nein"]), metadata={"description": "ja/nein"})


class AuthorityOfHit(Schema):
    id = fields.UUID()
    name = fields.String()
    slug = fields.String()
    state = fields.String(allow_none=True)


class OzgOfHit(Schema):
    id = fields.String()
    name = fields.String(allow_none=True)


class LegalBasisOut(Schema):
    text = fields.String()
    url = fields.String(allow_none=True)


class HitOut(Schema):
    id = fields.String(metadata={"description": "Dokument im Index"})
    type = fields.String(metadata={"description": "process (Steckbrief) oder model"})
    kind = fields.String()
    kind_label = fields.String()
    score = fields.Float()
    process_id = fields.UUID()
    model_id = fields.UUID(allow_none=True)
    title = fields.String()
    title_html = fields.String(metadata={"description": "Titel, Treffer in <mark> (HTML-sicher)"})
    snippet_html = fields.String(metadata={"description": "Textausschnitt mit <mark>"})
    authority = fields.Nested(AuthorityOfHit)
    leika_keys = fields.List(fields.String())
    ozg = fields.Nested(OzgOfHit, allow_none=True)
    responsible_unit = fields.String(allow_none=True)
    required_documents = fields.List(fields.String())
    fees = fields.String(allow_none=True)
    legal_bases = fields.List(fields.Nested(LegalBasisOut))
    steps = fields.List(fields.String(), metadata={"description": "Schritte des Modells"})
    status = fields.String()
    has_model = fields.Boolean()
    own_authority = fields.Boolean()
    url = fields.String(metadata={"description": "Seite im Register"})


class FacetValueOut(Schema):
    value = fields.String()
    label = fields.String()
    count = fields.Integer()
    selected = fields.Boolean()


class FacetOut(Schema):
    name = fields.String()
    title = fields.String()
    values = fields.List(fields.Nested(FacetValueOut))


class SearchResultOut(Schema):
    q = fields.String()
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()
    relaxed = fields.Boolean(metadata={"description": "Nicht alle Wörter kommen vor"})
    did_you_mean = fields.String(allow_none=True, metadata={"description": "Meinten Sie …"})
    corrections = fields.Dict(keys=fields.String(), values=fields.String())
    hits = fields.List(fields.Nested(HitOut))
    facets = fields.List(fields.Nested(FacetOut))
