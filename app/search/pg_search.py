"""Running a query plan against ``search_documents``: one SQL statement per relax level.

Mirrors :class:`app.search.postings.Evaluation`: a word matches through any of its alternatives
(the best one counts), a hit matches all words, else all but one, else one; LeiKa keys by prefix;
visibility, static boost, own-authority boost, filters and facet counts.

PostgreSQL turns each alternative's text into lexemes with the same configuration that built the
documents (``to_tsvector``), and the plan is compiled on those lexemes: a query per alternative,
the OR of its lexemes for ``ts_rank`` (which averages over them, so rank × their number is their
sum, as BM25 sums over terms) and a factor of weight × number × mean IDF. The IDF comes from the
lexeme frequencies ANALYZE keeps for the vector column. BM25F's field weights become the weight
classes A-D of the vector.

The statement texts are built from FACETS and from the plan's shape (how many words, how many
alternatives each), never from what a user typed; lexemes, filters and viewer are bind parameters.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from sqlalchemy import TextClause, text

from app.search.backend import (
    LEIKA_EXACT,
    LEIKA_PREFIX,
    OWN_AUTHORITY_BOOST,
    RawHit,
    RawResults,
    SearchRequest,
)
from app.search.documents import FACETS, PUBLIC
from app.search.query import Alternative, QueryPlan

CONFIGURATION = "musterregister_german"
CLASS_WEIGHTS = [0.12, 0.24, 0.6, 1.0]  # ts_rank's order: D, C, B, A (ratios of TEXT_FIELDS)
# ts_rank without length normalisation: its sum over a lexeme's positions already saturates, and
# dividing by the length would bury a Steckbrief with a long model text under short entries.
RANK_NORMALIZATION = 0

LEXEMES = text(f"""
    SELECT t.words, tsvector_to_array(to_tsvector('{CONFIGURATION}', t.words)) AS lexemes
    FROM unnest(CAST(:texts AS text[])) AS t(words)
""")
STATISTICS = text("""
    SELECT GREATEST(c.reltuples, 1) AS documents,
           s.most_common_elems::text::text[] AS lexemes, s.most_common_elem_freqs AS frequencies
    FROM pg_class AS c
    LEFT JOIN pg_stats AS s ON s.schemaname = current_schema()
         AND s.tablename = 'search_documents' AND s.attname = 'vector'
    WHERE c.oid = CAST('search_documents' AS regclass)
""")


def alternative_texts(option: Alternative) -> list[str]:
    """The alternative's words, stemmed by PostgreSQL like a document's words, and its terms,
    which meet the analyzer's derived terms in documents (the same string on both sides)."""
    return list(dict.fromkeys(" ".join(part) for part in (option.words, option.terms) if part))


def plan_texts(plan: QueryPlan) -> set[str]:
    return {
        words for word in plan.words for o in word.alternatives for words in alternative_texts(o)
    }


# --- compiling a plan on lexemes ---------------------------------------------------------------


@dataclass(frozen=True)
class LexemeStatistics:
    """How many documents there are and what share has each of the most common lexemes."""

    documents: float = 1.0
    frequencies: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Any) -> LexemeStatistics:
        lexemes, frequencies = row.lexemes or [], row.frequencies or []
        return cls(float(row.documents), dict(zip(lexemes, frequencies, strict=False)))

    def idf(self, lexeme: str) -> float:
        """As in BM25; a lexeme not among the common ones is rarer than the least common."""
        rare = min(self.frequencies.values(), default=0.0) / 2
        frequency = self.frequencies.get(lexeme, rare)
        return math.log((self.documents + 1) / (self.documents * frequency + 0.5))


@dataclass(frozen=True)
class CompiledAlternative:
    lexemes: tuple[str, ...]
    factor: float  # weight × number of lexemes × their mean IDF

    @property
    def query(self) -> str:
        return " & ".join(map(quoted, self.lexemes))

    @property
    def ranked(self) -> str:
        return " | ".join(map(quoted, self.lexemes))


@dataclass(frozen=True)
class CompiledPlan:
    words: tuple[tuple[CompiledAlternative, ...], ...]  # per word; empty: it cannot match

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(alternatives) for alternatives in self.words)

    @property
    def alternatives(self) -> list[CompiledAlternative]:
        return [alternative for word in self.words for alternative in word]


def compile_plan(
    plan: QueryPlan, lexemes: Mapping[str, tuple[str, ...]], statistics: LexemeStatistics
) -> CompiledPlan:
    """The plan on PostgreSQL's lexemes (texts without any are left out, duplicates merged)."""
    words = []
    for word in plan.words:
        best: dict[tuple[str, ...], float] = {}
        for option in word.alternatives:
            for words_text in alternative_texts(option):
                found = lexemes.get(words_text, ())
                if found:
                    best[found] = max(best.get(found, 0.0), option.weight)
        words.append(tuple(_compiled(found, weight, statistics) for found, weight in best.items()))
    return CompiledPlan(tuple(words))


def _compiled(
    lexemes: tuple[str, ...], weight: float, statistics: LexemeStatistics
) -> CompiledAlternative:
    idf = sum(map(statistics.idf, lexemes)) / len(lexemes)
    return CompiledAlternative(lexemes, weight * len(lexemes) * idf)


def level_query(compiled: CompiledPlan, needed: int) -> str | None:
    """The tsquery for documents with at least ``needed`` words: an OR over every choice of
    ``needed`` words (one, or one per word) of an AND over them; None if no choice can match."""
    words = [
        "(" + " | ".join(f"({alternative.query})" for alternative in word) + ")" if word else None
        for word in compiled.words
    ]
    clauses = [
        " & ".join(chosen)  # type: ignore[arg-type]
        for chosen in combinations(words, needed)
        if None not in chosen
    ]
    return " | ".join(f"({clause})" for clause in clauses) or None


def quoted(lexeme: str) -> str:
    """A tsquery operand taken as it is, whatever it contains."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


# --- SQL ---------------------------------------------------------------------------------------


def _filter_sql(name: str) -> str:
    return f"(CAST(:filter_{name} AS text) IS NULL OR {name} = CAST(:filter_{name} AS text))"


FACET_COLUMNS = ", ".join(f"d.{name}" for name in FACETS)
VISIBLE = "(d.visibility = :public OR d.visibility = CAST(:viewer AS text))"
PLAN = """
    plan AS (  -- parsed once per statement, indexed by the alternative's number
        SELECT CAST(:queries AS tsquery[]) AS queries, CAST(:ranked AS tsquery[]) AS ranked,
               CAST(:sizes AS integer[]) AS sizes, CAST(:factors AS float8[]) AS factors,
               CAST(:class_weights AS real[]) AS class_weights
    )"""


def _alternative_score(number: int) -> str:
    """Zero unless the document has all lexemes (a rank above zero is enough for one lexeme)."""
    return (
        f"CASE WHEN p.sizes[{number}] > 1 AND NOT d.vector @@ p.queries[{number}] THEN 0 "
        f"ELSE p.factors[{number}] * ts_rank(p.class_weights, d.vector, p.ranked[{number}], "
        f":normalization) END"
    )


def _word_scores(shape: Sequence[int]) -> list[str]:
    numbers = iter(range(1, sum(shape) + 1))
    return [
        "GREATEST(" + ", ".join(_alternative_score(next(numbers)) for _ in range(count)) + ")"
        if count
        else "0"
        for count in shape
    ]


@functools.lru_cache(maxsize=512)
def text_search(shape: tuple[int, ...]) -> TextClause:
    """The statement for plans of this shape: per word, how many alternatives it has.

    Every document is scored in the row that reads it (a word's score is its best alternative's),
    without joins or aggregates over document × alternative pairs.
    """
    scores = _word_scores(shape)
    columns = ", ".join(f"{score} AS s{word}" for word, score in enumerate(scores))
    words = " + ".join(f"(c.s{word} > 0)::integer" for word in range(len(shape)))
    total = " + ".join(f"c.s{word}" for word in range(len(shape)))
    candidates = f"""{PLAN},
    candidate AS MATERIALIZED (  -- MATERIALIZED: every rank is computed once
        SELECT d.id, d.boost, {FACET_COLUMNS}, {columns}
        FROM search_documents AS d, plan AS p
        WHERE d.vector @@ CAST(:level_query AS tsquery) AND {VISIBLE}
    )"""
    return text(f"WITH {candidates},{_results(words, total)}")


LEIKA_CANDIDATES = f"""
    candidate AS MATERIALIZED (  -- the best key of a document under the prefix, or its OZG id
        SELECT d.id, d.boost, {FACET_COLUMNS}, GREATEST(
            (SELECT max(CASE WHEN k = :digits THEN CAST(:leika_exact AS float8)
                        ELSE :leika_prefix / (1 + GREATEST(0, length(rtrim(k, '0')) - length(:digits)))
                        END)
             FROM unnest(d.leika_keys) AS k WHERE starts_with(k, :digits)),
            CASE WHEN d.ozg_id = CAST(:ozg_id AS text) THEN 1.0 END
        ) AS score
        FROM search_documents AS d
        WHERE (d.leika_prefixes @> ARRAY[CAST(:digits AS text)] OR d.ozg_id = CAST(:ozg_id AS text))
          AND {VISIBLE}
    )"""


def _results(words: str, score: str) -> str:
    """Hits, total and facets from ``candidate`` in one result: a row per hit, one with the
    total, a row per facet value.

    A facet counts under every filter but its own: the documents that pass all filters, and those
    that fail only this facet's. ``misses`` counts the filters a document fails, ``missed`` names
    the first.
    """
    filters = ", ".join(f"{_filter_sql(name)} AS ok_{name}" for name in FACETS)
    misses = " + ".join(f"(NOT ok_{name})::integer" for name in FACETS)
    missed = " ".join(f"WHEN NOT ok_{name} THEN '{name}'" for name in FACETS)
    missed_value = " ".join(f"WHEN '{name}' THEN {name}" for name in FACETS)
    return f"""
    scored AS (
        SELECT c.id, {", ".join(f"c.{name}" for name in FACETS)}, {filters},
               ({score}) * power(({words}) / CAST(:word_count AS float8), 2) * c.boost
               * CASE WHEN c.authority = CAST(:viewer AS text) THEN :own_boost ELSE 1 END AS final
        FROM candidate AS c WHERE ({words}) >= :needed
    ),
    selected AS MATERIALIZED (
        SELECT *, {misses} AS misses, CASE {missed} END AS missed FROM scored
    )
    SELECT 'hit' AS row_kind, id AS name, NULL AS value, position AS amount, final AS score
    FROM (
        SELECT id, final, row_number() OVER (ORDER BY final DESC, id) AS position
        FROM selected WHERE misses = 0
        ORDER BY final DESC, id LIMIT :limit OFFSET :offset
    ) AS page
    UNION ALL
    SELECT 'total', NULL, NULL, count(*), NULL FROM selected WHERE misses = 0
    UNION ALL
    SELECT 'facet', name, value, sum(amount), NULL
    FROM (
        SELECT CASE {" ".join(f"WHEN GROUPING({n}) = 0 THEN '{n}'" for n in FACETS)} END AS name,
               COALESCE({", ".join(FACETS)}) AS value, count(*) AS amount
        FROM selected WHERE :with_facets AND misses = 0
        GROUP BY GROUPING SETS ({", ".join(f"({name})" for name in FACETS)})
        UNION ALL
        SELECT missed, CASE missed {missed_value} END, count(*)
        FROM selected WHERE :with_facets AND misses = 1
        GROUP BY 1, 2
    ) AS facet
    WHERE value <> ''
    GROUP BY name, value"""


LEIKA_SEARCH = text(f"WITH {LEIKA_CANDIDATES},{_results('1', 'c.score')}")


# --- parameters and results --------------------------------------------------------------------


def common_parameters(request: SearchRequest) -> dict[str, Any]:
    viewer = request.viewer_authority
    return {
        "public": PUBLIC,
        "viewer": str(viewer) if viewer else None,
        "own_boost": OWN_AUTHORITY_BOOST,
        "limit": request.limit,
        "offset": request.offset,
        "with_facets": request.with_facets,
        **{f"filter_{name}": request.filters.get(name) for name in FACETS},
    }


def text_parameters(compiled: CompiledPlan) -> dict[str, Any]:
    alternatives = compiled.alternatives
    return {
        "queries": [alternative.query for alternative in alternatives],
        "ranked": [alternative.ranked for alternative in alternatives],
        "sizes": [len(alternative.lexemes) for alternative in alternatives],
        "factors": [alternative.factor for alternative in alternatives],
        "class_weights": CLASS_WEIGHTS,
        "normalization": RANK_NORMALIZATION,
        "word_count": len(compiled.words),
    }


def leika_parameters(digits: str) -> dict[str, Any]:
    return {
        "digits": digits,
        "ozg_id": digits if len(digits) == 5 else None,
        "leika_exact": LEIKA_EXACT,
        "leika_prefix": LEIKA_PREFIX,
        "needed": 1,
        "word_count": 1,
    }


def empty_results(request: SearchRequest, *, relaxed: bool) -> RawResults:
    facets = {name: {} for name in FACETS} if request.with_facets else {}
    return RawResults(hits=[], total=0, facets=facets, relaxed=relaxed)


def read_results(rows: Sequence[Any], *, relaxed: bool) -> RawResults:
    hits = sorted((row for row in rows if row.row_kind == "hit"), key=lambda row: row.amount)
    total = next(row for row in rows if row.row_kind == "total")
    facets: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    for row in rows:
        if row.row_kind == "facet":
            facets[row.name][row.value] = int(row.amount)
    return RawResults(
        hits=[RawHit(row.name, float(row.score)) for row in hits],
        total=int(total.amount),
        facets=facets,
        relaxed=relaxed,
    )
