"""The synonyms of the search as register admins see and change them.

The effective list is the shipped one (``app/search/data/synonyme.tsv``) with the rows of
``search_synonyms`` laid over it: a row adds a term, changes a shipped one or, with empty
replacements, switches a shipped one off. A term is one entry however it is written ("Führerschein",
"FUEHRERSCHEIN"): a change of a shipped term is stored under the shipped spelling, because that is
the key the row overrides. Every change is audited with before and after and counted in
``search_state``, so every search process plans its next query with the new list.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit.services import record
from app.authz import Actor, Permission, require
from app.errors import Conflict, NotFound, ValidationFailed
from app.i18n import _
from app.search import linguistics
from app.search.analysis import WORD_PATTERN, fold_word, stopwords
from app.search.models import SynonymEntry
from app.search.query import base_synonyms

MAX_TERM_CHARS = 80
MAX_TERM_WORDS = 4
MAX_REPLACEMENTS = 20
MAX_REPLACEMENT_CHARS = 80
AUDIT_OBJECT = "search_synonym"


class Origin(StrEnum):
    SHIPPED = "mitgeliefert"
    ADDED = "ergänzt"
    CHANGED = "geändert"
    OFF = "abgeschaltet"


@dataclass(frozen=True)
class Synonym:
    """One entry of the effective list (or a shipped one that is switched off)."""

    term: str
    replacements: tuple[str, ...]
    origin: Origin
    shipped: tuple[str, ...] | None  # the shipped replacements, if the register ships the term
    changed_by: str | None = None
    updated_at: datetime | None = None

    @property
    def can_switch_off(self) -> bool:
        return self.shipped is not None and self.origin in {Origin.SHIPPED, Origin.CHANGED}

    @property
    def can_remove(self) -> bool:
        """Added by an admin: switching it off removes it."""
        return self.shipped is None

    @property
    def can_restore(self) -> bool:
        return self.shipped is not None and self.origin in {Origin.CHANGED, Origin.OFF}

    def snapshot(self) -> dict[str, object]:
        return {"replacements": list(self.replacements), "origin": self.origin.value}


# --- reading ---------------------------------------------------------------------------------


def list_synonyms(
    session: Session, actor: Actor, *, text: str | None = None, origin: Origin | None = None
) -> list[Synonym]:
    """Every shipped and every stored entry, by term; ``text`` filters term and replacements."""
    require(actor, Permission.SEARCH_SYNONYMS_MANAGE)
    rows = {row.term: row for row in session.scalars(select(SynonymEntry))}
    shipped = base_synonyms()
    terms = sorted(set(shipped) | set(rows), key=lambda term: (fold_text(term), term))
    entries = [_synonym(term, shipped.get(term), rows.get(term)) for term in terms]
    needle = fold_text(text or "")
    return [
        entry
        for entry in entries
        if (origin is None or entry.origin is origin)
        and (not needle or needle in fold_text(" | ".join((entry.term, *entry.replacements))))
    ]


def get_synonym(session: Session, actor: Actor, term: str) -> Synonym:
    """The entry for ``term`` however it is written; NotFound if neither shipped nor stored."""
    require(actor, Permission.SEARCH_SYNONYMS_MANAGE)
    found = _entry(session, entry_key(term))
    if found is None:
        raise NotFound(_("Diesen Eintrag gibt es in der Synonymliste nicht."))
    return found


# --- changing --------------------------------------------------------------------------------


def save_synonym(
    session: Session, actor: Actor, term: str, replacements: str | Iterable[str]
) -> Synonym:
    """Add a term or change its replacements; the shipped replacements again mean "as shipped"."""
    require(actor, Permission.SEARCH_SYNONYMS_MANAGE)
    cleaned_term, parts = validate(term, replacements)
    key = entry_key(cleaned_term)
    before = _entry(session, key)
    stored = _stored_term(session, key) or cleaned_term
    row = session.get(SynonymEntry, stored)
    shipped = base_synonyms().get(stored)
    if shipped is not None and _same(parts, shipped):
        if row is not None:
            session.delete(row)
    elif row is None:
        _add(
            session, SynonymEntry(term=stored, replacements="; ".join(parts), changed_by=actor.name)
        )
    else:
        row.replacements, row.changed_by = "; ".join(parts), actor.name
    return _now(_changed(session, actor, key, before, _action_for_save(before)))


def switch_off(session: Session, actor: Actor, term: str) -> Synonym | None:
    """A shipped term stops expanding; a term an admin added is removed (returns None then)."""
    require(actor, Permission.SEARCH_SYNONYMS_MANAGE)
    key = entry_key(term)
    before = _existing(session, key)
    row = session.get(SynonymEntry, before.term)
    if before.shipped is None:
        if row is not None:
            session.delete(row)
        _changed(session, actor, key, before, "synonym.removed")
        return None
    if row is None:
        _add(session, SynonymEntry(term=before.term, replacements="", changed_by=actor.name))
    else:
        row.replacements, row.changed_by = "", actor.name
    return _changed(session, actor, key, before, "synonym.switched_off")


def restore(session: Session, actor: Actor, term: str) -> Synonym:
    """The shipped replacements again, after a change or after switching the term off."""
    require(actor, Permission.SEARCH_SYNONYMS_MANAGE)
    key = entry_key(term)
    before = _existing(session, key)
    if before.shipped is None:
        raise NotFound(
            _("Dieser Begriff wird nicht mitgeliefert; es gibt nichts wiederherzustellen.")
        )
    row = session.get(SynonymEntry, before.term)
    if row is not None:
        session.delete(row)
    return _now(_changed(session, actor, key, before, "synonym.restored"))


# --- validation ------------------------------------------------------------------------------


def validate(term: str, replacements: str | Iterable[str]) -> tuple[str, list[str]]:
    """The term and replacements as stored, or ValidationFailed with German messages per field."""
    cleaned_term = normalize(term)
    raw = (
        replacements.replace("\n", ";").split(";")
        if isinstance(replacements, str)
        else replacements
    )
    parts = list(dict.fromkeys(normalize(part) for part in raw if normalize(part)))
    errors: dict[str, list[str]] = {}
    term_problems = _term_problems(cleaned_term)
    if term_problems:
        errors["term"] = term_problems
    replacement_problems = _replacement_problems(parts, entry_key(cleaned_term))
    if replacement_problems:
        errors["replacements"] = replacement_problems
    if errors:
        raise ValidationFailed(_("Der Eintrag enthält Fehler."), errors=errors)
    return cleaned_term, parts


def _term_problems(term: str) -> list[str]:
    if not term:
        return [_("Bitte einen Begriff angeben.")]
    problems = []
    if len(term) > MAX_TERM_CHARS:
        problems.append(
            _("Der Begriff darf höchstens %(limit)s Zeichen lang sein.", limit=MAX_TERM_CHARS)
        )
    if len(WORD_PATTERN.findall(term)) > MAX_TERM_WORDS:
        problems.append(
            _("Der Begriff darf aus höchstens %(limit)s Wörtern bestehen.", limit=MAX_TERM_WORDS)
        )
    if not searchable_words(term):
        problems.append(
            _(
                "Der Begriff braucht ein Wort, das die Suche nicht überspringt "
                "(Füllwörter wie „bitte“ oder „der“ und Satzzeichen zählen nicht)."
            )
        )
    return problems


def _replacement_problems(parts: list[str], key: tuple[str, ...]) -> list[str]:
    if not parts:
        return [_("Bitte mindestens eine Ersetzung angeben.")]
    problems = []
    if len(parts) > MAX_REPLACEMENTS:
        problems.append(_("Höchstens %(limit)s Ersetzungen je Begriff.", limit=MAX_REPLACEMENTS))
    for part in parts:
        if len(part) > MAX_REPLACEMENT_CHARS:
            problems.append(
                _(
                    "„%(part)s…“ ist länger als %(limit)s Zeichen.",
                    part=part[:30],
                    limit=MAX_REPLACEMENT_CHARS,
                )
            )
        elif not searchable_words(part):
            problems.append(
                _("„%(part)s“ enthält kein Wort, nach dem die Suche suchen könnte.", part=part)
            )
        elif key and entry_key(part) == key:
            problems.append(_("„%(part)s“ ist der Begriff selbst.", part=part))
    return problems


def normalize(text: str) -> str:
    """Lower case, single spaces, no control characters."""
    printable = "".join(" " if unicodedata.category(char) == "Cc" else char for char in text)
    return " ".join(printable.split()).lower()


def fold_text(text: str) -> str:
    return " ".join(fold_word(word) for word in text.split())


def entry_key(term: str) -> tuple[str, ...]:
    """What makes two spellings one entry: the folded words."""
    return tuple(fold_word(word) for word in WORD_PATTERN.findall(term))


def searchable_words(text: str) -> list[str]:
    stop = stopwords()
    return [word for word in entry_key(text) if word not in stop]


# --- helpers ---------------------------------------------------------------------------------


def _synonym(term: str, shipped: list[str] | None, row: SynonymEntry | None) -> Synonym:
    shipped_parts = tuple(shipped) if shipped is not None else None
    if row is None:
        return Synonym(term, shipped_parts or (), Origin.SHIPPED, shipped_parts)
    parts = tuple(part.strip() for part in row.replacements.split(";") if part.strip())
    origin = Origin.ADDED if shipped_parts is None else Origin.CHANGED
    if not parts:
        origin = Origin.OFF
    return Synonym(term, parts, origin, shipped_parts, row.changed_by, row.updated_at)


def _stored_term(session: Session, key: tuple[str, ...]) -> str | None:
    """The spelling an entry is kept under: its stored row's, else the shipped one's."""
    for term in session.scalars(select(SynonymEntry.term)):
        if entry_key(term) == key:
            return term
    return next((term for term in base_synonyms() if entry_key(term) == key), None)


def _entry(session: Session, key: tuple[str, ...]) -> Synonym | None:
    if not key:
        return None
    session.flush()
    term = _stored_term(session, key)
    if term is None:
        return None
    row = session.get(SynonymEntry, term)
    return (
        _synonym(term, base_synonyms().get(term), row) if row or term in base_synonyms() else None
    )


def _existing(session: Session, key: tuple[str, ...]) -> Synonym:
    found = _entry(session, key)
    if found is None:
        raise NotFound(_("Diesen Eintrag gibt es in der Synonymliste nicht."))
    return found


def _add(session: Session, row: SynonymEntry) -> None:
    """Insert in a savepoint: an admin who saved the same term a moment ago is a 409."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(
            _(
                "„%(term)s“ wurde gerade von jemand anderem gespeichert. Bitte die Liste neu laden.",
                term=row.term,
            )
        ) from None


def _same(parts: list[str], shipped: list[str]) -> bool:
    return [entry_key(part) for part in parts] == [entry_key(part) for part in shipped]


def _action_for_save(before: Synonym | None) -> str:
    return "synonym.added" if before is None else "synonym.changed"


def _now(entry: Synonym | None) -> Synonym:
    if entry is None:  # pragma: no cover - saving and restoring always leave an entry
        raise NotFound(_("Diesen Eintrag gibt es in der Synonymliste nicht."))
    return entry


def _changed(
    session: Session, actor: Actor, key: tuple[str, ...], before: Synonym | None, action: str
) -> Synonym | None:
    """Audit and count a change (if anything changed); returns the entry as it is now."""
    after = _entry(session, key)
    before_state = before.snapshot() if before else None
    after_state = after.snapshot() if after else None
    if before_state != after_state:
        term = after.term if after else before.term if before else "?"
        record(
            session,
            actor,
            action,
            object_type=AUDIT_OBJECT,
            object_id=term[:64],
            before=before_state,
            after=after_state,
            details={"term": term},
        )
        linguistics.bump(session, linguistics.SYNONYMS)
    return after
