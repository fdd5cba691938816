"""Search quality: recall@5 and MRR of the relevance set, for both search backends.

    .venv/bin/python benchmarks/search_quality.py [--backend whoosh|postgresql|both] [--misses]

Loads the seed register into a fresh database (SQLite for Whoosh, a PostgreSQL server started like
the tests start it for the PostgreSQL backend), builds the index and sends every query of
tests/search/queries.tsv through the same service the API uses. A query counts as found when one of
the first five hits carries an expected LeiKa key. Target: recall@5 at least 0.90.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app, migrate  # noqa: E402
from app.authz import ANONYMOUS  # noqa: E402
from app.db import get_database  # noqa: E402
from app.search import search_runtime  # noqa: E402
from app.search.services import Query, search  # noqa: E402
from app.seed import load_seed  # noqa: E402

QUERIES = ROOT / "tests" / "search" / "queries.tsv"
SEED = ROOT / "seed" / "musterregister"
TARGET_RECALL = 0.90
CUTOFF = 5


@dataclass(frozen=True)
class Judged:
    query: str
    category: str
    rank: int | None  # 1-based rank of the first right hit within the cutoff
    seconds: float
    titles: tuple[str, ...]


def read_queries(path: Path = QUERIES) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@contextmanager
def database_url(backend: str, folder: Path) -> Iterator[str]:
    if backend == "whoosh":
        yield f"sqlite:///{folder / 'quality.sqlite3'}"
        return
    from tests.support.postgres import PostgresServer

    server = PostgresServer()
    server.start()
    try:
        yield server.create_database("search_quality")
    finally:
        server.stop()


def judge(app, rows: list[dict[str, str]]) -> list[Judged]:
    runtime, database = search_runtime(app), get_database(app)
    judged = []
    with app.test_request_context(), database.session(write=False) as session:
        for row in rows:
            expected = set(row["expected"].split("|"))
            start = time.perf_counter()
            result = search(
                session, runtime, ANONYMOUS, Query(row["query"], per_page=CUTOFF, with_facets=False)
            )
            seconds = time.perf_counter() - start
            rank = next(
                (n for n, hit in enumerate(result.hits, 1) if expected & set(hit.leika_keys)), None
            )
            titles = tuple(hit.title for hit in result.hits)
            judged.append(Judged(row["query"], row["category"], rank, seconds, titles))
    return judged


def measure(backend: str, rows: list[dict[str, str]]) -> list[Judged]:
    with tempfile.TemporaryDirectory() as folder, database_url(backend, Path(folder)) as url:
        migrate.upgrade(url)
        app = create_app(
            {
                "instance_path": Path(folder) / "instance",
                "database_url": url,
                "secret_key": "benchmark-secret-key-long-enough-for-the-rules",
                "background_jobs": False,
                "search_backend": backend,
            }
        )
        database = get_database(app)
        load_seed(database, SEED, max_bytes=10 * 1024 * 1024, demo_accounts=False)
        start = time.perf_counter()
        documents = search_runtime(app).rebuild()
        print(f"[{backend}] Index: {documents} Dokumente in {time.perf_counter() - start:.1f} s")
        try:
            return judge(app, rows)
        finally:
            search_runtime(app).close()
            database.dispose()


def report(backend: str, judged: list[Judged], *, show_misses: bool) -> bool:
    found = [j for j in judged if j.rank is not None]
    recall = len(found) / len(judged)
    mrr = sum(1 / j.rank for j in found if j.rank) / len(judged)
    milliseconds = sorted(j.seconds * 1000 for j in judged)
    p95 = milliseconds[int(len(milliseconds) * 0.95) - 1]
    verdict = "erreicht" if recall >= TARGET_RECALL else "verfehlt"
    print(f"[{backend}] {len(judged)} Anfragen")
    print(f"[{backend}] recall@{CUTOFF}: {recall:.3f} (Ziel ≥ {TARGET_RECALL:.2f}: {verdict})")
    print(f"[{backend}] MRR: {mrr:.3f}")
    print(
        f"[{backend}] Zeit je Anfrage (Dienst, ohne HTTP): Median "
        f"{statistics.median(milliseconds):.1f} ms, p95 {p95:.1f} ms"
    )
    by_category: dict[str, list[Judged]] = defaultdict(list)
    for j in judged:
        by_category[j.category].append(j)
    for category, items in sorted(by_category.items()):
        share = sum(1 for j in items if j.rank) / len(items)
        print(f"[{backend}]   {category:<15} {share:.3f} ({len(items)} Anfragen)")
    if show_misses:
        for j in judged:
            if j.rank is None:
                print(f"[{backend}]   verfehlt: {j.query!r} → {' | '.join(j.titles[:3])}")
    return recall >= TARGET_RECALL


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["whoosh", "postgresql", "both"], default="both")
    parser.add_argument("--misses", action="store_true", help="Verfehlte Anfragen zeigen")
    args = parser.parse_args(argv)
    rows = read_queries()
    backends = ["whoosh", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        report(backend, measure(backend, rows), show_misses=args.misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
