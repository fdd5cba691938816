"""German analysis and query planning: folding, stemming, compounds, synonyms, typos, prefixes."""

from __future__ import annotations

import pytest

from app.search.analysis import GermanAnalyzer, Vocabulary, fold_word, max_typos, stem
from app.search.query import Planner, Synonyms

VOCABULARY = Vocabulary(
    {
        "hund": 40,
        "hunde": 12,
        "steuer": 60,
        "hundesteuer": 9,
        "befreiung": 30,
        "anmeldung": 50,
        "anmelden": 20,
        "personalausweis": 25,
        "fahrzeug": 30,
        "zulassung": 40,
        "wohnsitz": 15,
        "verlaengerung": 20,
        "impfen": 4,
        "beratung": 30,
        "unterschriften": 3,
        "beglaubigung": 8,
    }
)
ANALYZER = GermanAnalyzer(VOCABULARY)
PLANNER = Planner(
    ANALYZER,
    Synonyms(
        {"perso": ["personalausweis"], "kfz": ["fahrzeug"], "ummeldung": ["wohnsitz"]}, ANALYZER
    ),
)


@pytest.mark.parametrize(
    ("written", "folded"),
    [("Führerschein", "fuehrerschein"), ("FUEHRERSCHEIN", "fuehrerschein"), ("Straße", "strasse")],
)
def test_case_and_umlauts_fold_to_one_form(written, folded):
    assert fold_word(written) == folded


def test_verb_noun_and_participle_meet():
    assert stem(fold_word("anmelden")) == stem(fold_word("Anmeldung")) == stem("angemeldet")


def test_verbal_nouns_share_the_verb_stem():
    assert stem("verlaengern") in ANALYZER.word_terms("verlaengerung")
    assert stem("impfen") in ANALYZER.word_terms("impfung")


def test_compounds_split_against_the_vocabulary_both_ways():
    terms = set(ANALYZER.index_terms("Hundesteuerbefreiung"))
    assert {stem("hundesteuer"), stem("befreiung"), stem("hund"), stem("steuer")} <= terms
    plan = PLANNER.plan("Hundesteuerbefreiung")
    (word,) = plan.words
    assert any(
        set(o.terms) == {stem("hund"), stem("steuer"), stem("befreiung")} for o in word.alternatives
    )


def test_a_part_known_only_in_another_form_still_splits():
    parts = VOCABULARY.split("unterschriftsbeglaubigung")
    assert {stem(part) for part in parts} == {stem("unterschriften"), stem("beglaubigung")}


def test_synonyms_expand_a_word():
    (word,) = PLANNER.plan("Perso").words
    assert (stem("personalausweis"),) in [option.terms for option in word.alternatives]


@pytest.mark.parametrize(
    ("word", "allowed"), [("hund", 0), ("steuer", 1), ("zulassung", 2), ("personalausweis", 2)]
)
def test_typo_budget_grows_with_the_word(word, allowed):
    assert max_typos(word) == allowed


def test_typos_are_corrected_within_the_budget():
    plan = PLANNER.plan("Persnalausweis")
    assert plan.corrected_text() == "personalausweis"
    assert PLANNER.plan("Zulasung").corrections == {"zulasung": "zulassung"}
    assert PLANNER.plan("Xylofon").corrections == {}


def test_the_last_word_completes_while_typing():
    (word,) = PLANNER.plan("Personalaus", typing=True).words
    assert (stem("personalausweis"),) in [option.terms for option in word.alternatives]
    (done,) = PLANNER.plan("Personalaus ", typing=True).words
    assert (stem("personalausweis"),) not in [option.terms for option in done.alternatives]


@pytest.mark.parametrize(
    ("text", "digits"), [("99115005104", "99115005104"), ("99 115 005", "99115005")]
)
def test_digits_search_leika_keys(text, digits):
    plan = PLANNER.plan(text)
    assert plan.leika == digits
    assert not plan.words


def test_compounds_written_as_parts_when_nothing_matched():
    assert PLANNER.with_compounds_split("Hundesteuerbefreiung") == "hund steuer befreiung"
    assert PLANNER.with_compounds_split("Hund") is None


def test_stop_words_and_overlong_queries_are_harmless():
    assert PLANNER.plan("der die das").is_empty
    assert len(PLANNER.plan("hund " * 100).words) <= 12


def test_two_letters_are_not_completed_yet():
    (word,) = PLANNER.plan("pe", typing=True).words
    assert [option.terms for option in word.alternatives] == [(stem("pe"),)]


# --- the general word list, compounds written apart, typos inside compounds --------------------

LEXICON = {"bau": 4.9, "baum": 4.6, "faellen": 4.8, "teuer": 4.7, "aus": 6.5, "lung": 3.1}
REGISTER = Vocabulary(
    {"genehmigung": 300, "baugenehmigung": 15, "hund": 40, "hunde": 45, "steuer": 60,
     "hundesteuer": 9, "stellung": 10, "ausstellung": 140, "gewerbe": 80, "abmeldung": 20,
     "gewerbeanmeldung": 3, "jagdschein": 4, "schein": 2, "nachname": 2, "familienname": 6},
    lexicon=LEXICON,
)  # fmt: skip
REGISTER_PLANNER = Planner(
    GermanAnalyzer(REGISTER),
    Synonyms({"nachname": ["familienname"], "gruenden": ["gruendung"]}, GermanAnalyzer(REGISTER)),
)


def terms_of(plan_word):
    return [option.terms for option in plan_word.alternatives]


def test_the_word_list_supplies_parts_the_register_never_uses_alone():
    assert REGISTER.split("baugenehmigung") == ("bau", "genehmigung")
    # a modifier may be a verb without its ending ("fäll-")
    assert {"baum", "faell", "genehmigung"} <= set(REGISTER.split("baumfaellgenehmigung"))
    assert (
        Vocabulary({"genehmigung": 300, "baugenehmigung": 15}, lexicon={}).split("baugenehmigung")
        == ()
    )


def test_the_registers_own_split_beats_one_that_needs_the_word_list():
    assert REGISTER.split("hundesteuer")[1] == "steuer"  # not "hundes" + "teuer"


def test_prefixes_and_short_word_list_heads_are_no_parts():
    assert REGISTER.split("ausstellung") == ()  # not "aus" + "stellung"
    assert REGISTER.split("sammlung") == ()  # not "sam" + "lung"


def test_words_written_apart_also_match_the_registers_compound():
    first, second = REGISTER_PLANNER.plan("bau genehmigung").words
    assert (stem("baugenehmigung"),) in terms_of(first)
    assert (stem("baugenehmigung"),) in terms_of(second)
    assert (stem("bau"),) in terms_of(first)  # each word still counts on its own


def test_a_typo_in_the_head_of_a_compound_is_corrected():
    plan = REGISTER_PLANNER.plan("gewerbeabmeldnug")
    assert plan.corrections == {"gewerbeabmeldnug": "gewerbeabmeldung"}
    (word,) = plan.words
    assert (stem("gewerbe"), stem("abmeldung")) in terms_of(word)


def test_a_typo_that_splits_into_words_is_still_corrected():
    assert REGISTER_PLANNER.plan("jagtschein").corrections == {"jagtschein": "jagdschein"}


def test_synonyms_match_inflections_but_not_every_word_with_the_same_stem():
    (plural,) = REGISTER_PLANNER.plan("nachnamen").words
    assert (stem("familienname"),) in terms_of(plural)
    (ground,) = REGISTER_PLANNER.plan("grund").words  # stem of "gründen", but another word
    assert terms_of(ground) == [(stem("grund"),)]
