"""Every text a person reads goes through gettext, the catalogue template is current, and an
installed catalogue changes what pages, forms, scripts and API errors say."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask

from app import close_app, create_app
from tests.conftest import ROOT, app_overrides
from tests.support.untranslated import (
    label_tables_outside_gettext,
    untranslated_in_python,
    untranslated_in_scripts,
    untranslated_in_templates,
    unwrapped_in_message_modules,
)

COMMITTED_TEMPLATE = ROOT / "app" / "translations" / "messages.pot"


def _report(findings: list[tuple[str, int, str]]) -> str:
    return "\n".join(f"{file}:{line}: {text!r}" for file, line, text in findings)


def test_templates_show_no_text_outside_gettext() -> None:
    findings = untranslated_in_templates()
    assert not findings, _report(findings)


def test_scripts_take_their_texts_from_the_page() -> None:
    findings = untranslated_in_scripts()
    assert not findings, _report(findings)


def test_python_hands_people_only_translatable_texts() -> None:
    findings = (
        untranslated_in_python() + unwrapped_in_message_modules() + label_tables_outside_gettext()
    )
    assert not findings, _report(findings)


@pytest.fixture(scope="module")
def extracted_catalogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("messages") / "messages.pot"
    script = (ROOT / "scripts" / "messages").read_text()
    command = re.search(r"^\.venv/bin/pybabel extract .*?app$", script, re.MULTILINE | re.DOTALL)
    assert command, "scripts/messages has no pybabel extract command"
    arguments = command.group().replace("\\\n", " ").split()[1:]
    arguments = [
        str(output) if argument.endswith("messages.pot") else argument for argument in arguments
    ]
    arguments = [argument.strip('"') for argument in arguments]
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), *arguments],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return output


def _message_ids(path: Path) -> set[tuple[object, object]]:
    with path.open("rb") as handle:
        return {(message.context, message.id) for message in read_po(handle) if message.id}


def test_catalogue_template_lists_every_text(extracted_catalogue: Path) -> None:
    extracted, committed = _message_ids(extracted_catalogue), _message_ids(COMMITTED_TEMPLATE)
    assert extracted == committed, (
        "app/translations/messages.pot ist veraltet: scripts/messages ausführen.\n"
        f"neu: {sorted(map(str, extracted - committed))[:20]}\n"
        f"entfallen: {sorted(map(str, committed - extracted))[:20]}"
    )
    assert len(extracted) > 500


def _marked(text: str) -> str:
    return f"⟦{text}⟧"


@pytest.fixture(scope="module")
def pseudo_translated_app(
    extracted_catalogue: Path,
    seeded_app: Flask,
    seeded_database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Flask]:
    """An instance with an "English" catalogue that wraps every German text in ⟦…⟧."""
    translations = tmp_path_factory.mktemp("translations")
    with extracted_catalogue.open("rb") as handle:
        catalogue = read_po(handle, locale="en")
    for message in catalogue:
        if message.id:
            message.string = (
                tuple(_marked(part) for part in message.id)
                if isinstance(message.id, tuple)
                else _marked(message.id)
            )
    compiled = translations / "en" / "LC_MESSAGES" / "messages.mo"
    compiled.parent.mkdir(parents=True)
    with compiled.open("wb") as handle:
        write_mo(handle, catalogue)
    instance = tmp_path_factory.mktemp("pseudo-instance")
    seeded_settings = seeded_app.extensions["musterregister.settings"]
    app = create_app(
        app_overrides(
            instance,
            seeded_database_url,
            translations_path=translations,
            # the seeded register's index: the same register, only another language
            search_index_path=seeded_settings.effective_search_index_path,
        )
    )
    yield app
    close_app(app)


ENGLISH = {"Accept-Language": "en"}


def test_a_page_follows_the_browser_language(pseudo_translated_app: Flask) -> None:
    client = pseudo_translated_app.test_client()
    german = client.get("/", headers={"Accept-Language": "de"})
    english = client.get("/", headers=ENGLISH)
    assert '<html lang="de">' in german.text and "⟦" not in german.text
    assert '<html lang="en">' in english.text
    assert _marked("Zum Inhalt springen") in english.text
    assert "Accept-Language" in english.headers["Vary"]


def test_forms_errors_and_api_problems_are_translated(pseudo_translated_app: Flask) -> None:
    client = pseudo_translated_app.test_client()
    missing_page = client.get("/prozesse/999999", headers=ENGLISH)
    assert missing_page.status_code == 404
    assert _marked("Nicht gefunden") in missing_page.text
    problem = client.get("/api/v1/processes/999999", headers=ENGLISH)
    assert problem.status_code == 404
    assert problem.json["title"] == _marked("Nicht gefunden")
    assert problem.json["detail"].startswith("⟦")


def test_form_labels_downloads_and_script_texts_are_translated(
    pseudo_translated_app: Flask,
) -> None:
    from app.identity.forms import KIND_LABELS, TokenForm
    from app.identity.models import AuthorityKind

    with pseudo_translated_app.test_request_context(headers=ENGLISH):
        form = TokenForm(meta={"csrf": False})
        assert str(form.name.label.text) == _marked("Wofür ist das Token?")
        assert not form.validate()
        assert form.name.errors == [_marked("Bitte einen Namen angeben.")]
        assert str(KIND_LABELS[AuthorityKind.LAND]) == _marked("Land")  # with its context
    client = pseudo_translated_app.test_client()
    table = client.get("/statistik/monate.csv", headers=ENGLISH).get_data(as_text=True)
    assert table.startswith(f"\ufeff{_marked('Monat')};{_marked('neue Behörden')};")
    hotline = client.get("/115", headers=ENGLISH)
    script_texts = re.findall(r'data-text-[a-z-]+="([^"]*)"', hotline.text)
    assert script_texts and all(text.startswith("⟦") for text in script_texts), script_texts


def test_pages_reached_from_the_start_page_render_in_another_language(
    pseudo_translated_app: Flask,
) -> None:
    """A translation must never break a page (a plural of a float count once did): visit the
    kinds of pages a visitor reaches by links from the start page, in the pseudo language."""
    client = pseudo_translated_app.test_client()
    queue, seen, kinds, failures = ["/"], {"/"}, Counter[str](), []
    while queue:
        path = queue.pop(0)
        response = client.get(path, headers=ENGLISH)
        if response.status_code >= 500:
            failures.append((path, response.status_code))
        if response.mimetype != "text/html":
            continue
        for link in re.findall(r'href="(/[^"#]*)"', response.text):
            link = link.replace("&amp;", "&")
            kind = _page_kind(link)
            if link in seen or link.startswith(SKIPPED_PREFIXES) or kinds[kind] >= PAGES_PER_KIND:
                continue
            seen.add(link)
            kinds[kind] += 1
            queue.append(link)
    assert not failures
    assert len(kinds) > 25  # the crawl reached many different pages


PAGES_PER_KIND = 1
SKIPPED_PREFIXES = ("/static/", "/api/", "/federation/", "/anmelden", "/login", "/abmelden")


def _page_kind(link: str) -> str:
    """The page a link leads to, without the object it shows: /behoerden/*/prozesslandkarte?status"""
    path, _, query = link.partition("?")
    segments = path.split("/")
    if len(segments) > 2:
        segments[2] = "*"  # /prozesse/<id>, /behoerden/<slug>, /modelle/<id>/vergleich
    keys = sorted({part.split("=")[0] for part in query.split("&") if part})
    return "/".join(segments) + "?" + ",".join(keys)
