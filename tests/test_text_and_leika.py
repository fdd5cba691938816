from __future__ import annotations

import pytest

from app.fim.leika import covering_prefix, is_leika_key, is_leika_prefix
from app.text import fold, folded_words, slugify


def test_fold_meets_umlauts_and_their_spellings():
    assert fold("Führungszeugnis") == fold("FUEHRUNGSZEUGNIS") == "fuehrungszeugnis"
    assert fold("Straße") == "strasse"
    assert fold("Café") == "cafe"


def test_folded_words_joins_and_cleans():
    assert folded_words("Hund – Steuer!", None, "§ 43 IfSG") == "hund steuer § 43 ifsg"


def test_slugify():
    assert slugify("Landkreis Lüneburg") == "landkreis-lueneburg"
    assert slugify("!!!") == "eintrag"


@pytest.mark.parametrize(
    ("key", "prefix"),
    [
        ("99115005000000", "99115005"),
        ("99115005104000", "99115005104"),
        ("99115005104001", "99115005104001"),
        ("99115", "99115"),
    ],
)
def test_covering_prefix(key, prefix):
    assert covering_prefix(key) == prefix


def test_key_shapes():
    assert is_leika_key("99115005104000")
    assert not is_leika_key("9911500510400")
    assert not is_leika_key("9911500510400x")
    assert is_leika_prefix("99") and not is_leika_prefix("")
