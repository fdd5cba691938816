"""Pages of the browser editor (bpmn-js Modeler), of a new model and of the visual diff."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from flask import Blueprint, Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from app.authz import Actor, Permission, is_allowed, is_interactive, public, require, requires
from app.catalog import services as catalog
from app.config import current_settings
from app.db import request_session
from app.errors import PayloadTooLarge, ValidationFailed
from app.i18n import _, _l
from app.identity.auth import current_actor
from app.library import editor, visual_diff
from app.library import services as library
from app.library.api import unpacked_limit
from app.library.models import ProcessModel, Revision, RevisionStatus
from app.review import comments_views

bp = Blueprint("editor_pages", __name__)

EMPTY_CHOICE = "leer"


class NewModelForm(FlaskForm):
    title = StringField(
        _l("Titel des Modells"),
        validators=[DataRequired(_l("Bitte geben Sie einen Titel an.")), Length(max=300)],
    )
    start = RadioField(
        _l("Beginnen mit"),
        choices=[
            SelectChoice(EMPTY_CHOICE, _l("einem leeren Diagramm")),
            SelectChoice("muster", _l("einem Musterprozess")),
        ],
        default=EMPTY_CHOICE,
    )
    template = SelectField(_l("Musterprozess"), choices=[], validate_choice=False)

    def validate_template(self, field: SelectField) -> None:
        if self.start.data == EMPTY_CHOICE:
            return
        try:
            uuid.UUID(field.data or "")
        except ValueError:
            raise ValidationError(_("Bitte wählen Sie einen Musterprozess.")) from None

    def chosen_template(self) -> uuid.UUID | None:
        """The Musterprozess revision to copy, None for an empty diagram."""
        return None if self.start.data == EMPTY_CHOICE else uuid.UUID(self.template.data)


# --- editor ------------------------------------------------------------------------------------


@bp.route("/modelle/<uuid:model_id>/bearbeiten", methods=["GET"])
@requires(Permission.REVISION_CREATE)
def editor_page(model_id: uuid.UUID):
    session, actor = request_session(), current_actor()
    model = library.get_model(session, model_id)
    editor.ensure_editable(actor, model)
    base = library.latest_visible_revision(session, actor, model)
    return render_template(
        "library/editor.html",
        model=model,
        base=base,
        editor_data=_editor_data(model, base),
        comments=_read_only_comments(session, actor, base),
    )


def _read_only_comments(
    session: Session, actor: Actor, base: Revision | None
) -> comments_views.CommentSection | None:
    """The base revision's comments as pins and threads; answering them leaves the editor, so
    the forms stay on the model page."""
    if base is None:
        return None
    section = comments_views.comment_section(session, actor, base)
    return dataclasses.replace(section, may_comment=False) if section.threads else None


def _editor_data(model: ProcessModel, base: Revision | None) -> dict[str, Any]:
    diagram_url = (
        url_for("models.revision_diagram", model_id=model.id, number=base.number)
        if base
        else url_for("static", filename="bpmn/leer.bpmn")
    )
    return {
        "diagramUrl": diagram_url,
        "saveUrl": url_for(".save_page", model_id=model.id),
        "checkUrl": url_for(".check_page", model_id=model.id),
        "compareUrl": url_for(".compare_page", model_id=model.id),
        "base": base.number if base else 0,
        "lint": base.lint if base else [],
        "title": model.title,
    }


@bp.route("/modelle/<uuid:model_id>/bearbeiten", methods=["POST"])
@requires(Permission.REVISION_CREATE)
def save_page(model_id: uuid.UUID):
    """Store the modeller's XML as a draft; answers JSON (problem+json on errors)."""
    session, actor = request_session(), current_actor()
    model = library.get_model(session, model_id)
    editor.ensure_editable(actor, model)  # before looking at the input
    revision = editor.save_draft(
        session,
        actor,
        model,
        _posted_xml(),
        message=request.form.get("message"),
        base_number=_base_number(request.form.get("basis", "")),
        max_bytes=current_settings().max_upload_bytes,
        lint_rules=current_settings().lint_rules,
    )
    session.commit()
    return jsonify(_saved(model, revision)), 201


@bp.route("/modelle/<uuid:model_id>/bearbeiten/pruefen", methods=["POST"])
@requires(Permission.REVISION_CREATE)
def check_page(model_id: uuid.UUID):
    """Lint-as-you-go: the findings for the modeller's current XML, without saving (JSON)."""
    session, actor = request_session(), current_actor()
    model = library.get_model(session, model_id)
    editor.ensure_editable(actor, model)
    result = editor.check_draft(
        actor,
        model,
        _posted_xml(),
        max_bytes=current_settings().max_upload_bytes,
        lint_rules=current_settings().lint_rules,
    )
    return jsonify(result)


def _posted_xml() -> bytes:
    upload = request.files.get("xml")
    data = upload.read() if upload is not None else request.form.get("xml", "").encode("utf-8")
    limit = current_settings().max_upload_bytes
    if len(data) > limit:
        raise PayloadTooLarge(
            _("Das Diagramm ist größer als die erlaubten %(limit)s KiB.", limit=limit // 1024)
        )
    return data


def _base_number(text: str) -> int:
    if not text.isdigit() or len(text) > 7:
        raise ValidationFailed(_("Es fehlt, auf welcher Revision Ihre Änderung beruht."))
    return int(text)


def _saved(model: ProcessModel, revision: Revision) -> dict[str, Any]:
    return {
        "number": revision.number,
        "message": revision.message,
        "valid": revision.is_valid,
        "validation": revision.validation,
        "lint": revision.lint,
        "modelUrl": url_for("web.model_page", model_id=model.id),
        "compareUrl": url_for(".compare_page", model_id=model.id, neu=revision.number),
    }


# --- new model ---------------------------------------------------------------------------------


@bp.route("/prozesse/<uuid:process_id>/modelle/neu", methods=["GET", "POST"])
@requires(Permission.MODEL_CREATE)
def new_model_page(process_id: uuid.UUID):
    session, actor = request_session(), current_actor()
    process = catalog.get_process(session, process_id)
    require(actor, Permission.MODEL_CREATE, process)
    form = NewModelForm()
    templates = editor.musterprozess_templates(session)
    form.template.choices = [SelectChoice(str(t.revision_id), t.title) for t in templates]
    if form.validate_on_submit():
        model = editor.start_model(
            session,
            actor,
            process,
            title=form.title.data.strip(),
            template_id=form.chosen_template(),
            max_bytes=unpacked_limit(),
            lint_rules=current_settings().lint_rules,
        )
        session.commit()
        flash(
            _("Das Modell „%(title)s“ ist angelegt. Revision 1 ist ein Entwurf.", title=model.title)
        )
        return redirect(url_for(".editor_page", model_id=model.id))
    status = 422 if form.is_submitted() else 200
    return render_template("library/neues_modell.html", process=process, form=form), status


# --- visual diff -------------------------------------------------------------------------------


@bp.route("/modelle/<uuid:model_id>/vergleich", methods=["GET"])
@public
def compare_page(model_id: uuid.UUID):
    session, actor = request_session(), current_actor()
    model = library.get_model(session, model_id)
    comparison = visual_diff.compare(
        session,
        actor,
        model,
        old=request.args.get("alt") or None,
        new=request.args.get("neu") or None,
        max_bytes=unpacked_limit(),
    )
    urls = (_diagram_url(comparison.old), _diagram_url(comparison.new))
    return render_template(
        "library/vergleich.html",
        model=model,
        comparison=comparison,
        revisions=library.list_revisions(session, actor, model),
        page_data=visual_diff.page_data(comparison, urls),
        labels=visual_diff.STATUS_LABELS,
        symbols=visual_diff.STATUS_SYMBOLS,
        review_url=_review_url(actor, comparison.new),
    )


def _diagram_url(revision: Revision) -> str:
    return url_for("models.revision_diagram", model_id=revision.model_id, number=revision.number)


def _review_url(actor: Actor, revision: Revision) -> str | None:
    if revision.status is not RevisionStatus.SUBMITTED:
        return None
    if not is_allowed(actor, Permission.REVIEW_DECIDE, revision):
        return None
    return url_for("review_pages.review_page", model_id=revision.model_id, number=revision.number)


# --- for templates -----------------------------------------------------------------------------


def may_edit_model(model: ProcessModel) -> bool:
    actor = current_actor()
    return (
        is_interactive(actor)
        and model.origin_instance is None
        and is_allowed(actor, Permission.REVISION_CREATE, model)
    )


def may_create_model(process: Any) -> bool:
    actor = current_actor()
    return is_interactive(actor) and is_allowed(actor, Permission.MODEL_CREATE, process)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["may_edit_model"] = may_edit_model
    app.jinja_env.globals["may_create_model"] = may_create_model
