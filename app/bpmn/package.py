"""One upload, one or more BPMN documents: a single file, or a ZIP archive of documents that
import each other (``<bpmn:import location="C.9.1.bpmn"/>``, as in MIWG C.9.0).

An archive is hostile until read: its declared sizes may lie (zip bombs), its member names may
climb out of any folder (``../``), it may nest archives or hold thousands of entries. Everything is
read in memory, in bounded chunks, against one budget for the whole archive; nothing is written to
disk and nothing an import names is ever fetched. Every refusal is a :class:`BpmnError`.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from flask_babel import force_locale
from lxml import etree

from app.bpmn.extract import extract
from app.bpmn.parse import BPMN_MODEL_NS, BpmnError, parse_bpmn
from app.bpmn.validate import SourcePositions, validate
from app.i18n import SOURCE_LOCALE, _

ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
ARCHIVE_MAGICS = (
    *ZIP_MAGICS,
    b"\x1f\x8b",
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"BZh",
    b"\xfd7zXZ",
)
ARCHIVE_SUFFIXES = (".zip", ".jar", ".war", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz")
BPMN_SUFFIXES = (".bpmn", ".xml")
MAX_MEMBERS = 50
MAX_ENTRIES = 1000  # directories and skipped files included: bounds the work before reading
CHUNK_BYTES = 64 * 1024
DEFAULT_NAME = "modell.bpmn"
MAIN_NAME = "main.bpmn"
IMPORT_TAG = f"{{{BPMN_MODEL_NS}}}import"
# What zipfile and its decompressors raise on broken input (BadZipFile, "Bad CRC-32", truncated
# streams, bad headers, unsupported features). BpmnError is a ValueError: it is re-raised first.
ZIP_FAILURES = (zipfile.BadZipFile, zlib.error, ValueError, RuntimeError, EOFError, OSError)


@dataclass(frozen=True)
class BpmnDocument:
    name: str  # member path inside the archive, or the uploaded file's name
    data: bytes
    tree: etree._ElementTree


@dataclass(frozen=True)
class BpmnPackage:
    main: BpmnDocument
    documents: tuple[BpmnDocument, ...]  # main first
    is_archive: bool


@dataclass(frozen=True)
class ImportIssue:
    """An ``import`` whose document is not part of the upload, or is not what it claims."""

    document: str
    location: str
    line: int | None
    column: int | None
    message: str
    detail: str

    def as_dict(self) -> dict[str, object]:
        """The shape of a schema issue in :func:`validate_package`; ``location`` is in ``detail``."""
        return {key: value for key, value in asdict(self).items() if key != "location"}


@dataclass(frozen=True)
class _Link:
    importer: BpmnDocument
    element: etree._Element
    location: str
    target: BpmnDocument | None


# --- loading -------------------------------------------------------------------------------------


def load_upload(data: bytes, *, filename: str | None, max_bytes: int) -> BpmnPackage:
    """A single BPMN file or a ZIP archive of BPMN files, parsed, with its main document found."""
    if not data.startswith(ZIP_MAGICS):
        document = BpmnDocument(_upload_name(filename), data, parse_bpmn(data, max_bytes=max_bytes))
        return BpmnPackage(document, (document,), is_archive=False)
    documents = _read_archive(data, max_bytes)
    main = _choose_main(documents, filename)
    others = tuple(document for document in documents if document is not main)
    return BpmnPackage(main, (main, *others), is_archive=True)


def _upload_name(filename: str | None) -> str:
    name = re.split(r"[/\\]", filename or "")[-1].strip()
    return name or DEFAULT_NAME


def _read_archive(data: bytes, max_bytes: int) -> list[BpmnDocument]:
    if len(data) > max_bytes:
        raise BpmnError(
            code="zip-too-large",
            message=_("Das ZIP-Archiv ist größer als %(limit)s KiB.", limit=max_bytes // 1024),
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = _members(archive.infolist(), max_bytes)
            budget = _Budget(max_bytes)
            return [_read_document(archive, info, name, budget) for name, info in members]
    except BpmnError:
        raise
    except ZIP_FAILURES:
        raise BpmnError(
            code="zip-invalid",
            message=_(
                "Die Datei ist kein lesbares ZIP-Archiv: sie ist beschädigt oder unvollständig."
            ),
        ) from None


def _members(infos: list[zipfile.ZipInfo], max_bytes: int) -> list[tuple[str, zipfile.ZipInfo]]:
    """The BPMN members worth reading, each checked before a single byte is decompressed."""
    if len(infos) > MAX_ENTRIES:
        raise BpmnError(
            code="zip-too-many-files",
            message=_("Das ZIP-Archiv enthält mehr als %(count)s Einträge.", count=MAX_ENTRIES),
        )
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = _safe_name(info.filename)
        if not name or info.is_dir() or _skipped(name):
            continue
        _check_member(info, name)
        if name in members:
            raise BpmnError(
                code="zip-duplicate-member",
                message=_("Die Datei '%(name)s' ist mehrfach im Archiv enthalten.", name=name),
            )
        members[name] = info
    if not members:
        raise BpmnError(
            code="zip-empty",
            message=_("Das ZIP-Archiv enthält keine BPMN-Datei (.bpmn oder .xml)."),
        )
    if len(members) > MAX_MEMBERS:
        raise BpmnError(
            code="zip-too-many-files",
            message=_("Das ZIP-Archiv enthält mehr als %(count)s BPMN-Dateien.", count=MAX_MEMBERS),
        )
    if sum(info.file_size for info in members.values()) > max_bytes:
        raise _too_large(max_bytes)
    return list(members.items())


def _safe_name(raw: str) -> str:
    """``raw`` as a relative POSIX path; absolute paths, ``..`` and control characters refused."""
    name = raw.replace("\\", "/")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    unsafe = (
        name.startswith("/")
        or re.match(r"^[A-Za-z]:", name)
        or ".." in parts
        or any(ord(char) < 32 or ord(char) == 127 for char in name)
    )
    if unsafe:
        shown = raw.encode("unicode_escape").decode("ascii")
        raise BpmnError(
            code="zip-unsafe-path",
            message=_(
                "Der Name '%(name)s' im Archiv ist unzulässig: absolute Pfade, '..' und "
                "Steuerzeichen sind nicht erlaubt.",
                name=shown,
            ),
        )
    return "/".join(parts)


def _skipped(name: str) -> bool:
    """Folders and files that archivers add on their own (macOS resource forks, dotfiles)."""
    return any(part == "__MACOSX" or part.startswith(".") for part in name.split("/"))


def _check_member(info: zipfile.ZipInfo, name: str) -> None:
    lowered = name.lower()
    if lowered.endswith(ARCHIVE_SUFFIXES):
        raise _nested(name)
    if not lowered.endswith(BPMN_SUFFIXES):
        raise BpmnError(
            code="zip-member-type",
            message=_(
                "Die Datei '%(name)s' im Archiv ist keine BPMN-Datei. Ein Archiv darf nur .bpmn- "
                "und .xml-Dateien enthalten.",
                name=name,
            ),
        )
    if info.flag_bits & 0x1:
        raise BpmnError(
            code="zip-encrypted",
            message=_(
                "Die Datei '%(name)s' im Archiv ist verschlüsselt. Verschlüsselte Archive werden "
                "nicht angenommen.",
                name=name,
            ),
        )
    # bzip2 and LZMA members are decompressed by zipfile without an output bound: refused.
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise BpmnError(
            code="zip-unsupported-compression",
            message=_(
                "Die Datei '%(name)s' im Archiv ist mit einem nicht unterstützten Verfahren "
                "komprimiert. Erlaubt sind unkomprimierte und mit Deflate komprimierte Dateien.",
                name=name,
            ),
        )


class _Budget:
    """Bytes the whole archive may still unpack to: counted as read, never taken from headers."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.left = max_bytes

    def spend(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            raise _too_large(self.max_bytes)


def _read_document(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, budget: _Budget
) -> BpmnDocument:
    chunks = []
    with archive.open(info) as stream:
        while chunk := stream.read(CHUNK_BYTES):
            budget.spend(len(chunk))
            chunks.append(chunk)
    data = b"".join(chunks)
    if data.startswith(ARCHIVE_MAGICS):
        raise _nested(name)
    try:
        return BpmnDocument(name, data, parse_bpmn(data, max_bytes=budget.max_bytes))
    except BpmnError as error:
        raise BpmnError(
            error.code,
            _("Datei '%(name)s' im Archiv: %(message)s", name=name, message=error.message),
            line=error.line,
            column=error.column,
            document=name,
        ) from None


def _too_large(max_bytes: int) -> BpmnError:
    return BpmnError(
        code="zip-too-large",
        message=_("Das ZIP-Archiv ist entpackt größer als %(limit)s KiB.", limit=max_bytes // 1024),
    )


def _nested(name: str) -> BpmnError:
    return BpmnError(
        code="zip-nested",
        message=_(
            "Die Datei '%(name)s' im Archiv ist selbst ein Archiv. Archive in Archiven werden "
            "nicht angenommen.",
            name=name,
        ),
    )


# --- imports and the main document ---------------------------------------------------------------


def _choose_main(documents: list[BpmnDocument], filename: str | None) -> BpmnDocument:
    """The document no other imports; among several, the one named like the archive or main.bpmn."""
    imported = {
        link.target.name
        for link in _links(documents)
        if link.target is not None and link.target is not link.importer
    }
    candidates = [document for document in documents if document.name not in imported]
    candidates = candidates or documents  # imports in a circle: every document is a candidate
    if len(candidates) == 1:
        return candidates[0]
    stem = _stem(_upload_name(filename)) if filename else None
    for matches in (
        lambda document: _stem(document.name) == stem,
        lambda document: posixpath.basename(document.name) == MAIN_NAME,
    ):
        chosen = [document for document in candidates if matches(document)]
        if len(chosen) == 1:
            return chosen[0]
    names = ", ".join(f"'{document.name}'" for document in candidates)
    raise BpmnError(
        code="zip-ambiguous-main",
        message=_(
            "Es ist nicht eindeutig, welche Datei im Archiv das Hauptmodell ist: %(names)s. "
            "Benennen Sie das Hauptmodell wie das Archiv oder '%(main)s'.",
            names=names,
            main=MAIN_NAME,
        ),
    )


def _stem(name: str) -> str:
    base = posixpath.basename(name)
    return (base.rsplit(".", 1)[0] if "." in base else base).casefold()


def _links(documents: list[BpmnDocument] | tuple[BpmnDocument, ...]) -> list[_Link]:
    """Every BPMN ``import`` with a ``location``, and the document it names (or None).

    Imports of other kinds (XML Schema, WSDL, DMN: MIWG C.1.1, C.8.0) only describe data types or
    decisions; a register of process models does not hold them, so they are not looked for.
    """
    by_path = {document.name: document for document in documents}
    by_base: dict[str, list[BpmnDocument]] = {}
    for document in documents:
        by_base.setdefault(posixpath.basename(document.name), []).append(document)
    links = []
    for importer in documents:
        for element in importer.tree.getroot().iterchildren(IMPORT_TAG):
            location = (element.get("location") or "").strip()
            kind = (element.get("importType") or BPMN_MODEL_NS).strip()
            if location and kind == BPMN_MODEL_NS:
                target = _resolve(location, importer.name, by_path, by_base)
                links.append(_Link(importer, element, location, target))
    return links


def _resolve(
    location: str,
    importer: str,
    by_path: dict[str, BpmnDocument],
    by_base: dict[str, list[BpmnDocument]],
) -> BpmnDocument | None:
    """By path relative to the importing document, else by a file name that only one has."""
    path = _location_path(location)
    relative = posixpath.normpath(posixpath.join(posixpath.dirname(importer), path))
    if relative in by_path:
        return by_path[relative]
    same_name = by_base.get(posixpath.basename(path), [])
    return same_name[0] if len(same_name) == 1 else None


def _location_path(location: str) -> str:
    """The path part of a location that may be a URL, a Windows path or a plain file name."""
    slashed = location.replace("\\", "/")
    try:
        path = urlsplit(slashed).path
    except ValueError:  # e.g. a malformed IPv6 host
        path = slashed
    return unquote(path) or "."


def resolve_imports(package: BpmnPackage) -> list[ImportIssue]:
    """Imports whose document is not in the upload, or whose namespace does not match it.

    Nothing is fetched: a model that imports what was not uploaded is accepted and reported. The
    messages are German whatever the reader's language: a revision stores them as they are.
    """
    issues = []
    positions: dict[str, SourcePositions] = {}
    for link in _links(package.documents):
        with force_locale(SOURCE_LOCALE):
            message = _import_problem(link, package.is_archive)
        if message is None:
            continue
        importer = link.importer
        if importer.name not in positions:
            positions[importer.name] = SourcePositions(importer.tree, importer.data)
        line, column = positions[importer.name].of(link.element)
        detail = "import " + " ".join(
            f"{name}={value!r}"
            for name, value in (
                ("location", link.location),
                ("namespace", link.element.get("namespace")),
                ("importType", link.element.get("importType")),
            )
        )
        issues.append(ImportIssue(importer.name, link.location, line, column, message, detail))
    return issues


def _import_problem(link: _Link, is_archive: bool) -> str | None:
    if link.target is None and is_archive:
        return _("Import '%(location)s' ist nicht im Archiv enthalten.", location=link.location)
    if link.target is None:
        return _("Import '%(location)s' ist nicht in der Datei enthalten.", location=link.location)
    expected = link.element.get("namespace")
    actual = link.target.tree.getroot().get("targetNamespace")
    if expected and actual and expected.strip() != actual.strip():
        return _(
            "Import '%(location)s' erwartet den Namensraum '%(expected)s', '%(document)s' hat "
            "aber '%(actual)s'.",
            location=link.location,
            expected=expected,
            document=link.target.name,
            actual=actual,
        )
    return None


# --- validation and extraction of the whole package ---------------------------------------------


def validate_package(package: BpmnPackage) -> list[dict[str, object]]:
    """Schema issues of every document and unresolved imports; an empty list means valid."""
    issues: list[dict[str, object]] = []
    for document in package.documents:
        for issue in validate(document.tree, source=document.data):
            issues.append({"document": document.name, **issue.as_dict()})
    issues.extend(issue.as_dict() for issue in resolve_imports(package))
    return issues


def extract_package(package: BpmnPackage) -> dict[str, Any]:
    """``extract`` of the main document, plus the elements and text of the documents it imports.

    Counts and ``flow_node_count`` stay those of the main document; search finds the text of all.
    Every element says which ``document`` it comes from.
    """
    result: dict[str, Any] = {}
    elements: list[dict[str, Any]] = []
    documents: list[dict[str, Any]] = []
    texts: list[str] = []
    for document in package.documents:
        extraction = extract(document.tree)
        if document is package.main:
            result = extraction
        elements.extend(
            {**element, "document": document.name} for element in extraction["elements"]
        )
        documents.append(
            {
                "name": document.name,
                "flow_node_count": extraction["flow_node_count"],
                "counts": extraction["counts"],
            }
        )
        texts.append(extraction["text"])
    return {
        "elements": elements,
        "counts": result["counts"],
        "flow_node_count": result["flow_node_count"],
        "text": "\n".join(text for text in texts if text),
        "documents": documents,
    }
