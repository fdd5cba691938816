"""gunicorn as the register's application server (``musterregister serve``).

Each worker builds its own application after the fork (no preloading): database pools, the search
index and the background threads belong to one process. Logs go to stderr/stdout in the
register's format (JSON by default), so journald or the container runtime collects them.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

from gunicorn import glogging
from gunicorn.app.base import BaseApplication

from app.ops.logging import RequestIdFilter, access_fields, make_formatter

SHARED_MEMORY = Path(
    "/dev/shm"
)  # worker heartbeats off the disk (gunicorn's advice for containers)
# A young generation 70 times the default size: under load a worker allocates and frees objects
# by the hundred thousand a second, and with the default every few milliseconds counted towards a
# full collection. See settle_garbage_collector.
GC_THRESHOLDS = (50_000, 20, 20)


class RegisterServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from app import create_app

        app = create_app()
        settle_garbage_collector()
        return app


def settle_garbage_collector() -> None:
    """Full collections stall every thread of a worker. Under load (benchmarks/load.py, 2 cores)
    a worker ran one every few seconds, each taking 100–600 ms of wall time; with this, a handful
    in two minutes. What the worker built so far (modules, mappers, the app) lives as long as the
    worker: frozen, no collection scans it again; a larger young generation makes full
    collections rare."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


class GunicornLogger(glogging.Logger):  # type: ignore[misc]
    """gunicorn's error and access logs in the register's format; the access line as fields."""

    log_format = "json"

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(make_formatter(self.log_format))
                handler.addFilter(RequestIdFilter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        sent = getattr(resp, "sent", None)
        fields = access_fields(resp.status, environ, sent, request_time.total_seconds())
        if self.log_format == "json":
            self.access_log.info("Anfrage", extra=fields)
        else:
            self.access_log.info(
                "%(method)s %(path)s %(status)s %(duration_ms)sms", fields, extra=fields
            )


def _forget_worker_metrics(_server: Any, worker: Any) -> None:
    """Multiprocess metrics: a dead worker's live gauges must not be added up any more."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def gunicorn_options(
    *, host: str, port: int, workers: int, threads: int, timeout: int, log_format: str, level: str
) -> dict[str, Any]:
    logger = type("RegisterLogger", (GunicornLogger,), {"log_format": log_format})
    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": timeout,  # a worker silent this long is killed and replaced
        "graceful_timeout": 30,  # running requests may finish on a restart or stop
        "keepalive": 5,  # a little longer than nginx needs to reuse an upstream connection
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": level.lower(),
        "logger_class": logger,
        "preload_app": False,
        "child_exit": _forget_worker_metrics,
        # one fixed path in $HOME for every gunicorn on the machine: several instances (or a
        # read-only home under systemd) would collide; systemctl does what gunicornc would
        "control_socket_disable": True,
    }
    if SHARED_MEMORY.is_dir():
        options["worker_tmp_dir"] = str(SHARED_MEMORY)
    return options


def run_gunicorn(**settings: Any) -> None:
    RegisterServer(gunicorn_options(**settings)).run()
