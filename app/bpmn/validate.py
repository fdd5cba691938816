"""XSD validation of BPMN 2.0 models against the OMG schema carried in ``xsd/``.

The schema is compiled once per process, on first use, from the local folder only: every schema
import goes through a resolver that serves the five carried files and refuses anything else, so
validation never touches the network or the rest of the file system. libxml2's English messages are
translated into German; the original text always travels along in ``detail``.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from flask_babel import force_locale
from lxml import etree

from app.bpmn.parse import BPMN_MODEL_NS
from app.i18n import SOURCE_LOCALE, _, _l, untranslated

SCHEMA_DIR = Path(__file__).resolve().with_name("xsd")
SCHEMA_ENTRY = "BPMN20.xsd"
SCHEMA_FILES = frozenset({"BPMN20.xsd", "Semantic.xsd", "BPMNDI.xsd", "DI.xsd", "DC.xsd"})
MAX_ISSUES = 100

KNOWN_PREFIXES = {
    BPMN_MODEL_NS: "",
    "http://www.omg.org/spec/BPMN/20100524/DI": "bpmndi:",
    "http://www.omg.org/spec/DD/20100524/DC": "dc:",
    "http://www.omg.org/spec/DD/20100524/DI": "di:",
    "http://www.w3.org/2001/XMLSchema-instance": "xsi:",
}
TYPE_HINTS = {
    "xs:boolean": _l("erlaubt sind true und false"),
    "xs:integer": _l("erwartet wird eine ganze Zahl"),
    "xs:int": _l("erwartet wird eine ganze Zahl"),
    "xs:double": _l("erwartet wird eine Zahl"),
    "xs:float": _l("erwartet wird eine Zahl"),
    "xs:QName": _l("erwartet wird ein Name, ggf. mit deklariertem Präfix"),
    "xs:IDREF": _l("erwartet wird die ID eines Elements"),
    "xs:anyURI": _l("erwartet wird eine URI"),
}
NCNAME = re.compile(r"^[^\W\d][\w.\-]*$")


@dataclass(frozen=True)
class ValidationIssue:
    """One place where a model breaks the BPMN 2.0 schema."""

    line: int | None
    column: int | None
    message: str  # German (the source language, also for readers of other languages), for people
    detail: str  # libxml2's original text, for bug reports and tool authors

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


# --- the schema ----------------------------------------------------------------------------------


class SchemaUnavailable(RuntimeError):
    """The carried schema files are missing or were changed: a deployment error, not user input."""


class _CarriedFilesOnly(etree.Resolver):
    """Serve schema documents from ``SCHEMA_DIR`` and refuse every other location."""

    def resolve(self, system_url, public_id, context):
        path = _carried_schema_path(system_url or "")
        if path is None:
            raise SchemaUnavailable(f"Schema import outside {SCHEMA_DIR} refused: {system_url!r}")
        return self.resolve_filename(str(path), context)


def _carried_schema_path(url: str) -> Path | None:
    if url.startswith("file:"):
        url = unquote(urlparse(url).path)
    elif "://" in url:
        return None
    path = Path(url)
    if path.name not in SCHEMA_FILES:
        return None
    candidate = SCHEMA_DIR / path.name
    if path.is_absolute() and path.resolve() != candidate:
        return None
    return candidate


def _compile_schema() -> etree.XMLSchema:
    parser = etree.XMLParser(
        no_network=True, resolve_entities=False, load_dtd=False, dtd_validation=False
    )
    parser.resolvers.add(_CarriedFilesOnly())
    try:
        document = etree.parse(str(SCHEMA_DIR / SCHEMA_ENTRY), parser)
        return etree.XMLSchema(document)
    except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise SchemaUnavailable(f"BPMN schema in {SCHEMA_DIR} cannot be loaded: {exc}") from exc


class _SchemaValidator:
    """The compiled schema, loaded lazily; one validation at a time.

    lxml keeps the error log on the ``XMLSchema`` object itself, so two threads validating at once
    would read each other's errors. Validating a large model takes about a millisecond, so a lock
    costs nothing worth a schema copy per thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._schema: etree.XMLSchema | None = None

    def errors(self, tree: etree._ElementTree) -> list[etree._LogEntry]:
        with self._lock:
            if self._schema is None:
                self._schema = _compile_schema()
            if self._schema.validate(tree):
                return []
            return list(self._schema.error_log)


_VALIDATOR = _SchemaValidator()


def validate(tree: etree._ElementTree, *, source: bytes | None = None) -> list[ValidationIssue]:
    """Check ``tree`` against the OMG BPMN 2.0 schema; an empty list means valid.

    libxml2 knows only the line where an element's start tag *ends* and no column; pass the
    original bytes as ``source`` to get the line and column where the start tag begins. The
    messages are German whatever the reader's language: a revision stores them as they are.
    """
    entries = _VALIDATOR.errors(tree)
    positions = SourcePositions(tree, source)
    with force_locale(SOURCE_LOCALE):
        issues = [_issue(entry, positions) for entry in entries[:MAX_ISSUES]]
        if len(entries) > MAX_ISSUES:
            issues.append(_more_issues(len(entries) - MAX_ISSUES))
    return issues


def _more_issues(rest: int) -> ValidationIssue:
    message = _(
        "%(count)s weitere Abweichungen vom BPMN-2.0-Schema sind nicht einzeln aufgeführt.",
        count=rest,
    )
    return ValidationIssue(
        None, None, message, untranslated(f"{rest} more schema validation errors")
    )


def _issue(entry: etree._LogEntry, positions: SourcePositions) -> ValidationIssue:
    detail = entry.message or ""
    line, column = positions.of_entry(entry, _element_of_message(detail))
    return ValidationIssue(line, column, translate(detail), detail)


# --- where: from libxml2's line to the start tag -------------------------------------------------


class SourcePositions:
    """Line and column (both 1-based) where an element's start tag begins in the original bytes.

    libxml2 records only the line where a start tag *ends*, and no column. The n-th element with a
    given tag and prefix is the n-th ``<prefix:name`` in the text; when the counts disagree (a
    comment or CDATA section quoting markup), the column stays unknown rather than wrong.
    """

    def __init__(self, tree: etree._ElementTree, source: bytes | None):
        self._tree = tree
        self._text = _decode(source, tree.docinfo.encoding) if source else None
        self._same: dict[tuple[str, str | None], list[etree._Element]] = {}
        self._offsets: dict[str, list[int]] = {}
        self._line_starts: list[int] = []
        self._by_line: dict[int, list[etree._Element]] = {}

    def of(self, element: etree._Element) -> tuple[int | None, int | None]:
        offset = self._offset(element) if self._text is not None else None
        if offset is None:
            return element.sourceline, None
        starts = self._starts()
        line = bisect_right(starts, offset)
        return line, offset - starts[line - 1] + 1

    def of_entry(self, entry: etree._LogEntry, tag: str | None) -> tuple[int | None, int | None]:
        """Where the element of a libxml2 log entry starts: same line, same tag, same XPath."""
        line = entry.line or None
        element = self._element_at(line, tag, entry.path) if line and tag else None
        return self.of(element) if element is not None else (line, None)

    def _element_at(self, line: int, tag: str, path: str | None) -> etree._Element | None:
        if not self._by_line:
            for element in self._tree.getroot().iter(etree.Element):
                self._by_line.setdefault(element.sourceline or 0, []).append(element)
        candidates = [el for el in self._by_line.get(line, []) if el.tag == tag]
        if len(candidates) > 1:
            candidates = [el for el in candidates if self._tree.getpath(el) == path]
        return candidates[0] if len(candidates) == 1 else None

    def _offset(self, element: etree._Element) -> int | None:
        key = (element.tag, element.prefix)
        if key not in self._same:
            self._same[key] = [
                el for el in self._tree.getroot().iter(element.tag) if el.prefix == element.prefix
            ]
        local = etree.QName(element).localname
        written = f"{element.prefix}:{local}" if element.prefix else local
        if written not in self._offsets:
            pattern = re.compile("<" + re.escape(written) + r"(?=[\s/>])")
            self._offsets[written] = [match.start() for match in pattern.finditer(self._text or "")]
        same, offsets = self._same[key], self._offsets[written]
        if len(offsets) != len(same):
            return None
        return next((offsets[i] for i, other in enumerate(same) if other is element), None)

    def _starts(self) -> list[int]:
        if not self._line_starts:
            text = self._text or ""
            self._line_starts = [0, *(match.end() for match in re.finditer("\n", text))]
        return self._line_starts


def _decode(source: bytes, encoding: str | None) -> str | None:
    """The document as text, with line ends normalised as the XML parser counts them."""
    try:
        text = source.decode(encoding or "utf-8", errors="replace")
    except LookupError:
        return None
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


# --- what: libxml2's English into German ---------------------------------------------------------

_SUBJECT = re.compile(
    r"^Element '(?P<element>[^']*)'(?:, attribute '(?P<attribute>[^']*)')?: (?P<rest>.*)$", re.S
)


def _element_of_message(message: str) -> str | None:
    match = _SUBJECT.match(message)
    return match["element"] if match else None


def display_name(clark: str) -> str:
    """``{ns}local`` as people know it: BPMN names bare, DI names with their usual prefix."""
    match = re.match(r"^\{(?P<ns>[^}]*)\}(?P<local>.*)$", clark)
    if not match:
        return clark
    prefix = KNOWN_PREFIXES.get(match["ns"])
    if prefix is None:
        return _("%(name)s (Namensraum %(namespace)s)", name=match["local"], namespace=match["ns"])
    return prefix + match["local"]


def _names(listing: str) -> str:
    return ", ".join(f"'{display_name(name.strip())}'" for name in listing.split(",") if name)


def translate(message: str) -> str:
    """German for one libxml2 schema validation message; a generic sentence if unknown."""
    subject = _SUBJECT.match(message.strip())
    if not subject:
        return _("Das Modell entspricht nicht dem BPMN-2.0-Schema.")
    element = f"'{display_name(subject['element'])}'"
    attribute = subject["attribute"]
    rest = subject["rest"].strip()
    for pattern, render in _RULES:
        match = pattern.match(rest)
        if match:
            return render(match, element, attribute)
    return _("%(where)s entspricht nicht dem BPMN-2.0-Schema.", where=_where(element, attribute))


def _where(element: str, attribute: str | None) -> str:
    if attribute:
        return _(
            "Element %(element)s, Attribut '%(attribute)s'", element=element, attribute=attribute
        )
    return _("Element %(element)s", element=element)


def _not_expected(match: re.Match[str], element: str, attribute: str | None) -> str:
    expected = match["expected"]
    if expected:
        return _(
            "Element %(element)s ist hier nicht erlaubt. Erwartet: %(expected)s.",
            element=element,
            expected=_names(expected),
        )
    return _("Element %(element)s ist hier nicht erlaubt.", element=element)


def _missing_child(match: re.Match[str], element: str, attribute: str | None) -> str:
    return _(
        "Im Element %(element)s fehlt ein Kindelement. Erwartet: %(expected)s.",
        element=element,
        expected=_names(match["expected"]),
    )


def _invalid_value(match: re.Match[str], element: str, attribute: str | None) -> str:
    value, kind = match["value"], match["type"]
    where = _where(element, attribute)
    if kind == "xs:ID" and NCNAME.match(value):
        return _("Die ID '%(value)s' ist mehrfach vergeben (%(where)s).", value=value, where=where)
    if kind == "xs:ID":
        return _(
            "%(where)s: '%(value)s' ist keine gültige ID. Eine ID beginnt mit einem Buchstaben "
            "oder Unterstrich und enthält keine Leerzeichen.",
            where=where,
            value=value,
        )
    hint = TYPE_HINTS.get(kind)
    if hint is None:
        return _(
            "%(where)s: '%(value)s' ist kein gültiger Wert vom Typ '%(type)s'.",
            where=where,
            value=value,
            type=display_name(kind),
        )
    return _(
        "%(where)s: '%(value)s' ist kein gültiger Wert vom Typ '%(type)s' (%(hint)s).",
        where=where,
        value=value,
        type=display_name(kind),
        hint=hint,
    )


def _enumeration(match: re.Match[str], element: str, attribute: str | None) -> str:
    allowed = ", ".join(value.strip() for value in match["set"].split(","))
    return _(
        "%(where)s: '%(value)s' ist nicht erlaubt. Erlaubt: %(allowed)s.",
        where=_where(element, attribute),
        value=match["value"],
        allowed=allowed,
    )


def _unknown_type(match: re.Match[str], element: str, attribute: str | None) -> str:
    return _(
        "Element %(element)s: Der Typ '%(type)s' (xsi:type) ist im BPMN-2.0-Schema unbekannt.",
        element=element,
        type=display_name(match["value"]),
    )


def _fixed(template: str):
    """A message without choices: ``template`` (lazy) with ``%(where)s``, ``%(element)s`` and the
    pattern's named groups."""

    def render(match: re.Match[str], element: str, attribute: str | None) -> str:
        values = {"where": _where(element, attribute), "element": element, **match.groupdict()}
        return str(template) % values

    return render


# libxml2's message (after the subject) → its German rendering; the first pattern that matches wins.
_RENDERERS = {
    r"(?s)This element is not expected\.(?: Expected is (?:one of )?\( (?P<expected>.*) \)\.)?$": (
        _not_expected
    ),
    r"Missing child element\(s\)\. Expected is (?:one of )?\( (?P<expected>.*) \)\.$": _missing_child,
    r"The attribute '(?P<name>[^']+)' is required but missing\.$": _fixed(
        _l("Im Element %(element)s fehlt das Pflichtattribut '%(name)s'.")
    ),
    r"The attribute '(?P<name>[^']+)' is not allowed\.$": _fixed(
        _l("Das Attribut '%(name)s' ist im Element %(element)s nicht erlaubt.")
    ),
    r"(?s)'(?P<value>.*)' is not a valid value of the (?:local )?(?:atomic|list|union) type "
    r"'(?P<type>[^']*)'\.$": _invalid_value,
    r"(?s)\[facet 'enumeration'\] The value '(?P<value>.*)' is not an element of the set "
    r"\{(?P<set>.*)\}\.$": _enumeration,
    r"(?s)\[facet '(?P<facet>\w+)'\] .*$": _fixed(
        _l("%(where)s: Der Wert verletzt die Einschränkung '%(facet)s' des Schemas.")
    ),
    r"The QName value '(?P<value>[^']*)' has no corresponding namespace declaration in "
    r"scope\.$": _fixed(_l("%(where)s: Das Präfix in '%(value)s' ist nicht deklariert.")),
    r"The QName value '(?P<value>[^']*)' of the xsi:type attribute does not resolve to a "
    r"type definition\.$": _unknown_type,
    r"(?s)Character content (?:other than whitespace )?is not allowed.*$": _fixed(
        _l("Element %(element)s darf keinen Text enthalten.")
    ),
    r"(?s)Element content is not allowed.*$": _fixed(
        _l("Element %(element)s darf keine Kindelemente enthalten.")
    ),
    r"(?s)No matching global (?:element )?declaration available.*$": _fixed(
        _l("Element %(element)s ist unbekannt: das BPMN-2.0-Schema kennt es nicht.")
    ),
    r"(?s)Duplicate key-sequence \[(?P<value>.*)\] in (?:unique|key) identity-constraint "
    r"'(?P<name>[^']*)'\.$": _fixed(
        _l("Element %(element)s: Der Schlüssel %(value)s ist mehrfach vergeben.")
    ),
}
_RULES = [(re.compile(pattern), render) for pattern, render in _RENDERERS.items()]
