"""Between XProzess processes and the register's Steckbrief (the dict the catalog services take).

The Steckbrief has a home for: bezeichnung (or name) → title, beschreibung → description,
ausloeser → trigger, ergebnis → result, handlungsgrundlagen → legal_bases, a LeiKa id →
leika_keys. Without a field of their own, definition and prozessteilnehmer become labelled
paragraphs at the end of the description ("Definition: …", "Prozessteilnehmer: A; B"): a 115
agent reads them there, the word search finds them, and from_steckbrief splits them off again.
Participants are roles ("Antragsteller", "Gewerbeamt"), not Schlagwörter: as keywords they would
make every entry match "Antragsteller". No home at all: version and the model file (they travel
beside the Steckbrief: process models and their revisions), a process id that is no LeiKa key,
and the FIM name when a differing bezeichnung became the title (it is kept as a keyword, but a
keyword cannot be told apart from others on the way back).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.fim.leika import is_leika_key
from app.fim.xprozess import LegalBasis, ModelFile, XProzessError, XProzessProcess
from app.i18n import _

DEFINITION_LABEL = "Definition"
PARTICIPANTS_LABEL = "Prozessteilnehmer"
PARTICIPANT_SEPARATOR = "; "
_WEB_URL = re.compile(r"https?://\S+\Z", re.IGNORECASE)


def to_steckbrief(process: XProzessProcess) -> dict[str, Any]:
    """The Steckbrief fields XProzess determines, in the shape the catalog services take."""
    return {
        "title": (_present(process.bezeichnung) or process.name).strip(),
        "description": _description(process),
        "trigger": _present(process.ausloeser),
        "result": _present(process.ergebnis),
        "legal_bases": [
            _legal_basis_entry(basis)
            for basis in process.handlungsgrundlagen
            if _present(basis.text) or _present(basis.url)
        ],
        "leika_keys": [process.process_id] if is_leika_key(process.process_id) else [],
        "keywords": _keywords(process),
    }


def from_steckbrief(
    steckbrief: Mapping[str, Any],
    *,
    process_id: str,
    version: str | None,
    model: ModelFile | None,
) -> XProzessProcess:
    """An XProzess process from a Steckbrief; the title becomes the process name."""
    title = _present(steckbrief.get("title"))
    if title is None:
        raise XProzessError(
            code="missing-name",
            message=_("Der Steckbrief hat keinen Titel; XProzess verlangt einen Prozessnamen."),
        )
    beschreibung, definition, participants = _split_description(steckbrief.get("description"))
    return XProzessProcess(
        process_id=process_id,
        version=version,
        name=title.strip(),
        definition=definition,
        beschreibung=beschreibung,
        ausloeser=_present(steckbrief.get("trigger")),
        ergebnis=_present(steckbrief.get("result")),
        prozessteilnehmer=participants,
        handlungsgrundlagen=tuple(
            LegalBasis(text=entry["text"], url=entry.get("url"))
            for entry in steckbrief.get("legal_bases") or ()
        ),
        model=model,
    )


def _present(value: str | None) -> str | None:
    return value if value is not None and value.strip() else None


def _description(process: XProzessProcess) -> str | None:
    parts = [process.beschreibung] if _present(process.beschreibung) else []
    definition = _present(process.definition)
    if definition and definition.strip() not in (process.beschreibung or ""):
        parts.append(f"{DEFINITION_LABEL}: {definition}")
    participants = [name for name in process.prozessteilnehmer if name.strip()]
    if participants:
        parts.append(f"{PARTICIPANTS_LABEL}: {PARTICIPANT_SEPARATOR.join(participants)}")
    return "\n\n".join(parts) or None


def _split_description(
    description: str | None,
) -> tuple[str | None, str | None, tuple[str, ...]]:
    """Inverse of :func:`_description`: (beschreibung, definition, prozessteilnehmer)."""
    if _present(description) is None:
        return None, None, ()
    rest, participants = _split_labelled(description, PARTICIPANTS_LABEL)
    rest, definition = _split_labelled(rest, DEFINITION_LABEL) if rest else (None, None)
    names = tuple(participants.split(PARTICIPANT_SEPARATOR)) if participants else ()
    return _present(rest), definition, names


def _split_labelled(text: str, label: str) -> tuple[str | None, str | None]:
    marker = f"{label}: "
    if text.startswith(marker):
        return None, text[len(marker) :]
    head, found, tail = text.rpartition(f"\n\n{marker}")
    return (head, tail) if found else (text, None)


def _legal_basis_entry(basis: LegalBasis) -> dict[str, str | None]:
    """A legal basis for the Steckbrief, whose URL must be http(s): other URIs join the text."""
    url = _present(basis.url)
    text = _present(basis.text) or url
    if url is None or _WEB_URL.match(url):
        return {"text": text, "url": url}
    return {"text": text if text == url else f"{text} ({url})", "url": None}


def _keywords(process: XProzessProcess) -> list[str]:
    bezeichnung = _present(process.bezeichnung)
    if bezeichnung is None or bezeichnung.strip() == process.name.strip():
        return []
    return [process.name.strip()]
