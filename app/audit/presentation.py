"""Audit events in German words: action labels, field labels and a readable before → after diff."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.audit.models import AuditEvent

ACTION_LABELS = {
    "process.created": "Registereintrag angelegt",
    "process.updated": "Steckbrief geändert",
    "model.created": "Prozessmodell angelegt",
    "model.forked": "Prozessmodell übernommen (Fork)",
    "model.upstream_taken_over": "Neuerung des Ursprungsmodells übernommen",
    "proposal.created": "Änderungsvorschlag gestellt",
    "proposal.accepted": "Änderungsvorschlag angenommen",
    "proposal.declined": "Änderungsvorschlag abgelehnt",
    "proposal.withdrawn": "Änderungsvorschlag zurückgezogen",
    "comment.created": "Kommentar geschrieben",
    "revision.created": "Revision hochgeladen",
    "revision.analysed": "Revision neu geprüft",
    "revision.submitted": "Revision zur Prüfung eingereicht",
    "revision.withdrawn": "Revision zurückgezogen",
    "revision.superseded": "Revision abgelöst",
    "review.approve": "Revision freigegeben",
    "review.request_changes": "Überarbeitung erbeten",
    "review.reject": "Revision abgelehnt",
    "authority.created": "Behörde angelegt",
    "authority.updated": "Behörde geändert",
    "authority.login_changed": "Anmeldung der Behörde geändert",
    "account.created": "Konto angelegt",
    "account.roles_changed": "Rollen geändert",
    "token.created": "API-Token erstellt",
    "token.revoked": "API-Token widerrufen",
    "login.succeeded": "Angemeldet",
    "login.refused": "Anmeldung abgewiesen",
    "request.refused": "Schreibzugriff abgewiesen",
    "register_import.checked": "Registerimport geprüft",
    "register_import.finished": "Registerimport abgeschlossen",
}

OBJECT_TYPE_LABELS = {
    "process": "Registereintrag",
    "process_model": "Prozessmodell",
    "revision": "Revision",
    "authority": "Behörde",
    "account": "Konto",
    "api_token": "API-Token",
    "import_job": "Registerimport",
    "change_proposal": "Änderungsvorschlag",
    "comment": "Kommentar",
    "request": "Anfrage",
}

FIELD_LABELS = {
    "title": "Titel",
    "description": "Beschreibung",
    "ozg_id": "OZG-Leistung",
    "legal_bases": "Rechtsgrundlagen",
    "responsible_unit": "Zuständige Stelle",
    "trigger": "Auslöser",
    "result": "Ergebnis",
    "required_documents": "Mitzubringen",
    "fees": "Gebühren",
    "cases_per_year": "Fälle pro Jahr",
    "minutes_per_case": "Minuten je Fall",
    "cycle_time_days": "Durchlaufzeit (Tage)",
    "digitisation_potential": "Digitalisierungspotenzial",
    "keywords": "Schlagwörter",
    "synonyms": "Synonyme",
    "leika_keys": "LeiKa-Schlüssel",
    "maturity": "Reifegrad",
    "status": "Status",
    "review_round": "Prüfrunde",
    "approvals": "Freigaben",
    "roles": "Rollen",
    "role_mapping": "Rollenzuordnung",
    "scopes": "Geltungsbereiche",
    "revoked_at": "Widerrufen am",
    "expires_at": "Gültig bis",
    "enabled": "Aktiv",
    "name": "Name",
    "valid": "Schemagültig",
    "lint": "Lint-Hinweise",
    "number": "Nummer",
    "message": "Beschreibung",
}

EMPTY = "–"


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: str
    after: str


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def object_type_label(object_type: str) -> str:
    return OBJECT_TYPE_LABELS.get(object_type, object_type)


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name)


def format_value(value: Any) -> str:
    """A value of a snapshot as short text: lists joined, mappings as compact JSON."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ", ".join(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def changes(event: AuditEvent) -> list[Change]:
    """The fields whose value differs between before and after (all of after for a creation)."""
    before, after = event.before or {}, event.after or {}
    names = [*after, *(name for name in before if name not in after)]
    return [
        Change(
            name, field_label(name), format_value(before.get(name)), format_value(after.get(name))
        )
        for name in names
        if before.get(name) != after.get(name)
    ]


def to_json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def csv_row(event: AuditEvent) -> tuple[str, ...]:
    return (
        event.occurred_at.isoformat(timespec="seconds"),
        event.actor_name,
        action_label(event.action),
        object_type_label(event.object_type),
        event.object_id,
        to_json(event.before),
        to_json(event.after),
        to_json(event.details),
    )


CSV_HEADER = (
    "Zeitpunkt",
    "Akteur",
    "Aktion",
    "Objekttyp",
    "Objekt",
    "Vorher",
    "Nachher",
    "Details",
)
