"""Helpers every API feature uses: conditional writes, upload reading, documentation snippets."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import Schema
from marshmallow import ValidationError as SchemaValidationError

from app.config import current_settings
from app.errors import (
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    UnsupportedMediaType,
    ValidationFailed,
)
from app.i18n import _
from app.validation_messages import translate

XML_MEDIA_TYPES = frozenset(
    {"application/xml", "text/xml", "application/bpmn+xml", "application/octet-stream"}
)
BEARER_SECURITY = [{"bearerAuth": []}]


def version_etag(version: int) -> str:
    return f'"{version}"'


def load_or_refuse(schema: Schema, data: Any) -> Any:
    """Load input that webargs did not parse (e.g. form fields of an upload) with the same 422."""
    try:
        return schema.load(data)
    except SchemaValidationError as error:
        raise ValidationFailed(
            _("Die Eingabe enthält Fehler; siehe 'errors'."), errors=translate(error.messages)
        ) from None


def require_if_match(current_version: int) -> None:
    """Optimistic concurrency: the client must say which version it read, and it must be current."""
    if "If-Match" not in request.headers:
        raise PreconditionRequired(
            _("Zum Ändern ist der Header If-Match mit dem ETag der gelesenen Fassung nötig.")
        )
    if_match = request.if_match
    if if_match.star_tag or if_match.contains(str(current_version)):
        return
    raise PreconditionFailed(
        _(
            "Der Registereintrag wurde inzwischen geändert (aktuell ist Fassung %(version)s). "
            "Bitte neu laden und erneut speichern.",
            version=current_version,
        )
    )


def read_upload() -> tuple[bytes, str | None, dict[str, Any]]:
    """The uploaded file's bytes, its name and any form fields, from a raw XML body or multipart."""
    limit = current_settings().max_upload_bytes
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed(
                _("Keine Datei im Feld 'file'."), errors={"file": [_("Pflichtfeld.")]}
            )
        data, filename, form = (
            upload.stream.read(limit + 1),
            upload.filename,
            request.form.to_dict(),
        )
    elif request.mimetype in XML_MEDIA_TYPES:
        data, filename, form = request.get_data(cache=False), None, {}
    else:
        raise UnsupportedMediaType(
            _(
                "Erwartet wird eine BPMN-Datei als application/xml oder als multipart/form-data "
                "im Feld 'file'."
            )
        )
    if len(data) > limit:
        raise PayloadTooLarge(
            _("Die Datei ist größer als die erlaubten %(limit)s KiB.", limit=limit // 1024)
        )
    return data, filename, form


UPLOAD_REQUEST_BODY = {
    "required": True,
    "content": {
        "application/xml": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "message": {"type": "string"},
                    "parent": {"type": "integer", "minimum": 1},
                },
            }
        },
    },
}

IF_MATCH_PARAMETER = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "schema": {"type": "string"},
    "description": "ETag der gelesenen Fassung; 412 wenn inzwischen geändert",
}
