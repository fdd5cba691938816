"""Alembic environment: migrations run against the register's own engine setup."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context
from sqlalchemy.engine import Connection

from app.db import Base, UTCDateTime, import_all_models, make_engine

import_all_models()
target_metadata = Base.metadata
# Objects of the PostgreSQL search backend (migration 0006) without a model, so that SQLite does
# not get them: autogenerate must neither offer to drop them nor report them by ``alembic check``.
UNMODELLED = frozenset({"search_documents", "ix_search_vocabulary_word_trgm"})


def _database_url() -> str:
    url = context.config.attributes.get("database_url")
    if url:
        return url
    from app.config import load_settings

    return load_settings().effective_database_url


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Autogenerate plain SQLAlchemy types, so migrations never import the app's column types."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, sa.JSON) and "postgresql" in obj._variant_mapping:
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return 'sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")'
    return False


def _include_object(
    _obj: Any, name: str | None, _type: str, reflected: bool, compare_to: Any
) -> bool:
    return not (reflected and compare_to is None and name in UNMODELLED)


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=_render_item,
        compare_type=True,
        compare_server_default=True,
        include_object=_include_object,
    )


def run_migrations_offline() -> None:
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_database_url())
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
