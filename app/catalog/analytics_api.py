"""REST routes of the register analytics (public: they aggregate public Steckbrief fields)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from app.authz import public
from app.catalog import analytics
from app.catalog.analytics_schemas import AuthorityAnalyticsOut, RegisterAnalyticsOut
from app.config import current_settings
from app.db import request_session
from app.identity.services import get_authority

blp = Blueprint("analytics_api", __name__, url_prefix="/api/v1", description="Kennzahlen")


@blp.route("/authorities/<string:slug>/analytics", methods=["GET"])
@public
@blp.response(200, AuthorityAnalyticsOut)
def authority_analytics(slug: str):
    """Kennzahlen einer Behörde: Personalbedarf, Priorisierung, Reifegrad"""
    session = request_session()
    figures = analytics.authority_analytics(
        session, get_authority(session, slug), current_settings().annual_working_hours
    )
    return {
        "authority": figures.authority,
        "annual_working_hours": figures.staff.annual_working_hours,
        "processes": figures.processes,
        "staff": _staff(figures.staff),
        "priorities": [_priority(row) for row in figures.priorities],
        "maturity": [_maturity(level) for level in figures.maturity],
    }


@blp.route("/analytics", methods=["GET"])
@public
@blp.response(200, RegisterAnalyticsOut)
def register_analytics():
    """Kennzahlen des ganzen Registers: je Behörde, die ersten 50 der Rangfolge, Reifegrad"""
    figures = analytics.register_analytics(
        request_session(), current_settings().annual_working_hours
    )
    hours = figures.annual_working_hours
    return {
        "annual_working_hours": hours,
        "processes": figures.processes,
        "total_hours": round(figures.total_hours, 2),
        "total_fte": round(figures.total_fte, 4),
        "authorities": [_summary(summary, hours) for summary in figures.authorities],
        "priorities": [_priority(row) for row in figures.priorities],
        "maturity": [_maturity(level) for level in figures.maturity],
    }


def _potential(process: analytics.ProcessFigures) -> str | None:
    potential = process.digitisation_potential
    return potential.value if potential else None


def _staff(staff: analytics.StaffTable) -> dict[str, Any]:
    rows = [
        {
            "process_id": row.process.id,
            "title": row.process.title,
            "cases_per_year": row.process.cases_per_year,
            "minutes_per_case": row.process.minutes_per_case,
            "hours_per_year": round(row.hours_per_year, 2),
            "fte": round(row.fte, 4),
            "digitisation_potential": _potential(row.process),
        }
        for row in staff.rows
    ]
    return {
        "rows": rows,
        "without_figures": staff.without_figures,
        "total_cases": staff.total_cases,
        "total_hours": round(staff.total_hours, 2),
        "total_fte": round(staff.total_fte, 4),
    }


def _priority(row: analytics.PriorityRow) -> dict[str, Any]:
    process = row.process
    return {
        "rank": row.rank,
        "process_id": process.id,
        "title": process.title,
        "authority": _authority_ref(
            process.authority_id, process.authority_slug, process.authority_name
        ),
        "digitisation_potential": _potential(process),
        "weight": row.weight,
        "hours_per_year": round(row.hours_per_year, 2),
        "score": round(row.score, 2),
    }


def _maturity(level: analytics.DimensionMaturity) -> dict[str, Any]:
    return {
        "dimension": level.dimension,
        "stage": level.stage,
        "assessed": level.assessed,
        "counts": list(level.counts),
    }


def _summary(summary: analytics.AuthoritySummary, hours: int) -> dict[str, Any]:
    return {
        "authority": _authority_ref(summary.authority_id, summary.slug, summary.name),
        "processes": summary.processes,
        "with_figures": summary.with_figures,
        "cases_per_year": summary.cases,
        "hours_per_year": round(summary.hours, 2),
        "fte": round(summary.fte(hours), 4),
    }


def _authority_ref(authority_id: Any, slug: str, name: str) -> dict[str, Any]:
    return {"id": authority_id, "slug": slug, "name": name}
