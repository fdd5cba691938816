"""Load: 115 agents searching and contributors uploading against gunicorn + PostgreSQL.

    .venv/bin/python benchmarks/load.py [--duration 120] [--agents 50] [--contributors 5]
        [--workers 2] [--threads 8] [--search-backend whoosh|postgresql] [--saturation 20]
        [--samples FOLDER]

Set-up (not measured): a PostgreSQL server of its own (tests/support/postgres.py) with one
database at production commit durability (``synchronous_commit=on``, which the test server
switches off; ``fsync`` stays off there, so a disk's flush latency is not in the figures), the
schema from the migrations, the whole seed register (4.8k documents), the search index built with
``musterregister search rebuild``, and per contributor an account with an API token and a process
model of its own in one of the seed authorities. The register runs as it does in production:
``musterregister serve`` (gunicorn, by default one worker per core × 8 threads, the settings of
``serve``) on one host, with the register's default search index (``whoosh``, embedded, one per
host); ``--search-backend postgresql`` measures the index in the database that several hosts
behind a proxy share (docs/suche.md), which costs more CPU per search.

Load, all over real HTTP from threads with one ``requests.Session`` each:

* ``--agents`` 115 agents work like the /115 page (app/web/static/js/hotline.js): they type a
  query from tests/search/queries.tsv key by key, 150–300 ms a key (a fast typist, slower than
  the page's 120 ms debounce, so every key asks ``GET /api/v1/search?typing=true&facets=false
  &per_page=8``: "Type-ahead"); then one full search with facets as /suche sends it ("Suche").
  Then the agent talks and reads: a think time of 5–25 s (uniform) before the next query – one
  query every ~18 s per agent, more often than a real call needs.
* ``--contributors`` contributors upload BPMN revisions (``POST /api/v1/models/{id}/revisions``
  with a bearer token, "Upload"): the twelve Musterprozesse and the 21 BPMN MIWG reference models
  in turn, each with a comment naming contributor and upload so no two hashes are equal, 2–6 s
  apart (uniform) – far more often than people upload.

First 30 s of warm-up (same load), then ``--duration`` seconds measured: every request started in
that window counts. The warm-up is the half minute after a (re)start, with every cache cold: the
response cache (which, warm, answers the short prefixes every query begins with), PostgreSQL's
buffers, each new connection's catalogue and prepared statements, the lexeme cache. Its latencies
are printed too ("Anlauf"), without a target: they are what a restart costs, not the running
service. Measured on this machine, the first 20–25 s after a start were two to four times slower
than the rest. Afterwards every acknowledged upload (201) is fetched back
with its contributor's token and its SHA-256 compared with the bytes sent; a missing or different
one is lost. Last, unless ``--saturation 0``: the agents for ``--saturation`` seconds without
typing pauses or think time (no uploads) – the throughput where the server is the bottleneck.

Rate limits are off (``MUSTERREGISTER_RATELIMITS=false``): this measures what the server can
carry, and all agents share one client address, as a call centre behind NAT does; the output names
their requests per minute next to the default search limit per address. ``--ratelimits`` keeps the
production limits (a refused request then counts as an error).

Besides latencies, each phase prints the CPU seconds that gunicorn (master and workers) and
PostgreSQL (all backends) used in its window, read from /proc: per request, that figure does not
depend on other load on the machine, unlike the latencies. A user's pause that may outlast the
server's keep-alive closes its idle connection first (as a browser's retry would hide the race
with the server's close). Errors the server logged are counted and summarised at the end.

Targets: p95 ≤ 150 ms for Type-ahead and for Suche; zero errors of any kind; zero lost uploads.
The exit code is 1 when a target is missed (so a scheduled run can alarm), else 0. The load
generator runs on the same machine as server and database and takes CPU from them; the figures
are therefore on the pessimistic side for the server.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select, text  # noqa: E402

from app import migrate  # noqa: E402
from app.config import Settings  # noqa: E402
from app.db import Database  # noqa: E402
from app.identity.models import Authority, Role  # noqa: E402
from app.seed import load_seed  # noqa: E402
from tests.factories import SEED_MODELS, make_member, make_model, make_process  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402
from tests.support.server import RegisterProcess  # noqa: E402

TARGET_P95_MS = 150.0
WARMUP_SECONDS = 30.0  # see the module's docstring: the start-up with cold caches
KEY_SECONDS = (0.15, 0.30)
# What PostgreSQL logs (kept by --samples): statements slower than the target, autovacuum, locks
SERVER_LOG_SETTINGS = (
    "log_min_duration_statement = 150",
    "log_autovacuum_min_duration = 0",
    "log_lock_waits = on",
)
THINK_SECONDS = (5.0, 25.0)
UPLOAD_PAUSE_SECONDS = (2.0, 6.0)
KEEPALIVE_SECONDS = 2.0  # gunicorn's default keep-alive; ``musterregister serve`` keeps longer
TIMEOUT_SECONDS = 30
QUERIES = ROOT / "tests" / "search" / "queries.tsv"
MIWG_MODELS = ROOT.parent / "shared" / "data" / "bpmn-miwg-reference"
CONTRIBUTOR_AUTHORITIES = ["hamm", "kreis-steinfurt", "wuppertal", "landkreis-lueneburg", "dresden"]
TYPE_AHEAD, SEARCH, UPLOAD = "Type-ahead", "Suche", "Upload"
KINDS = (TYPE_AHEAD, SEARCH, UPLOAD)


@dataclass
class Sample:
    kind: str
    started: float
    seconds: float
    error: str | None  # None: a success


@dataclass
class Contributor:
    headers: dict[str, str]
    model_id: str


@dataclass
class Recorder:
    """Samples of the measured window, acknowledged uploads, and when to stop."""

    window: tuple[float, float] = (0.0, 0.0)
    stop_at: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    warmup_samples: list[Sample] = field(default_factory=list)
    cpu: tuple[float, float, float] = (0.0, 0.0, 0.0)  # gunicorn, PostgreSQL, load generator
    acknowledged: list[tuple[Contributor, int, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def running(self) -> bool:
        return time.monotonic() < self.stop_at

    def timed(self, kind: str, call: Callable[[], requests.Response], ok: int = 200):
        started = time.monotonic()
        try:
            response = call()
            error = None if response.status_code == ok else f"HTTP {response.status_code}"
        except requests.RequestException as exception:
            response, error = None, f"{type(exception).__name__}: {str(exception)[:120]}"
        sample = Sample(kind, started, time.monotonic() - started, error)
        if self.window[0] <= started < self.window[1]:
            with self.lock:
                self.samples.append(sample)
        elif started < self.window[0]:
            with self.lock:
                self.warmup_samples.append(sample)
        return response if error is None else None


# --- set-up ------------------------------------------------------------------------------------


def prepare_database(postgres: PostgresServer) -> str:
    url = postgres.create_database("musterregister_load")
    admin = Database(postgres.url())
    with admin.engine.connect() as connection:
        connection.execute(text('ALTER DATABASE "musterregister_load" SET synchronous_commit = on'))
        connection.commit()
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for setting in SERVER_LOG_SETTINGS:
            connection.execute(text(f"ALTER SYSTEM SET {setting}"))
        connection.execute(text("SELECT pg_reload_conf()"))
    admin.dispose()
    migrate.upgrade(url)
    database = Database(url)
    try:
        load_seed(database, ROOT / "seed" / "musterregister", max_bytes=10 * 1024 * 1024)
    finally:
        database.dispose()
    return url


def make_contributors(url: str, count: int) -> list[Contributor]:
    database = Database(url)
    contributors = []
    try:
        with database.transaction() as session:
            for number in range(count):
                slug = CONTRIBUTOR_AUTHORITIES[number % len(CONTRIBUTOR_AUTHORITIES)]
                authority = session.scalar(select(Authority).where(Authority.slug == slug))
                member = make_member(session, authority, Role.CONTRIBUTOR)
                process = make_process(session, authority, title=f"Lastprobe {number + 1}")
                model = make_model(session, process, title=f"Lastprobe {number + 1}")
                contributors.append(Contributor(member.headers, str(model.id)))
    finally:
        database.dispose()
    return contributors


def build_search_index(server: RegisterProcess) -> None:
    subprocess.run(
        [sys.executable, "-m", "app.cli", "search", "rebuild"],
        cwd=ROOT,
        env=server.environ,
        check=True,
        capture_output=True,
    )


def settle(url: str) -> None:
    """What autovacuum would do within its next minute or two after the seed and the index were
    written (the rebuild replaced every row of the index table): done now, so that it does not
    fall into the measured window of a server that has just been filled."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
    finally:
        engine.dispose()


def read_queries() -> list[str]:
    with QUERIES.open(encoding="utf-8") as file:
        return [row["query"] for row in csv.DictReader(file, delimiter="\t")]


def model_files() -> list[bytes]:
    paths = sorted(SEED_MODELS.glob("*.bpmn")) + sorted(MIWG_MODELS.glob("*.bpmn"))
    return [path.read_bytes() for path in paths]


def varied(data: bytes, contributor: int, upload: int) -> bytes:
    """The same model with a comment after the XML declaration: a new hash, the same diagram."""
    comment = f"<!-- Lastprobe: Beitragende {contributor}, Upload {upload} -->\n".encode()
    declaration_end = data.find(b"?>") + 2 if data.startswith(b"<?xml") else 0
    if declaration_end:
        return data[:declaration_end] + b"\n" + comment + data[declaration_end:].lstrip(b"\r\n")
    return comment + data


# --- the users -----------------------------------------------------------------------------------


def pause(recorder: Recorder, seconds: float, session: requests.Session | None = None) -> None:
    """Wait; a pause that may outlast the server's keep-alive ends the idle connection first, as
    the server would, so the next request opens a new one instead of racing the server's close
    (a browser retries such a request; ``requests`` would report it as an error)."""
    if session is not None and seconds > KEEPALIVE_SECONDS:
        session.close()
    deadline = min(time.monotonic() + seconds, recorder.stop_at)
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, 0.5))


def agent(base: str, queries: list[str], recorder: Recorder, seed: int, think: bool) -> None:
    rng, session, url = random.Random(seed), requests.Session(), f"{base}/api/v1/search"
    if think:  # not all agents start typing in the same second
        pause(recorder, rng.uniform(0, THINK_SECONDS[1]))
    while recorder.running():
        query = rng.choice(queries)
        for length in range(1, len(query) + 1):
            key_started = time.monotonic()
            params = {"q": query[:length], "typing": "true", "facets": "false", "per_page": "8"}
            recorder.timed(TYPE_AHEAD, lambda p=params: session.get(url, params=p, timeout=30))
            if think:
                pause(recorder, rng.uniform(*KEY_SECONDS) - (time.monotonic() - key_started))
        recorder.timed(SEARCH, lambda q=query: session.get(url, params={"q": q}, timeout=30))
        if think:
            pause(recorder, rng.uniform(*THINK_SECONDS), session)


def contributor_loop(
    base: str, contributor: Contributor, number: int, files: list[bytes], recorder: Recorder
) -> None:
    rng, session = random.Random(1000 + number), requests.Session()
    url = f"{base}/api/v1/models/{contributor.model_id}/revisions"
    headers = {**contributor.headers, "Content-Type": "application/xml"}
    upload = 0
    pause(recorder, rng.uniform(0, UPLOAD_PAUSE_SECONDS[1]))
    while recorder.running():
        upload += 1
        data = varied(files[(number * 7 + upload) % len(files)], number, upload)
        params = {"message": f"Lastprobe {upload}"}
        response = recorder.timed(
            UPLOAD,
            lambda d=data, p=params: session.post(
                url, params=p, data=d, headers=headers, timeout=30
            ),
            ok=201,
        )
        if response is not None:
            with recorder.lock:
                recorder.acknowledged.append(
                    (contributor, response.json()["number"], hashlib.sha256(data).hexdigest())
                )
        pause(recorder, rng.uniform(*UPLOAD_PAUSE_SECONDS), session)


def run_users(targets: list[Callable[[], None]]) -> None:
    threads = [threading.Thread(target=target, daemon=True) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run_phase(
    base: str, args: argparse.Namespace, *, seconds: float, warmup: float, think: bool
) -> Recorder:
    """All users until ``warmup + seconds`` are over; only requests after the warm-up count, and
    only the CPU used after it."""
    recorder = Recorder()
    now = time.monotonic()
    recorder.window = (now + warmup, now + warmup + seconds)
    recorder.stop_at = recorder.window[1]
    queries, files = read_queries(), model_files()
    targets: list[Callable[[], None]] = [
        lambda n=n: agent(base, queries, recorder, n, think) for n in range(args.agents)
    ]
    if think:
        targets += [
            lambda n=n, c=c: contributor_loop(base, c, n, files, recorder)
            for n, c in enumerate(args.contributor_list)
        ]
    run_users([*targets, lambda: args.cpu_meter.watch(recorder)])
    return recorder


def lost_uploads(base: str, recorder: Recorder) -> list[str]:
    lost = []
    for contributor, number, sha in recorder.acknowledged:
        url = f"{base}/api/v1/models/{contributor.model_id}/revisions/{number}/content"
        response = requests.get(url, headers=contributor.headers, timeout=TIMEOUT_SECONDS)
        stored = hashlib.sha256(response.content).hexdigest() if response.ok else None
        if stored != sha or response.headers.get("ETag", "").strip('"') != sha:
            lost.append(f"Modell {contributor.model_id} Revision {number}: {response.status_code}")
    return lost


# --- CPU ---------------------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(root: int) -> float:
    """CPU time of ``root`` and its live children, plus what its reaped children used."""
    pids = [root, *children(root)]
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # ended in between
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if pid == root:
            total += int(fields[13]) + int(fields[14])  # cutime, cstime of reaped children
    return total / CLOCK_TICKS


def children(pid: int) -> list[int]:
    try:
        return [int(n) for n in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


@dataclass
class CpuMeter:
    """CPU seconds that gunicorn (master and workers) and PostgreSQL (all backends) used."""

    server_pid: int
    postgres_pid: int

    def read(self) -> tuple[float, float, float]:
        return cpu_seconds(self.server_pid), cpu_seconds(self.postgres_pid), time.process_time()

    def watch(self, recorder: Recorder) -> None:
        """CPU used between the start and the end of the recorder's window."""
        time.sleep(max(0.0, recorder.window[0] - time.monotonic()))
        before = self.read()
        time.sleep(max(0.0, recorder.window[1] - time.monotonic()))
        recorder.cpu = tuple(
            after - start for after, start in zip(self.read(), before, strict=True)
        )


def postmaster_pid(postgres: PostgresServer) -> int:
    return int((postgres.data / "postmaster.pid").read_text().split()[0])


# --- report ------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def report(title: str, recorder: Recorder, seconds: float, kinds: tuple[str, ...]) -> bool:
    print(f"\n{title}")
    print(
        f"{'Art':<12}{'Anfragen':>10}{'pro s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'Fehler':>8}  Ziel p95 ≤ {TARGET_P95_MS:.0f} ms, 0 Fehler"
    )
    met = True
    for kind in kinds:
        samples = [s for s in recorder.samples if s.kind == kind]
        times = [s.seconds * 1000 for s in samples] or [0.0]
        errors = sum(1 for s in samples if s.error)
        p95 = percentile(times, 0.95)
        kind_met = errors == 0 and (kind == UPLOAD or p95 <= TARGET_P95_MS)
        met &= kind_met
        print(
            f"{kind:<12}{len(samples):>10}{len(samples) / seconds:>9.1f}"
            f"{percentile(times, 0.50):>9.0f}{p95:>9.0f}{percentile(times, 0.99):>9.0f}"
            f"{errors:>8}  {'erreicht' if kind_met else 'VERFEHLT'}"
        )
    total = len(recorder.samples)
    print(f"{'gesamt':<12}{total:>10}{total / seconds:>9.1f}")
    searches = sum(1 for s in recorder.samples if s.kind != UPLOAD)
    print(
        f"Suchanfragen je Minute von der einen Adresse aller Agenten: {searches * 60 / seconds:.0f} "
        f"(Standardgrenze je Adresse: {getattr(Settings, 'ratelimit_search', '–')})"
    )
    for error in sorted({f"{s.kind}: {s.error}" for s in recorder.samples if s.error})[:10]:
        print(f"  Fehler: {error}")
    report_cpu(recorder, seconds)
    return met


def report_warmup(recorder: Recorder) -> bool:
    """The start-up's latencies (no target) and its errors (none allowed here either)."""
    print(
        f"\nAnlauf: die ersten {WARMUP_SECONDS:.0f} s nach dem Start, kalte Zwischenspeicher (kein Ziel für p95):"
    )
    for kind in KINDS:
        times = [s.seconds * 1000 for s in recorder.warmup_samples if s.kind == kind] or [0.0]
        print(
            f"{kind:<12}{len(times):>10}  p50 {percentile(times, 0.50):.0f} ms, "
            f"p95 {percentile(times, 0.95):.0f} ms, p99 {percentile(times, 0.99):.0f} ms"
        )
    errors = sorted({f"{s.kind}: {s.error}" for s in recorder.warmup_samples if s.error})
    for error in errors[:10]:
        print(f"  Fehler: {error}")
    return not errors


def report_cpu(recorder: Recorder, seconds: float) -> None:
    server, postgres, client = recorder.cpu
    requests_done = max(1, len(recorder.samples))
    busy = (server + postgres + client) / seconds / (os.cpu_count() or 1)
    print(
        f"CPU im Messfenster: gunicorn {server:.1f} s, PostgreSQL {postgres:.1f} s, Lastgenerator "
        f"{client:.1f} s ({busy:.0%} aller Kerne); je Anfrage gunicorn + PostgreSQL "
        f"{(server + postgres) * 1000 / requests_done:.0f} ms"
    )


def report_uploads(lost: list[str], acknowledged: int) -> bool:
    print(
        f"\nUpload-Prüfung: {acknowledged} bestätigte Uploads zurückgeholt, SHA-256 verglichen: "
        f"{len(lost)} verloren – {'erreicht' if not lost else 'VERFEHLT'}"
    )
    for line in lost[:10]:
        print(f"  verloren: {line}")
    return not lost


def report_server_log(path: Path) -> None:
    """Errors the server logged (worker timeouts, tracebacks): the cause of failed requests."""
    problems = [
        line.strip()
        for line in path.read_text(errors="replace").splitlines()
        if re.search(r"ERROR|CRITICAL|WORKER TIMEOUT|Traceback", line)
    ]
    print(f"Fehlermeldungen im Serverprotokoll: {len(problems)}")
    for line in problems[:5]:
        print(f"  {summary(line)[:300]}")


def summary(line: str) -> str:
    """A JSON log line as its message and the last line of its traceback."""
    try:
        entry = json.loads(line)
    except ValueError:
        return line
    cause = (entry.get("exc_info") or "").strip().splitlines()[-1:]
    return " – ".join([entry.get("message", ""), *cause])


def describe_machine(args: argparse.Namespace) -> None:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}: {os.cpu_count()} Kerne, "
        f"{memory:.0f} GiB, Python {platform.python_version()}, Systemlast {load_average()}"
    )
    print(
        f"gunicorn {args.workers} Worker × {args.threads} Threads, "
        f"Ratenbegrenzung {'an' if args.ratelimits else 'aus'}, PostgreSQL "
        f"(synchronous_commit=on), Suche: {args.search_backend}; {args.agents} Agentinnen/Agenten "
        f"(Tastenabstand {KEY_SECONDS[0] * 1000:.0f}–{KEY_SECONDS[1] * 1000:.0f} ms, Denkpause "
        f"{THINK_SECONDS[0]:.0f}–{THINK_SECONDS[1]:.0f} s), {args.contributors} Beitragende "
        f"(Pause {UPLOAD_PAUSE_SECONDS[0]:.0f}–{UPLOAD_PAUSE_SECONDS[1]:.0f} s); "
        f"{WARMUP_SECONDS:.0f} s Aufwärmen, {args.duration} s gemessen"
    )


def load_average() -> str:
    return " / ".join(f"{value:.1f}".replace(".", ",") for value in os.getloadavg())


# --- main --------------------------------------------------------------------------------------


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=120, help="gemessene Sekunden")
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--contributors", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--search-backend", choices=["whoosh", "postgresql"], default="whoosh")
    parser.add_argument("--saturation", type=int, default=20, help="Sekunden ohne Pausen; 0: aus")
    parser.add_argument("--ratelimits", action="store_true", help="Grenzen wie im Betrieb")
    parser.add_argument(
        "--samples",
        type=Path,
        help="Ordner für jede Anfrage der Last (samples.csv) und die Protokolle der Server",
    )
    return parser.parse_args()


def keep_samples(folder: Path, recorder: Recorder, log_path: Path) -> None:
    """Every measured request (seconds after the start of the window) and the server's log with
    its own duration of each request: to see whether slow requests come together."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "samples.csv").open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["kind", "started_s", "seconds", "error"])
        for sample in sorted(recorder.samples, key=lambda sample: sample.started):
            started = round(sample.started - recorder.window[0], 4)
            writer.writerow([sample.kind, started, round(sample.seconds, 4), sample.error or ""])
    shutil.copyfile(log_path, folder / "server.log")


def measure(server: RegisterProcess, args: argparse.Namespace) -> bool:
    base = server.url
    describe_machine(args)
    recorder = run_phase(base, args, seconds=args.duration, warmup=WARMUP_SECONDS, think=True)
    met = report_warmup(recorder)
    met &= report("Last mit Denkpausen:", recorder, args.duration, KINDS)
    met &= report_uploads(lost_uploads(base, recorder), len(recorder.acknowledged))
    if args.samples:
        keep_samples(args.samples, recorder, server.log_path)
    if args.saturation:
        saturated = run_phase(base, args, seconds=args.saturation, warmup=3, think=False)
        report(
            f"Sättigung: {args.agents} Agentinnen/Agenten ohne Pausen, ohne Uploads (kein Ziel):",
            saturated,
            args.saturation,
            (TYPE_AHEAD, SEARCH),
        )
    report_server_log(server.log_path)
    print(f"\nSystemlast am Ende: {load_average()}")
    print(f"Alle Ziele: {'erreicht' if met else 'VERFEHLT'}")
    return met


def main() -> None:
    args = parse_arguments()
    instance = Path(tempfile.mkdtemp(prefix="musterregister-load-"))
    postgres = PostgresServer()
    server: RegisterProcess | None = None
    try:
        print("PostgreSQL, Schema und Seed-Register werden vorbereitet …", flush=True)
        postgres.start()
        url = prepare_database(postgres)
        args.contributor_list = make_contributors(url, args.contributors)
        server = RegisterProcess(
            url,
            instance,
            workers=args.workers,
            threads=args.threads,
            environ={
                "MUSTERREGISTER_SEARCH_BACKEND": args.search_backend,
                "MUSTERREGISTER_RATELIMITS": "true" if args.ratelimits else "false",
            },
        )
        build_search_index(server)
        settle(url)
        server.start(timeout=60)
        args.cpu_meter = CpuMeter(server._process.pid, postmaster_pid(postgres))
        met = measure(server, args)
    finally:
        if server is not None:
            server.stop()
        if args.samples and (postgres.base / "server.log").exists():
            args.samples.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(postgres.base / "server.log", args.samples / "postgresql.log")
        postgres.stop()
        shutil.rmtree(instance, ignore_errors=True)
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
