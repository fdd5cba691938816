"""Output shapes of the analytics API (numbers rounded: hours to 2, FTE to 4 decimal places)."""

from __future__ import annotations

from marshmallow import Schema, fields

from app.api.schemas import AuthorityRefSchema


class StaffRowOut(Schema):
    process_id = fields.UUID()
    title = fields.String()
    cases_per_year = fields.Integer()
    minutes_per_case = fields.Float()
    hours_per_year = fields.Float(metadata={"description": "Fälle × Minuten ÷ 60"})
    fte = fields.Float(metadata={"description": "Stunden pro Jahr ÷ Jahresarbeitszeit (VZÄ)"})
    digitisation_potential = fields.String(allow_none=True)


class StaffTableOut(Schema):
    rows = fields.List(fields.Nested(StaffRowOut))
    without_figures = fields.Integer(metadata={"description": "Einträge ohne Fallzahlen"})
    total_cases = fields.Integer()
    total_hours = fields.Float()
    total_fte = fields.Float()


class PriorityRowOut(Schema):
    rank = fields.Integer()
    process_id = fields.UUID()
    title = fields.String()
    authority = fields.Nested(AuthorityRefSchema)
    digitisation_potential = fields.String()
    weight = fields.Integer(metadata={"description": "hoch 3, mittel 2, gering 1"})
    hours_per_year = fields.Float()
    score = fields.Float(metadata={"description": "Gewicht × Stunden pro Jahr"})


class MaturityOut(Schema):
    dimension = fields.String()
    stage = fields.Integer(allow_none=True, metadata={"description": "unterer Median, 0–3"})
    assessed = fields.Integer(metadata={"description": "bewertete Prozesse"})
    counts = fields.List(fields.Integer(), metadata={"description": "Prozesse je Stufe 0–3"})


class AuthorityAnalyticsOut(Schema):
    authority = fields.Nested(AuthorityRefSchema)
    annual_working_hours = fields.Integer()
    processes = fields.Integer()
    staff = fields.Nested(StaffTableOut)
    priorities = fields.List(fields.Nested(PriorityRowOut))
    maturity = fields.List(fields.Nested(MaturityOut))


class AuthoritySummaryOut(Schema):
    authority = fields.Nested(AuthorityRefSchema)
    processes = fields.Integer()
    with_figures = fields.Integer()
    cases_per_year = fields.Integer()
    hours_per_year = fields.Float()
    fte = fields.Float()


class RegisterAnalyticsOut(Schema):
    annual_working_hours = fields.Integer()
    processes = fields.Integer()
    total_hours = fields.Float()
    total_fte = fields.Float()
    authorities = fields.List(fields.Nested(AuthoritySummaryOut))
    priorities = fields.List(
        fields.Nested(PriorityRowOut), metadata={"description": "die 50 mit der höchsten Punktzahl"}
    )
    maturity = fields.List(fields.Nested(MaturityOut))
