"""Fuzzing the upload path: whatever bytes arrive, the answer is a package or a BpmnError.

Deterministic (``derandomize``, no example database) so CI sees the same inputs every run.
"""

from __future__ import annotations

import io
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.bpmn import BpmnError
from app.bpmn.package import extract_package, load_upload, validate_package
from tests.factories import MINIMAL_BPMN

MAX_BYTES = 256 * 1024
FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
IMPORTING = MINIMAL_BPMN.replace(
    b'targetNamespace="https://example.org/test">',
    b'targetNamespace="https://example.org/haupt"><bpmn:import namespace="https://example.org/'
    b'test" location="teil.bpmn" importType="http://www.omg.org/spec/BPMN/20100524/MODEL"/>',
)


def _archive(compression: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr("modelle/haupt.bpmn", IMPORTING)
        archive.writestr("modelle/teil.bpmn", MINIMAL_BPMN)
    return buffer.getvalue()


STORED_ZIP = _archive(zipfile.ZIP_STORED)  # mutations reach the XML inside
DEFLATED_ZIP = _archive(zipfile.ZIP_DEFLATED)  # mutations reach the decompressor


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` with a few bytes overwritten, inserted or removed, or cut short."""
    data = bytearray(original)
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        position = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        action = draw(st.sampled_from(["set", "insert", "delete", "cut", "interesting"]))
        if action == "set" and data:
            data[position] = draw(st.integers(min_value=0, max_value=255))
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
        elif action == "delete":
            del data[position : position + draw(st.integers(min_value=1, max_value=16))]
        elif action == "cut":
            del data[position:]
        elif data:
            value = draw(st.sampled_from([0x00, 0x01, 0x7F, 0x80, 0xFF]))
            data[position : position + 4] = bytes([value] * 4)
    return bytes(data)


def check(data: bytes) -> None:
    """The contract: a package that can be validated and extracted, or a BpmnError."""
    try:
        package = load_upload(data, filename="upload.zip", max_bytes=MAX_BYTES)
    except BpmnError as error:
        assert error.code and error.message
        return
    assert package.documents[0] is package.main
    validate_package(package)
    extract_package(package)


@FUZZ
@given(st.binary(max_size=2048))
def test_arbitrary_bytes(data):
    check(data)


@FUZZ
@given(st.binary(max_size=512).map(lambda rest: b"PK\x03\x04" + rest))
def test_arbitrary_bytes_that_look_like_a_zip(data):
    check(data)


@FUZZ
@given(mutated(IMPORTING))
def test_mutated_bpmn(data):
    check(data)


@FUZZ
@given(mutated(STORED_ZIP))
def test_mutated_stored_zip(data):
    check(data)


@FUZZ
@given(mutated(DEFLATED_ZIP))
def test_mutated_deflated_zip(data):
    check(data)


def test_the_seeds_themselves_load():
    for data in (IMPORTING, STORED_ZIP, DEFLATED_ZIP):
        check(data)
    assert validate_package(load_upload(STORED_ZIP, filename=None, max_bytes=MAX_BYTES)) == []
