"""Throughput of the process list and process detail endpoints against a bare route.

    .venv/bin/python benchmarks/api.py [--seconds 10] [--workers 4]

Loads the full seed register into a fresh SQLite instance, serves it with gunicorn
(`musterregister serve`), and drives it with wrk (Debian package `wrk`). The list requests walk
through 100 different pages and the detail requests through 1,000 different processes, so the
figures are not those of one hot URL. `/healthz` (a bare "ok") is measured before and after in the
same run. Everything runs twice: with the response cache (the default) and without it.
Target: list and detail each reach at least 50 % of the bare route's rate.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import migrate  # noqa: E402
from app.db import Database  # noqa: E402
from app.seed import load_seed  # noqa: E402
from tests.support.server import RegisterProcess  # noqa: E402

TARGET_RATIO = 0.5


@dataclass
class Result:
    name: str
    rps: float
    p50: str
    p99: str
    errors: int


def seed_instance(instance: Path) -> str:
    url = f"sqlite:///{instance / 'bench.sqlite3'}"
    migrate.upgrade(url)
    database = Database(url)
    try:
        load_seed(database, ROOT / "seed" / "musterregister", max_bytes=10 * 1024 * 1024)
    finally:
        database.dispose()
    return url


def sample_paths(base: str) -> dict[str, list[str]]:
    first = requests.get(f"{base}/api/v1/processes", params={"page_size": 100}, timeout=10).json()
    ids = []
    for page in range(1, 11):
        items = requests.get(
            f"{base}/api/v1/processes", params={"page_size": 100, "page": page}, timeout=10
        ).json()["items"]
        ids.extend(item["id"] for item in items)
    random.Random(7).shuffle(ids)
    pages = min(100, -(-first["total"] // 20))
    return {
        "bare": ["/healthz"],
        "list": [f"/api/v1/processes?page={page}" for page in range(1, pages + 1)],
        "detail": [f"/api/v1/processes/{process_id}" for process_id in ids[:1000]],
    }


def wrk_script(paths: list[str], folder: Path) -> Path:
    script = folder / f"paths-{abs(hash(tuple(paths)))}.lua"
    entries = ",\n".join(f'  "{path}"' for path in paths)
    script.write_text(
        f"local paths = {{\n{entries}\n}}\nlocal i = 0\n"
        "request = function()\n  i = i % #paths + 1\n  return wrk.format('GET', paths[i])\nend\n"
    )
    return script


def run_wrk(name: str, base: str, paths: list[str], seconds: int, folder: Path) -> Result:
    command = [
        "wrk",
        "-t2",
        "-c16",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(wrk_script(paths, folder)),
        base,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    distribution = output.split("Latency Distribution", 1)[1]
    p50 = re.search(r"50%\s+(\S+)", distribution).group(1)
    p99 = re.search(r"99%\s+(\S+)", distribution).group(1)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    errors = int(bad.group(1)) if bad else 0
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return Result(name, rps, p50, p99, errors)


def measure(
    database_url: str, instance: Path, *, cache: bool, seconds: int, workers: int, threads: int
) -> list[Result]:
    server = RegisterProcess(database_url, instance, workers=workers, threads=threads)
    server.environ["MUSTERREGISTER_RESPONSE_CACHE"] = "true" if cache else "false"
    base = server.start()
    try:
        paths = sample_paths(base)
        for kind, seconds_warm in (("list", 5), ("detail", 15)):  # every URL reaches every worker
            run_wrk(kind, base, paths[kind], seconds_warm, instance)
        results = [run_wrk("bare", base, paths["bare"], seconds, instance)]
        results += [
            run_wrk(kind, base, paths[kind], seconds, instance) for kind in ("list", "detail")
        ]
        results.append(run_wrk("bare", base, paths["bare"], seconds, instance))
        return results
    finally:
        server.stop()


def report(title: str, results: list[Result]) -> bool:
    bare = sum(r.rps for r in results if r.name == "bare") / 2
    print(f"\n{title}")
    print(
        f"{'Endpunkt':<28}{'Anfragen/s':>12}{'p50':>10}{'p99':>10}{'Fehler':>8}{'Verhältnis':>12}"
    )
    met = True
    labels = {
        "bare": "GET /healthz (bare 'ok')",
        "list": "GET /api/v1/processes",
        "detail": "GET /api/v1/processes/{id}",
    }
    for result in results:
        ratio = result.rps / bare
        if result.name != "bare":
            met &= ratio >= TARGET_RATIO and result.errors == 0
        print(
            f"{labels[result.name]:<28}{result.rps:>12.0f}{result.p50:>10}{result.p99:>10}{result.errors:>8}{ratio:>11.0%}"
        )
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk fehlt: apt-get install wrk")
    instance = Path(tempfile.mkdtemp(prefix="musterregister-bench-"))
    try:
        print("Seed-Register wird geladen …", flush=True)
        url = seed_instance(instance)
        print(
            f"gunicorn mit {args.workers} Workern × {args.threads} Threads (wie 'musterregister serve'), "
            f"wrk mit 2 Threads und 16 Verbindungen, {args.seconds} s je Messung nach 5 s (Liste) und 15 s (Detail) Aufwärmen"
        )
        options = {"seconds": args.seconds, "workers": args.workers, "threads": args.threads}
        with_cache = report(
            "Mit Antwort-Cache (Standard):", measure(url, instance, cache=True, **options)
        )
        report(
            "Ohne Antwort-Cache (jede Anfrage aus der Datenbank):",
            measure(url, instance, cache=False, **options),
        )
        print(
            f"\nZiel (Liste und Detail je ≥ {TARGET_RATIO:.0%} der bare route, mit Standardeinstellungen): {'erreicht' if with_cache else 'VERFEHLT'}"
        )
    finally:
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
