"""search queue, vocabulary, synonyms and state

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "search_queue",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("ref", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_queue")),
    )
    with op.batch_alter_table("search_queue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_search_queue_ref"), ["ref"], unique=False)

    op.create_table(
        "search_state",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_search_state")),
    )
    op.create_table(
        "search_synonyms",
        sa.Column("term", sa.String(length=80), nullable=False),
        sa.Column("replacements", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_search_synonyms")),
    )
    op.create_table(
        "search_vocabulary",
        sa.Column("word", sa.String(length=80), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("word", name=op.f("pk_search_vocabulary")),
    )


def downgrade() -> None:
    op.drop_table("search_vocabulary")
    op.drop_table("search_synonyms")
    op.drop_table("search_state")
    with op.batch_alter_table("search_queue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_queue_ref"))

    op.drop_table("search_queue")
