"""The per-process vocabulary and synonyms: reloaded when the database says they changed."""

from __future__ import annotations

import threading

from app.search import linguistics
from app.search.linguistics import LinguisticsCache, add_words, load_vocabulary


def test_searches_go_on_with_the_known_words_while_new_ones_load(session, monkeypatch):
    monkeypatch.setattr(linguistics, "VOCABULARY_RELOAD_SECONDS", 0.0)
    cache = LinguisticsCache()
    known = cache.get(session)
    add_words(session, {"ladeprobewort": 1})
    loading, may_finish = threading.Event(), threading.Event()
    load = cache._load

    def slow_load(*args):
        loading.set()
        assert may_finish.wait(10)
        return load(*args)

    monkeypatch.setattr(cache, "_load", slow_load)
    loader = threading.Thread(target=cache.get, args=(session,))
    loader.start()
    assert loading.wait(10)

    assert cache.get(session) is known  # did not wait for the loading thread

    may_finish.set()
    loader.join(10)
    reloaded = cache.get(session)
    assert reloaded is not known and "ladeprobewort" in reloaded.analyzer.vocabulary.documents


def test_the_indexer_waits_for_new_words(session):
    cache = LinguisticsCache()
    known = cache.get(session)
    add_words(session, {"sofortwort": 1})
    fresh = cache.get(session, fresh=True)
    assert fresh is not known and "sofortwort" in fresh.analyzer.vocabulary.documents


def test_only_words_not_stored_yet_are_added_with_their_counts(session):
    assert add_words(session, {"einsneu": 2, "zweineu": 1}) == 2
    assert add_words(session, {"einsneu": 5, "dreineu": 1}) == 1  # einsneu keeps its count
    stored = load_vocabulary(session).documents
    assert stored["einsneu"] == 2 and stored["dreineu"] == 1
