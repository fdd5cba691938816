"""The second look at the best hits: titles that answer the query come first."""

from __future__ import annotations

import pytest

from app.search.analysis import GermanAnalyzer, Vocabulary
from app.search.backend import RawHit
from app.search.query import Planner, Synonyms
from app.search.ranking import RERANK_WINDOW, TITLE_BONUS, rerank, title_match

ANALYZER = GermanAnalyzer(
    Vocabulary({"reisepass": 20, "ausstellung": 140, "personalausweis": 30}, lexicon={})
)
PLANNER = Planner(ANALYZER, Synonyms({}, ANALYZER))


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Reisepass Ausstellung", 1.0),
        ("Reisepass Ausstellung zusätzlicher Pässe", 0.5),  # two of four title words
        ("Reisepass", 0.5),  # one of two query words
        ("Personalausweis beantragen", 0.0),
    ],
)
def test_title_match_is_query_coverage_times_title_coverage(title, expected):
    plan = PLANNER.plan("Reisepass Ausstellung")
    assert title_match(ANALYZER, title, plan) == pytest.approx(expected)


def test_the_entry_called_like_the_query_moves_up():
    plan = PLANNER.plan("Reisepass Ausstellung")
    hits = [RawHit("process:1", 10.0), RawHit("process:2", 9.0), RawHit("process:3", 8.5)]
    titles = {
        "process:1": "Personalausweis und Reisepass: Ausstellung im Ausland für Deutsche",
        "process:2": "Reisepass Ausstellung zusätzlicher Pässe",
        "process:3": "Reisepass Ausstellung",
    }
    ranked = rerank(hits, titles, ANALYZER, plan)
    # 8.5 × 1.5 = 12.75; 10 × (1 + 0.5 × 2/5) = 12; 9 × (1 + 0.5 × 2/4) = 11.25
    assert [hit.id for hit in ranked] == ["process:3", "process:1", "process:2"]
    assert ranked[0].score == pytest.approx(8.5 * (1 + TITLE_BONUS))


def test_hits_beyond_the_window_keep_their_order():
    plan = PLANNER.plan("Reisepass")
    hits = [RawHit(f"process:{n}", 100.0 - n) for n in range(RERANK_WINDOW + 3)]
    titles = {hits[-1].id: "Reisepass"}  # a perfect title, but too deep to be looked at
    assert rerank(hits, titles, ANALYZER, plan)[RERANK_WINDOW:] == hits[RERANK_WINDOW:]


def test_search_pages_follow_the_reranked_order(search_client):
    def page(number, size):
        response = search_client.get(
            "/api/v1/search", query_string={"q": "Reisepass", "page": number, "per_page": size}
        )
        assert response.status_code == 200
        return [hit["id"] for hit in response.get_json()["hits"]]

    first, second, both = page(1, 10), page(2, 10), page(1, 20)
    assert first + second == both
    assert not set(first) & set(second)


def test_the_service_named_like_the_query_comes_first(search_client):
    response = search_client.get("/api/v1/search", query_string={"q": "Reisepass Ausstellung"})
    assert response.get_json()["hits"][0]["title"] == "Reisepass Ausstellung"
