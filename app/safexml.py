"""Parsing XML that comes from outside: uploads, imports, messages of other systems.

lxml is told never to resolve entities, load a DTD or touch the network, and every document type
declaration is refused outright: none of the formats we take needs one, and it is the vehicle of
XXE and entity-expansion ("billion laughs") attacks. Refusals are :class:`UntrustedXml` errors with a
stable code and a German message; the format modules turn them into their own error types.
"""

from __future__ import annotations

from lxml import etree


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
        raise UntrustedXml("empty", "Die Datei ist leer.")
    if len(data) > max_bytes:
        raise UntrustedXml("too-large", f"Die Datei ist größer als {max_bytes // 1024} KiB.")
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as error:
        raise _syntax_error(error) from None
    except ValueError as error:  # e.g. a Unicode string with an encoding declaration
        raise UntrustedXml("not-xml", f"Die Datei ist kein lesbares XML: {error}") from None
    _refuse_doctype(tree, kind)
    return tree


def _external_entity() -> UntrustedXml:
    return UntrustedXml(
        "external-entity",
        "Die Datei verweist auf externe Entitäten (XXE). Solche Dateien werden abgelehnt.",
    )


def _entities() -> UntrustedXml:
    return UntrustedXml(
        "entities",
        "Die Datei enthält Entitäten. Entitätsdeklarationen sind aus Sicherheitsgründen nicht erlaubt.",
    )


def _syntax_error(error: etree.XMLSyntaxError) -> UntrustedXml:
    message = (error.msg or "").lower()
    if "external entity" in message:
        return _external_entity()
    if "entity" in message or "amplification" in message:
        return _entities()
    if "huge" in message:
        return UntrustedXml(
            "text-too-large", "Ein einzelner Inhalt der Datei ist größer als 10 MB."
        )
    line, column = error.position if error.position else (None, None)
    return UntrustedXml(
        "not-xml", f"Die Datei ist kein wohlgeformtes XML: {error.msg}", line=line, column=column
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
            "external-dtd", "Die Datei verweist auf eine externe DTD. Das ist nicht erlaubt."
        )
    raise UntrustedXml(
        "doctype", f"Die Datei enthält eine DOCTYPE-Deklaration. {kind} braucht keine."
    )
