"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
# SQLite auto-increments only an INTEGER PRIMARY KEY
BIG_AUTOINCREMENT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    generation = op.create_table(
        "register_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_generation")),
    )
    op.bulk_insert(generation, [{"id": 1, "value": 0}])
    op.create_table(
        "authorities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "gemeinde",
                "kreis",
                "land",
                "bund",
                "sonstige",
                name="authority_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("ars", sa.String(length=12), nullable=True),
        sa.Column("state", sa.String(length=2), nullable=True),
        sa.Column("website", sa.String(length=300), nullable=True),
        sa.Column("is_register", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(ars) = 12", name=op.f("ck_authorities_ars_length")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorities")),
        sa.UniqueConstraint("ars", name=op.f("uq_authorities_ars")),
        sa.UniqueConstraint("slug", name=op.f("uq_authorities_slug")),
    )
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(sha256) = 64", name=op.f("ck_blobs_sha256_length")),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_blobs")),
    )
    op.create_table(
        "ozg_services",
        sa.Column("ozg_id", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("lebenslage", sa.String(length=200), nullable=False),
        sa.Column("themenfeld", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("ozg_id", name=op.f("pk_ozg_services")),
    )
    op.create_index(
        op.f("ix_ozg_services_lebenslage"), "ozg_services", ["lebenslage"], unique=False
    )
    op.create_index(
        op.f("ix_ozg_services_themenfeld"), "ozg_services", ["themenfeld"], unique=False
    )

    op.create_table(
        "accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("authority_id", sa.Uuid(), nullable=False),
        sa.Column("issuer", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("roles", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["authority_id"], ["authorities.id"], name=op.f("fk_accounts_authority_id_authorities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("issuer", "subject", name=op.f("uq_accounts_issuer_subject")),
    )
    op.create_index(op.f("ix_accounts_authority_id"), "accounts", ["authority_id"], unique=False)

    op.create_table(
        "processes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("authority_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "catalogue",
                "authority",
                name="process_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("external_ref", sa.String(length=100), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("sort_title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("ozg_id", sa.String(length=10), nullable=True),
        sa.Column("legal_bases", JSON_DOCUMENT, nullable=False),
        sa.Column("responsible_unit", sa.String(length=300), nullable=True),
        sa.Column("trigger", sa.Text(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("required_documents", JSON_DOCUMENT, nullable=False),
        sa.Column("fees", sa.Text(), nullable=True),
        sa.Column("cases_per_year", sa.Integer(), nullable=True),
        sa.Column("minutes_per_case", sa.Double(), nullable=True),
        sa.Column("cycle_time_days", sa.Double(), nullable=True),
        sa.Column(
            "digitisation_potential",
            sa.Enum(
                "low",
                "medium",
                "high",
                name="digitisation_potential",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("maturity_documentation", sa.SmallInteger(), nullable=True),
        sa.Column("maturity_it_support", sa.SmallInteger(), nullable=True),
        sa.Column("maturity_cross_unit", sa.SmallInteger(), nullable=True),
        sa.Column("maturity_evaluation", sa.SmallInteger(), nullable=True),
        sa.Column("keywords", JSON_DOCUMENT, nullable=False),
        sa.Column("synonyms", JSON_DOCUMENT, nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "maturity_cross_unit BETWEEN 0 AND 3",
            name=op.f("ck_processes_maturity_cross_unit_stage"),
        ),
        sa.CheckConstraint(
            "maturity_documentation BETWEEN 0 AND 3",
            name=op.f("ck_processes_maturity_documentation_stage"),
        ),
        sa.CheckConstraint(
            "maturity_evaluation BETWEEN 0 AND 3",
            name=op.f("ck_processes_maturity_evaluation_stage"),
        ),
        sa.CheckConstraint(
            "maturity_it_support BETWEEN 0 AND 3",
            name=op.f("ck_processes_maturity_it_support_stage"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_processes_version_positive")),
        sa.ForeignKeyConstraint(
            ["authority_id"], ["authorities.id"], name=op.f("fk_processes_authority_id_authorities")
        ),
        sa.ForeignKeyConstraint(
            ["ozg_id"], ["ozg_services.ozg_id"], name=op.f("fk_processes_ozg_id_ozg_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processes")),
        sa.UniqueConstraint(
            "authority_id", "external_ref", name=op.f("uq_processes_authority_id_external_ref")
        ),
    )
    op.create_index(op.f("ix_processes_authority_id"), "processes", ["authority_id"], unique=False)
    op.create_index(op.f("ix_processes_kind"), "processes", ["kind"], unique=False)
    op.create_index(op.f("ix_processes_ozg_id"), "processes", ["ozg_id"], unique=False)
    op.create_index(
        op.f("ix_processes_sort_title"), "processes", ["sort_title", "id"], unique=False
    )
    op.create_index(
        op.f("ix_processes_updated_at"), "processes", ["updated_at", "id"], unique=False
    )

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("authority_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("token_prefix", sa.String(length=16), nullable=False),
        sa.Column("scopes", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_api_tokens_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["authorities.id"],
            name=op.f("fk_api_tokens_authority_id_authorities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_account_id"), "api_tokens", ["account_id"], unique=False)

    op.create_table(
        "audit_events",
        sa.Column("id", BIG_AUTOINCREMENT, autoincrement=True, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_account_id", sa.Uuid(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("authority_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("before", JSON_DOCUMENT, nullable=True),
        sa.Column("after", JSON_DOCUMENT, nullable=True),
        sa.Column("details", JSON_DOCUMENT, nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_account_id"],
            ["accounts.id"],
            name=op.f("fk_audit_events_actor_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["authorities.id"],
            name=op.f("fk_audit_events_authority_id_authorities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_action"), "audit_events", ["action"], unique=False)
    op.create_index(
        op.f("ix_audit_events_authority_id"),
        "audit_events",
        ["authority_id", "occurred_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_audit_events_object_type"),
        "audit_events",
        ["object_type", "object_id"],
        unique=False,
    )

    op.create_table(
        "process_leika_keys",
        sa.Column("process_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=14), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["processes.id"],
            name=op.f("fk_process_leika_keys_process_id_processes"),
        ),
        sa.PrimaryKeyConstraint("process_id", "key", name=op.f("pk_process_leika_keys")),
    )
    op.create_index(op.f("ix_process_leika_keys_key"), "process_leika_keys", ["key"], unique=False)

    op.create_table(
        "process_models",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("process_id", sa.Uuid(), nullable=False),
        sa.Column("authority_id", sa.Uuid(), nullable=False),
        sa.Column("external_ref", sa.String(length=100), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("revision_count", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "revision_count >= 0", name=op.f("ck_process_models_revision_count_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["authorities.id"],
            name=op.f("fk_process_models_authority_id_authorities"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["accounts.id"],
            name=op.f("fk_process_models_created_by_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["process_id"], ["processes.id"], name=op.f("fk_process_models_process_id_processes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_models")),
        sa.UniqueConstraint(
            "authority_id", "external_ref", name=op.f("uq_process_models_authority_id_external_ref")
        ),
    )
    op.create_index(
        op.f("ix_process_models_authority_id"), "process_models", ["authority_id"], unique=False
    )
    op.create_index(
        op.f("ix_process_models_process_id"), "process_models", ["process_id"], unique=False
    )

    op.create_table(
        "process_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("process_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", JSON_DOCUMENT, nullable=False),
        sa.Column("author_account_id", sa.Uuid(), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_account_id"],
            ["accounts.id"],
            name=op.f("fk_process_versions_author_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["process_id"], ["processes.id"], name=op.f("fk_process_versions_process_id_processes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_versions")),
        sa.UniqueConstraint(
            "process_id", "version", name=op.f("uq_process_versions_process_id_version")
        ),
    )
    op.create_index(
        op.f("ix_process_versions_process_id"), "process_versions", ["process_id"], unique=False
    )

    op.create_table(
        "revisions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("model_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("blob_sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("author_account_id", sa.Uuid(), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "published",
                "changes_requested",
                "rejected",
                "withdrawn",
                "superseded",
                name="revision_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("extraction", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("number >= 1", name=op.f("ck_revisions_number_positive")),
        sa.ForeignKeyConstraint(
            ["author_account_id"],
            ["accounts.id"],
            name=op.f("fk_revisions_author_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["blob_sha256"], ["blobs.sha256"], name=op.f("fk_revisions_blob_sha256_blobs")
        ),
        sa.ForeignKeyConstraint(
            ["model_id"], ["process_models.id"], name=op.f("fk_revisions_model_id_process_models")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["revisions.id"], name=op.f("fk_revisions_parent_id_revisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revisions")),
        sa.UniqueConstraint("model_id", "number", name=op.f("uq_revisions_model_id_number")),
    )
    op.create_index(op.f("ix_revisions_blob_sha256"), "revisions", ["blob_sha256"], unique=False)
    op.create_index(op.f("ix_revisions_model_id"), "revisions", ["model_id"], unique=False)
    op.create_index(op.f("ix_revisions_status"), "revisions", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_revisions_status"), table_name="revisions")
    op.drop_index(op.f("ix_revisions_model_id"), table_name="revisions")
    op.drop_index(op.f("ix_revisions_blob_sha256"), table_name="revisions")

    op.drop_table("revisions")
    op.drop_index(op.f("ix_process_versions_process_id"), table_name="process_versions")

    op.drop_table("process_versions")
    op.drop_index(op.f("ix_process_models_process_id"), table_name="process_models")
    op.drop_index(op.f("ix_process_models_authority_id"), table_name="process_models")

    op.drop_table("process_models")
    op.drop_index(op.f("ix_process_leika_keys_key"), table_name="process_leika_keys")

    op.drop_table("process_leika_keys")
    op.drop_index(op.f("ix_audit_events_object_type"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_authority_id"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_action"), table_name="audit_events")

    op.drop_table("audit_events")
    op.drop_index(op.f("ix_api_tokens_account_id"), table_name="api_tokens")

    op.drop_table("api_tokens")
    op.drop_index(op.f("ix_processes_updated_at"), table_name="processes")
    op.drop_index(op.f("ix_processes_sort_title"), table_name="processes")
    op.drop_index(op.f("ix_processes_ozg_id"), table_name="processes")
    op.drop_index(op.f("ix_processes_kind"), table_name="processes")
    op.drop_index(op.f("ix_processes_authority_id"), table_name="processes")

    op.drop_table("processes")
    op.drop_index(op.f("ix_accounts_authority_id"), table_name="accounts")

    op.drop_table("accounts")
    op.drop_index(op.f("ix_ozg_services_themenfeld"), table_name="ozg_services")
    op.drop_index(op.f("ix_ozg_services_lebenslage"), table_name="ozg_services")

    op.drop_table("ozg_services")
    op.drop_table("blobs")
    op.drop_table("authorities")
    op.drop_table("register_generation")
