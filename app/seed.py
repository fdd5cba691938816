"""Loads the seed register from ``seed/musterregister``: OZG reference data, authorities, the LeiKa
catalogue and the Musterprozesse with their BPMN models.

Idempotent: what is already there and unchanged stays untouched, so a second run writes nothing.
A seeded record that a person has edited since is never overwritten (it is reported as skipped).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.authz import Actor, system_actor
from app.catalog import services as catalog
from app.catalog.fields import SCALAR_FIELDS
from app.catalog.models import OzgService, Process, ProcessVersion
from app.db import Database
from app.fim.leika import is_leika_key
from app.identity import services as identity
from app.identity.demo import wire_demo_logins
from app.identity.models import Account, Authority, AuthorityKind, Role
from app.library import services as library
from app.library.models import ProcessModel, Revision, RevisionStatus
from app.text import slugify

SEED_ACTOR_NAME = "Musterregister-Seed"
CATALOGUE_BATCH = 250
LEGAL_BASIS = re.compile(r"\s*(?P<text>[^\[\]]+?)\s*\[(?P<url>https?://[^\]\s]+)\]\s*(?:,|$)")
MUNICIPALITY_NAME_FIXES = {"Steinfurth": "Steinfurt"}

Progress = Callable[[Iterable[Any], int, str], Iterable[Any]]


def no_progress(items: Iterable[Any], _length: int, _label: str) -> Iterable[Any]:
    return items


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def count(self, bucket: dict[str, int], kind: str) -> None:
        bucket[kind] = bucket.get(kind, 0) + 1

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.updated)


def seed_actor() -> Actor:
    return system_actor(SEED_ACTOR_NAME)


# --- input files -------------------------------------------------------------------------------


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def parse_legal_bases(text: str) -> list[dict[str, str | None]]:
    """'§ 3 X-Gesetz [http://…], Y-Verordnung [http://…]' → [{text, url}, …]."""
    bases = [{"text": match["text"], "url": match["url"]} for match in LEGAL_BASIS.finditer(text)]
    if not bases and text.strip():
        bases = [{"text": text.strip()[:500], "url": None}]
    return bases


def _website(raw: str) -> str | None:
    raw = raw.strip()
    if not raw:
        return None
    return raw if raw.startswith(("http://", "https://")) else f"https://{raw}"


# --- OZG reference data ------------------------------------------------------------------------


def seed_ozg_services(session: Session, data_dir: Path, report: SeedReport) -> None:
    existing = {service.ozg_id: service for service in session.scalars(select(OzgService))}
    for row in _read_csv(data_dir / "ozg_leistungen.csv"):
        values = {
            "name": row["name"].strip(),
            "lebenslage": row["lebenslage"].strip(),
            "themenfeld": row["themenfeld"].strip(),
            "description": row["beschreibung"].strip() or None,
        }
        service = existing.get(row["ozg_id"])
        if service is None:
            session.add(OzgService(ozg_id=row["ozg_id"], **values))
            report.count(report.created, "ozg_services")
        elif any(getattr(service, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(service, name, value)
            report.count(report.updated, "ozg_services")


# --- authorities -------------------------------------------------------------------------------


def _authority_data(seed_dir: Path) -> list[identity.AuthorityData]:
    named = json.loads((seed_dir / "authorities.json").read_text(encoding="utf-8"))
    authorities = {
        entry["slug"]: identity.AuthorityData(**{**entry, "kind": AuthorityKind(entry["kind"])})
        for entry in named
    }
    for row in _read_csv(seed_dir / "data" / "kommunen_nrw.csv"):
        name = MUNICIPALITY_NAME_FIXES.get(row["name"].strip(), row["name"].strip())
        slug = slugify(name)
        if slug in authorities:
            continue
        authorities[slug] = identity.AuthorityData(
            slug=slug,
            name=name,
            kind=AuthorityKind.GEMEINDE,
            state="NW",
            website=_website(row["url"]),
        )
    return list(authorities.values())


def seed_authorities(session: Session, actor: Actor, seed_dir: Path, report: SeedReport) -> None:
    existing = {authority.slug: authority for authority in session.scalars(select(Authority))}
    for data in _authority_data(seed_dir):
        authority = existing.get(data.slug)
        if authority is None:
            identity.create_authority(session, actor, data)
            report.count(report.created, "authorities")
        elif identity.update_authority(session, actor, authority, data):
            report.count(report.updated, "authorities")


# --- catalogue and Musterprozesse --------------------------------------------------------------


def _musterprozesse(seed_dir: Path) -> list[dict[str, Any]]:
    return json.loads((seed_dir / "musterprozesse.json").read_text(encoding="utf-8"))


def _catalogue_entries(seed_dir: Path, ozg_ids: set[str]) -> dict[str, dict[str, Any]]:
    """Desired Steckbrief per external ref: LeiKa rows, each enriched by its Musterprozess."""
    entries: dict[str, dict[str, Any]] = {}
    for row in _read_csv(seed_dir / "data" / "leistungen.csv"):
        key = row["leika_key"].strip()
        if not is_leika_key(key):
            continue
        entries[f"leika:{key}"] = {
            "title": row["name"].strip(),
            "leika_keys": [key],
            "ozg_id": row["ozg_id"] if row["ozg_id"] in ozg_ids else None,
            "legal_bases": parse_legal_bases(row["rechtsgrundlage"]),
        }
    for muster in _musterprozesse(seed_dir):
        ref = f"leika:{muster['leika_keys'][0]}"
        base = entries.get(ref, {"title": muster["title"]})
        entries[ref] = _overlay_musterprozess(base, muster)
    return entries


def _overlay_musterprozess(base: dict[str, Any], muster: dict[str, Any]) -> dict[str, Any]:
    steckbrief = {name: muster[name] for name in SCALAR_FIELDS if name in muster}
    steckbrief["leika_keys"] = muster["leika_keys"]
    steckbrief["maturity"] = muster["maturity"]
    keywords = list(muster.get("keywords", []))
    if base["title"] != muster["title"] and base["title"] not in keywords:
        keywords.append(base["title"])  # the official LeiKa name stays findable
    steckbrief["keywords"] = keywords
    return {**base, **steckbrief}


def _is_seed_owned(latest: ProcessVersion | None) -> bool:
    return (
        latest is not None
        and latest.author_account_id is None
        and latest.author_name == SEED_ACTOR_NAME
    )


def _differs(process: Process, desired: dict[str, Any]) -> bool:
    current = catalog.snapshot(process)
    for name, value in desired.items():
        if name == "maturity":
            if any(current["maturity"].get(key) != stage for key, stage in value.items()):
                return True
        elif current[name] != value:
            return True
    return False


def _latest_versions(session: Session, process_ids: list[Any]) -> dict[Any, ProcessVersion]:
    latest: dict[Any, ProcessVersion] = {}
    for start in range(0, len(process_ids), 500):
        chunk = process_ids[start : start + 500]
        for version in session.scalars(
            select(ProcessVersion)
            .where(ProcessVersion.process_id.in_(chunk))
            .order_by(ProcessVersion.version)
        ):
            latest[version.process_id] = version
    return latest


def seed_catalogue(
    database: Database, actor: Actor, seed_dir: Path, report: SeedReport, progress: Progress
) -> None:
    with database.session() as session:
        register = identity.register_authority(session)
        ozg_ids = set(session.scalars(select(OzgService.ozg_id)))
        register_id = register.id
    entries = list(_catalogue_entries(seed_dir, ozg_ids).items())
    for batch in _batches(progress(entries, len(entries), "Katalog"), CATALOGUE_BATCH):
        with database.transaction() as session:
            _seed_catalogue_batch(
                session, actor, session.get(Authority, register_id), batch, report
            )


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _seed_catalogue_batch(
    session: Session,
    actor: Actor,
    register: Authority,
    batch: list[tuple[str, dict[str, Any]]],
    report: SeedReport,
) -> None:
    refs = [ref for ref, _ in batch]
    session.scalars(select(OzgService)).all()  # into the identity map: no query per entry
    existing = {
        process.external_ref: process
        for process in session.scalars(
            select(Process)
            .where(Process.authority_id == register.id, Process.external_ref.in_(refs))
            .options(selectinload(Process.leika_key_rows), selectinload(Process.ozg_service))
        )
    }
    latest = _latest_versions(session, [process.id for process in existing.values()])
    for ref, desired in batch:
        process = existing.get(ref)
        if process is None:
            catalog.create_process(
                session, actor, register, desired, external_ref=ref, message="Aus dem Seed-Register"
            )
            report.count(report.created, "processes")
        elif not _differs(process, desired):
            continue
        elif _is_seed_owned(latest.get(process.id)):
            catalog.update_process(
                session,
                actor,
                process,
                desired,
                expected_version=process.version,
                message="Seed-Register aktualisiert",
            )
            report.count(report.updated, "processes")
        else:
            report.skipped.append(f"{ref}: von Hand geändert, Seed-Stand nicht übernommen")


def seed_musterprozess_models(
    session: Session, actor: Actor, seed_dir: Path, report: SeedReport, max_bytes: int
) -> None:
    register = identity.register_authority(session)
    for muster in _musterprozesse(seed_dir):
        process = session.scalar(
            select(Process).where(
                Process.authority_id == register.id,
                Process.external_ref == f"leika:{muster['leika_keys'][0]}",
            )
        )
        if process is None:
            report.skipped.append(f"{muster['slug']}: Katalogeintrag fehlt")
            continue
        _seed_model(session, actor, process, muster, seed_dir, report, max_bytes)


def _seed_model(
    session: Session,
    actor: Actor,
    process: Process,
    muster: dict[str, Any],
    seed_dir: Path,
    report: SeedReport,
    max_bytes: int,
) -> None:
    spec = muster["model"]
    ref = f"muster:{muster['slug']}"
    model = session.scalar(
        select(ProcessModel).where(
            ProcessModel.authority_id == process.authority_id, ProcessModel.external_ref == ref
        )
    )
    if model is None:
        model = library.create_model(session, actor, process, title=spec["title"], external_ref=ref)
        report.count(report.created, "models")
    data = (seed_dir / spec["file"]).read_bytes()
    latest = session.scalar(
        select(Revision)
        .where(Revision.model_id == model.id)
        .order_by(Revision.number.desc())
        .limit(1)
    )
    if latest is not None and latest.blob_sha256 == library.sha256_hex(data):
        return
    if latest is not None and (
        latest.author_account_id is not None or latest.author_name != SEED_ACTOR_NAME
    ):
        report.skipped.append(f"{ref}: neuere Revision von Hand, Seed-Modell nicht übernommen")
        return
    library.add_revision(
        session,
        actor,
        model,
        library.Upload(data=data, filename=Path(spec["file"]).name),
        message=spec["message"] if latest is None else "Musterprozess aktualisiert",
        max_bytes=max_bytes,
        status=RevisionStatus.PUBLISHED,
    )
    if latest is not None and latest.status is RevisionStatus.PUBLISHED:
        latest.status = RevisionStatus.SUPERSEDED
    report.count(report.created, "revisions")


# --- demo accounts -----------------------------------------------------------------------------

DEMO_ACCOUNTS = (
    (
        "demo-redaktion",
        "musterregister-redaktion",
        "Rita Redaktion (Demo)",
        (Role.CONTRIBUTOR, Role.REVIEWER, Role.REGISTER_ADMIN),
    ),
    ("demo-hamm", "hamm", "Hanna Hamm (Demo)", (Role.CONTRIBUTOR,)),
    ("demo-dresden", "dresden", "Dirk Dresden (Demo)", (Role.CONTRIBUTOR, Role.REVIEWER)),
)


def seed_demo_accounts(session: Session, actor: Actor, report: SeedReport) -> None:
    for subject, authority_slug, name, roles in DEMO_ACCOUNTS:
        exists = session.scalar(
            select(Account.id).where(
                Account.issuer == identity.LOCAL_ISSUER, Account.subject == subject
            )
        )
        if exists is None:
            authority = identity.get_authority(session, authority_slug)
            identity.create_account(
                session, actor, authority, display_name=name, roles=roles, subject=subject
            )
            report.count(report.created, "accounts")


# --- all of it ---------------------------------------------------------------------------------


def load_seed(
    database: Database,
    seed_dir: Path,
    *,
    max_bytes: int,
    demo_accounts: bool = False,
    demo_issuer: str | None = None,
    progress: Progress = no_progress,
) -> SeedReport:
    report, actor = SeedReport(), seed_actor()
    with database.transaction() as session:
        seed_ozg_services(session, seed_dir / "data", report)
        seed_authorities(session, actor, seed_dir, report)
    seed_catalogue(database, actor, seed_dir, report, progress)
    with database.transaction() as session:
        seed_musterprozess_models(session, actor, seed_dir, report, max_bytes)
        if demo_accounts:
            seed_demo_accounts(session, actor, report)
        if demo_issuer:
            wire_demo_logins(session, actor, seed_dir, demo_issuer)
    database.refresh_statistics()
    return report
