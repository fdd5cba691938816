"""Analyses made ahead in a worker process are exactly what the importer would compute itself."""

from app.peering.analyses import Analyses, findings
from tests.factories import SEED_MODELS

MAX_BYTES = 10_000_000


def seed() -> bytes:
    return sorted(SEED_MODELS.glob("*.bpmn"))[0].read_bytes()


def test_the_worker_gives_what_the_importer_would_find_itself():
    data = seed()
    analyses = Analyses(MAX_BYTES, None)
    analyses.launch()
    try:
        analyses.start(data, "antrag.bpmn")
        assert len(analyses.pending) == 1
        assert analyses.take(data, "antrag.bpmn") == findings(data, "antrag.bpmn", MAX_BYTES, None)
        assert analyses.pending == {}
    finally:
        analyses.close()
    assert analyses.pool is None


def test_without_a_worker_or_for_other_bytes_the_analysis_is_made_on_the_spot():
    data = seed()
    other = data + b"<!-- andere Fassung -->"
    analyses = Analyses(MAX_BYTES, frozenset())
    analyses.start(data, None)  # not launched: nothing is started ahead
    assert analyses.pending == {}
    assert analyses.take(other, None) == findings(other, None, MAX_BYTES, frozenset())
