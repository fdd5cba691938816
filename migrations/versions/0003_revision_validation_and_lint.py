"""revision validation and lint

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # Existing revisions start as "not yet checked" (invalid, no findings);
    # `musterregister revisions analyse` checks them with the current validator and rules.
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("main_document", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("is_valid", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("validation", JSON_DOCUMENT, nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column("lint", JSON_DOCUMENT, nullable=False, server_default=sa.text("'[]'"))
        )
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        for column in ("is_valid", "validation", "lint"):
            batch_op.alter_column(column, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.drop_column("lint")
        batch_op.drop_column("validation")
        batch_op.drop_column("is_valid")
        batch_op.drop_column("main_document")
