"""Helpers for work that threads of the register repeat in the background (index, e-mail)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class FailureStreak:
    """How a retrying background task reports failure without flooding the log: the traceback of
    the first failure, then one line per ``repeat_seconds`` while it keeps failing, and its end.

    A database outage would otherwise write a traceback every few seconds."""

    def __init__(
        self,
        log: logging.Logger,
        task: str,
        repeat_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log, self.task = log, task
        self.repeat_seconds, self.clock = repeat_seconds, clock
        self.since: float | None = None
        self.reported_at = 0.0

    def failed(self, error: Exception) -> None:
        now = self.clock()
        if self.since is None:
            self.since = self.reported_at = now
            self.log.error("%s fehlgeschlagen, neuer Versuch folgt", self.task, exc_info=error)
        elif now - self.reported_at >= self.repeat_seconds:
            self.reported_at = now
            self.log.error(
                "%s scheitert seit %d s weiter: %s: %s",
                self.task,
                now - self.since,
                type(error).__name__,
                _first_line(error),
            )

    def succeeded(self) -> None:
        if self.since is not None:
            self.log.warning("%s gelingt wieder, nach %d s", self.task, self.clock() - self.since)
            self.since = None


def _first_line(error: Exception) -> str:
    """SQLAlchemy puts the statement and its parameters on the lines after the driver's message."""
    return (str(error).splitlines() or [""])[0]
