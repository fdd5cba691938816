"""Full-text search over processes, catalogue entries and models (see docs/suche.md)."""

from __future__ import annotations

from flask import Flask, current_app

from app.config import Settings
from app.db import Database, get_database
from app.search.backend import SearchBackend
from app.search.indexing import SearchRuntime

EXTENSION = "musterregister.search"


def make_backend(settings: Settings, database: Database) -> SearchBackend:
    if settings.search_backend == "postgresql":
        from app.search.pg_backend import PostgresBackend

        return PostgresBackend(database)
    from app.search.whoosh_backend import WhooshBackend

    return WhooshBackend(settings.effective_search_index_path)


def init_app(app: Flask, settings: Settings) -> None:
    from app.search import tracking, views

    tracking.install()
    views.init_app(app)
    database = get_database(app)
    runtime = SearchRuntime(
        database, make_backend(settings, database), background=settings.background_jobs
    )
    app.extensions[EXTENSION] = runtime
    if settings.background_jobs:
        # started with the first request: commands such as "db upgrade" run before the tables exist
        app.before_request(_start_indexer_once)


def _start_indexer_once() -> None:
    search_runtime().start()


def search_runtime(app: Flask | None = None) -> SearchRuntime:
    return (app or current_app).extensions[EXTENSION]
