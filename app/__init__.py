"""Musterregister: a register of public-administration process models (BPMN 2.0 + Steckbrief)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask
from flask_wtf import CSRFProtect

from app.config import load_settings

csrf = CSRFProtect()

MULTIPART_ALLOWANCE = 64 * 1024  # room for form fields and boundaries around an upload


def create_app(overrides: Mapping[str, object] | None = None) -> Flask:
    """Build an application from the environment plus ``overrides`` (typed setting names)."""
    from app import api, cache, db, errors, i18n, ops, ratelimits, search, security
    from app.audit import refusals
    from app.audit import views as audit_views
    from app.catalog import analytics_views, processmap_views, statistics_views
    from app.catalog import views as catalog_views
    from app.identity import admin_views, auth, sessions
    from app.identity import views as identity_views
    from app.library import editor_views
    from app.library import views as library_views
    from app.peering import admin_views as peers_admin_views
    from app.peering import outbox
    from app.peering import views as peering_views
    from app.review import inbox, mail
    from app.review import views as review_views
    from app.web import views

    settings = load_settings(overrides)
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    app = Flask(
        __name__,
        instance_path=str(settings.instance_path.resolve()),
        static_folder="web/static",
        template_folder="web/templates",
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + MULTIPART_ALLOWANCE,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["musterregister.settings"] = settings
    signing = outbox.session_info(settings.base_url, settings.secret_key or "")
    db.init_app(app, db.Database(settings.effective_database_url, session_info=signing))
    ops.init_app(app, settings)  # early: its hooks run before the others
    i18n.init_app(app, settings.translations_path)
    cache.init_app(app, enabled=settings.response_cache)
    search.init_app(app, settings)
    mail.init_app(app, settings)
    errors.init_app(app)
    security.init_app(app, settings)
    sessions.init_app(app, settings)
    auth.init_app(app)
    api_blueprints = api.init_app(app)
    csrf.init_app(app)
    for blueprint in api_blueprints:
        csrf.exempt(blueprint)  # the API writes only with bearer tokens, never with cookies
    views.init_app(app)
    identity_views.init_app(app)
    admin_views.init_app(app)
    catalog_views.init_app(app)
    analytics_views.init_app(app)
    processmap_views.init_app(app)
    statistics_views.init_app(app)
    audit_views.init_app(app)
    review_views.init_app(app)
    inbox.init_app(app)
    library_views.init_app(app)
    editor_views.init_app(app)
    refusals.init_app(app)
    peering_views.init_app(app)
    peers_admin_views.init_app(app)
    ratelimits.init_app(app, settings)  # last: it wraps the registered views
    return app


def close_app(app: Flask) -> None:
    """Stop the background work of ``app`` and close its database connections."""
    from app.db import get_database
    from app.review.mail import mailer
    from app.search import search_runtime

    mailer(app).close()
    search_runtime(app).close()
    get_database(app).dispose()
