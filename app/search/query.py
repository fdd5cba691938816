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

from rapidfuzz.distance import OSA

from app.search.analysis import DATA, GermanAnalyzer, stem

LEIKA_QUERY = re.compile(r"^[\d\s]+$")
MIN_LEIKA_DIGITS = 5
MAX_WORDS = 12
COMPLETIONS = 8
MIN_COMPLETION_PREFIX = 3  # "be" would stand for a tenth of all words
CORRECTIONS = 3
MIN_MODIFIER_LENGTH, MIN_CORRECTED_HEAD_LENGTH = 4, 5
JOINING_ELEMENTS = ("", "s", "n", "en", "es", "e")  # "wohnsitz anmeldung", "hunde steuer"

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
    """Query-time expansion: a word or phrase also searches its replacements.

    An entry matches the words as typed or, failing that, an inflection of them: same stem, and one
    word begins the other ("Nachnamen" finds the entry for "Nachname", "Grund" not the one for
    "gründen").
    """

    def __init__(self, entries: Mapping[str, Sequence[str]], analyzer: GermanAnalyzer) -> None:
        self._entries: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        self._by_stems: dict[tuple[str, ...], tuple[str, ...]] = {}  # stems → entry
        for term, replacements in entries.items():
            key = tuple(analyzer.words(term))
            phrases = [tuple(analyzer.words(phrase)) for phrase in replacements]
            if key:
                found = [phrase for phrase in phrases if phrase and phrase != key]
                self._entries[key] = found
                self._by_stems.setdefault(_stems(key), key)
        self.longest = max((len(key) for key in self._entries), default=0)

    def __len__(self) -> int:
        return len(self._entries)

    def match(self, words: Sequence[str], start: int) -> tuple[int, list[tuple[str, ...]]] | None:
        """The longest entry starting at ``words[start]``: (its length, its replacements)."""
        for length in range(min(self.longest, len(words) - start), 0, -1):
            typed = tuple(words[start : start + length])
            key = typed if typed in self._entries else self._by_stems.get(_stems(typed))
            if key is not None and all(map(_inflects, typed, key)):
                return length, self._entries[key]
        return None


def _stems(words: Sequence[str]) -> tuple[str, ...]:
    return tuple(stem(word) for word in words)


def _inflects(typed: str, entry: str) -> bool:
    return typed.startswith(entry) or entry.startswith(typed)


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
            found, used = self._next_words(words, index, typing=typing)
            plan_words.extend(found)
            index += used
        corrections = {w.label: w.corrected for w in plan_words if w.corrected}
        return QueryPlan(text=text, words=tuple(plan_words), corrections=corrections)

    def with_compounds_split(self, text: str) -> str | None:
        """The query with each compound written as its parts, or None if it has none.

        When nothing matches "Kitaplatz", "Kita Platz" can match with one word left out.
        """
        words = self.analyzer.words(text)
        split = []
        for word in words:
            atomic = self._atomic_parts(word)
            split.extend(atomic if len(atomic) >= 2 else [word])
        return " ".join(split) if split != words else None

    def _next_words(
        self, words: Sequence[str], index: int, *, typing: bool
    ) -> tuple[list[PlanWord], int]:
        """The plan words starting at ``words[index]`` and how many typed words they take."""
        matched = self.synonyms.match(words, index)
        if matched:
            length, replacements = matched
            return [self._synonym_word(words[index : index + length], replacements)], length
        last = len(words) - 1
        joined = None if typing and index + 1 == last else self._joined(words, index)
        if joined:
            return self._joined_words(words[index], words[index + 1], joined), 2
        if typing and index == last:
            return [self._typed_word(words[index])], 1
        return [self._word(words[index])], 1

    def _joined(self, words: Sequence[str], index: int) -> str | None:
        """The register's compound two words written apart stand for ("bau genehmigung")."""
        if index + 1 >= len(words) or self.synonyms.match(words, index + 1):
            return None
        first, second = words[index], words[index + 1]
        if first.isdigit() or second.isdigit():
            return None
        for link in JOINING_ELEMENTS:
            joined = first + link + second
            if joined in self.vocabulary:
                return joined
        return None

    def _joined_words(self, first: str, second: str, joined: str) -> list[PlanWord]:
        """Each word as typed, or both together as the compound (which then scores twice, so a
        document that uses the compound ranks first)."""
        compound = Alternative((stem(joined),), (joined,), OWN)
        return [
            PlanWord(word.label, _distinct([*word.alternatives, compound]), word.corrected)
            for word in (self._word(first), self._word(second))
        ]

    def _own_alternatives(self, word: str) -> list[Alternative]:
        weights = iter((OWN, VERB_FORM))
        options = []
        for terms in self.analyzer.alternatives(word):
            if len(terms) > 1:
                options.append(Alternative(terms, tuple(self._atomic_parts(word)), PARTS))
            else:
                options.append(Alternative(terms, (word,), next(weights, VERB_FORM)))
        return options

    def _word(self, word: str) -> PlanWord:
        options = self._own_alternatives(word)
        if word.isdigit() or self._understood(word, options) or len(self.vocabulary) == 0:
            return PlanWord(word, _distinct(options))
        corrections = self._corrections(word)
        for candidate in corrections:
            options.extend(self._corrected(candidate))
        return PlanWord(word, _distinct(options), corrected=corrections[0] if corrections else None)

    def _understood(self, word: str, options: Sequence[Alternative]) -> bool:
        """A word the register uses, or a verb form of one; a compound of known parts is not
        enough ("Jagtschein" splits into "jagt" and "Schein" but means "Jagdschein")."""
        if self.vocabulary.knows(word):
            return True
        stems = self.vocabulary.stems
        return any(o.weight == VERB_FORM and o.terms[0] in stems for o in options)

    def _corrections(self, word: str) -> list[str]:
        """Known words, or compounds of known words, closest to a typo first."""
        candidates = self.corrector(word, CORRECTIONS) + self._compound_corrections(word)
        own = stem(word)
        distinct = [c for c in dict.fromkeys(candidates) if stem(c) != own]
        distinct.sort(key=lambda candidate: OSA.distance(word, candidate))  # stable
        return distinct[:CORRECTIONS]

    def _compound_corrections(self, word: str) -> list[str]:
        """A typo in the head of a compound the register writes apart or only as parts.

        "gewerbeabmeldnug" → "gewerbeabmeldung": the modifier is a known word and the rest is one
        or two edits from a known word.
        """
        found = []
        for cut in range(MIN_MODIFIER_LENGTH, len(word) - MIN_CORRECTED_HEAD_LENGTH + 1):
            modifier, rest = word[:cut], word[cut:]
            if not self.vocabulary.knows(modifier):
                continue
            found.extend(modifier + head for head in self.corrector(rest, CORRECTIONS))
        return found

    def _corrected(self, candidate: str) -> list[Alternative]:
        options = [Alternative((stem(candidate),), (candidate,), CORRECTION)]
        parts = self._atomic_parts(candidate)
        if candidate not in self.vocabulary and len(parts) >= 2:
            options.append(self._phrase(parts, CORRECTION * PARTS))
        matched = self.synonyms.match([candidate], 0)
        if matched:
            options.extend(self._phrase(p, CORRECTION * SYNONYM) for p in matched[1])
        return options

    def _atomic_parts(self, word: str) -> list[str]:
        return [part for part in self.vocabulary.split(word) if not self.vocabulary.split(part)]

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
