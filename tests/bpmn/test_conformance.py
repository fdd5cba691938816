"""Conformance: every MIWG reference model and every seed model loads, validates and counts right.

The BPMN Model Interchange Working Group's reference files come from the tools our users own
(Camunda, Signavio, Trisotech, …), in their encodings, prefixes and vendor extensions.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from app.bpmn import BpmnError
from app.bpmn.package import extract_package, load_upload, validate_package
from app.bpmn.validate import validate

ROOT = Path(__file__).resolve().parents[2]
MIWG = Path(__file__).resolve().parents[3] / "shared" / "data" / "bpmn-miwg-reference"
SEED_MODELS = ROOT / "seed" / "musterregister" / "musterprozesse"
MAX_BYTES = 10 * 1024 * 1024

FLOW_NODES = {
    "A.1.0": 5,
    "A.2.0": 8,
    "A.2.1": 8,
    "A.3.0": 10,
    "A.4.0": 17,
    "A.4.1": 17,
    "B.1.0": 29,
    "B.2.0": 94,
    "C.1.0": 21,
    "C.1.1": 10,
    "C.2.0": 29,
    "C.3.0": 14,
    "C.4.0": 40,
    "C.5.0": 37,
    "C.6.0": 40,
    "C.7.0": 11,
    "C.8.0": 18,
    "C.8.1": 18,
    "C.9.0": 25,
    "C.9.1": 10,
    "C.9.2": 20,
}
IMPORTING = {"C.9.0", "C.9.2"}  # import C.9.1.bpmn, which a single upload does not contain


def load(name: str):
    data = (MIWG / f"{name}.bpmn").read_bytes()
    return load_upload(data, filename=f"{name}.bpmn", max_bytes=MAX_BYTES)


def test_the_suite_is_complete():
    assert sorted(path.stem for path in MIWG.glob("*.bpmn")) == sorted(FLOW_NODES)


@pytest.mark.parametrize("name", sorted(FLOW_NODES))
def test_reference_model_is_schema_valid_and_counts_its_flow_nodes(name):
    package = load(name)
    assert validate(package.main.tree, source=package.main.data) == []
    issues = validate_package(package)
    if name in IMPORTING:
        assert [issue["message"] for issue in issues] == [
            "Import 'C.9.1.bpmn' ist nicht in der Datei enthalten."
        ]
    else:
        assert issues == []
    assert extract_package(package)["flow_node_count"] == FLOW_NODES[name]


def c9_archive(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.writestr(f"{name}.bpmn", (MIWG / f"{name}.bpmn").read_bytes())
    return buffer.getvalue()


def test_archive_of_c9_resolves_the_import_and_finds_the_main_model():
    package = load_upload(c9_archive("C.9.1", "C.9.0"), filename="upload.zip", max_bytes=MAX_BYTES)
    assert package.is_archive
    assert [document.name for document in package.documents] == ["C.9.0.bpmn", "C.9.1.bpmn"]
    assert validate_package(package) == []
    extraction = extract_package(package)
    assert extraction["flow_node_count"] == 25
    assert [(doc["name"], doc["flow_node_count"]) for doc in extraction["documents"]] == [
        ("C.9.0.bpmn", 25),
        ("C.9.1.bpmn", 10),
    ]


def test_archive_of_the_whole_c9_family_names_both_importers_as_candidates():
    with pytest.raises(BpmnError) as refused:
        load_upload(c9_archive("C.9.0", "C.9.1", "C.9.2"), filename="c9.zip", max_bytes=MAX_BYTES)
    assert refused.value.code == "zip-ambiguous-main"
    assert "'C.9.0.bpmn', 'C.9.2.bpmn'" in refused.value.message
    package = load_upload(
        c9_archive("C.9.0", "C.9.1", "C.9.2"), filename="C.9.2.zip", max_bytes=MAX_BYTES
    )
    assert package.main.name == "C.9.2.bpmn"
    assert validate_package(package) == []
    assert extract_package(package)["flow_node_count"] == 20


def test_single_c9_reports_the_unresolved_import_where_it_stands():
    (issue,) = validate_package(load("C.9.0"))
    assert issue["document"] == "C.9.0.bpmn"
    assert (issue["line"], issue["column"]) == (3, 3)
    assert "C.9.1.bpmn" in issue["detail"]


@pytest.mark.parametrize("path", sorted(SEED_MODELS.glob("*.bpmn")), ids=lambda path: path.stem)
def test_seed_model_is_schema_valid(path):
    package = load_upload(path.read_bytes(), filename=path.name, max_bytes=MAX_BYTES)
    assert validate_package(package) == []
    assert extract_package(package)["flow_node_count"] > 0


def test_there_are_twelve_seed_models():
    assert len(list(SEED_MODELS.glob("*.bpmn"))) == 12
