"""PostgreSQL full-text search: extensions, text search configuration, document table

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

Only PostgreSQL gets these objects; on SQLite the migration does nothing (the embedded Whoosh
backend keeps its index in the instance folder). ``search_documents`` has no SQLAlchemy model, so
that SQLite databases do not get it either; ``migrations/env.py`` keeps autogenerate away from it.

The downgrade leaves the extensions ``unaccent`` and ``pg_trgm`` installed: a database
administrator may have created them before (an owner without superuser rights can do so only for
trusted extensions), and other schemas may use them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FACET_COLUMNS = (
    "type", "kind", "authority", "state", "themenfeld", "lebenslage", "status", "has_model",
)  # fmt: skip
# The german configuration with unaccent before the stemmer, and a stemmer without PostgreSQL's
# German stop word list: the register's analyzer removes its own stop words before the text
# reaches PostgreSQL, and a second list would drop words such as "kein" from queries alone.
TEXT_SEARCH_SETUP = (
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE TEXT SEARCH DICTIONARY musterregister_german_stem "
    "(TEMPLATE = snowball, Language = german)",
    "CREATE TEXT SEARCH CONFIGURATION musterregister_german (COPY = german)",
    "ALTER TEXT SEARCH CONFIGURATION musterregister_german ALTER MAPPING FOR "
    "asciiword, asciihword, hword_asciipart, word, hword, hword_part "
    "WITH unaccent, musterregister_german_stem",
)
TEXT_SEARCH_TEARDOWN = (
    "DROP TEXT SEARCH CONFIGURATION musterregister_german",
    "DROP TEXT SEARCH DICTIONARY musterregister_german_stem",
)


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _is_postgresql():
        return
    for statement in TEXT_SEARCH_SETUP:
        op.execute(statement)
    op.create_table(
        "search_documents",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("ref", sa.Text(), nullable=False),
        *(sa.Column(name, sa.Text(), nullable=False) for name in FACET_COLUMNS),
        sa.Column("visibility", sa.Text(), nullable=False),
        sa.Column("boost", sa.REAL(), nullable=False),
        sa.Column("leika_keys", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("leika_prefixes", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("ozg_id", sa.Text(), nullable=True),
        sa.Column("digest", sa.Text(), nullable=False),
        sa.Column("vector", postgresql.TSVECTOR(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_documents")),
    )
    op.create_index(op.f("ix_search_documents_ref"), "search_documents", ["ref"])
    op.create_index(op.f("ix_search_documents_ozg_id"), "search_documents", ["ozg_id"])
    op.create_index(
        op.f("ix_search_documents_vector"),
        "search_documents",
        ["vector"],
        postgresql_using="gin",
    )
    op.create_index(
        op.f("ix_search_documents_leika_prefixes"),
        "search_documents",
        ["leika_prefixes"],
        postgresql_using="gin",
    )
    op.create_index(
        op.f("ix_search_vocabulary_word_trgm"),
        "search_vocabulary",
        ["word"],
        postgresql_using="gin",
        postgresql_ops={"word": "gin_trgm_ops"},
    )


def downgrade() -> None:
    if not _is_postgresql():
        return
    op.drop_index(op.f("ix_search_vocabulary_word_trgm"), table_name="search_vocabulary")
    op.drop_table("search_documents")  # its indexes go with it
    for statement in TEXT_SEARCH_TEARDOWN:
        op.execute(statement)
