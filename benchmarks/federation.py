"""Federation sync: revisions/s, peak memory of the syncing process, time of a sync with nothing new.

    .venv/bin/python benchmarks/federation.py [--revisions 10000] [--database sqlite|postgresql]
                                              [--profile PATH]

Instance A is a real register process (gunicorn via ``musterregister serve``) on 127.0.0.1 with its
own database. It is filled with ``--revisions`` published revisions of different content: the twelve
Musterprozesse with their labels varied per revision (place, version, wording), spread over
authorities, processes and models; every fifth model has a second revision, whose publication
supersedes the first. Filling uses the services in large transactions: ``library.add_revision``
stores and analyses each revision as published, then the feed gets what ``review.decide`` writes
when the last approval publishes (``outbox.revision_changed``: ``published``, and ``superseded`` for
the model's previous publication), signed with A's key. Filling is not measured.

Instance B has a database of its own; A is added and confirmed as peer with ``musterregister peers``,
then ``musterregister federation sync --peer a --timing`` runs as a separate process. Measured:
its wall time (revisions/s = revisions / wall time, including start-up), its peak RSS (from
``wait4`` of exactly that process), and a second sync with nothing new – both the whole command
(Python start-up, app creation) and the sync itself as the command reports it (``--timing``).
The 200 ms target applies to the sync itself; the process time is shown for comparison.
Memory: the same sync with a fifth of the revisions first (into its own fresh instance B), then
with all of them; the peak must not grow with the number of revisions.
Targets: ≥ 200 revisions/s; memory independent of the number of revisions (peak with all
revisions at most 10 % or 8 MiB above the peak with a fifth); an empty sync ≤ 200 ms.
``--profile PATH`` runs the big sync under cProfile and writes its statistics to PATH.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app import migrate  # noqa: E402
from app.db import Database  # noqa: E402
from app.identity.models import Authority, AuthorityKind  # noqa: E402
from app.library import services as library  # noqa: E402
from app.library.models import Revision, RevisionStatus  # noqa: E402
from app.peering import outbox  # noqa: E402
from app.peering.models import EventKind, OutboxEvent  # noqa: E402
from tests.factories import (  # noqa: E402
    SEED_MODELS,
    SYSTEM,
    make_authority,
    make_model,
    make_process,
)
from tests.support.server import RegisterProcess  # noqa: E402

SECRET = "browser-test-secret-key-long-enough-for-production"  # RegisterProcess's secret key
TARGET_RATE, TARGET_EMPTY_MS = 200.0, 200.0
MEMORY_SLACK_SHARE, MEMORY_SLACK_MIB = 0.10, 8.0
BATCH = 500  # revisions per setup transaction
PEER = "a"
PLACES = [
    "Aachen",
    "Bamberg",
    "Celle",
    "Dessau",
    "Erfurt",
    "Freiburg",
    "Görlitz",
    "Hameln",
    "Ingolstadt",
    "Jena",
    "Kassel",
    "Lübeck",
    "Marburg",
    "Neuss",
    "Oldenburg",
    "Passau",
    "Quedlinburg",
    "Rostock",
    "Speyer",
    "Trier",
    "Ulm",
    "Verden",
    "Weimar",
    "Xanten",
    "Zwickau",
]
WORDING = (
    ("prüfen", "kontrollieren"),
    ("Antrag", "Gesuch"),
    ("erfassen", "aufnehmen"),
    ("eingegangen", "angekommen"),
    ("versenden", "verschicken"),
    ("Bescheid", "Entscheidung"),
    ("bearbeiten", "erledigen"),
    ("Prüfung", "Kontrolle"),
)
NAME = re.compile(r'name="([^"]*)"')
PROCESS_NAME = re.compile(r'(<bpmn:process [^>]*?name=")([^"]*)(")')


def german(number: float, decimals: int = 0) -> str:
    return f"{number:,.{decimals}f}".replace(",", "_").replace(".", ",").replace("_", ".")


def verdict(reached: bool) -> str:
    return "erreicht" if reached else "VERFEHLT"


# --- content and plan ---------------------------------------------------------------------------


def seeds() -> list[tuple[str, bytes]]:
    return [(path.stem, path.read_bytes()) for path in sorted(SEED_MODELS.glob("*.bpmn"))]


def variant(seed: bytes, index: int, place: str, number: int) -> bytes:
    """A seed model as one authority would have it: a different subset of labels reworded per
    revision, and the process named after the place and the version (so every file differs)."""
    counter = itertools.count()

    def label(match: re.Match[str]) -> str:
        value = match.group(1)
        if (index >> (next(counter) % 12)) & 1:
            for old, new in WORDING:
                value = value.replace(old, new)
        return f'name="{value}"'

    text = NAME.sub(label, seed.decode("utf-8"))
    text = PROCESS_NAME.sub(
        lambda m: f"{m.group(1)}{m.group(2)} – {place}, Fassung {index}.{number}{m.group(3)}",
        text,
        count=1,
    )
    return text.encode("utf-8")


@dataclass(frozen=True)
class Slot:
    """One model of the plan: its index, authority and how many revisions it gets (1 or 2)."""

    index: int
    authority: int
    revisions: int


def plan(revisions: int) -> list[Slot]:
    """Models for ``revisions`` revisions: every fifth model has two (the second supersedes)."""
    authorities = max(1, min(100, revisions // 100))
    slots, total = [], 0
    for index in itertools.count():
        if total >= revisions:
            break
        count = 2 if index % 5 == 4 and total + 2 <= revisions else 1
        slots.append(Slot(index, index % authorities, count))
        total += count
    return slots


# --- instance A ---------------------------------------------------------------------------------


class Origin:
    """Fills instance A's database through the services, as review publishes."""

    def __init__(self, database_url: str, base_url: str) -> None:
        self.database = Database(database_url, session_info=outbox.session_info(base_url, SECRET))
        self.seeds = seeds()
        self.authorities: dict[int, uuid.UUID] = {}  # plan's index → authority id

    def fill(self, slots: list[Slot], progress: Callable[[int], None]) -> None:
        done, batch = 0, []
        for slot in slots:
            batch.append(slot)
            if sum(s.revisions for s in batch) >= BATCH:
                done += self._write(batch)
                progress(done)
                batch = []
        if batch:
            done += self._write(batch)
            progress(done)

    def _write(self, slots: list[Slot]) -> int:
        written = 0
        with self.database.transaction() as session:
            for slot in slots:
                authority = self._authority(session, slot.authority)
                slug, seed = self.seeds[slot.index % len(self.seeds)]
                place = PLACES[slot.authority % len(PLACES)]
                title = f"{slug.replace('-', ' ').capitalize()} ({place} {slot.authority + 1})"
                process = make_process(session, authority, title=title)
                model = make_model(session, process, title=title)
                previous = None
                for number in range(1, slot.revisions + 1):
                    data = variant(seed, slot.index, place, number)
                    revision = library.add_revision(
                        session,
                        SYSTEM,
                        model,
                        library.Upload(data=data, filename=f"{slug}.bpmn"),
                        message=f"Fassung {number}",
                        max_bytes=10**7,
                        status=RevisionStatus.PUBLISHED,
                    )
                    publish(session, revision, previous)
                    previous = revision
                    written += 1
        return written

    def _authority(self, session: Session, index: int) -> Authority:
        if index not in self.authorities:
            place = PLACES[index % len(PLACES)]
            authority = make_authority(
                session,
                slug=f"gemeinde-{index + 1}",
                name=f"Gemeinde {place} {index + 1}",
                kind=AuthorityKind.GEMEINDE,
            )
            self.authorities[index] = authority.id
        return session.get(Authority, self.authorities[index])

    def counts(self) -> tuple[int, int]:
        with self.database.session(write=False) as session:
            events = session.scalar(select(func.count()).select_from(OutboxEvent))
            revisions = session.scalar(
                select(func.count()).select_from(Revision).where(Revision.origin_id.is_(None))
            )
        return events or 0, revisions or 0

    def dispose(self) -> None:
        self.database.dispose()


def publish(session, revision: Revision, previous: Revision | None) -> None:
    """What ``review.decide`` writes to the feed when the last approval publishes ``revision``
    (stored as published by ``add_revision`` above): ``published``, then ``superseded`` for the
    model's previously published revision."""
    outbox.revision_changed(session, EventKind.PUBLISHED, revision)
    if previous is not None:
        previous.status = RevisionStatus.SUPERSEDED
        session.flush()
        outbox.revision_changed(session, EventKind.SUPERSEDED, previous)


# --- instance B ---------------------------------------------------------------------------------


@dataclass
class Run:
    wall_s: float
    peak_mib: float
    sync_ms: float | None
    output: str
    cpu_s: float = 0.0  # user + system time of the sync process (all its threads)
    origin_cpu_s: float = 0.0  # what instance A's server processes spent meanwhile


def cli(environ: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"musterregister {' '.join(args)}:\n{result.stdout}{result.stderr}")
    return result.stdout


def add_peer(environ: dict[str, str], origin_url: str) -> None:
    added = cli(environ, "peers", "add", PEER, origin_url)
    fingerprint = next(
        line.split(":", 1)[1].strip() for line in added.splitlines() if line.startswith("Finger")
    )
    cli(environ, "peers", "confirm", PEER, "--fingerprint", fingerprint)


def sync(environ: dict[str, str], profile: Path | None = None) -> Run:
    """One ``federation sync`` process: wall time, its own peak RSS (wait4), its reported time."""
    command = [sys.executable]
    if profile is not None:
        command += ["-m", "cProfile", "-o", str(profile)]
    command += ["-m", "app.cli", "federation", "sync", "--peer", PEER, "--timing"]
    command += ["--deadline", "3600"]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(command, cwd=ROOT, env=environ, stdout=out, stderr=out)
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read().decode("utf-8", "replace")
    if process.returncode != 0:
        raise RuntimeError(f"federation sync endete mit {process.returncode}:\n{output}")
    timing = re.search(r"Dauer des Abgleichs: ([\d.]+) ms", output)
    # ru_maxrss is in KiB on Linux
    sync_ms = float(timing.group(1)) if timing else None
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall, usage.ru_maxrss / 1024, sync_ms, output, cpu_s=cpu)


def process_cpu_s(pid: int) -> float:
    """User + system seconds of a process and its direct children (gunicorn's workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    total = 0.0
    for each in [pid, *map(int, children)]:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def mirrored(database_url: str) -> tuple[int, int]:
    database = Database(database_url)
    try:
        with database.session(write=False) as session:
            rows = dict(
                session.execute(
                    select(Revision.status, func.count())
                    .where(Revision.origin_id.is_not(None))
                    .group_by(Revision.status)
                ).all()
            )
    finally:
        database.dispose()
    return sum(rows.values()), rows.get(RevisionStatus.PUBLISHED, 0)


# --- databases ----------------------------------------------------------------------------------


@contextmanager
def databases(kind: str, folder: Path) -> Iterator[Callable[[str], str]]:
    """A factory of empty databases migrated to head: SQLite files or a throwaway PostgreSQL."""
    if kind == "sqlite":

        def sqlite(name: str) -> str:
            url = f"sqlite:///{folder / f'{name}.sqlite3'}"
            migrate.upgrade(url)
            return url

        yield sqlite
        return
    from tests.support.postgres import PostgresServer

    server = PostgresServer()
    try:
        server.start()

        def postgresql(name: str) -> str:
            url = server.create_database(f"federation_{name}")
            migrate.upgrade(url)
            return url

        yield postgresql
    finally:
        server.stop()


# --- the benchmark ------------------------------------------------------------------------------


@dataclass
class Figures:
    revisions: int
    events: int
    small_revisions: int
    full: Run
    small: Run
    empty: list[Run]
    database: str = "sqlite"

    @property
    def rate(self) -> float:
        return self.revisions / self.full.wall_s

    @property
    def empty_ms(self) -> float:
        return statistics.median(run.sync_ms or float("inf") for run in self.empty)

    @property
    def empty_process_ms(self) -> float:
        return statistics.median(run.wall_s * 1000 for run in self.empty)

    @property
    def memory_flat(self) -> bool:
        limit = max(self.small.peak_mib * (1 + MEMORY_SLACK_SHARE), self.small.peak_mib + 8)
        return self.full.peak_mib <= limit


def measure(
    revisions: int, kind: str = "sqlite", profile: Path | None = None, echo=print
) -> Figures:
    folder = Path(tempfile.mkdtemp(prefix="musterregister-federation-bench-"))
    servers: list[RegisterProcess] = []
    try:
        with databases(kind, folder) as new_database:
            a = RegisterProcess(
                new_database("a"),
                _mkdir(folder / "a"),
                environ={"MUSTERREGISTER_NAME": "Musterregister A"},
            )
            servers.append(a)
            slots = plan(revisions)
            small_slots = list(_first(slots, max(1, revisions // 5)))
            rest = slots[len(small_slots) :]
            origin = Origin(a.environ["MUSTERREGISTER_DATABASE_URL"], a.url)
            small_count = sum(s.revisions for s in small_slots)
            started = time.perf_counter()
            try:
                origin.fill(small_slots, lambda n: None)
                a.start()
                echo(f"A ({a.url}): {german(small_count)} Revisionen veröffentlicht …")
                small_b = _instance_b(new_database("b_small"), folder / "b_small", a.url)
                small = sync(small_b)
                echo(f"  Abgleich B₁: {small.output.strip().splitlines()[0]}")
                origin.fill(rest, lambda n: echo(f"  A: {german(small_count + n)} …", end="\r"))
                events, published_on_a = origin.counts()
            finally:
                origin.dispose()
            echo(
                f"A: {german(published_on_a)} Revisionen, {german(events)} Ereignisse im Feed "
                f"(Befüllen {german(time.perf_counter() - started, 1)} s, nicht gemessen)"
            )
            b_url = new_database("b")
            b = _instance_b(b_url, folder / "b", a.url)
            origin_cpu = process_cpu_s(a._process.pid)
            full = sync(b, profile)
            full.origin_cpu_s = process_cpu_s(a._process.pid) - origin_cpu
            echo(f"  Abgleich B: {full.output.strip().splitlines()[0]}")
            empty = [sync(b) for _ in range(3)]
            echo(f"  leerer Abgleich: {empty[-1].output.strip().splitlines()[0]}")
            total, published = mirrored(b_url)
            if total != revisions:
                raise RuntimeError(f"B spiegelt {total} statt {revisions} Revisionen")
            echo(f"B spiegelt {german(total)} Revisionen, davon {german(published)} veröffentlicht")
            return Figures(revisions, events, small_count, full, small, empty, kind)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _first(slots: list[Slot], revisions: int) -> Iterator[Slot]:
    """The first slots of the plan holding at least ``revisions`` revisions."""
    total = 0
    for slot in slots:
        if total >= revisions:
            return
        yield slot
        total += slot.revisions


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _instance_b(database_url: str, folder: Path, origin_url: str) -> dict[str, str]:
    b = RegisterProcess(database_url, _mkdir(folder), environ={"MUSTERREGISTER_NAME": "B"})
    add_peer(b.environ, origin_url)
    return b.environ


def report(figures: Figures) -> bool:
    full, small = figures.full, figures.small

    def cpu_ms(seconds: float) -> float:
        return seconds * 1000 / figures.revisions

    print(
        f"\nAbgleich von {german(figures.revisions)} veröffentlichten Revisionen "
        f"({german(figures.events)} Ereignisse) über Loopback, {figures.database} je Instanz:"
    )
    print(f"{'Messgröße':<52}{'Wert':>14}  {'Ziel':<22}Ergebnis")
    rows = [
        (
            "Revisionen/s (ganzer Prozess)",
            f"{german(figures.rate)}",
            f"≥ {german(TARGET_RATE)}",
            figures.rate >= TARGET_RATE,
        ),
        (f"  Dauer des Abgleichs ({german(figures.revisions)})", f"{german(full.wall_s, 1)} s"),
        ("  CPU-Zeit je Revision: Abgleich (B)", f"{german(cpu_ms(full.cpu_s), 2)} ms"),
        ("  CPU-Zeit je Revision: Server von A", f"{german(cpu_ms(full.origin_cpu_s), 2)} ms"),
        (
            f"Spitzen-RSS, {german(figures.small_revisions)} Revisionen",
            f"{german(small.peak_mib, 1)} MiB",
        ),
        (
            f"Spitzen-RSS, {german(figures.revisions)} Revisionen",
            f"{german(full.peak_mib, 1)} MiB",
            "unabhängig von N",
            figures.memory_flat,
        ),
        (
            "Leerer Abgleich, Abgleich selbst (Median von 3)",
            f"{german(figures.empty_ms, 1)} ms",
            f"≤ {german(TARGET_EMPTY_MS)} ms",
            figures.empty_ms <= TARGET_EMPTY_MS,
        ),
        (
            "Leerer Abgleich, ganzer Befehl mit Programmstart",
            f"{german(figures.empty_process_ms)} ms",
            "(zum Vergleich)",
        ),
    ]
    met = True
    for name, value, *target in rows:
        goal, reached = [*target, None, None][:2]
        mark = "" if reached is None else verdict(reached)
        met &= reached is not False
        print(f"{name:<52}{value:>14}  {goal or '':<22}{mark}")
    print(
        "\nRevisionen/s = Revisionen / Wandzeit des Befehls 'federation sync' (mit Programmstart). "
        "Das Ziel für den leeren Abgleich gilt dem Abgleich selbst (--timing: Peers lesen, "
        "Selbstauskunft und Schlüssel prüfen, Feed abfragen, Stand speichern), ohne Python- und "
        "App-Start. CPU-Zeit: Nutzer- und Systemzeit des Abgleichsprozesses (alle Threads) bzw. "
        "der Serverprozesse von A während des Abgleichs – unabhängig davon, was sonst auf der "
        "Maschine läuft. Speicher: Gleichheit bis "
        f"{MEMORY_SLACK_SHARE:.0%} bzw. {german(MEMORY_SLACK_MIB)} MiB."
    )
    print(f"\nAlle Ziele: {verdict(met)}")
    return met


def main(argv: list[str] | None = None) -> Figures:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", type=int, default=10_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--profile", type=Path, help="cProfile-Statistik des großen Abgleichs")
    args = parser.parse_args(argv)
    if args.revisions < 5:
        parser.error("--revisions: mindestens 5")

    def echo(text: str, end: str = "\n") -> None:
        print(text, end=end, flush=True)

    figures = measure(args.revisions, args.database, args.profile, echo=echo)
    report(figures)
    return figures


if __name__ == "__main__":
    main()
