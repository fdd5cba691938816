"""forks, change proposals, comments and notifications

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22

A model may now point at its upstream model and revision (a fork); change proposals offer a fork's
revision back upstream; comments hang on revisions (optionally at a BPMN element); notifications fill
each person's inbox, with one delivery preference per person and kind. Existing models are no forks.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_preferences",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "submission_waiting",
                "decision_made",
                "comment",
                "upstream_published",
                "proposal_received",
                name="notification_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "delivery",
            sa.Enum(
                "inbox_and_email",
                "inbox",
                "off",
                name="notification_delivery",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_notification_preferences_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("account_id", "kind", name=op.f("pk_notification_preferences")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "submission_waiting",
                "decision_made",
                "comment",
                "upstream_published",
                "proposal_received",
                name="notification_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "email_status",
            sa.Enum(
                "not_wanted",
                "pending",
                "sent",
                "failed",
                name="email_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("email_attempts", sa.Integer(), nullable=False),
        sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("email_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_notifications_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notifications_account_id"), ["account_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notifications_email_status"), ["email_status"], unique=False
        )

    op.create_table(
        "change_proposals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source_revision_id", sa.Uuid(), nullable=False),
        sa.Column("target_model_id", sa.Uuid(), nullable=False),
        sa.Column("base_revision_id", sa.Uuid(), nullable=True),
        sa.Column("proposer_account_id", sa.Uuid(), nullable=True),
        sa.Column("proposer_name", sa.String(length=200), nullable=False),
        sa.Column("proposer_authority_id", sa.Uuid(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "accepted",
                "declined",
                "withdrawn",
                name="proposal_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_by_name", sa.String(length=200), nullable=True),
        sa.Column("decision_comment", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_revision_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["base_revision_id"],
            ["revisions.id"],
            name=op.f("fk_change_proposals_base_revision_id_revisions"),
        ),
        sa.ForeignKeyConstraint(
            ["created_revision_id"],
            ["revisions.id"],
            name=op.f("fk_change_proposals_created_revision_id_revisions"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["accounts.id"],
            name=op.f("fk_change_proposals_decided_by_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["proposer_account_id"],
            ["accounts.id"],
            name=op.f("fk_change_proposals_proposer_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["proposer_authority_id"],
            ["authorities.id"],
            name=op.f("fk_change_proposals_proposer_authority_id_authorities"),
        ),
        sa.ForeignKeyConstraint(
            ["source_revision_id"],
            ["revisions.id"],
            name=op.f("fk_change_proposals_source_revision_id_revisions"),
        ),
        sa.ForeignKeyConstraint(
            ["target_model_id"],
            ["process_models.id"],
            name=op.f("fk_change_proposals_target_model_id_process_models"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_proposals")),
    )
    with op.batch_alter_table("change_proposals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_change_proposals_source_revision_id"),
            ["source_revision_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_change_proposals_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_change_proposals_target_model_id"), ["target_model_id"], unique=False
        )

    op.create_table(
        "comments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("model_id", sa.Uuid(), nullable=False),
        sa.Column("revision_id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("element_id", sa.String(length=255), nullable=True),
        sa.Column("author_account_id", sa.Uuid(), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("author_authority_id", sa.Uuid(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_account_id"],
            ["accounts.id"],
            name=op.f("fk_comments_author_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["author_authority_id"],
            ["authorities.id"],
            name=op.f("fk_comments_author_authority_id_authorities"),
        ),
        sa.ForeignKeyConstraint(
            ["model_id"], ["process_models.id"], name=op.f("fk_comments_model_id_process_models")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["comments.id"], name=op.f("fk_comments_parent_id_comments")
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"], ["revisions.id"], name=op.f("fk_comments_revision_id_revisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comments_model_id"), ["model_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_comments_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_comments_revision_id"), ["revision_id", "created_at"], unique=False
        )

    _add_fork_columns()


FORK_COLUMNS = (
    ("upstream_model_id", "process_models", "fk_process_models_upstream_model_id_process_models"),
    ("upstream_revision_id", "revisions", "fk_process_models_upstream_revision_id_revisions"),
)


def _add_fork_columns() -> None:
    """SQLite adds a column with its foreign key in place; a batch copy of process_models would
    have to drop a table that revisions reference, which foreign keys forbid."""
    for column, table, constraint in FORK_COLUMNS:
        if op.get_bind().dialect.name == "sqlite":
            op.execute(
                f"ALTER TABLE process_models ADD COLUMN {column} CHAR(32) "
                f"CONSTRAINT {constraint} REFERENCES {table} (id)"
            )
        else:
            op.add_column("process_models", sa.Column(column, sa.Uuid(), nullable=True))
            op.create_foreign_key(constraint, "process_models", table, [column], ["id"])
    op.create_index(
        op.f("ix_process_models_upstream_model_id"), "process_models", ["upstream_model_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_process_models_upstream_model_id"), table_name="process_models")
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("process_models", schema=None) as batch_op:
        for column, _table, constraint in reversed(FORK_COLUMNS):
            if not sqlite:  # the batch copy on SQLite leaves the constraints behind by itself
                batch_op.drop_constraint(constraint, type_="foreignkey")
            batch_op.drop_column(column)

    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comments_revision_id"))
        batch_op.drop_index(batch_op.f("ix_comments_parent_id"))
        batch_op.drop_index(batch_op.f("ix_comments_model_id"))

    op.drop_table("comments")
    with op.batch_alter_table("change_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_proposals_target_model_id"))
        batch_op.drop_index(batch_op.f("ix_change_proposals_status"))
        batch_op.drop_index(batch_op.f("ix_change_proposals_source_revision_id"))

    op.drop_table("change_proposals")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_email_status"))
        batch_op.drop_index(batch_op.f("ix_notifications_account_id"))

    op.drop_table("notifications")
    op.drop_table("notification_preferences")
