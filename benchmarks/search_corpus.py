"""A realistic search corpus of any size: the LeiKa catalogue plus generated authority variants.

Used by benchmarks/search_speed.py. Every authority process is a variant of a catalogue service as a
municipality would write it down: its own title wording, a responsible unit, a description built from
the service's words, documents to bring, fees, and for about a third a model with 8-30 labelled
steps. Deterministic for a given seed.
"""

from __future__ import annotations

import csv
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

from app.search.documents import STATIC_BOOST, DocType, Kind, SearchDocument

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "seed" / "musterregister" / "data"

UNITS = [
    "Bürgerbüro", "Bürgeramt", "Ordnungsamt", "Steueramt", "Kämmerei", "Bauordnungsamt",
    "Standesamt", "Jugendamt", "Sozialamt", "Straßenverkehrsamt", "Gesundheitsamt", "Ausländerbehörde",
    "Umweltamt", "Veterinäramt", "Schulamt", "Gewerbeamt", "Amt für Wohnungswesen",
    "Fachbereich Bürgerdienste", "Fachdienst Sicherheit und Ordnung", "Zulassungsstelle",
    "Führerscheinstelle", "Untere Wasserbehörde", "Untere Naturschutzbehörde", "Friedhofsverwaltung",
]  # fmt: skip
DOCUMENTS = [
    "Personalausweis oder Reisepass", "Meldebescheinigung", "ausgefülltes Antragsformular",
    "Vollmacht bei Vertretung", "Nachweis über die Zahlung der Gebühr", "aktuelles Lichtbild",
    "Geburtsurkunde", "Heiratsurkunde", "Einkommensnachweise der letzten drei Monate", "Mietvertrag",
    "Wohnungsgeberbestätigung", "Lageplan", "Bauzeichnungen", "Handelsregisterauszug",
    "Führungszeugnis", "Versicherungsnachweis", "ärztliches Attest", "Sachkundenachweis",
    "Kontoauszug", "Bescheid der Krankenkasse", "Zulassungsbescheinigung Teil I", "eVB-Nummer",
]  # fmt: skip
FEES = [
    "gebührenfrei", "10,00 EUR", "12,50 EUR", "15,00 EUR", "28,80 EUR", "37,00 EUR", "60,00 EUR",
    "nach Aufwand, 50 bis 500 EUR", "Verwaltungsgebühr nach Gebührensatzung", "keine Gebühren",
]  # fmt: skip
OBJECTS = [
    "Antrag", "Unterlagen", "Daten", "Identität", "Gebühr", "Bescheid", "Nachweis", "Akte",
    "Stellungnahme", "Termin", "Vollständigkeit", "Zuständigkeit", "Zahlung", "Register",
    "Bescheinigung", "Anhörung", "Widerspruch", "Frist", "Auskunft", "Mitteilung", "Prüfvermerk",
]  # fmt: skip
VERBS = [
    "prüfen", "erfassen", "anfordern", "erstellen", "versenden", "festsetzen", "archivieren",
    "abstimmen", "bewerten", "weiterleiten", "genehmigen", "ablehnen", "buchen", "vereinbaren",
    "eintragen", "zustellen", "bestätigen", "nachfordern", "scannen", "freigeben",
]  # fmt: skip
LANES = ["Sachbearbeitung", "Teamleitung", "Kasse", "Antragsteller", "Fachamt", "Poststelle"]
OPENINGS = [
    "Die Behörde bearbeitet Anträge zu {topic}.",
    "Bürgerinnen und Bürger wenden sich wegen {topic} an das {unit}.",
    "Für {topic} ist das {unit} zuständig.",
    "Das Verfahren {topic} beginnt mit dem Antrag und endet mit dem Bescheid.",
]
TITLE_FORMS = ["{name}", "{name}", "{name} ({authority})", "{name} – {unit}", "{name} beantragen"]


def catalogue() -> tuple[list[dict[str, str]], dict[str, dict[str, str]]]:
    with (DATA / "leistungen.csv").open(encoding="utf-8") as file:
        services = [row for row in csv.DictReader(file) if row["leika_key"].isdigit()]
    with (DATA / "ozg_leistungen.csv").open(encoding="utf-8") as file:
        ozg = {row["ozg_id"]: row for row in csv.DictReader(file)}
    return services, ozg


def municipalities() -> list[str]:
    with (DATA / "kommunen_nrw.csv").open(encoding="utf-8") as file:
        return [row[next(iter(row))] for row in csv.DictReader(file)]


def documents(count: int, seed: int = 115) -> Iterator[SearchDocument]:
    """``count`` documents: the whole catalogue first, then authority variants."""
    rng = random.Random(seed)
    services, ozg = catalogue()
    authorities = [(uuid.UUID(int=rng.getrandbits(128)), name) for name in municipalities()]
    register = uuid.UUID(int=0)
    for produced, service in enumerate(services):
        if produced >= count:
            return
        yield _catalogue_document(service, ozg.get(service["ozg_id"]), register, rng)
    for _ in range(count - len(services)):
        yield _authority_document(rng.choice(services), ozg, rng.choice(authorities), rng)


def _legal(service: dict[str, str]) -> str:
    return service["rechtsgrundlage"].split(" [")[0]


def _catalogue_document(
    service: dict[str, str], ozg: dict[str, str] | None, register: uuid.UUID, rng: random.Random
) -> SearchDocument:
    return SearchDocument(
        id=f"process:{uuid.UUID(int=rng.getrandbits(128))}",
        ref="",
        type=DocType.PROCESS,
        kind=Kind.LEISTUNG,
        process_id=uuid.UUID(int=rng.getrandbits(128)),
        model_id=None,
        authority_id=register,
        texts={
            "title": service["name"],
            "ozg": ozg["name"] if ozg else "",
            "legal": _legal(service),
            "context": f"{ozg['lebenslage']}\n{ozg['themenfeld']}" if ozg else "",
        },
        leika_keys=(service["leika_key"],),
        ozg_id=service["ozg_id"] or None,
        themenfeld=ozg["themenfeld"] if ozg else None,
        lebenslage=ozg["lebenslage"] if ozg else None,
        boost=STATIC_BOOST[Kind.LEISTUNG],
    )


def _authority_document(
    service: dict[str, str],
    ozg_rows: dict[str, dict[str, str]],
    authority: tuple[uuid.UUID, str],
    rng: random.Random,
) -> SearchDocument:
    ozg = ozg_rows.get(service["ozg_id"])
    unit = rng.choice(UNITS)
    authority_id, authority_name = authority
    has_model = rng.random() < 0.33
    title = rng.choice(TITLE_FORMS).format(
        name=service["name"], authority=authority_name, unit=unit
    )
    description = " ".join(
        rng.choice(OPENINGS).format(topic=service["name"], unit=unit)
        for _ in range(rng.randint(1, 3))
    )
    return SearchDocument(
        id=f"process:{uuid.UUID(int=rng.getrandbits(128))}",
        ref="",
        type=DocType.PROCESS,
        kind=Kind.BEHOERDE,
        process_id=uuid.UUID(int=rng.getrandbits(128)),
        model_id=None,
        authority_id=authority_id,
        texts={
            "title": title,
            "keywords": "\n".join(rng.sample(service["name"].split(), k=1)),
            "ozg": ozg["name"] if ozg else "",
            "unit": unit,
            "body": "\n".join(
                [description, *rng.sample(DOCUMENTS, k=rng.randint(1, 5)), rng.choice(FEES)]
            ),
            "legal": _legal(service),
            "model": _model_text(rng) if has_model else "",
            "context": "\n".join(
                [authority_name, *([ozg["lebenslage"], ozg["themenfeld"]] if ozg else [])]
            ),
        },
        leika_keys=(service["leika_key"],),
        ozg_id=service["ozg_id"] or None,
        state="NW",
        themenfeld=ozg["themenfeld"] if ozg else None,
        lebenslage=ozg["lebenslage"] if ozg else None,
        has_model=has_model,
        boost=STATIC_BOOST[Kind.BEHOERDE],
    )


def _model_text(rng: random.Random) -> str:
    steps = [f"{rng.choice(OBJECTS)} {rng.choice(VERBS)}" for _ in range(rng.randint(8, 30))]
    return "\n".join([*rng.sample(LANES, k=rng.randint(1, 3)), *steps])
