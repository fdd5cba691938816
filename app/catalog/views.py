"""Pages for importing a process register: upload and dry run, go-ahead, progress."""

from __future__ import annotations

import threading
import uuid

from flask import Blueprint, Flask, current_app, jsonify, redirect, render_template, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from app.authz import Actor, Permission, requires
from app.catalog import imports
from app.catalog.models import ImportStatus
from app.config import current_settings
from app.db import get_database, request_session
from app.i18n import _l
from app.identity.auth import current_actor
from app.identity.services import get_authority

bp = Blueprint("imports", __name__, url_prefix="/import")


class RegisterFileForm(FlaskForm):
    file = FileField(
        _l("Datei (CSV oder Excel .xlsx)"),
        validators=[FileRequired(_l("Bitte eine Datei wählen."))],
    )


class StartForm(FlaskForm):
    """Only the CSRF token: the go-ahead for a checked file."""


@bp.route("", methods=["GET", "POST"])
@requires(Permission.PROCESS_CREATE)
def upload():
    form = RegisterFileForm()
    if form.validate_on_submit():
        session, actor = request_session(), current_actor()
        authority = get_authority(session, actor.authority_id)  # type: ignore[arg-type]
        data = form.file.data.read(current_settings().max_upload_bytes + 1)
        job = imports.check_file(
            session,
            actor,
            authority,
            data,
            form.file.data.filename or "register.csv",
            max_bytes=current_settings().max_upload_bytes,
        )
        session.commit()
        return redirect(url_for("imports.job_page", job_id=job.id))
    return render_template("import_upload.html", form=form), 422 if form.errors else 200


@bp.route("/<uuid:job_id>")
@requires(Permission.PROCESS_CREATE)
def job_page(job_id: uuid.UUID):
    job = imports.get_job(request_session(), current_actor(), job_id)
    running = job.status in {ImportStatus.PENDING, ImportStatus.RUNNING}
    return render_template("import_job.html", job=job, form=StartForm(), running=running)


@bp.route("/<uuid:job_id>/status")
@requires(Permission.PROCESS_CREATE)
def job_status(job_id: uuid.UUID):
    job = imports.get_job(request_session(), current_actor(), job_id)
    return jsonify(
        status=job.status.value,
        processed=job.processed_rows,
        total=job.valid_rows,
        created=job.created_count,
        updated=job.updated_count,
        unchanged=job.unchanged_count,
        error=job.error,
    )


@bp.route("/<uuid:job_id>/starten", methods=["POST"])
@requires(Permission.PROCESS_CREATE)
def start(job_id: uuid.UUID):
    session, actor = request_session(), current_actor()
    job = imports.get_job(session, actor, job_id)
    if StartForm().validate_on_submit():
        imports.start_job(session, actor, job)
        session.commit()
        _run_in_background(current_app._get_current_object(), job.id, actor)  # type: ignore[attr-defined]
    return redirect(url_for("imports.job_page", job_id=job_id))


def _run_in_background(app: Flask, job_id: uuid.UUID, actor: Actor) -> None:
    """The import runs beside the request; if this worker stops, `musterregister register resume`
    (or a scheduler calling it) takes the job up again."""

    def work() -> None:
        with app.app_context():
            imports.run_job(
                get_database(), job_id, actor, max_bytes=current_settings().max_upload_bytes
            )

    if current_settings().background_jobs:
        threading.Thread(target=work, name=f"import-{job_id}", daemon=True).start()
    else:
        work()


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
