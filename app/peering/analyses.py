"""BPMN analyses of prefetched blobs, computed in a worker process while earlier events import.

A mirrored revision keeps what ``app.library.analysis.analyse`` finds in its bytes (validity, lint,
extraction for search and display). During a sync the blobs of the coming events arrive ahead of
their turn (``federation.sync`` prefetches them), so their analyses can run in a second process,
beside the main one that writes the mirrors: on two cores that nearly halves the time per event.

The result is exactly what ``analyse`` returns for the same bytes, filename and settings; it is
keyed by the bytes' SHA-256 and the filename, so an analysis is only ever used for the content it
was made from. If the worker fails for any reason the mirror analyses the bytes itself (and gets
the precise error, if there is one). At most ``MAX_PENDING`` analyses are kept, so memory stays
bounded however long the feed is.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from app.library.analysis import analyse

log = logging.getLogger(__name__)
MAX_PENDING = 32
PARENT_CHECK_S = 1.0
Key = tuple[str, str | None]


@dataclass(frozen=True)
class Findings:
    """What a revision stores of its analysis (plain data: it crosses process boundaries)."""

    is_archive: bool
    media_type: str
    main_document: str | None
    is_valid: bool
    validation: list[dict[str, Any]]
    lint: list[dict[str, Any]]
    extraction: dict[str, Any]


def findings(
    data: bytes, filename: str | None, max_bytes: int, lint_rules: frozenset[str] | None
) -> Findings:
    """``analyse`` reduced to what a revision keeps; raises what ``analyse`` raises."""
    analysis = analyse(data, filename=filename, max_bytes=max_bytes, lint_rules=lint_rules)
    return Findings(
        is_archive=analysis.package.is_archive,
        media_type=analysis.media_type,
        main_document=analysis.main_document,
        is_valid=analysis.is_valid,
        validation=analysis.validation,
        lint=analysis.lint,
        extraction=analysis.extraction,
    )


def _findings_or_none(
    data: bytes, filename: str | None, max_bytes: int, lint_rules: frozenset[str] | None
) -> Findings | None:
    try:
        return findings(data, filename, max_bytes, lint_rules)
    except Exception:  # the importer repeats it in its own process and handles the error there
        return None


def _end_with_parent(parent: int) -> None:
    """In the worker: exit once the importer's process is gone (killed, it cannot say so)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class Analyses:
    """Analyses started ahead (:meth:`start`, from any thread) and taken in order (:meth:`take`);
    without :meth:`launch` every analysis is made by :meth:`take`."""

    def __init__(self, max_bytes: int, lint_rules: frozenset[str] | None) -> None:
        self.max_bytes, self.lint_rules = max_bytes, lint_rules
        self.pending: OrderedDict[Key, Future[Findings | None]] = OrderedDict()
        self.lock = threading.Lock()
        self.pool: ProcessPoolExecutor | None = None

    def launch(self) -> None:
        """Start the worker process. Call it while this process has no other threads: it is
        forked (fast, nothing to import again), and a fork copies only the calling thread."""
        if self.pool is not None:
            return
        try:
            pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_end_with_parent,
                initargs=(os.getpid(),),
            )
            pool.submit(int).result()  # the worker exists from now on
        except Exception as error:  # no worker process here: the importer analyses itself
            log.warning("Analyse im Hintergrund nicht verfügbar: %s", error)
            return
        self.pool = pool

    def start(self, data: bytes, filename: str | None) -> None:
        """Analyse ``data`` in the worker (if it was launched), to be taken later."""
        key = (hashlib.sha256(data).hexdigest(), filename)
        with self.lock:
            if self.pool is None or key in self.pending:
                return
            while len(self.pending) >= MAX_PENDING:
                self.pending.popitem(last=False)[1].cancel()
            try:
                future = self.pool.submit(
                    _findings_or_none, data, filename, self.max_bytes, self.lint_rules
                )
            except Exception:  # a broken pool: the importer analyses itself
                return
            self.pending[key] = future

    def take(self, data: bytes, filename: str | None) -> Findings:
        """The analysis of ``data``: the one started ahead, or made now."""
        with self.lock:
            future = self.pending.pop((hashlib.sha256(data).hexdigest(), filename), None)
        if future is not None:
            try:
                result = future.result()
            except Exception:  # a worker that died: the importer does it itself
                result = None
            if result is not None:
                return result
        return findings(data, filename, self.max_bytes, self.lint_rules)

    def close(self) -> None:
        with self.lock:
            for future in self.pending.values():
                future.cancel()
            self.pending.clear()
            pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
