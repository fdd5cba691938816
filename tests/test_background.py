"""A background task that keeps failing logs its traceback once, then a line a minute, then its end."""

from __future__ import annotations

import logging

import pytest

from app.background import FailureStreak

LOG = logging.getLogger("app.search.indexing")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def clock() -> Clock:
    return Clock()


def outage() -> Exception:
    return ConnectionError("Datenbank weg\n[SQL: SELECT geheim FROM t WHERE x = 'wert']")


def test_an_outage_is_one_traceback_then_a_line_a_minute_then_its_end(clock, caplog):
    streak = FailureStreak(LOG, "Suchindex: Aktualisierung", repeat_seconds=60, clock=clock)
    caplog.set_level(logging.INFO, logger=LOG.name)
    for _ in range(30):  # every 2 s for a minute: only the first failure is logged
        streak.failed(outage())
        clock.now += 2
    streak.failed(outage())  # 60 s after the first report
    clock.now += 5
    streak.succeeded()
    streak.succeeded()
    messages = [
        (record.levelname, record.getMessage(), record.exc_info) for record in caplog.records
    ]
    assert [level for level, _, _ in messages] == ["ERROR", "ERROR", "WARNING"]
    assert messages[0][2] is not None  # the whole traceback, once
    assert messages[1][1] == (
        "Suchindex: Aktualisierung scheitert seit 60 s weiter: ConnectionError: Datenbank weg"
    )
    assert "SELECT" not in messages[1][1]
    assert messages[2][1] == "Suchindex: Aktualisierung gelingt wieder, nach 65 s"


def test_a_new_outage_after_recovery_shows_its_traceback_again(clock, caplog):
    streak = FailureStreak(LOG, "Suchindex: Aktualisierung", clock=clock)
    caplog.set_level(logging.INFO, logger=LOG.name)
    streak.failed(outage())
    streak.succeeded()
    streak.failed(outage())
    assert [record.exc_info is not None for record in caplog.records] == [True, False, True]
