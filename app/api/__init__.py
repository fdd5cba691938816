"""REST API v1: the flask-smorest ``Api`` that builds the OpenAPI document from our schemas."""

from __future__ import annotations

import http

from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask
from flask_smorest import Api
from flask_smorest.spec import prepare_response

from app.api.schemas import ProblemSchema
from app.authz import declare_public_endpoint
from app.errors import PROBLEM_CONTENT_TYPE

API_DESCRIPTION = """\
Offene Schnittstelle des Musterregisters: Registereinträge (Steckbriefe), Prozessmodelle (BPMN 2.0)
und ihre Revisionen, Behörden. Lesen ist für alle frei. Schreiben braucht ein persönliches API-Token
(`Authorization: Bearer mr_…`), das an ein Konto und seine Behörde gebunden ist.
Jeder Fehler kommt als `application/problem+json` (RFC 9457) mit deutschem Titel und Text."""


class RegisterApi(Api):
    """flask-smorest with problem+json documented as the shape of every error."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        """Errors are handled for the whole app by ``app.errors``."""

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, object] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Fehler (problem+json)", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_CONTENT_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)


def init_app(app: Flask) -> list[Blueprint]:
    """Build the Api on ``app``; returns the API blueprints (they are exempt from CSRF checks)."""
    from app.catalog.analytics_api import blp as analytics
    from app.catalog.api import blp as processes
    from app.fim.api import blp as xprozess
    from app.identity.api import blp as authorities
    from app.library.api import blp as models
    from app.library.forks_api import blp as forks
    from app.review.api import blp as review
    from app.review.comments_api import blp as comments
    from app.review.inbox_api import blp as notifications
    from app.search.api import blp as search

    app.config.update(
        API_TITLE="Musterregister",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
    )
    api = RegisterApi(
        app,
        spec_kwargs={
            "info": {"description": API_DESCRIPTION},
            "marshmallow_plugin": MarshmallowPlugin(),
        },
    )
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "Persönliches API-Token"}
    )
    blueprints = [
        authorities,
        processes,
        models,
        forks,
        review,
        comments,
        notifications,
        xprozess,
        search,
        analytics,
    ]
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    declare_public_endpoint(app, "api-docs.openapi_json")
    app.extensions["musterregister.api"] = api
    return blueprints
