"""Prometheus metrics: requests per endpoint, search latency, and federation lag per peer.

Requests are labelled with the Flask endpoint name (``search.search_register``), never the raw
URL, so the number of series stays bounded whatever URLs clients make up.

Several gunicorn workers: ``musterregister serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` before the
workers start; each worker then writes its counters into a file there and a scrape adds them up
(prometheus_client's multiprocess mode). prometheus_client picks that mode when it is *imported*,
so it is imported here only on first use, in a worker, never at module import time: the gunicorn
master creates the application once for its start checks and must not fix the mode too early.

Peer lag is not counted by the workers but read from the ``peers`` table at each scrape, so every
worker and host reports the same, current values.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.db import Database

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
START_ENVIRON = "musterregister.started"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
SEARCH_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
NO_ENDPOINT = "(keiner)"  # 404s and 405s that matched no route

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegisterMetrics:
    requests: Any
    request_duration: Any
    search_duration: Any


_created: list[RegisterMetrics] = []
_creating = threading.Lock()


def register_metrics() -> RegisterMetrics:
    """The process's metrics, made on first use (by one thread: a metric registers only once)."""
    if not _created:
        with _creating:
            if not _created:
                _created.append(_make_metrics())
    return _created[0]


def _make_metrics() -> RegisterMetrics:
    from prometheus_client import Counter, Histogram

    return RegisterMetrics(
        requests=Counter(
            "musterregister_http_requests",
            "HTTP-Anfragen je Endpunkt, Methode und Status",
            ["endpoint", "method", "status"],
        ),
        request_duration=Histogram(
            "musterregister_http_request_duration_seconds",
            "Dauer der HTTP-Anfragen je Endpunkt und Methode",
            ["endpoint", "method"],
            buckets=REQUEST_BUCKETS,
        ),
        search_duration=Histogram(
            "musterregister_search_duration_seconds",
            "Dauer einer Suche (Abfrage, Ranking, Treffer mit Steckbrief) je Suchindex",
            ["backend"],
            buckets=SEARCH_BUCKETS,
        ),
    )


def observe_search(backend: str, seconds: float) -> None:
    register_metrics().search_duration.labels(backend=backend).observe(seconds)


# --- requests ------------------------------------------------------------------------------------


class StartClock:
    """WSGI middleware that notes when a request arrived, before any Flask hook could refuse it."""

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        environ[START_ENVIRON] = time.perf_counter()
        return self.wsgi_app(environ, start_response)


def _count_request(response: Response) -> Response:
    started = request.environ.get(START_ENVIRON)
    endpoint = request.url_rule.endpoint if request.url_rule else NO_ENDPOINT
    method = request.method if request.method in KNOWN_METHODS else "OTHER"
    metrics = register_metrics()
    metrics.requests.labels(
        endpoint=endpoint, method=method, status=str(response.status_code)
    ).inc()
    if started is not None:
        duration = time.perf_counter() - started
        metrics.request_duration.labels(endpoint=endpoint, method=method).observe(duration)
    return response


def init_app(app: Flask) -> None:
    app.wsgi_app = StartClock(app.wsgi_app)  # type: ignore[method-assign]
    app.after_request(_count_request)


# --- peers ---------------------------------------------------------------------------------------


class PeerCollector:
    """Federation health per peer, read from the database at scrape time."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        families = _peer_families(GaugeMetricFamily)
        readable = 1.0
        try:
            with self.database.session(write=False) as session:
                for peer in session.scalars(select(_peer_model())):
                    _add_peer(families, peer)
        except SQLAlchemyError as error:
            log.warning("Metriken: Partnerinstanzen nicht lesbar: %s", type(error).__name__)
            readable = 0.0
        scrape = GaugeMetricFamily(
            "musterregister_peers_readable", "1, wenn die Partnerinstanzen gelesen werden konnten"
        )
        scrape.add_metric([], readable)
        yield from (*families.values(), scrape)


def _peer_model() -> Any:
    from app.peering.models import Peer

    return Peer


def _peer_families(family: Any) -> dict[str, Any]:
    def gauge(name: str, text: str, labels: list[str] | None = None) -> Any:
        return family(f"musterregister_peer_{name}", text, labels=labels or ["peer"])

    return {
        "lag": gauge("lag_events", "Ereignisse, die beim letzten Abgleich noch ausstanden"),
        "cursor": gauge("cursor", "Letzte übernommene Sequenznummer der Partnerinstanz"),
        "success": gauge(
            "last_success_timestamp_seconds", "Zeitpunkt des letzten erfolgreichen Abgleichs"
        ),
        "attempt": gauge("last_attempt_timestamp_seconds", "Zeitpunkt des letzten Abgleichs"),
        "failing": gauge("failing", "1, wenn der letzte Abgleich mit einem Fehler endete"),
        "state": gauge("state", "Zustand der Partnerinstanz (1 = aktuell)", ["peer", "state"]),
    }


def _add_peer(families: dict[str, Any], peer: Any) -> None:
    name = peer.name
    if peer.lag_events is not None:
        families["lag"].add_metric([name], peer.lag_events)
    families["cursor"].add_metric([name], peer.cursor or 0)
    if peer.last_success_at is not None:
        families["success"].add_metric([name], peer.last_success_at.timestamp())
    if peer.last_attempt_at is not None:
        families["attempt"].add_metric([name], peer.last_attempt_at.timestamp())
    families["failing"].add_metric([name], 1.0 if _failing(peer) else 0.0)
    for state in type(peer.state):
        families["state"].add_metric([name, state.value], 1.0 if peer.state == state else 0.0)


def _failing(peer: Any) -> bool:
    if peer.last_error_at is None:
        return False
    return peer.last_success_at is None or peer.last_error_at >= peer.last_success_at


# --- exposition ----------------------------------------------------------------------------------


def exposition(database: Database) -> tuple[bytes, str]:
    """The text a Prometheus scrape gets, and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

    register_metrics()  # a worker that has served nothing yet still shows the families
    peers = CollectorRegistry(auto_describe=False)
    peers.register(PeerCollector(database))
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        workers = CollectorRegistry()
        multiprocess.MultiProcessCollector(workers)
        return generate_latest(workers) + generate_latest(peers), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY) + generate_latest(peers), CONTENT_TYPE_LATEST
