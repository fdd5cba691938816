"""Key-figure pages (Kennzahlen) of an authority and of the whole register, with CSV downloads.

Public: they aggregate Steckbrief fields, which anyone may read, and counts of models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import Blueprint, Flask, render_template

from app.authz import public
from app.catalog import analytics
from app.config import current_settings
from app.csvexport import csv_response
from app.db import request_session
from app.errors import NotFound
from app.i18n import _, _l
from app.identity.services import get_authority

bp = Blueprint("analytics", __name__)

DIMENSION_LABELS = {
    "documentation": _l("Dokumentation"),
    "it_support": _l("IT-Unterstützung"),
    "cross_unit": _l("Organisationsübergreifend"),
    "evaluation": _l("Evaluation"),
}
POTENTIAL_LABELS = {"low": _l("gering"), "medium": _l("mittel"), "high": _l("hoch")}
PAGE_PRIORITIES = 20


@bp.route("/behoerden/<string:slug>/kennzahlen")
@public
def authority_page(slug: str):
    figures = _authority_analytics(slug)
    return render_template(
        "kennzahlen.html",
        authority=figures.authority,
        figures=figures,
        priorities=figures.priorities[:PAGE_PRIORITIES],
        ranked=len(figures.priorities),
        maturity=figures.maturity,
        hours=current_settings().annual_working_hours,
    )


@bp.route("/behoerden/<string:slug>/kennzahlen/<string:table>.csv")
@public
def authority_csv(slug: str, table: str):
    figures = _authority_analytics(slug)
    tables: dict[str, Callable[[], tuple[Sequence[str], Iterable[Sequence[Any]]]]] = {
        "personalbedarf": lambda: _staff_csv(figures.staff),
        "priorisierung": lambda: _priority_csv(figures.priorities),
        "reifegrad": lambda: _maturity_csv(figures.maturity),
    }
    return _download(tables, table, f"kennzahlen-{figures.authority.slug}-{table}.csv")


@bp.route("/kennzahlen")
@public
def register_page():
    figures = analytics.register_analytics(
        request_session(), current_settings().annual_working_hours
    )
    return render_template(
        "kennzahlen_register.html",
        figures=figures,
        priorities=figures.priorities[:PAGE_PRIORITIES],
        maturity=figures.maturity,
        hours=figures.annual_working_hours,
    )


@bp.route("/kennzahlen/<string:table>.csv")
@public
def register_csv(table: str):
    hours = current_settings().annual_working_hours
    tables: dict[str, Callable[[], tuple[Sequence[str], Iterable[Sequence[Any]]]]] = {
        "behoerden": lambda: _authorities_csv(_register(hours)),
        "priorisierung": lambda: _priority_csv(_register(hours, None).priorities),
        "reifegrad": lambda: _maturity_csv(_register(hours).maturity),
    }
    return _download(tables, table, f"kennzahlen-register-{table}.csv")


def _register(hours: int, limit: int | None = 0) -> analytics.RegisterAnalytics:
    """Register analytics; ``limit`` 0 skips the ranking, None ranks every process."""
    return analytics.register_analytics(request_session(), hours, limit)


def _authority_analytics(slug: str) -> analytics.AuthorityAnalytics:
    session = request_session()
    authority = get_authority(session, slug)
    return analytics.authority_analytics(
        session, authority, current_settings().annual_working_hours
    )


def _download(
    tables: dict[str, Callable[[], tuple[Sequence[str], Iterable[Sequence[Any]]]]],
    table: str,
    filename: str,
):
    build = tables.get(table)
    if build is None:
        raise NotFound(_("Diese Tabelle gibt es nicht."))
    header, rows = build()
    return csv_response(filename, header, rows)


# --- CSV tables ---------------------------------------------------------------------------------


def _texts(labels: dict[str, Any]) -> dict[str, str]:
    """``labels`` in the reader's language, taken now: CSV rows are made while the response is
    sent, after the request (and its language) is gone."""
    return {key: str(label) for key, label in labels.items()}


def _potential(process: analytics.ProcessFigures, labels: dict[str, str]) -> str:
    potential = process.digitisation_potential
    return labels[potential.value] if potential else ""


def _staff_csv(staff: analytics.StaffTable) -> tuple[Sequence[str], Iterable[Sequence[Any]]]:
    header = (
        _("Prozess"),
        _("Fälle pro Jahr"),
        _("Minuten je Fall"),
        _("Stunden pro Jahr"),
        _("VZÄ (bei %(hours)s Std./Jahr)", hours=staff.annual_working_hours),
        _("Digitalisierungspotenzial"),
    )
    potentials = _texts(POTENTIAL_LABELS)
    rows: list[Sequence[Any]] = [
        (
            row.process.title,
            row.process.cases_per_year,
            row.process.minutes_per_case,
            round(row.hours_per_year, 2),
            round(row.fte, 4),
            _potential(row.process, potentials),
        )
        for row in staff.rows
    ]
    rows.append(
        (
            _("Summe"),
            staff.total_cases,
            None,
            round(staff.total_hours, 2),
            round(staff.total_fte, 4),
        )
    )
    return header, rows


def _priority_csv(
    priorities: list[analytics.PriorityRow],
) -> tuple[Sequence[str], Iterable[Sequence[Any]]]:
    header = (
        _("Rang"),
        _("Prozess"),
        _("Behörde"),
        _("Digitalisierungspotenzial"),
        _("Gewicht"),
        _("Stunden pro Jahr"),
        _("Punktzahl"),
    )
    potentials = _texts(POTENTIAL_LABELS)
    rows = (
        (
            row.rank,
            row.process.title,
            row.process.authority_name,
            _potential(row.process, potentials),
            row.weight,
            round(row.hours_per_year, 2),
            round(row.score, 2),
        )
        for row in priorities
    )
    return header, rows


def _maturity_csv(
    levels: list[analytics.DimensionMaturity],
) -> tuple[Sequence[str], Iterable[Sequence[Any]]]:
    header = (
        _("Dimension"),
        _("Stufe"),
        _("Bewertete Prozesse"),
        *(_("Stufe %(stage)s", stage=stage) for stage in range(4)),
    )
    dimensions = _texts(DIMENSION_LABELS)
    rows = (
        (dimensions[level.dimension], level.stage, level.assessed, *level.counts)
        for level in levels
    )
    return header, rows


def _authorities_csv(
    register: analytics.RegisterAnalytics,
) -> tuple[Sequence[str], Iterable[Sequence[Any]]]:
    hours = register.annual_working_hours
    header = (
        _("Behörde"),
        _("Registereinträge"),
        _("mit Fallzahlen"),
        _("Fälle pro Jahr"),
        _("Stunden pro Jahr"),
        _("VZÄ (bei %(hours)s Std./Jahr)", hours=hours),
    )
    rows: list[Sequence[Any]] = [
        (s.name, s.processes, s.with_figures, s.cases, round(s.hours, 2), round(s.fte(hours), 4))
        for s in register.authorities
    ]
    with_figures = sum(s.with_figures for s in register.authorities)
    cases = sum(s.cases for s in register.authorities)
    total = (round(register.total_hours, 2), round(register.total_fte, 4))
    rows.append((_("Summe"), register.processes, with_figures, cases, *total))
    return header, rows


# --- template helpers ---------------------------------------------------------------------------


def german_decimal(value: float | int | None, places: int = 2) -> str:
    """``1875.5`` → ``1.875,50``; None → ``–``."""
    if value is None:
        return "–"
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{places}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.filters["de_decimal"] = german_decimal
    app.jinja_env.globals["dimension_labels"] = DIMENSION_LABELS
    app.jinja_env.globals["potential_labels"] = POTENTIAL_LABELS
