"""Audit events in German words: action labels, field labels and a readable before → after diff."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.audit.models import AuditEvent
from app.i18n import _, _l

ACTION_LABELS = {
    "process.created": _l("Registereintrag angelegt"),
    "process.updated": _l("Steckbrief geändert"),
    "model.created": _l("Prozessmodell angelegt"),
    "model.forked": _l("Prozessmodell übernommen (Fork)"),
    "model.upstream_taken_over": _l("Neuerung des Ursprungsmodells übernommen"),
    "proposal.created": _l("Änderungsvorschlag gestellt"),
    "proposal.accepted": _l("Änderungsvorschlag angenommen"),
    "proposal.declined": _l("Änderungsvorschlag abgelehnt"),
    "proposal.withdrawn": _l("Änderungsvorschlag zurückgezogen"),
    "comment.created": _l("Kommentar geschrieben"),
    "revision.created": _l("Revision hochgeladen"),
    "revision.analysed": _l("Revision neu geprüft"),
    "revision.submitted": _l("Revision zur Prüfung eingereicht"),
    "revision.withdrawn": _l("Revision zurückgezogen"),
    "revision.superseded": _l("Revision abgelöst"),
    "review.approve": _l("Revision freigegeben"),
    "review.request_changes": _l("Überarbeitung erbeten"),
    "review.reject": _l("Revision abgelehnt"),
    "authority.created": _l("Behörde angelegt"),
    "authority.updated": _l("Behörde geändert"),
    "authority.login_changed": _l("Anmeldung der Behörde geändert"),
    "account.created": _l("Konto angelegt"),
    "account.roles_changed": _l("Rollen geändert"),
    "token.created": _l("API-Token erstellt"),
    "token.revoked": _l("API-Token widerrufen"),
    "login.succeeded": _l("Angemeldet"),
    "login.refused": _l("Anmeldung abgewiesen"),
    "request.refused": _l("Schreibzugriff abgewiesen"),
    "register_import.checked": _l("Registerimport geprüft"),
    "register_import.finished": _l("Registerimport abgeschlossen"),
}

OBJECT_TYPE_LABELS = {
    "process": _l("Registereintrag"),
    "process_model": _l("Prozessmodell"),
    "revision": _l("Revision"),
    "authority": _l("Behörde"),
    "account": _l("Konto"),
    "api_token": _l("API-Token"),
    "import_job": _l("Registerimport"),
    "change_proposal": _l("Änderungsvorschlag"),
    "comment": _l("Kommentar"),
    "request": _l("Anfrage"),
}

FIELD_LABELS = {
    "title": _l("Titel"),
    "description": _l("Beschreibung"),
    "ozg_id": _l("OZG-Leistung"),
    "legal_bases": _l("Rechtsgrundlagen"),
    "responsible_unit": _l("Zuständige Stelle"),
    "trigger": _l("Auslöser"),
    "result": _l("Ergebnis"),
    "required_documents": _l("Mitzubringen"),
    "fees": _l("Gebühren"),
    "cases_per_year": _l("Fälle pro Jahr"),
    "minutes_per_case": _l("Minuten je Fall"),
    "cycle_time_days": _l("Durchlaufzeit (Tage)"),
    "digitisation_potential": _l("Digitalisierungspotenzial"),
    "keywords": _l("Schlagwörter"),
    "synonyms": _l("Synonyme"),
    "leika_keys": _l("LeiKa-Schlüssel"),
    "maturity": _l("Reifegrad"),
    "status": _l("Status"),
    "review_round": _l("Prüfrunde"),
    "approvals": _l("Freigaben"),
    "roles": _l("Rollen"),
    "role_mapping": _l("Rollenzuordnung"),
    "scopes": _l("Geltungsbereiche"),
    "revoked_at": _l("Widerrufen am"),
    "expires_at": _l("Gültig bis"),
    "enabled": _l("Aktiv"),
    "name": _l("Name"),
    "valid": _l("Schemagültig"),
    "lint": _l("Lint-Hinweise"),
    "number": _l("Nummer"),
    "message": _l("Beschreibung"),
}

EMPTY = "–"


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: str
    after: str


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def object_type_label(object_type: str) -> str:
    return str(OBJECT_TYPE_LABELS.get(object_type, object_type))


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


def format_value(value: Any) -> str:
    """A value of a snapshot as short text: lists joined, mappings as compact JSON."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return _("ja") if value else _("nein")
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
    _l("Zeitpunkt"),
    _l("Akteur"),
    _l("Aktion"),
    _l("Objekttyp"),
    _l("Objekt"),
    _l("Vorher"),
    _l("Nachher"),
    _l("Details"),
)
