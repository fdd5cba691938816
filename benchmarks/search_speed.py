"""Search speed of the embedded Whoosh backend: indexing documents/s, query and type-ahead latency.

    .venv/bin/python benchmarks/search_speed.py [--documents 100000] [--processes 2]
                                                [--index PATH [--reuse]] [--queries N]

Builds an index of ``--documents`` realistic documents (the LeiKa catalogue plus generated authority
variants with model text, benchmarks/search_corpus.py): the vocabulary first, then
``WhooshBackend.rebuild`` with ``--processes`` writer processes. Documents/s counts both, since
a rebuild has to do both. Generating the corpus is not counted (in the register the documents come
from the database).
Then each query of tests/search/queries.tsv is planned and run as a full query (facets, 10 hits):
a cold pass right after opening the index (nothing cached) and a warm pass. Type-ahead runs every
prefix of two or more characters of each query as the last word being typed (no facets, 8 hits),
again cold (its own freshly opened index) and warm. One more pass runs the full queries as a
viewer authority with that authority as filter. Every time includes planning the query: an agent
waits for all of it.
Targets on a 2-core machine: p95 ≤ 30 ms for queries, ≤ 20 ms for type-ahead, indexing at least
1,000 documents/s.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.search.analysis import GermanAnalyzer, Vocabulary, vocabulary_counts  # noqa: E402
from app.search.backend import SearchRequest  # noqa: E402
from app.search.documents import Kind, SearchDocument  # noqa: E402
from app.search.query import Planner, Synonyms, base_synonyms  # noqa: E402
from app.search.whoosh_backend import CURRENT, WhooshBackend  # noqa: E402
from benchmarks.search_corpus import documents  # noqa: E402

QUERIES = ROOT / "tests" / "search" / "queries.tsv"
TARGET_QUERY_MS, TARGET_TYPEAHEAD_MS, TARGET_RATE = 30.0, 20.0, 1000.0
BATCH = 1000


@dataclass
class Latencies:
    name: str
    target_ms: float
    milliseconds: list[float]

    def percentile(self, share: float) -> float:
        """Nearest rank: the smallest time at least ``share`` of the requests did not exceed."""
        ordered = sorted(self.milliseconds)
        return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def german(number: float, decimals: int = 0) -> str:
    return f"{number:,.{decimals}f}".replace(",", "_").replace(".", ",").replace("_", ".")


def verdict(reached: bool) -> str:
    return "erreicht" if reached else "VERFEHLT"


def read_queries() -> list[str]:
    with QUERIES.open(encoding="utf-8", newline="") as file:
        return [row["query"] for row in csv.DictReader(file, delimiter="\t")]


def prefixes(queries: Sequence[str]) -> list[str]:
    return [query[:end] for query in queries for end in range(2, len(query) + 1)]


def busiest_authority(corpus: Sequence[SearchDocument]) -> uuid.UUID:
    """The municipality with the most processes (the catalogue's register if there is none)."""
    own = Counter(d.authority_id for d in corpus if d.kind is Kind.BEHOERDE)
    return (own or Counter(d.authority_id for d in corpus)).most_common(1)[0][0]


def analyzer_for(corpus: Sequence[SearchDocument]) -> GermanAnalyzer:
    return GermanAnalyzer(Vocabulary(vocabulary_counts(d.texts.values() for d in corpus)))


@dataclass
class Build:
    analyzer: GermanAnalyzer
    vocabulary_seconds: float
    index_seconds: float
    cpu_seconds: float  # this process
    worker_cpu_seconds: float  # the forked writer processes (this one writes a part too)


def cpu_times() -> tuple[float, float]:
    times = os.times()
    return times.user + times.system, times.children_user + times.children_system


def build(root: Path, corpus: Sequence[SearchDocument], processes: int) -> Build:
    """Vocabulary and index as ``search rebuild`` makes them."""
    start, (cpu, workers) = time.perf_counter(), cpu_times()
    analyzer = analyzer_for(corpus)
    vocabulary_done = time.perf_counter()
    backend = WhooshBackend(root)
    batches = (corpus[i : i + BATCH] for i in range(0, len(corpus), BATCH))
    with backend.write_lock():
        backend.rebuild(None, batches, analyzer, processes=processes)  # type: ignore[arg-type]
    backend.close()
    end, (cpu_end, workers_end) = time.perf_counter(), cpu_times()
    return Build(
        analyzer,
        vocabulary_done - start,
        end - vocabulary_done,
        cpu_end - cpu,
        workers_end - workers,
    )


def opened(root: Path) -> tuple[WhooshBackend, float]:
    """A backend as a freshly started process has it: index opened, nothing cached."""
    backend = WhooshBackend(root)
    start = time.perf_counter()
    backend.view()
    return backend, time.perf_counter() - start


def timed(
    backend: WhooshBackend, texts: Sequence[str], request: Callable[[str], SearchRequest]
) -> list[float]:
    """Milliseconds per text for planning and searching it."""
    milliseconds = []
    for text in texts:
        start = time.perf_counter()
        backend.search(None, request(text))  # type: ignore[arg-type]
        milliseconds.append((time.perf_counter() - start) * 1000)
    return milliseconds


def measure(
    root: Path, planner: Planner, queries: Sequence[str], authority: uuid.UUID
) -> tuple[list[Latencies], float, int]:
    """Latencies per category, seconds to open the index, number of type-ahead prefixes."""

    def full(text: str) -> SearchRequest:
        return SearchRequest(planner.plan(text), limit=10, with_facets=True)

    def filtered(text: str) -> SearchRequest:
        filters = {"authority": str(authority)}
        plan = planner.plan(text)
        return SearchRequest(plan, filters=filters, viewer_authority=authority, limit=10)

    def typeahead(text: str) -> SearchRequest:
        return SearchRequest(planner.plan(text, typing=True), limit=8, with_facets=False)

    typed = prefixes(queries)
    backend, open_seconds = opened(root)
    results = [
        Latencies("Volltext kalt", TARGET_QUERY_MS, timed(backend, queries, full)),
        Latencies("Volltext warm", TARGET_QUERY_MS, timed(backend, queries, full)),
        Latencies("Volltext + Behördenfilter", TARGET_QUERY_MS, timed(backend, queries, filtered)),
    ]
    backend.close()
    backend, _seconds = opened(root)  # type-ahead cold on its own, as after a restart
    results += [
        Latencies("Type-ahead kalt", TARGET_TYPEAHEAD_MS, timed(backend, typed, typeahead)),
        Latencies("Type-ahead warm", TARGET_TYPEAHEAD_MS, timed(backend, typed, typeahead)),
    ]
    backend.close()
    return results, open_seconds, len(typed)


def report(results: Sequence[Latencies]) -> None:
    print(f"  {'':<27}{'Anzahl':>7}{'p50':>9}{'p95':>9}{'max':>9}")
    for row in results:
        p50, p95 = row.percentile(0.5), row.percentile(0.95)
        figures = "".join(
            f"{german(value, 1):>6} ms" for value in (p50, p95, max(row.milliseconds))
        )
        goal = f"(Ziel p95 ≤ {row.target_ms:.0f} ms): {verdict(p95 <= row.target_ms)}"
        print(f"  {row.name:<27}{german(len(row.milliseconds)):>7}{figures}  {goal}")


def run(args: argparse.Namespace, root: Path) -> None:
    load = german(os.getloadavg()[0], 1)
    print(f"Rechner: {os.cpu_count()} Kerne, Systemlast vor dem Lauf {load}")
    start = time.perf_counter()
    corpus = list(documents(args.documents))
    print(
        f"Korpus: {german(len(corpus))} Dokumente in {german(time.perf_counter() - start, 1)} s "
        "erzeugt (nicht mitgezählt)"
    )
    if args.reuse and (root / CURRENT).exists():
        analyzer = analyzer_for(corpus)
        print(f"Index in {root} wiederverwendet (--reuse), Indexieren nicht gemessen")
    else:
        built = build(root, corpus, args.processes)
        analyzer = built.analyzer
        rate = len(corpus) / (built.vocabulary_seconds + built.index_seconds)
        print(
            f"Vokabular {german(built.vocabulary_seconds, 1)} s + Indexieren "
            f"({args.processes} Prozesse) {german(built.index_seconds, 1)} s: "
            f"{german(rate)} Dokumente/s (Ziel ≥ {german(TARGET_RATE)}): "
            f"{verdict(rate >= TARGET_RATE)}"
        )
        print(
            f"  CPU-Zeit dabei: dieser Prozess {german(built.cpu_seconds, 1)} s, "
            f"Schreibprozesse {german(built.worker_cpu_seconds, 1)} s"
        )
    planner = Planner(analyzer, Synonyms(base_synonyms(), analyzer))
    queries = read_queries()[: args.queries]
    results, open_seconds, typed = measure(root, planner, queries, busiest_authority(corpus))
    print(
        f"Index geöffnet in {german(open_seconds, 2)} s (vor der ersten Anfrage, nicht mitgezählt)"
    )
    print(
        f"{german(len(queries))} Anfragen, {german(typed)} Type-ahead-Präfixe, "
        "Zeiten in ms einschließlich Planung:"
    )
    report(results)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument(
        "--index", type=Path, help="Indexordner (Standard: temporär, danach gelöscht)"
    )
    parser.add_argument("--reuse", action="store_true", help="vorhandenen Index nicht neu bauen")
    parser.add_argument("--queries", type=int, help="nur die ersten N Anfragen (Standard: alle)")
    args = parser.parse_args(argv)
    if args.index is not None:
        run(args, args.index)
        return
    folder = Path(tempfile.mkdtemp(prefix="musterregister-search-"))
    try:
        run(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
