"""The register statistics page (Statistik) with its monthly table as CSV."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

from app.authz import public
from app.catalog import statistics
from app.csvexport import csv_response
from app.db import request_session, utcnow
from app.i18n import _, _l

bp = Blueprint("statistics", __name__)

SERIES_LABELS = {
    "authorities": _l("Behörden"),
    "processes": _l("Prozesse"),
    "models": _l("Modelle"),
    "publications": _l("Veröffentlichungen"),
}
# CSV columns, whole phrases: a language may put "new" and "total" elsewhere than German does
NEW_LABELS = {
    "authorities": _l("neue Behörden"),
    "processes": _l("neue Prozesse"),
    "models": _l("neue Modelle"),
    "publications": _l("neue Veröffentlichungen"),
}
TOTAL_LABELS = {
    "authorities": _l("Behörden insgesamt"),
    "processes": _l("Prozesse insgesamt"),
    "models": _l("Modelle insgesamt"),
    "publications": _l("Veröffentlichungen insgesamt"),
}


@bp.route("/statistik")
@public
def statistics_page():
    figures = statistics.register_statistics(request_session(), utcnow().date())
    return render_template(
        "statistik.html", figures=figures, series=statistics.SERIES, labels=SERIES_LABELS
    )


@bp.route("/statistik/monate.csv")
@public
def months_csv():
    figures = statistics.register_statistics(request_session(), utcnow().date())
    header = (
        _("Monat"),
        *(str(NEW_LABELS[s]) for s in statistics.SERIES),
        *(str(TOTAL_LABELS[s]) for s in statistics.SERIES),
    )
    rows = (
        (
            row.month,
            *(row.new[s] for s in statistics.SERIES),
            *(row.totals[s] for s in statistics.SERIES),
        )
        for row in figures.months
    )
    return csv_response("statistik-register-monate.csv", header, rows)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
