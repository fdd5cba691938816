"""Safe parsing of uploaded BPMN 2.0 XML (see :mod:`app.safexml` for what is refused and why).

Every refusal is a :class:`BpmnError` with a German message; nothing else escapes this module.
"""

from __future__ import annotations

from lxml import etree

from app.i18n import _
from app.safexml import UntrustedXml, parse_untrusted

BPMN_MODEL_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DEFINITIONS_TAG = f"{{{BPMN_MODEL_NS}}}definitions"


class BpmnError(ValueError):
    """Refused BPMN input; ``code`` is stable for clients, ``message`` is for people."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        document: str | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.column = column
        self.document = document  # the archive member it is about, if the upload was a ZIP

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"code": self.code, "message": self.message}
        if self.document is not None:
            data["document"] = self.document
        if self.line is not None:
            data["line"] = self.line
            data["column"] = self.column
        return data


def parse_bpmn(data: bytes, *, max_bytes: int) -> etree._ElementTree:
    """Parse ``data`` as a BPMN 2.0 document or raise :class:`BpmnError`."""
    try:
        tree = parse_untrusted(data, max_bytes=max_bytes, kind="BPMN")
    except UntrustedXml as refused:
        raise BpmnError(
            refused.code, refused.message, line=refused.line, column=refused.column
        ) from None
    _require_definitions(tree)
    return tree


def _require_definitions(tree: etree._ElementTree) -> None:
    root = tree.getroot()
    if root.tag != DEFINITIONS_TAG:
        found = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        raise BpmnError(
            code="not-bpmn",
            message=_(
                "Die Datei ist kein BPMN-2.0-Modell: erwartet wird das Wurzelelement "
                "'definitions' im Namensraum %(namespace)s, gefunden wurde '%(found)s'.",
                namespace=BPMN_MODEL_NS,
                found=found,
            ),
        )
