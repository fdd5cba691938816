"""What the register learns from an uploaded model: the files, schema validity, lint, extraction.

One upload is a BPMN file or a ZIP of several whose imports point at each other; the revision keeps
the exact bytes, and everything here can be computed again from them (`musterregister revisions
analyse`, after a validator or rule change).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.bpmn import BpmnError
from app.bpmn.diff import diff_models
from app.bpmn.lint import lint
from app.bpmn.package import BpmnPackage, extract_package, load_upload, validate_package
from app.errors import ValidationFailed

XML_MEDIA_TYPE = "application/xml"
ZIP_MEDIA_TYPE = "application/zip"


@dataclass(frozen=True)
class Analysis:
    package: BpmnPackage
    extraction: dict[str, Any]
    validation: list[dict[str, Any]]
    lint: list[dict[str, Any]]

    @property
    def is_valid(self) -> bool:
        return not self.validation

    @property
    def media_type(self) -> str:
        return ZIP_MEDIA_TYPE if self.package.is_archive else XML_MEDIA_TYPE

    @property
    def main_document(self) -> str | None:
        return self.package.main.name if self.package.is_archive else None


def read_package(data: bytes, *, filename: str | None, max_bytes: int) -> BpmnPackage:
    """The upload's documents, or a 422 with the precise reason (nothing is stored then)."""
    try:
        return load_upload(data, filename=filename, max_bytes=max_bytes)
    except BpmnError as error:
        raise ValidationFailed(error.message, errors={"file": [error.as_dict()]}) from None


def analyse(
    data: bytes, *, filename: str | None, max_bytes: int, lint_rules: frozenset[str] | None = None
) -> Analysis:
    package = read_package(data, filename=filename, max_bytes=max_bytes)
    findings = lint(package.main.tree, enabled=lint_rules)
    return Analysis(
        package=package,
        extraction=extract_package(package),
        validation=validate_package(package),
        lint=[finding.as_dict() for finding in findings],
    )


def main_diagram(data: bytes, *, filename: str | None, max_bytes: int) -> bytes:
    """The bytes a diagram viewer draws: the file itself, or the main file of a ZIP."""
    return read_package(data, filename=filename, max_bytes=max_bytes).main.data


def diff(old: bytes, new: bytes, *, old_name: str, new_name: str, max_bytes: int) -> dict[str, Any]:
    before = read_package(old, filename=old_name, max_bytes=max_bytes)
    after = read_package(new, filename=new_name, max_bytes=max_bytes)
    return diff_models(before.main.tree, after.main.tree)
