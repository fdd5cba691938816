"""Server-rendered pages on the seed register."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.catalog.models import Process
from app.db import get_database
from app.library.models import ProcessModel


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, url
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def process_id(app, key):
    with get_database(app).session() as session:
        return session.scalar(select(Process.id).where(Process.external_ref == f"leika:{key}"))


def test_start_page_browses_the_catalogue(seeded_client):
    html = page(seeded_client, "/")
    assert '<html lang="de">' in html and 'href="#inhalt"' in html
    assert "Familie &amp; Kind" in html and "Geburt" in html
    assert "Wohnsitz anmelden" in html  # a Musterprozess with a model
    assert "4.8" in html  # "4.813 Registereinträge", German thousands separator


def test_catalogue_filters_by_themenfeld_lebenslage_and_text(seeded_client):
    html = page(
        seeded_client,
        "/katalog?themenfeld=Querschnitt&lebenslage=Querschnitt+B%C3%BCrger&q=urkunde",
    )
    assert "Geburtsurkunde ausstellen" in html
    assert "Hundesteuer" not in html
    found = page(seeded_client, "/katalog?q=hundesteuer")
    assert re.search(r"\d+ Treffer", found) and "Hundesteuer anmelden" in found
    assert 'rel="next"' in page(seeded_client, "/katalog")
    assert "<title>Katalog – Musterregister</title>" in page(seeded_client, "/katalog")
    assert re.search(r"<title>Katalog, Seite 2 von \d+ – ", page(seeded_client, "/katalog?seite=2"))


def test_process_page_shows_steckbrief_and_diagram(seeded_client, seeded_app):
    html = page(seeded_client, f"/prozesse/{process_id(seeded_app, '99115005104000')}")
    assert '<h1 class="kern-heading-large">Wohnsitz anmelden</h1>' in html
    assert "Bürgerbüro" in html and "Wohnungsgeberbestätigung" in html
    assert "https://www.gesetze-im-internet.de/bmg/__17.html" in html
    assert 'data-bpmn-url="/api/v1/models/' in html
    assert "vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" in html
    assert "Reifegrad" in html and "Versionsgeschichte" in html


def test_catalogue_entry_without_model_has_no_viewer(seeded_client, seeded_app):
    html = page(seeded_client, f"/prozesse/{process_id(seeded_app, '99027002012002')}")
    assert "data-bpmn-url" not in html and "bpmn-js" not in html


def test_model_page_lists_revisions_with_downloads(seeded_client, seeded_app):
    with get_database(seeded_app).session() as session:
        model = session.scalar(
            select(ProcessModel).where(ProcessModel.external_ref == "muster:gewerbe-anmelden")
        )
    html = page(seeded_client, f"/modelle/{model.id}")
    assert "Revisionen" in html and "Veröffentlicht" in html
    assert f"/api/v1/models/{model.id}/revisions/1/content" in html
    assert "Schritte als Text" in html


def test_authority_pages(seeded_client):
    html = page(seeded_client, "/behoerden?q=l%C3%BCneburg")
    assert "Landkreis Lüneburg" in html
    detail = page(seeded_client, "/behoerden/landkreis-lueneburg")
    assert "033550000000" in detail and "Niedersachsen" in detail
    assert "Registereinträge (4.813)" in page(seeded_client, "/behoerden/musterregister-redaktion")


def test_bad_page_parameters_get_error_pages(seeded_client):
    assert "Nicht gefunden" in page(seeded_client, "/katalog?seite=0", status=404)
    page(seeded_client, "/katalog?leika=abc", status=400)
    page(seeded_client, "/behoerden/atlantis", status=404)
