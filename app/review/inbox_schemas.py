"""API shapes of the own inbox and the choices per notification kind."""

from __future__ import annotations

from marshmallow import Schema, fields

from app.api.schemas import PageQuerySchema, page_schema
from app.config import current_settings
from app.review.inbox_services import safe_link
from app.review.models import Delivery, EmailStatus, NotificationKind
from app.review.notifications import DELIVERY_LABELS, KIND_LABELS
from app.review.notifications import kind_label as label_of_kind

KIND_DESCRIPTION = ", ".join(f"{kind.value} ({label})" for kind, label in KIND_LABELS.items())
DELIVERY_DESCRIPTION = ", ".join(
    f"{delivery.value} ({label})" for delivery, label in DELIVERY_LABELS.items()
)


class NotificationQuery(PageQuerySchema):
    unread = fields.Boolean(
        load_default=False, metadata={"description": "nur ungelesene Benachrichtigungen"}
    )


class NotificationOut(Schema):
    id = fields.UUID()
    kind = fields.Enum(NotificationKind, by_value=True, metadata={"description": KIND_DESCRIPTION})
    kind_label = fields.Function(lambda n: label_of_kind(n.kind))
    title = fields.String()
    body = fields.String()
    link = fields.Function(
        lambda n: safe_link(n.link), metadata={"description": "Pfad in diesem Register"}
    )
    url = fields.Function(
        lambda n: current_settings().base_url.rstrip("/") + safe_link(n.link),
        metadata={"description": "dieselbe Adresse, absolut"},
    )
    created_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime(allow_none=True)
    email_status = fields.Enum(
        EmailStatus,
        by_value=True,
        metadata={"description": "not_wanted, pending (wird versandt), sent oder failed"},
    )


class NotificationPage(page_schema(NotificationOut, "NotificationPageBase")):  # type: ignore[misc]
    unread = fields.Integer(metadata={"description": "ungelesene Benachrichtigungen insgesamt"})


class PreferencesIn(Schema):
    preferences = fields.Dict(
        keys=fields.Enum(NotificationKind, by_value=True),
        values=fields.Enum(Delivery, by_value=True),
        load_default=dict,
        metadata={
            "description": "Art → Zustellung; fehlende Arten bleiben, wie sie sind. Arten: "
            f"{KIND_DESCRIPTION}. Zustellung: {DELIVERY_DESCRIPTION}."
        },
    )


class PreferencesOut(Schema):
    preferences = fields.Dict(
        keys=fields.Enum(NotificationKind, by_value=True),
        values=fields.Enum(Delivery, by_value=True),
        metadata={"description": "Art → Zustellung, für jede Art"},
    )
    email_known = fields.Boolean(
        metadata={"description": "zum Konto ist eine E-Mail-Adresse bekannt (sonst nur Postfach)"}
    )
