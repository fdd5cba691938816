"""Parsing XML that comes from outside: uploads, imports, messages of other systems.

lxml is told never to resolve entities, load a DTD or touch the network, and every document type
declaration is refused outright: none of the formats we take needs one, and it is the vehicle of
XXE and entity-expansion ("billion laughs") attacks. Refusals are :class:`UntrustedXml` errors with a
stable code and a German message; the format modules turn them into their own error types.
"""

from __future__ import annotations

from lxml import etree

from app.i18n import _


class UntrustedXml(ValueError):
    def __init__(
        self, code: str, message: str, *, line: int | None = None, column: int | None = None
    ):
        super().__init__(message)
        self.code, self.message, self.line, self.column = code, message, line, column


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def parse_untrusted(data: bytes, *, max_bytes: int, kind: str) -> etree._ElementTree:
    """Parse ``data`` or raise :class:`UntrustedXml`; ``kind`` names the format in messages."""
    if not data.strip():
        raise UntrustedXml(code="empty", message=_("Die Datei ist leer."))
    if len(data) > max_bytes:
        raise UntrustedXml(
            code="too-large",
            message=_("Die Datei ist größer als %(limit)s KiB.", limit=max_bytes // 1024),
        )
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as error:
        raise _syntax_error(error) from None
    except ValueError as error:  # e.g. a Unicode string with an encoding declaration
        raise UntrustedXml(
            code="not-xml", message=_("Die Datei ist kein lesbares XML: %(reason)s", reason=error)
        ) from None
    _refuse_doctype(tree, kind)
    return tree


def _external_entity() -> UntrustedXml:
    return UntrustedXml(
        code="external-entity",
        message=_(
            "Die Datei verweist auf externe Entitäten (XXE). Solche Dateien werden abgelehnt."
        ),
    )


def _entities() -> UntrustedXml:
    return UntrustedXml(
        code="entities",
        message=_(
            "Die Datei enthält Entitäten. Entitätsdeklarationen sind aus Sicherheitsgründen nicht "
            "erlaubt."
        ),
    )


# What libxml2's (English) message says → the refusal; the first fragment found wins.
_ENTITY_REFUSALS = {
    "external entity": _external_entity,
    "entity": _entities,
    "amplification": _entities,
}


def _syntax_error(error: etree.XMLSyntaxError) -> UntrustedXml:
    message = (error.msg or "").lower()
    for fragment, refusal in _ENTITY_REFUSALS.items():
        if fragment in message:
            return refusal()
    if "huge" in message:
        return UntrustedXml(
            code="text-too-large", message=_("Ein einzelner Inhalt der Datei ist größer als 10 MB.")
        )
    line, column = error.position if error.position else (None, None)
    return UntrustedXml(
        code="not-xml",
        message=_("Die Datei ist kein wohlgeformtes XML: %(reason)s", reason=error.msg),
        line=line,
        column=column,
    )


def _refuse_doctype(tree: etree._ElementTree, kind: str) -> None:
    docinfo = tree.docinfo
    if not docinfo.doctype and docinfo.internalDTD is None:
        return
    dtd = docinfo.internalDTD
    entities = list(dtd.iterentities()) if dtd is not None else []
    if any(entity.system_url for entity in entities):
        raise _external_entity()
    if entities:
        raise _entities()
    if docinfo.system_url:
        raise UntrustedXml(
            code="external-dtd",
            message=_("Die Datei verweist auf eine externe DTD. Das ist nicht erlaubt."),
        )
    raise UntrustedXml(
        code="doctype",
        message=_(
            "Die Datei enthält eine DOCTYPE-Deklaration. %(format)s braucht keine.", format=kind
        ),
    )
