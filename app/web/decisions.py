"""Storing a decision taken in a page form (review decisions, change proposals) the same way.

A validation error shows the form again (422) with the message at the comment; a conflict (someone
decided meanwhile) is flashed and the page reloaded; refusals (401/403/404) go to the error pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import flash, redirect, request
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.db import request_session
from app.errors import DomainError, ValidationFailed

REFUSALS = {401, 403, 404}  # handled by the error pages, not shown as a message
T = TypeVar("T")


def store_decision(
    form: FlaskForm, decide: Callable[[], T], done: Callable[[T], Response]
) -> Response | int:
    """Run ``decide`` and commit, then answer with ``done``; or the status to show the form with."""
    session = request_session()
    try:
        result = decide()
    except ValidationFailed as error:
        session.rollback()
        form.comment.errors = [error.detail]  # type: ignore[attr-defined]
        return 422
    except DomainError as error:
        if error.status in REFUSALS:
            raise
        session.rollback()  # decided by someone else meanwhile, or not to be decided any more
        flash(error.detail, "error")
        return redirect(request.path)
    session.commit()
    return done(result)
