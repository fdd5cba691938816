"""federation: signing keys, outbox feed, peers, refusals, origin of mirrored rows

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22

Authorities, processes, process models and revisions get ``origin_instance`` and ``origin_id``:
empty for local rows, set for mirrors of a peer's content (one local row per origin object).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MIRRORED_TABLES = ("authorities", "processes", "process_models", "revisions")


def upgrade() -> None:
    op.create_table(
        "instance_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column(
            "public_jwk",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("private_key_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_instance_keys")),
    )
    op.create_table(
        "outbox_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "published",
                "withdrawn",
                "superseded",
                "process-updated",
                "authority-updated",
                name="federation_event_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("origin", sa.String(length=300), nullable=False),
        sa.Column("jws", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_events_event_id")),
    )
    op.create_index(op.f("ix_outbox_events_sha256"), "outbox_events", ["sha256"], unique=False)
    op.create_table(
        "peers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("base_url", sa.String(length=300), nullable=False),
        sa.Column("instance_name", sa.String(length=200), nullable=False),
        sa.Column("protocol_version", sa.String(length=20), nullable=False),
        sa.Column(
            "jwks",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("fingerprint", sa.String(length=100), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "active",
                "paused",
                name="peer_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("accept_vouched", sa.Boolean(), nullable=False),
        sa.Column(
            "vouched",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.Column("lag_events", sa.Integer(), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by_name", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peers")),
        sa.UniqueConstraint("base_url", name=op.f("uq_peers_base_url")),
        sa.UniqueConstraint("name", name=op.f("uq_peers_name")),
    )
    op.create_table(
        "federation_refusals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("peer_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("event_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["peer_id"], ["peers.id"], name=op.f("fk_federation_refusals_peer_id_peers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_refusals")),
    )
    with op.batch_alter_table("federation_refusals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_federation_refusals_peer_id"), ["peer_id", "created_at"], unique=False
        )

    for table in MIRRORED_TABLES:  # plain ALTER: no table copy of rows others reference
        op.add_column(table, sa.Column("origin_instance", sa.String(length=300), nullable=True))
        op.add_column(table, sa.Column("origin_id", sa.String(length=64), nullable=True))
        op.create_index(f"uq_{table}_origin", table, ["origin_instance", "origin_id"], unique=True)


def downgrade() -> None:
    for table in reversed(MIRRORED_TABLES):
        op.drop_index(f"uq_{table}_origin", table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("origin_id")
            batch_op.drop_column("origin_instance")

    with op.batch_alter_table("federation_refusals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_federation_refusals_peer_id"))

    op.drop_table("federation_refusals")
    op.drop_table("peers")
    op.drop_index(op.f("ix_outbox_events_sha256"), table_name="outbox_events")
    op.drop_table("outbox_events")
    op.drop_table("instance_keys")
