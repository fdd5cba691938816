"""review workflow: submission rounds, approvals, optimistic version, reviewers' decisions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22

Existing revisions start in round 0 with no approvals and version 1; their statuses stay as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULTED = ("review_round", "approvals", "version")


def upgrade() -> None:
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("review_round", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("approvals", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("submitted_by_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("submitted_by_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.create_foreign_key(
            "fk_revisions_submitted_by_id_accounts", "accounts", ["submitted_by_id"], ["id"]
        )
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        for column in DEFAULTED:
            batch_op.alter_column(column, server_default=None)
    op.create_table(
        "review_decisions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("revision_id", sa.Uuid(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("reviewer_account_id", sa.Uuid(), nullable=False),
        sa.Column("reviewer_name", sa.String(length=200), nullable=False),
        sa.Column("reviewer_authority_id", sa.Uuid(), nullable=False),
        sa.Column(
            "decision",
            sa.Enum(
                "approve",
                "request_changes",
                "reject",
                name="review_decision",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["reviewer_account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["reviewer_authority_id"], ["authorities.id"]),
        sa.ForeignKeyConstraint(["revision_id"], ["revisions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("revision_id", "round", "reviewer_account_id"),
    )
    op.create_index(
        op.f("ix_review_decisions_revision_id"), "review_decisions", ["revision_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_review_decisions_revision_id"), table_name="review_decisions")
    op.drop_table("review_decisions")
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.drop_constraint("fk_revisions_submitted_by_id_accounts", type_="foreignkey")
        for column in ("version", "submitted_by_name", "submitted_by_id", "submitted_at"):
            batch_op.drop_column(column)
        batch_op.drop_column("approvals")
        batch_op.drop_column("review_round")
