"""Safe parsing of uploaded BPMN 2.0 XML.

lxml is told never to resolve entities, load a DTD or touch the network, and every document type
declaration is refused outright: BPMN never needs one, and it is the vehicle of XXE and
entity-expansion ("billion laughs") attacks. Every refusal is a :class:`BpmnError` with a German
message; nothing else escapes this module.
"""

from __future__ import annotations

from lxml import etree

BPMN_MODEL_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DEFINITIONS_TAG = f"{{{BPMN_MODEL_NS}}}definitions"


class BpmnError(ValueError):
    """Refused BPMN input; ``code`` is stable for clients, ``message`` is for people."""

    def __init__(
        self, code: str, message: str, *, line: int | None = None, column: int | None = None
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.column = column

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"code": self.code, "message": self.message}
        if self.line is not None:
            data["line"] = self.line
            data["column"] = self.column
        return data


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def parse_bpmn(data: bytes, *, max_bytes: int) -> etree._ElementTree:
    """Parse ``data`` as a BPMN 2.0 document or raise :class:`BpmnError`."""
    if not data.strip():
        raise BpmnError("empty", "Die Datei ist leer.")
    if len(data) > max_bytes:
        raise BpmnError("too-large", f"Die Datei ist größer als {max_bytes // 1024} KiB.")
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as exc:
        _refuse_doctype_in_error(exc)
        line, column = exc.position if exc.position else (None, None)
        raise BpmnError(
            "not-xml",
            f"Die Datei ist kein wohlgeformtes XML: {exc.msg}",
            line=line,
            column=column,
        ) from None
    except ValueError as exc:  # e.g. a Unicode string with an encoding declaration
        raise BpmnError("not-xml", f"Die Datei ist kein lesbares XML: {exc}") from None
    _refuse_doctype(tree)
    _require_definitions(tree)
    return tree


def _refuse_doctype_in_error(exc: etree.XMLSyntaxError) -> None:
    message = (exc.msg or "").lower()
    if "external entity" in message:
        raise BpmnError(
            "external-entity",
            "Die Datei verweist auf externe Entitäten (XXE). Solche Dateien werden abgelehnt.",
        ) from None
    if "entity" in message or "amplification" in message:
        raise BpmnError(
            "entities",
            "Die Datei enthält Entitäten. Entitätsdeklarationen sind aus Sicherheitsgründen nicht erlaubt.",
        ) from None


def _refuse_doctype(tree: etree._ElementTree) -> None:
    docinfo = tree.docinfo
    if not docinfo.doctype and docinfo.internalDTD is None:
        return
    dtd = docinfo.internalDTD
    entities = list(dtd.iterentities()) if dtd is not None else []
    if any(entity.system_url for entity in entities):
        raise BpmnError(
            "external-entity",
            "Die Datei verweist auf externe Entitäten (XXE). Solche Dateien werden abgelehnt.",
        )
    if entities:
        raise BpmnError(
            "entities",
            "Die Datei enthält Entitätsdeklarationen. Sie sind aus Sicherheitsgründen nicht erlaubt.",
        )
    if docinfo.system_url:
        raise BpmnError(
            "external-dtd", "Die Datei verweist auf eine externe DTD. Das ist nicht erlaubt."
        )
    raise BpmnError("doctype", "Die Datei enthält eine DOCTYPE-Deklaration. BPMN braucht keine.")


def _require_definitions(tree: etree._ElementTree) -> None:
    root = tree.getroot()
    if root.tag != DEFINITIONS_TAG:
        found = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        raise BpmnError(
            "not-bpmn",
            f"Die Datei ist kein BPMN-2.0-Modell: erwartet wird das Wurzelelement 'definitions' im "
            f"Namensraum {BPMN_MODEL_NS}, gefunden wurde '{found}'.",
        )
