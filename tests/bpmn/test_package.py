"""Uploads of one file or a ZIP archive: hostile archives refused, imports resolved, main found."""

from __future__ import annotations

import io
import posixpath
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest

from app.bpmn import BpmnError
from app.bpmn import package as package_module
from app.bpmn.package import (
    MAX_ENTRIES,
    MAX_MEMBERS,
    BpmnPackage,
    extract_package,
    load_upload,
    resolve_imports,
    validate_package,
)
from tests.factories import MINIMAL_BPMN

MIWG = Path(__file__).resolve().parents[3] / "shared" / "data" / "bpmn-miwg-reference"
MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
LIMIT = 1024 * 1024


def bpmn(namespace: str, *imports: str, task: str = "Antrag prüfen") -> bytes:
    """A small valid model with target namespace ``namespace`` importing ``imports``."""
    lines = "".join(
        f'<bpmn:import namespace="urn:{stem(location)}" location="{location}" '
        f'importType="{MODEL}"/>'
        for location in imports
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="{MODEL}" '
        f'id="D" targetNamespace="urn:{namespace}">{lines}\n'
        f'<bpmn:process id="P_{namespace}"><bpmn:task id="T_{namespace}" name="{task}"/>'
        "</bpmn:process></bpmn:definitions>"
    ).encode()


def stem(location: str) -> str:
    return posixpath.basename(unquote(location.replace("\\", "/"))).split(".")[0]


def archive(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zipped:
        for name, data in members.items():
            zipped.writestr(name, data)
    return buffer.getvalue()


def refused(data: bytes, *, filename: str | None = "upload.zip", max_bytes: int = LIMIT):
    with pytest.raises(BpmnError) as error:
        load_upload(data, filename=filename, max_bytes=max_bytes)
    assert error.value.message[0].isupper()
    return error.value


# --- single files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "name"),
    [
        ("antrag.bpmn", "antrag.bpmn"),
        ("C:\\fakepath\\antrag.bpmn", "antrag.bpmn"),
        ("ordner/antrag.xml", "antrag.xml"),
        (None, "modell.bpmn"),
        ("", "modell.bpmn"),
    ],
)
def test_a_single_file_is_one_document_named_like_the_upload(filename, name):
    package = load_upload(MINIMAL_BPMN, filename=filename, max_bytes=LIMIT)
    assert isinstance(package, BpmnPackage)
    assert not package.is_archive
    assert package.main.name == name
    assert package.documents == (package.main,)
    assert package.main.data == MINIMAL_BPMN
    assert validate_package(package) == []


def test_a_single_file_keeps_the_refusals_of_parsing():
    assert refused(b"<kein xml", filename="a.bpmn").code == "not-xml"
    assert refused(MINIMAL_BPMN, filename="a.bpmn", max_bytes=100).code == "too-large"


def test_extraction_of_a_single_file_is_extract_plus_documents():
    package = load_upload(MINIMAL_BPMN, filename="a.bpmn", max_bytes=LIMIT)
    extraction = extract_package(package)
    assert extraction["flow_node_count"] == 3
    assert extraction["documents"] == [
        {"name": "a.bpmn", "flow_node_count": 3, "counts": extraction["counts"]}
    ]
    assert {element["document"] for element in extraction["elements"]} == {"a.bpmn"}


# --- archives: imports and the main document ---------------------------------------------------


def test_imports_resolve_by_path_relative_to_the_importer():
    data = archive(
        {
            "modelle/haupt.bpmn": bpmn("haupt", "teile/teil.bpmn"),
            "modelle/teile/teil.bpmn": bpmn("teil", task="Gebühr berechnen"),
            "teil.bpmn": bpmn("anderer"),  # same file name elsewhere: path wins
        }
    )
    package = load_upload(data, filename="haupt.zip", max_bytes=LIMIT)
    assert package.main.name == "modelle/haupt.bpmn"
    links = package_module._links(package.documents)
    (link,) = [link for link in links if link.importer.name == "modelle/haupt.bpmn"]
    assert link.target is not None and link.target.name == "modelle/teile/teil.bpmn"


def test_imports_resolve_by_file_name_when_the_path_differs():
    data = archive(
        {
            "haupt.bpmn": bpmn("haupt", "https://modelle.example/repo/Teil%20A.bpmn"),
            "export/Teil A.bpmn": bpmn("Teil A"),
        }
    )
    package = load_upload(data, filename="x.zip", max_bytes=LIMIT)
    assert package.main.name == "haupt.bpmn"
    assert [document.name for document in package.documents] == ["haupt.bpmn", "export/Teil A.bpmn"]
    assert resolve_imports(package) == []


def test_windows_paths_in_locations_resolve_by_file_name():
    data = archive(
        {"haupt.bpmn": bpmn("haupt", "C:\\Modelle\\teil.bpmn"), "teil.bpmn": bpmn("teil")}
    )
    package = load_upload(data, filename="x.zip", max_bytes=LIMIT)
    assert package.main.name == "haupt.bpmn"
    assert validate_package(package) == []


def test_an_unresolved_import_in_an_archive_is_reported_not_refused():
    data = archive({"haupt.bpmn": bpmn("haupt", "fehlt.bpmn", "http://[kaputt/x.bpmn")})
    package = load_upload(data, filename="x.zip", max_bytes=LIMIT)
    issues = validate_package(package)
    assert [issue["message"] for issue in issues] == [
        "Import 'fehlt.bpmn' ist nicht im Archiv enthalten.",
        "Import 'http://[kaputt/x.bpmn' ist nicht im Archiv enthalten.",
    ]
    assert issues[0]["document"] == "haupt.bpmn"
    second_line = package.main.data.decode().split("\n")[1]
    assert (issues[0]["line"], issues[0]["column"]) == (2, second_line.index("<bpmn:import") + 1)


def test_a_file_name_shared_by_two_documents_does_not_resolve_by_name():
    data = archive(
        {
            "haupt.bpmn": bpmn("haupt", "http://x/teil.bpmn"),
            "a/teil.bpmn": bpmn("teil"),
            "b/teil.bpmn": bpmn("teil2"),
        }
    )
    assert "'haupt.bpmn', 'a/teil.bpmn', 'b/teil.bpmn'" in refused(data).message
    package = load_upload(data, filename="haupt.zip", max_bytes=LIMIT)
    assert package.main.name == "haupt.bpmn"
    assert len(resolve_imports(package)) == 1


def test_an_import_whose_namespace_does_not_match_is_reported():
    main = bpmn("haupt", "teil.bpmn").replace(b'namespace="urn:teil"', b'namespace="urn:falsch"')
    package = load_upload(
        archive({"haupt.bpmn": main, "teil.bpmn": bpmn("teil")}), filename=None, max_bytes=LIMIT
    )
    (issue,) = validate_package(package)
    assert issue["message"] == (
        "Import 'teil.bpmn' erwartet den Namensraum 'urn:falsch', 'teil.bpmn' hat aber 'urn:teil'."
    )


def test_imports_of_other_kinds_are_not_looked_for():
    main = bpmn("haupt").replace(
        b"\n<bpmn:process",
        b'<bpmn:import namespace="urn:t" location="types.xsd" '
        b'importType="http://www.w3.org/2001/XMLSchema"/>\n<bpmn:process',
    )
    assert validate_package(load_upload(main, filename="h.bpmn", max_bytes=LIMIT)) == []


def test_extraction_counts_the_main_document_and_indexes_all():
    data = archive(
        {
            "teil.bpmn": bpmn("teil", task="Gebühr berechnen"),
            "haupt.bpmn": bpmn("haupt", "teil.bpmn"),
        }
    )
    extraction = extract_package(load_upload(data, filename=None, max_bytes=LIMIT))
    assert extraction["flow_node_count"] == 1
    assert extraction["counts"] == {"process": 1, "task": 1}
    assert "Gebühr berechnen" in extraction["text"] and "Antrag prüfen" in extraction["text"]
    assert [(e["id"], e["document"]) for e in extraction["elements"] if e["type"] == "task"] == [
        ("T_haupt", "haupt.bpmn"),
        ("T_teil", "teil.bpmn"),
    ]
    assert [document["name"] for document in extraction["documents"]] == [
        "haupt.bpmn",
        "teil.bpmn",
    ]


@pytest.mark.parametrize(
    ("filename", "main"),
    [("b.zip", "b.bpmn"), ("C:\\fakepath\\B.ZIP", "b.bpmn"), ("bundle.zip", "main.bpmn")],
)
def test_among_several_candidates_the_archive_name_then_main_bpmn_decides(filename, main):
    data = archive({"a.bpmn": bpmn("a"), "b.bpmn": bpmn("b"), "main.bpmn": bpmn("main")})
    assert load_upload(data, filename=filename, max_bytes=LIMIT).main.name == main


def test_ambiguous_main_is_refused_listing_the_candidates():
    data = archive({"a.bpmn": bpmn("a"), "b.bpmn": bpmn("b"), "c.bpmn": bpmn("c", "a.bpmn")})
    error = refused(data, filename="bundle.zip")
    assert error.code == "zip-ambiguous-main"
    assert "'b.bpmn', 'c.bpmn'" in error.message and "'a.bpmn'" not in error.message
    assert refused(data, filename=None).code == "zip-ambiguous-main"


def test_imports_in_a_circle_make_every_document_a_candidate():
    data = archive({"a.bpmn": bpmn("a", "b.bpmn"), "b.bpmn": bpmn("b", "a.bpmn")})
    assert refused(data).code == "zip-ambiguous-main"
    assert load_upload(data, filename="b.zip", max_bytes=LIMIT).main.name == "b.bpmn"


def test_a_document_importing_itself_can_still_be_main():
    data = archive({"a.bpmn": bpmn("a", "a.bpmn")})
    package = load_upload(data, filename=None, max_bytes=LIMIT)
    assert package.main.name == "a.bpmn"
    assert package.is_archive


def test_what_archivers_add_on_their_own_is_skipped():
    data = archive(
        {
            "modelle/": b"",
            "modelle/haupt.bpmn": bpmn("haupt"),
            "__MACOSX/modelle/._haupt.bpmn": b"\x00\x05\x16\x07 resource fork",
            "modelle/.DS_Store": b"\x00\x00\x00\x01Bud1",
            ".git/config": b"[core]",
            "./": b"",
        }
    )
    package = load_upload(data, filename=None, max_bytes=LIMIT)
    assert [document.name for document in package.documents] == ["modelle/haupt.bpmn"]


def test_member_names_are_normalised():
    data = archive({"./modelle//haupt.bpmn": bpmn("haupt")})
    assert load_upload(data, filename=None, max_bytes=LIMIT).main.name == "modelle/haupt.bpmn"


# --- archives: refusals ------------------------------------------------------------------------


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    bomb = archive({"bombe.bpmn": b"<a>" + b" " * (20 * LIMIT) + b"</a>"})
    assert len(bomb) < LIMIT // 10
    error = refused(bomb)
    assert error.code == "zip-too-large"
    assert error.message == "Das ZIP-Archiv ist entpackt größer als 1024 KiB."


def test_many_members_together_may_not_exceed_the_limit():
    filler = bpmn("x").replace(b"</bpmn:definitions>", b" " * 200_000 + b"</bpmn:definitions>")
    data = archive({f"m{number}.bpmn": filler for number in range(6)})
    assert refused(data).code == "zip-too-large"


def patch_sizes(data: bytes, size: int) -> bytes:
    """Make every header of a one-member archive claim ``size`` uncompressed bytes."""
    patched = bytearray(data)
    local = patched.find(b"PK\x03\x04")
    central = patched.find(b"PK\x01\x02")
    patched[local + 22 : local + 26] = size.to_bytes(4, "little")
    patched[central + 24 : central + 28] = size.to_bytes(4, "little")
    return bytes(patched)


def test_declared_sizes_are_not_trusted():
    lying = patch_sizes(archive({"bombe.bpmn": b"<a>" + b" " * (20 * LIMIT) + b"</a>"}), 100)
    assert refused(lying).code == "zip-invalid"


def test_the_budget_counts_what_is_read():
    budget = package_module._Budget(10)
    budget.spend(10)
    with pytest.raises(BpmnError) as error:
        budget.spend(1)
    assert error.value.code == "zip-too-large"


def test_the_raw_archive_may_not_exceed_the_limit():
    data = archive({"a.bpmn": bpmn("a")}, compression=zipfile.ZIP_STORED)
    assert refused(data, max_bytes=len(data) - 1).code == "zip-too-large"


def test_too_many_members_are_refused():
    data = archive({f"m{number}.bpmn": bpmn(f"m{number}") for number in range(MAX_MEMBERS + 1)})
    error = refused(data)
    assert error.code == "zip-too-many-files"
    assert "mehr als 50 BPMN-Dateien" in error.message


def test_too_many_entries_are_refused_even_if_skipped():
    data = archive({f"ordner{number}/": b"" for number in range(MAX_ENTRIES + 1)})
    assert refused(data).code == "zip-too-many-files"


@pytest.mark.parametrize(
    "members",
    [
        {},
        {"ordner/": b"", "__MACOSX/._a.bpmn": b"x", ".hidden.bpmn": bpmn("x")},
    ],
    ids=["nothing", "only-skipped"],
)
def test_an_archive_without_bpmn_files_is_refused(members):
    assert refused(archive(members)).code == "zip-empty"


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04" + b"\x00" * 100,
        b"PK\x05\x06" + b"\xff" * 30,
        archive({"a.bpmn": bpmn("a")})[:-30],
        archive({"a.bpmn": bpmn("a")})[:60],
    ],
    ids=["garbage", "bad-end-record", "truncated-directory", "truncated-member"],
)
def test_unreadable_zip_bytes_are_refused(data):
    assert refused(data).code == "zip-invalid"


def test_a_corrupted_member_is_refused():
    data = bytearray(archive({"a.bpmn": bpmn("a") * 3}))
    data[45:55] = b"\xff" * 10  # inside the deflate stream
    assert refused(bytes(data)).code == "zip-invalid"


def set_encrypted(data: bytes) -> bytes:
    patched = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        position = patched.find(signature)
        patched[position + offset] |= 0x01
    return bytes(patched)


def test_an_encrypted_member_is_refused():
    error = refused(set_encrypted(archive({"geheim.bpmn": bpmn("a")})))
    assert error.code == "zip-encrypted"
    assert "'geheim.bpmn'" in error.message


def test_compression_without_an_output_bound_is_refused():
    data = archive({"a.bpmn": bpmn("a")}, compression=zipfile.ZIP_BZIP2)
    assert refused(data).code == "zip-unsupported-compression"


@pytest.mark.parametrize(
    "members",
    [
        {"innen.zip": archive({"a.bpmn": bpmn("a")})},
        {"haupt.bpmn": bpmn("haupt"), "daten.tar.gz": b"\x1f\x8b\x08"},
        {"getarnt.bpmn": archive({"a.bpmn": bpmn("a")})},
        {"getarnt.xml": b"\x1f\x8b\x08\x00" + b"\x00" * 20},
    ],
    ids=["zip", "tar-gz", "zip-named-bpmn", "gzip-named-xml"],
)
def test_nested_archives_are_refused(members):
    assert refused(archive(members)).code == "zip-nested"


def test_other_files_are_refused_by_name():
    error = refused(archive({"haupt.bpmn": bpmn("haupt"), "diagramm.png": b"\x89PNG"}))
    assert error.code == "zip-member-type"
    assert "Die Datei 'diagramm.png'" in error.message


@pytest.mark.parametrize(
    "name",
    [
        "../boese.bpmn",
        "modelle/../../boese.bpmn",
        "/etc/boese.bpmn",
        "C:/Windows/boese.bpmn",
        "modelle\\..\\..\\boese.bpmn",
        "\\\\server\\share\\boese.bpmn",
        "modelle/boese\x01.bpmn",
        "../.versteckt",
    ],
)
def test_path_traversal_and_absolute_names_are_refused(name):
    error = refused(archive({name: bpmn("a")}))
    assert error.code == "zip-unsafe-path"


def test_two_entries_that_normalise_to_one_name_are_refused():
    data = archive({"modelle/a.bpmn": bpmn("a"), "modelle/./a.bpmn": bpmn("b")})
    error = refused(data)
    assert error.code == "zip-duplicate-member"
    assert "Die Datei 'modelle/a.bpmn'" in error.message


def test_a_broken_member_is_named_in_the_refusal():
    error = refused(
        archive({"gut.bpmn": bpmn("gut"), "kaputt.bpmn": b'<?xml version="1.0"?>\n<a>'})
    )
    assert error.code == "not-xml"
    assert error.message.startswith(
        "Datei 'kaputt.bpmn' im Archiv: Die Datei ist kein wohlgeformtes XML"
    )
    assert error.as_dict()["document"] == "kaputt.bpmn"
    assert error.as_dict()["line"] == 2


def test_a_hostile_member_keeps_its_precise_code():
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY s SYSTEM "file:///etc/passwd">]>'
        b'<bpmn:definitions xmlns:bpmn="' + MODEL.encode() + b'" id="D">&s;</bpmn:definitions>'
    )
    error = refused(archive({"a.bpmn": xxe}))
    assert error.code == "external-entity"
    assert error.document == "a.bpmn"


def test_schema_issues_name_their_document():
    invalid = bpmn("teil").replace(b'<bpmn:task id="T_teil"', b'<bpmn:task id="T_teil" foo="1"')
    data = archive({"haupt.bpmn": bpmn("haupt", "teil.bpmn"), "teil.bpmn": invalid})
    (issue,) = validate_package(load_upload(data, filename=None, max_bytes=LIMIT))
    assert issue["document"] == "teil.bpmn"
    assert issue["message"] == "Das Attribut 'foo' ist im Element 'task' nicht erlaubt."
    assert set(issue) == {"document", "line", "column", "message", "detail"}


def test_the_miwg_archive_with_a_folder_finds_c9_0():
    data = archive(
        {f"miwg/{name}.bpmn": (MIWG / f"{name}.bpmn").read_bytes() for name in ("C.9.1", "C.9.0")}
    )
    package = load_upload(data, filename="miwg.zip", max_bytes=10 * LIMIT)
    assert package.main.name == "miwg/C.9.0.bpmn"
    assert validate_package(package) == []
