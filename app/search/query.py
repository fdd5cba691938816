"""From what an agent types to a query plan every backend can run.

A plan is a list of words; a hit must match every word (the backends relax that when nothing
matches). A word matches through any of its *alternatives*, each a conjunction of terms with a weight:
the word itself, a verb form, its compound parts, a synonym's replacement, a correction of a typo,
or, for the word still being typed, the most common words it begins.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from app.search.analysis import DATA, GermanAnalyzer, stem

LEIKA_QUERY = re.compile(r"^[\d\s]+$")
MIN_LEIKA_DIGITS = 5
MAX_WORDS = 12
COMPLETIONS = 8
MIN_COMPLETION_PREFIX = 3  # "be" would stand for a tenth of all words
CORRECTIONS = 3

OWN, VERB_FORM, PARTS, SYNONYM, CORRECTION, COMPLETION = 1.0, 0.9, 0.7, 0.85, 0.8, 0.75


@dataclass(frozen=True)
class Alternative:
    terms: tuple[str, ...]  # stems, all required
    words: tuple[str, ...]  # the folded words they come from (for backends that stem themselves)
    weight: float = OWN


@dataclass(frozen=True)
class PlanWord:
    label: str  # what was typed, folded
    alternatives: tuple[Alternative, ...]
    corrected: str | None = None  # the word a typo was read as


@dataclass(frozen=True)
class QueryPlan:
    text: str
    words: tuple[PlanWord, ...] = ()
    leika: str | None = None  # digits of a LeiKa key or key prefix (or an OZG id)
    corrections: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not self.words and not self.leika

    def terms(self) -> frozenset[str]:
        """Every term any alternative asks for (what highlighting marks)."""
        return frozenset(
            term for word in self.words for option in word.alternatives for term in option.terms
        )

    def corrected_text(self) -> str | None:
        """The query with its typos corrected, for "Meinten Sie …"."""
        if not self.corrections:
            return None
        return " ".join(word.corrected or word.label for word in self.words)


# --- synonyms ----------------------------------------------------------------------------------


def read_synonym_file(text: str) -> dict[str, list[str]]:
    """``begriff<TAB>ersetzung; ersetzung`` lines; ``#`` starts a comment."""
    entries: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#") or "\t" not in line:
            continue
        term, replacements = line.split("\t", 1)
        entries[term.strip()] = [part.strip() for part in replacements.split(";") if part.strip()]
    return entries


@functools.cache
def base_synonyms() -> dict[str, list[str]]:
    """The list shipped with the register (app/search/data/synonyme.tsv)."""
    return read_synonym_file((DATA / "synonyme.tsv").read_text(encoding="utf-8"))


class Synonyms:
    """Query-time expansion: a word or phrase also searches its replacements."""

    def __init__(self, entries: Mapping[str, Sequence[str]], analyzer: GermanAnalyzer) -> None:
        self._entries: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for term, replacements in entries.items():
            key = tuple(analyzer.words(term))
            phrases = [tuple(analyzer.words(phrase)) for phrase in replacements]
            if key:
                self._entries[key] = [phrase for phrase in phrases if phrase and phrase != key]
        self.longest = max((len(key) for key in self._entries), default=0)

    def __len__(self) -> int:
        return len(self._entries)

    def match(self, words: Sequence[str], start: int) -> tuple[int, list[tuple[str, ...]]] | None:
        """The longest entry starting at ``words[start]``: (its length, its replacements)."""
        for length in range(min(self.longest, len(words) - start), 0, -1):
            replacements = self._entries.get(tuple(words[start : start + length]))
            if replacements is not None:
                return length, replacements
        return None


# --- planning ----------------------------------------------------------------------------------


class Planner:
    """Turns query text into a :class:`QueryPlan` with one vocabulary and synonym list."""

    def __init__(
        self,
        analyzer: GermanAnalyzer,
        synonyms: Synonyms,
        corrector: Callable[[str, int], list[str]] | None = None,
    ) -> None:
        self.analyzer = analyzer
        self.vocabulary = analyzer.vocabulary
        self.synonyms = synonyms
        # PostgreSQL finds typo candidates with pg_trgm; the embedded default in memory
        self.corrector = corrector or self.vocabulary.corrections

    def plan(self, text: str, *, typing: bool = False) -> QueryPlan:
        """``typing``: the last word may be incomplete (type-ahead) unless the text ends in a space."""
        typing = typing and not text[-1:].isspace()  # a space ends the last word too
        text = text.strip()[:500]
        digits = text.replace(" ", "")
        if LEIKA_QUERY.match(text) and len(digits) >= MIN_LEIKA_DIGITS:
            return QueryPlan(text=text, leika=digits[:14])
        words = self.analyzer.words(text)[:MAX_WORDS]
        plan_words: list[PlanWord] = []
        index = 0
        while index < len(words):
            matched = self.synonyms.match(words, index)
            if matched:
                length, replacements = matched
                plan_words.append(self._synonym_word(words[index : index + length], replacements))
                index += length
            else:
                still_typing = typing and index == len(words) - 1
                word = words[index]
                plan_words.append(self._typed_word(word) if still_typing else self._word(word))
                index += 1
        corrections = {w.label: w.corrected for w in plan_words if w.corrected}
        return QueryPlan(text=text, words=tuple(plan_words), corrections=corrections)

    def with_compounds_split(self, text: str) -> str | None:
        """The query with each compound written as its parts, or None if it has none.

        When nothing matches "Kitaplatz", "Kita Platz" can match with one word left out.
        """
        words = self.analyzer.words(text)
        split = []
        for word in words:
            parts = self.vocabulary.split(word)
            atomic = [part for part in parts if not self.vocabulary.split(part)]
            split.extend(atomic if len(atomic) >= 2 else [word])
        return " ".join(split) if split != words else None

    def _own_alternatives(self, word: str) -> list[Alternative]:
        weights = iter((OWN, VERB_FORM))
        options = []
        for terms in self.analyzer.alternatives(word):
            if len(terms) > 1:
                parts = self.vocabulary.split(word)
                atomic = tuple(p for p in parts if not self.vocabulary.split(p))
                options.append(Alternative(terms, atomic, PARTS))
            else:
                options.append(Alternative(terms, (word,), next(weights, VERB_FORM)))
        return options

    def _word(self, word: str) -> PlanWord:
        options = self._own_alternatives(word)
        understood = len(options) > 1 or self.vocabulary.knows(word)  # verb form, parts
        if word.isdigit() or understood or len(self.vocabulary) == 0:
            return PlanWord(word, _distinct(options))
        corrections = self.corrector(word, CORRECTIONS)
        for candidate in corrections:
            options.extend(self._corrected(candidate))
        return PlanWord(word, _distinct(options), corrected=corrections[0] if corrections else None)

    def _corrected(self, candidate: str) -> list[Alternative]:
        options = [Alternative((stem(candidate),), (candidate,), CORRECTION)]
        matched = self.synonyms.match([candidate], 0)
        if matched:
            options.extend(self._phrase(p, CORRECTION * SYNONYM) for p in matched[1])
        return options

    def _phrase(self, words: Iterable[str], weight: float) -> Alternative:
        words = tuple(words)
        return Alternative(tuple(dict.fromkeys(stem(w) for w in words)), words, weight)

    def _synonym_word(self, words: Sequence[str], replacements: list[tuple[str, ...]]) -> PlanWord:
        single = len(words) == 1
        own = self._own_alternatives(words[0]) if single else [self._phrase(words, OWN)]
        options = own + [self._phrase(phrase, SYNONYM) for phrase in replacements]
        return PlanWord(" ".join(words), _distinct(options))

    def _typed_word(self, word: str) -> PlanWord:
        """A word still being typed: itself or the most common words it begins (no typo)."""
        completions = [
            candidate
            for candidate in self.vocabulary.completions(word, COMPLETIONS + 1)
            if candidate != word
        ][:COMPLETIONS]
        if len(word) < MIN_COMPLETION_PREFIX or not completions:
            return self._word(word)
        options = self._own_alternatives(word)
        options.extend(Alternative((stem(c),), (c,), COMPLETION) for c in completions)
        return PlanWord(word, _distinct(options))


def _distinct(options: Iterable[Alternative]) -> tuple[Alternative, ...]:
    """One alternative per set of terms, with the highest weight any of them had."""
    best: dict[tuple[str, ...], Alternative] = {}
    for option in options:
        known = best.get(option.terms)
        if known is None or option.weight > known.weight:
            best[option.terms] = option
    return tuple(best.values())
