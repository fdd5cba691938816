"""German text analysis for the search, shared by every backend (no Flask, no database).

A word goes through: case and umlaut folding ("Führerschein", "FUEHRERSCHEIN" → "fuehrerschein"),
verb-form normalisation (the ``ge`` of a participle after a separable prefix: "angemeldet" →
"anmeldet"), Snowball German stemming ("anmelden", "Anmeldung", "anmeldet" → "anmeld") and, against
the register's own vocabulary, compound splitting ("Hundesteuerbefreiung" → "Hundesteuer",
"Befreiung", "Hund", "Steuer"; a general German word list fills in parts the register never uses on
their own, such as "Bau" in "Baugenehmigung") and the last ``-t``/``-et`` of verb forms Snowball keeps
("beantragt" → "beantrag" when the vocabulary knows "Beantragung").

Indexing emits a word's own stem *and* every derived term; a query asks for the own stem *or* the
derived ones. So documents indexed while the vocabulary knew less are still found.
"""

from __future__ import annotations

import bisect
import functools
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import Stemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

from app.text import fold

DATA = Path(__file__).parent / "data"
WORD_PATTERN = re.compile(r"[^\W\d_]+|\d+")
MIN_COMPOUND_LENGTH = 8
MIN_PART_LENGTH = 3
MIN_VERBAL_NOUN_LENGTH = 7  # "impfung"; shorter words in -ung ("lung") are rarely verbal nouns
SHORT_PART_MIN_DOCUMENTS = 5  # a three-letter part ("amt", "kfz") must be a common word
VERB_STEM_ENDINGS = ("en", "n")  # "Fäll-genehmigung": a modifier may be a verb without its ending
MIN_GENERAL_HEAD_LENGTH = 5  # a short head only the word list knows is mostly a suffix ("-lung")
MIN_ZIPF_FOUR_LETTERS = 3.4
LINKING_ELEMENTS = ("", "s", "es", "n", "en", "e", "er", "ens")
SEPARABLE_PREFIXES = (
    "ab", "an", "auf", "aus", "bei", "ein", "fest", "frei", "her", "hin", "los", "mit", "nach",
    "um", "vor", "weg", "zu", "zurueck", "zusammen", "wieder", "heraus", "hinzu",
)  # fmt: skip
INSEPARABLE_PREFIXES = ("be", "ge", "er", "ver", "zer", "ent", "emp", "miss", "ueber", "unter",
    "durch", "wider", "gegen", "hinter")  # fmt: skip
PREFIXES = frozenset(SEPARABLE_PREFIXES + INSEPARABLE_PREFIXES)  # never a part ("Aus-stellung")
_PARTICIPLE = re.compile(rf"^({'|'.join(SEPARABLE_PREFIXES)})ge([a-z]{{3,}}(?:t|et|en))$")
_STEMMER = Stemmer.Stemmer("german")  # module level: a Stemmer object cannot be pickled
_CACHE_SIZE = 262_144


def _read_word_list(name: str) -> list[str]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


@functools.cache
def stopwords() -> frozenset[str]:
    """Function words and phone filler, folded ("möchte" and "moechte" alike)."""
    return frozenset(fold(word) for word in _read_word_list("stoppwoerter.txt"))


@functools.cache
def general_lexicon() -> dict[str, float]:
    """Common German words (folded) with their Zipf frequency, from data/grundwortschatz.tsv."""
    words: dict[str, float] = {}
    for line in _read_word_list("grundwortschatz.tsv"):
        word, _, zipf = line.partition("\t")
        folded = fold(word)
        words[folded] = max(words.get(folded, 0.0), float(zipf))
    return words


@dataclass(frozen=True)
class Token:
    """One word of a text: where it stands, its folded form and the terms it is indexed under."""

    start: int
    end: int
    word: str
    terms: tuple[str, ...]


def words_with_offsets(text: str) -> Iterator[tuple[int, int, str]]:
    """Folded words (and digit runs) with their character offsets; stop words included."""
    for match in WORD_PATTERN.finditer(text):
        yield match.start(), match.end(), fold_word(match.group())


@functools.lru_cache(maxsize=_CACHE_SIZE)
def fold_word(word: str) -> str:
    return fold(word)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def stem(word: str) -> str:
    """Stem of a folded word, after undoing a participle's ``ge`` ("umgemeldet" → "ummeld")."""
    if word.isdigit():
        return word
    participle = _PARTICIPLE.match(word)
    if participle:
        word = participle.group(1) + participle.group(2)
    return _STEMMER.stemWord(word)


def max_typos(word: str) -> int:
    """One edit on words of five or more letters, two on nine or more."""
    if len(word) >= 9:
        return 2
    return 1 if len(word) >= 5 else 0


class Vocabulary:
    """The register's own words (folded) with the number of documents using each.

    It is the dictionary for compound splitting and verb forms, the word list for typo correction
    and for "Meinten Sie …". For compound splitting only, a general ``lexicon`` of German words
    (folded word → Zipf frequency; the shipped list unless given) adds parts the register's own
    texts never use alone.
    """

    def __init__(
        self, documents: Mapping[str, int], lexicon: Mapping[str, float] | None = None
    ) -> None:
        self.documents = dict(documents)
        # loaded here (about 0.7 s, once per process), not by the first query of a server
        self.lexicon: Mapping[str, float] = general_lexicon() if lexicon is None else lexicon
        self.words = sorted(self.documents)
        self.stems = frozenset(stem(word) for word in self.words)
        self.split = functools.lru_cache(maxsize=_CACHE_SIZE)(self._split)
        self._best_split = functools.lru_cache(maxsize=_CACHE_SIZE)(self._find_best_split)
        self._is_part = functools.lru_cache(maxsize=_CACHE_SIZE)(self._check_part)
        self._stopwords = stopwords()
        self._corrections = functools.lru_cache(maxsize=_CACHE_SIZE)(self._find_corrections)

    def __contains__(self, word: str) -> bool:
        return word in self.documents

    def __len__(self) -> int:
        return len(self.documents)

    def knows(self, word: str) -> bool:
        """Whether any document has this word, or a word with the same stem."""
        return word in self.documents or stem(word) in self.stems

    def corrections(self, word: str, limit: int) -> list[str]:
        """Known words within the allowed edits (a swap counts once), closest and commonest first.

        Cached: while someone types, every keystroke plans the earlier words again.
        """
        return list(self._corrections(word, limit))

    def _find_corrections(self, word: str, limit: int) -> tuple[str, ...]:
        allowed = max_typos(word)
        if not allowed:
            return ()
        found = process.extract(
            word, self.words, scorer=OSA.distance, score_cutoff=allowed, limit=limit * 4
        )
        ranked = sorted(found, key=lambda hit: (hit[1], -self.documents[hit[0]], hit[0]))
        return tuple(candidate for candidate, _distance, _index in ranked[:limit])

    def completions(self, prefix: str, limit: int) -> list[str]:
        """The commonest known words that begin with ``prefix``."""
        start = bisect.bisect_left(self.words, prefix)
        end = bisect.bisect_left(self.words, prefix + "\uffff", start)
        candidates = self.words[start:end]
        return sorted(candidates, key=lambda word: (-self.documents[word], word))[:limit]

    def _check_part(self, word: str, head: bool) -> bool:
        if len(word) < MIN_PART_LENGTH or word in self._stopwords or word in PREFIXES:
            return False
        if self._in_register(word):
            return True
        if word in self.lexicon:
            return self._is_general_part(word, head=head)
        return not head and self._is_verb_stem(word)

    def _is_general_part(self, word: str, *, head: bool) -> bool:
        if head and len(word) < MIN_GENERAL_HEAD_LENGTH:
            return False
        # the list holds three-letter words only when very common; rare four-letter ones are
        # mostly foreign words ("bean" would split "Beantragung")
        return len(word) > 4 or self.lexicon[word] >= MIN_ZIPF_FOUR_LETTERS

    def _in_register(self, word: str) -> bool:
        if len(word) == MIN_PART_LENGTH:
            return self.documents.get(word, 0) >= SHORT_PART_MIN_DOCUMENTS
        # "Unterschrift" counts as known when only "Unterschriften" occurs
        return word in self.documents or (len(word) >= 5 and stem(word) in self.stems)

    def _is_verb_stem(self, word: str) -> bool:
        return len(word) >= 4 and any(
            word + ending in self.documents or word + ending in self.lexicon
            for ending in VERB_STEM_ENDINGS
        )

    def _split(self, word: str) -> tuple[str, ...]:
        """Parts of a compound, biggest first, then recursively their own parts; () if none.

        The best split into modifier (+ linking element) + head is the one whose parts are most
        common (geometric mean of document counts, after Koehn and Knight 2003).
        """
        best, _own = self._best_split(word)
        if best is None:
            return ()
        parts: list[str] = []
        for part in best:
            parts.append(part)
            parts.extend(self.split(part))
        return tuple(dict.fromkeys(parts))

    def _find_best_split(self, word: str) -> tuple[tuple[str, str] | None, bool]:
        """(modifier, head) or None, and whether both are the register's own words or compounds
        of them."""
        if len(word) < MIN_COMPOUND_LENGTH or word.isdigit():
            return None, False
        best, best_score = None, (False, 0.0)
        for cut in range(MIN_PART_LENGTH, len(word) - MIN_PART_LENGTH + 1):
            head = word[cut:]
            if not self._is_part(head, True) and not self._splittable(head):
                continue
            for link in LINKING_ELEMENTS:
                modifier = word[:cut]
                if link:
                    if not modifier.endswith(link):
                        continue
                    modifier = modifier[: -len(link)]
                if not self._is_part(modifier, False) and not self._splittable(modifier):
                    continue
                # a split into the register's own words beats one that needs the word list
                # ("Hunde-steuer", not "Hundes-teuer")
                own = all(self._in_register(p) or self._best_split(p)[1] for p in (modifier, head))
                score = (own, math.sqrt(self._weight(modifier) * self._weight(head)))
                if score > best_score:
                    best, best_score = (modifier, head), score
        return best, best_score[0]

    def _splittable(self, word: str) -> bool:
        return len(word) >= MIN_COMPOUND_LENGTH and bool(self.split(word))

    def _weight(self, part: str) -> float:
        # the register's own count, plus the general frequency on a comparable scale (Zipf 4, a
        # common word, weighs as one document); a part known to neither (one that splits further)
        # counts as a rare word; longer parts win ties
        zipf = self.lexicon.get(part)
        general = 10 ** (zipf - 4) if zipf is not None else 0.0
        return (self.documents.get(part, 0) + general or 1) + len(part) / 100


EMPTY_VOCABULARY = Vocabulary({}, lexicon={})


class GermanAnalyzer:
    """Terms for the index, alternatives for queries, tokens for highlighting."""

    def __init__(self, vocabulary: Vocabulary = EMPTY_VOCABULARY) -> None:
        self.vocabulary = vocabulary
        self._stopwords = stopwords()
        self.word_terms = functools.lru_cache(maxsize=_CACHE_SIZE)(self._word_terms)

    def is_stopword(self, word: str) -> bool:
        return word in self._stopwords

    def index_terms(self, text: str | None) -> list[str]:
        """All terms a text is indexed under (its words' stems and derived terms)."""
        if not text:
            return []
        terms: list[str] = []
        for word in self.words(text):
            terms.extend(self.word_terms(word))
        return terms

    def words(self, text: str | None) -> list[str]:
        """The folded words of a text without stop words (vocabulary, type-ahead)."""
        if not text:
            return []
        stop = self._stopwords
        return [word for word in map(fold_word, WORD_PATTERN.findall(text)) if word not in stop]

    def tokens(self, text: str) -> Iterator[Token]:
        """Every word with offsets and terms; stop words carry no terms (for highlighting)."""
        for start, end, word in words_with_offsets(text):
            terms = () if word in self._stopwords else self.word_terms(word)
            yield Token(start, end, word, terms)

    def _word_terms(self, word: str) -> tuple[str, ...]:
        terms = [stem(word), *self._verb_form(word)]
        for part in self.vocabulary.split(word):
            terms.append(stem(part))
        return tuple(dict.fromkeys(terms))

    def _verb_form(self, word: str) -> tuple[str, ...]:
        """The verb stem a word shares with its noun or participle that Snowball keeps apart.

        "Verlängerung" → "verlang" (as "verlängern"), "Impfung" → "impf" (as "impfen");
        "erteilt" → "erteil" when the vocabulary knows that stem.
        """
        own = stem(word)
        if word.endswith("ung") and len(word) >= MIN_VERBAL_NOUN_LENGTH:
            root = word[:-3]
            verb = stem(root + ("n" if root.endswith(("er", "el")) else "en"))
            return (verb,) if verb != own else ()
        for ending in ("et", "t"):
            shorter = own[: -len(ending)]
            if own.endswith(ending) and len(shorter) >= 4 and shorter in self.vocabulary.stems:
                return (shorter,)
        return ()

    def alternatives(self, word: str) -> list[tuple[str, ...]]:
        """What a query word may match: its stem, a verb-form stem, or all its compound parts.

        Each alternative is a conjunction of terms; a document matches the word if it matches any.
        """
        own = stem(word)
        options: list[tuple[str, ...]] = [(own,)]
        options.extend((term,) for term in self._verb_form(word))
        atomic = [part for part in self.vocabulary.split(word) if not self.vocabulary.split(part)]
        if len(atomic) >= 2:
            options.append(tuple(dict.fromkeys(stem(part) for part in atomic)))
        return list(dict.fromkeys(options))


def vocabulary_counts(texts_per_document: Iterable[Iterable[str | None]]) -> dict[str, int]:
    """Document counts of folded words (letters only, three or more) over many documents."""
    counts: dict[str, int] = {}
    stop = stopwords()
    for texts in texts_per_document:
        seen: set[str] = set()
        for text in texts:
            if text:
                seen.update(map(fold_word, WORD_PATTERN.findall(text)))
        for word in seen:
            if len(word) >= MIN_PART_LENGTH and not word.isdigit() and word not in stop:
                counts[word] = counts.get(word, 0) + 1
    return counts
