"""Forks: a published model taken over into another authority, remembering where it came from.

A fork is an ordinary :class:`ProcessModel` with ``upstream_model_id`` (the model it came from) and
``upstream_revision_id`` (the upstream revision its content is based on now). When upstream
publishes something newer, the fork's owners see the diff and may take it over
(:func:`take_over_upstream`), which adds a draft revision to the fork and moves the upstream
revision forward. Change proposals back upstream live in :mod:`app.library.proposals`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from app.audit.services import record
from app.authz import Actor, Permission, owned_by, require
from app.catalog import services as catalog
from app.catalog.models import Process
from app.errors import Conflict, NotFound, ValidationFailed
from app.i18n import _
from app.identity.models import Authority
from app.library import analysis
from app.library import services as library
from app.library.models import ProcessModel, Revision, RevisionStatus

# what a fork's new Registereintrag takes over from upstream's; key figures, maturity and the
# responsible unit are the forking authority's own and stay empty
COPIED_STECKBRIEF_FIELDS = (
    "title",
    "description",
    "ozg_id",
    "legal_bases",
    "trigger",
    "result",
    "required_documents",
    "fees",
    "digitisation_potential",
    "keywords",
    "synonyms",
    "leika_keys",
)


class ForkConflict(Conflict):
    slug = "fork-conflict"


@dataclass(frozen=True)
class UpstreamStatus:
    """Where a fork stands against its upstream model."""

    fork: ProcessModel
    upstream: ProcessModel
    based_on: Revision | None
    latest: Revision | None  # upstream's newest published revision
    diff: dict[str, Any] | None = None

    @property
    def newer(self) -> bool:
        if self.latest is None:
            return False
        return self.based_on is None or self.latest.number > self.based_on.number


# --- forking -----------------------------------------------------------------------------------


def fork_model(
    session: Session,
    actor: Actor,
    revision: Revision,
    *,
    authority: Authority,
    max_bytes: int,
    process: Process | None = None,
    title: str | None = None,
) -> ProcessModel:
    """Take a published revision over into ``authority``: a new model with its first draft holding
    exactly upstream's bytes. Without ``process`` a new Registereintrag is created from upstream's."""
    require(actor, Permission.MODEL_FORK, owned_by(authority.id))
    upstream = revision.model
    _ensure_forkable(session, revision, authority)
    if process is None:
        process = _copy_process(session, actor, upstream, authority)
    elif process.authority_id != authority.id:
        raise ValidationFailed(
            _("Der Registereintrag gehört nicht Ihrer Behörde."),
            errors={"process_id": [_("Bitte einen Registereintrag der eigenen Behörde wählen.")]},
        )
    fork = library.create_model(
        session,
        actor,
        process,
        title=(title or "").strip() or upstream.title,
        description=upstream.description,
    )
    fork.upstream_model_id, fork.upstream_revision_id = upstream.id, revision.id
    _copy_revision(session, actor, fork, revision, max_bytes, f"Abgeleitet von {source(revision)}")
    record(
        session,
        actor,
        "model.forked",
        object_type="process_model",
        object_id=fork.id,
        authority_id=authority.id,
        before=None,
        after=_upstream_state(fork, revision),
    )
    return fork


def source(revision: Revision) -> str:
    """„<Behörde>: <Titel>, Revision n“ – how a revision is named in messages."""
    model = revision.model
    return f"{model.authority.name}: {model.title}, Revision {revision.number}"


def _ensure_forkable(session: Session, revision: Revision, authority: Authority) -> None:
    if revision.status is not RevisionStatus.PUBLISHED:
        raise ForkConflict(_("Übernehmen lassen sich nur veröffentlichte Revisionen."))
    if revision.model.authority_id == authority.id:
        raise ForkConflict(_("Dieses Modell gehört bereits Ihrer Behörde."))
    existing = session.scalar(
        select(ProcessModel).where(
            ProcessModel.upstream_model_id == revision.model_id,
            ProcessModel.authority_id == authority.id,
        )
    )
    if existing is not None:
        raise ForkConflict(
            _(
                "Ihre Behörde hat dieses Modell bereits übernommen: „%(title)s“.",
                title=existing.title,
            ),
            errors={"fork_id": [str(existing.id)]},
        )


def _copy_process(
    session: Session, actor: Actor, upstream: ProcessModel, authority: Authority
) -> Process:
    snapshot = catalog.snapshot(upstream.process)
    data = {name: snapshot[name] for name in COPIED_STECKBRIEF_FIELDS}
    message = f"Abgeleitet von {upstream.authority.name}: {upstream.process.title}"
    return catalog.create_process(session, actor, authority, data, message=message)


def _copy_revision(
    session: Session,
    actor: Actor,
    fork: ProcessModel,
    revision: Revision,
    max_bytes: int,
    message: str,
) -> Revision:
    """A new draft of ``fork`` with exactly ``revision``'s bytes (checked and extracted anew)."""
    return library.add_revision(
        session,
        actor,
        fork,
        library.Upload(
            data=library.read_blob(session, revision.blob_sha256), filename=revision.filename
        ),
        message=message,
        max_bytes=max_bytes,
    )


# --- upstream ----------------------------------------------------------------------------------


def upstream_status(
    session: Session, fork: ProcessModel, *, max_bytes: int | None = None
) -> UpstreamStatus:
    """Whether upstream has published something newer than the fork is based on; with
    ``max_bytes`` also the semantic diff between the two."""
    if fork.upstream_model is None:
        raise NotFound(_("Dieses Modell ist aus keinem anderen abgeleitet."))
    status = UpstreamStatus(
        fork=fork,
        upstream=fork.upstream_model,
        based_on=fork.upstream_revision,
        latest=latest_published(session, fork.upstream_model),
    )
    if max_bytes is None or not status.newer or status.based_on is None or status.latest is None:
        return status
    diff = analysis.diff(
        library.read_blob(session, status.based_on.blob_sha256),
        library.read_blob(session, status.latest.blob_sha256),
        old_name=status.based_on.filename,
        new_name=status.latest.filename,
        max_bytes=max_bytes,
    )
    return UpstreamStatus(fork, status.upstream, status.based_on, status.latest, diff)


def latest_published(session: Session, model: ProcessModel) -> Revision | None:
    return session.scalar(
        select(Revision)
        .where(Revision.model_id == model.id, Revision.status == RevisionStatus.PUBLISHED)
        .order_by(Revision.number.desc())
        .limit(1)
    )


def take_over_upstream(
    session: Session, actor: Actor, fork: ProcessModel, *, upstream_number: int, max_bytes: int
) -> Revision:
    """Add upstream's newer revision to the fork as a draft. ``upstream_number`` is the upstream
    revision the owner saw and confirmed; if upstream moved on meanwhile, nothing happens (409)."""
    require(actor, Permission.REVISION_CREATE, fork)
    status = upstream_status(session, fork)
    if not status.newer or status.latest is None:
        raise ForkConflict(_("Upstream hat nichts Neueres veröffentlicht."))
    if status.latest.number != upstream_number:
        raise ForkConflict(
            _(
                "Upstream hat inzwischen Revision %(latest)s veröffentlicht, bestätigt "
                "war Revision %(confirmed)s. Bitte prüfen Sie den neuen Vergleich.",
                latest=status.latest.number,
                confirmed=upstream_number,
            ),
            errors={"upstream_number": [str(status.latest.number)]},
        )
    before = _upstream_state(fork, status.based_on)
    _move_upstream(session, fork, status.based_on, status.latest)
    revision = _copy_revision(
        session,
        actor,
        fork,
        status.latest,
        max_bytes,
        f"Upstream übernommen: {source(status.latest)}",
    )
    record(
        session,
        actor,
        "model.upstream_taken_over",
        object_type="process_model",
        object_id=fork.id,
        authority_id=fork.authority_id,
        before=before,
        after=_upstream_state(fork, status.latest),
        details={"revision": revision.number},
    )
    return revision


def _move_upstream(
    session: Session, fork: ProcessModel, based_on: Revision | None, latest: Revision
) -> None:
    """Compare and set: of two owners taking over at once, only one gets through."""
    current = ProcessModel.upstream_revision_id
    moved = session.execute(
        update(ProcessModel)
        .where(
            ProcessModel.id == fork.id,
            current == based_on.id if based_on else current.is_(None),
        )
        .values(upstream_revision_id=latest.id)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise ForkConflict(
            _("Upstream wurde gerade schon übernommen. Bitte laden Sie die Seite neu.")
        )
    session.expire(fork, ["upstream_revision_id", "upstream_revision"])


def _upstream_state(fork: ProcessModel, revision: Revision | None) -> dict[str, object]:
    return {
        "upstream_model": str(fork.upstream_model_id),
        "upstream_revision": revision.number if revision else None,
    }


# --- who uses a model --------------------------------------------------------------------------


def forks_of(session: Session, model: ProcessModel) -> list[ProcessModel]:
    """The forks of ``model`` with their authorities, by authority name."""
    return forks_of_models(session, [model.id])


def forks_of_models(session: Session, model_ids: list[uuid.UUID]) -> list[ProcessModel]:
    if not model_ids:
        return []
    return list(
        session.scalars(
            select(ProcessModel)
            .join(ProcessModel.authority)
            .where(ProcessModel.upstream_model_id.in_(model_ids))
            .options(joinedload(ProcessModel.authority))
            .order_by(Authority.name, ProcessModel.title, ProcessModel.id)
        )
    )


def authorities_using(forks: list[ProcessModel]) -> list[Authority]:
    """The distinct authorities among ``forks``, in their order."""
    return list({fork.authority_id: fork.authority for fork in forks}.values())


def user_counts(session: Session, model_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many authorities use (have forked) each of the given models."""
    if not model_ids:
        return {}
    rows = session.execute(
        select(ProcessModel.upstream_model_id, func.count(func.distinct(ProcessModel.authority_id)))
        .where(ProcessModel.upstream_model_id.in_(model_ids))
        .group_by(ProcessModel.upstream_model_id)
    )
    return {model_id: count for model_id, count in rows}
