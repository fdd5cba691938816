"""The names of a Steckbrief's fields, in one place for the models, the services and the importers.

Pure Python (no SQLAlchemy), so that the register-import reader can use it without the database.
"""

from __future__ import annotations

SCALAR_FIELDS = (
    "title",
    "description",
    "ozg_id",
    "legal_bases",
    "responsible_unit",
    "trigger",
    "result",
    "required_documents",
    "fees",
    "cases_per_year",
    "minutes_per_case",
    "cycle_time_days",
    "digitisation_potential",
    "keywords",
    "synonyms",
)
STECKBRIEF_FIELDS = (*SCALAR_FIELDS, "leika_keys", "maturity")
MATURITY_DIMENSIONS = ("documentation", "it_support", "cross_unit", "evaluation")
