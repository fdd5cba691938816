"""The search pages on the seed register: /suche and /115."""

from __future__ import annotations

import re

import pytest

SCRIPT = "<script>alert(1)</script>"


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def hits(html):
    return re.findall(r'<h3 class="kern-heading-small hit__title"><a [^>]*>(.*?)</a></h3>', html)


def test_the_search_page_shows_highlighted_hits_with_kind_authority_and_leika(search_client):
    html = page(search_client, "/suche?q=hund")
    assert re.search(r"\d+ Treffer für „hund“", html)
    titles = hits(html)
    assert titles and all("<mark>" in title for title in titles[:3])
    assert "<mark>Hundesteuer</mark> anmelden" in titles
    assert 'hit__snippet">' in html and "<mark>Hund</mark>" in html
    assert "Musterprozess</span>" in html and "Leistung (LeiKa)</span>" in html
    assert "Redaktion Musterregister" in html
    assert re.search(r'LeiKa <span class="leika">\d{14}', html)
    assert re.search(r'href="/prozesse/[0-9a-f-]{36}"', html)
    assert '<html lang="de">' in html and "<title>„hund“ – Suche – Musterregister</title>" in html


def test_facets_filter_and_the_selected_filter_can_be_removed(search_client):
    html = page(search_client, "/suche?q=hund")
    assert '<h2 id="filter-titel" class="kern-heading-medium">Filter</h2>' in html
    link = re.search(r'<a class="facet__link" href="([^"]*kind=musterprozess[^"]*)"', html)
    assert link, "no facet link for Musterprozess"
    assert "Musterprozess" in html and re.search(r'<span class="count">\(\d+\)</span>', html)

    filtered = page(search_client, link.group(1).replace("&amp;", "&"))
    assert hits(filtered) == ["<mark>Hundesteuer</mark> anmelden"]
    assert 'aria-current="true"' in filtered and "ausgewählt – Filter entfernen" in filtered
    assert "Gefiltert nach:" in filtered and "Art: Musterprozess" in filtered
    assert 'href="/suche?q=hund"' in filtered  # removes the filter
    assert '<input type="hidden" name="kind" value="musterprozess">' in filtered


def test_a_filter_that_matches_nothing_offers_the_search_without_it(search_client):
    html = page(search_client, "/suche?q=hund&state=BY")
    assert "0 Treffer" in html and "Tipps für die Suche" in html
    assert "„hund“ im ganzen Register" in html and "Land: Bayern" in html


def test_did_you_mean_links_the_corrected_query(search_client):
    html = page(search_client, "/suche?q=persnalausweis")
    assert (
        'Meinten Sie: <a class="kern-link" href="/suche?q=personalausweis">personalausweis</a>?'
        in (html)
    )
    assert hits(html)


def test_a_notice_says_when_not_every_word_occurs(search_client):
    html = page(search_client, "/suche?q=hund+katze")
    assert "Nicht alle Wörter kommen vor" in html
    assert hits(html)
    assert "Nicht alle Wörter kommen vor" not in page(search_client, "/suche?q=hund")


def test_pages_of_hits(search_client):
    first = page(search_client, "/suche?q=personalausweis")
    assert 'rel="next" href="/suche?q=personalausweis&amp;seite=2"' in first
    assert '<ol class="hits" start="1">' in first and len(hits(first)) == 10
    second = page(search_client, "/suche?q=personalausweis&seite=2")
    assert '<ol class="hits" start="11">' in second and 'rel="prev"' in second
    assert set(hits(first)).isdisjoint(hits(second))


def test_without_a_query_the_page_explains_and_offers_examples(search_client):
    html = page(search_client, "/suche")
    assert "Perso verloren" in html and 'href="/115"' in html
    assert "Treffer für" not in html
    assert "Treffer für" not in page(search_client, "/suche?q=++")


def test_no_hits_gives_advice(search_client):
    html = page(search_client, "/suche?q=xyzzyqq")
    assert "0 Treffer für „xyzzyqq“" in html and "Tipps für die Suche" in html
    assert 'href="/katalog"' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("q=hund&farbe=rot", "Unbekannter Filter: farbe."),
        ("q=" + "a" * 201, "Suchtext: Länge muss zwischen 1 und 200 liegen."),
        ("q=hund&seite=0", "Seite: Muss zwischen 1 und 1000 liegen."),
        ("q=hund&seite=zwei", "Seite: Keine gültige ganze Zahl."),
        ("q=hund&seite=101", "Seite: Es werden höchstens die ersten 1000 Treffer gezeigt."),
        ("q=hund&kind=katze", "Art: Muss einer dieser Werte sein"),
        ("q=hund&authority=nicht-eine-id", "Behörde: Keine gültige UUID."),
        ("q=hund&kind=leistung&kind=modell", "Jede Angabe nur einmal: kind."),
    ],
)
def test_invalid_parameters_give_the_german_400_page(search_client, query, message):
    html = page(search_client, f"/suche?{query}", status=400)
    assert '<h1 class="kern-heading-large">Ungültige Anfrage</h1>' in html
    assert message in html


def test_control_characters_in_the_query_do_no_harm(search_client):
    assert hits(page(search_client, "/suche?q=hund%00%07"))


@pytest.mark.parametrize(
    "url",
    [
        f"/suche?q={SCRIPT}",
        f"/suche?q=hund&themenfeld={SCRIPT}",
        f"/suche?q=hund&{SCRIPT}=1",
        f"/suche?q=hund&kind={SCRIPT}",
        f"/suche?q={'x' * 190}{SCRIPT}",
    ],
)
def test_what_was_typed_is_escaped_everywhere(search_client, url):
    response = search_client.get(url)
    assert response.status_code in {200, 400}
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html
    assert "alert(1)" not in html or "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_hotline_page_works_without_javascript_too(search_client):
    html = page(search_client, "/115")
    assert "Hotline-Suche für 115-Servicecenter" in html
    form = re.search(r'<form class="hotline__form" action="([^"]+)" method="get"', html)
    assert form and form.group(1) == "/suche"
    assert 'id="hotline-q" name="q" type="search"' in html and 'for="hotline-q"' in html
    assert 'data-api="/api/v1/search"' in html
    assert "/static/js/hotline.js" in html
    assert 'role="listbox"' in html and 'aria-live="assertive"' in html
    assert "<kbd>C</kbd> Antwort kopieren" in html


def test_the_header_searches_from_every_page_and_links_both_search_pages(search_client):
    html = page(search_client, "/")
    assert re.search(r'<form class="site-search" action="/suche" method="get" role="search"', html)
    assert 'href="/suche">Suche</a>' in html and 'href="/115">115-Suche</a>' in html
    own = page(search_client, "/suche?q=hund")
    assert 'class="site-search"' not in own  # the page has its own, bigger box
    assert 'href="/suche" aria-current="page">Suche</a>' in own
