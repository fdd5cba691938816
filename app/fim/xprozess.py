"""XProzess 2 import and export: the message ``alleInhalte.export.0303`` ("alle Inhalte exportieren").

XProzess is the FIM standard for exchanging process descriptions (XRepository
``urn:xoev-de:mv:em:standard:xprozess``, namespace of version 2 ``http://www.regierung-mv.de/xprozess/2``).
This module reads and writes the subset of that message the register can use: per process its id
(the Leistungsschlüssel or another id), version, name, the Steckbrief texts, participants, legal bases
and one model file. It is pure: lxml only, no Flask, no database.

Where the structure comes from
------------------------------
No XProzess 2 XSD or example message was found in the public code index that was searched, so the
structure rests on indirect but concrete evidence (facts only, nothing copied):

* Java classes generated from the XProzess 2 schema, used by ``uni/jena/fim/xprocess/XProzess.java``
  (package ``uni.jena.fim.xprocess.v2.core``, a public University of Jena project; the index did not
  name its repository). They show: root ``AlleInhalteExport0303`` → ``prozessbibliothek`` →
  ``prozess`` (a list) with ``id`` (read there as the LeiKa key) and ``name``; ``prozesssteckbrief``
  holding a list of ``ausloeser``; ``prozessmodell`` → a list of ``prozessmodelldatei`` of type
  ``Datei`` whose ``inhalt`` is binary (base64 in XML); ``handlungsgrundlage`` with ``name`` and
  ``uri`` (there on the activity groups of ``prozessstrukturbeschreibung``); types
  ``Prozessteilnehmer`` and ``Prozessklasse``. That project unzips ``inhalt``: FIM library exports
  may carry a ZIP archive there, which we pass on as it is (``media_type`` tells).
* The FIM portal's OpenAPI document (``openapi.json`` in ``maschinenlesbar-org/fim-portal-cli``):
  processes are addressed by id and version; the standard's XRepository URN.

Guessed, to be checked against the XSD from XRepository before relying on strict conformance:
qualified child elements in the XProzess namespace (the XÖV rule; the parser also takes unqualified
ones); ``version`` as a child of ``prozess``; ``bezeichnung``, ``definition``, ``beschreibung``,
``ergebnis``, ``prozessteilnehmer`` and ``handlungsgrundlage`` inside ``prozesssteckbrief`` (the parser
also finds them directly under ``prozess``); the text of ``ausloeser``, ``ergebnis`` and
``prozessteilnehmer`` in a child ``name``; the header children ``nachrichtID``,
``erstellungszeitpunkt`` and ``absender``; the ``Datei`` children ``dateiname`` and ``mimeType``.

Import ignores what the register has no use for: status, process classes, the structure description
(except its legal bases) and any model file after the one chosen (the first BPMN file, else the first).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

from lxml import etree

from app.i18n import _
from app.safexml import UntrustedXml, parse_untrusted

XPROZESS_NS = "http://www.regierung-mv.de/xprozess/2"
MESSAGE_NAME = "alleInhalte.export.0303"
MESSAGE_TAG = f"{{{XPROZESS_NS}}}{MESSAGE_NAME}"
PREFIX = "xprozess"
BPMN_MEDIA_TYPE = "application/bpmn+xml"


_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MEDIA_TYPES = {".bpmn": BPMN_MEDIA_TYPE, ".xml": "application/xml", ".zip": "application/zip"}


@dataclass(frozen=True)
class LegalBasis:
    text: str
    url: str | None = None


@dataclass(frozen=True)
class ModelFile:
    filename: str
    media_type: str
    data: bytes


@dataclass(frozen=True)
class XProzessProcess:
    process_id: str
    version: str | None
    name: str
    bezeichnung: str | None = None
    definition: str | None = None
    beschreibung: str | None = None
    ausloeser: str | None = None
    ergebnis: str | None = None
    prozessteilnehmer: tuple[str, ...] = ()
    handlungsgrundlagen: tuple[LegalBasis, ...] = ()
    model: ModelFile | None = None


class XProzessError(ValueError):
    """Refused XProzess input; ``code`` is stable for clients, ``message`` is for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message}


# --- reading: safe XML -------------------------------------------------------------------------


def parse_message(
    data: bytes, *, max_bytes: int, max_model_bytes: int | None = None
) -> list[XProzessProcess]:
    """The processes of an ``alleInhalte.export.0303`` message, or :class:`XProzessError`.

    ``max_bytes`` limits the message and, unless ``max_model_bytes`` says otherwise, each model file.
    """
    root = _parse_xml(data, max_bytes=max_bytes)
    _require_message(root)
    limit = max_bytes if max_model_bytes is None else max_model_bytes
    elements = [
        p for lib in _children(root, "prozessbibliothek") for p in _children(lib, "prozess")
    ]
    return [_read_process(element, position, limit) for position, element in enumerate(elements, 1)]


def _parse_xml(data: bytes, *, max_bytes: int) -> etree._Element:
    try:
        return parse_untrusted(data, max_bytes=max_bytes, kind="XProzess").getroot()
    except UntrustedXml as refused:
        raise _xprozess_error(refused) from None


def _xprozess_error(refused: UntrustedXml) -> XProzessError:
    if refused.code == "text-too-large":
        return XProzessError(
            code="model-too-large",
            message=_(
                "Ein Inhalt der Nachricht ist größer als 10 MB; so große Prozessmodelldateien "
                "werden nicht angenommen."
            ),
        )
    if refused.line is None:
        return XProzessError(refused.code, refused.message)
    message = _(
        "%(message)s (Zeile %(line)s, Spalte %(column)s)",
        message=refused.message,
        line=refused.line,
        column=refused.column,
    )
    return XProzessError(refused.code, message)


def _require_message(root: etree._Element) -> None:
    if root.tag == MESSAGE_TAG:
        return
    qname = etree.QName(root)
    if qname.namespace:
        message = _(
            "Die Datei ist keine XProzess-2-Nachricht alleInhalte.export.0303: erwartet wird das "
            "Wurzelelement '%(expected)s' im Namensraum %(expected_namespace)s, gefunden wurde "
            "'%(found)s' im Namensraum %(namespace)s.",
            expected=MESSAGE_NAME,
            expected_namespace=XPROZESS_NS,
            found=qname.localname,
            namespace=qname.namespace,
        )
    else:
        message = _(
            "Die Datei ist keine XProzess-2-Nachricht alleInhalte.export.0303: erwartet wird das "
            "Wurzelelement '%(expected)s' im Namensraum %(expected_namespace)s, gefunden wurde "
            "'%(found)s' ohne Namensraum.",
            expected=MESSAGE_NAME,
            expected_namespace=XPROZESS_NS,
            found=qname.localname,
        )
    raise XProzessError(code="not-xprozess", message=message)


# --- reading: elements -------------------------------------------------------------------------


def _children(parent: etree._Element, local: str) -> list[etree._Element]:
    """Children named ``local`` in the XProzess namespace or in none (any prefix works)."""
    wanted = (f"{{{XPROZESS_NS}}}{local}", local)
    return [child for child in parent if child.tag in wanted]


def _child_text(parent: etree._Element, local: str) -> str | None:
    found = _children(parent, local)
    return (found[0].text or "") if found else None


def _identifier(parent: etree._Element, local: str) -> str | None:
    text = _child_text(parent, local)
    if text is None:
        return None
    return text.strip() or None


def _descriptive(prozess: etree._Element, local: str) -> list[etree._Element]:
    """``local`` elements from the Prozesssteckbrief, else directly from the process."""
    for container in (*_children(prozess, "prozesssteckbrief"), prozess):
        found = _children(container, local)
        if found:
            return found
    return []


def _first_text(elements: list[etree._Element]) -> str | None:
    return (elements[0].text or "") if elements else None


def _named_text(element: etree._Element) -> str:
    name = _child_text(element, "name")
    return name if name is not None else (element.text or "")


def _joined(elements: list[etree._Element]) -> str | None:
    return "\n".join(_named_text(element) for element in elements) if elements else None


def _read_process(element: etree._Element, position: int, model_limit: int) -> XProzessProcess:
    process_id = _identifier(element, "id")
    if process_id is None:
        raise XProzessError(
            code="missing-id",
            message=_(
                "Prozess %(position)s: Die Kennung (Element 'id') fehlt oder ist leer.",
                position=position,
            ),
        )
    label = _("Prozess %(position)s (%(id)s)", position=position, id=process_id)
    name = _child_text(element, "name")
    if name is None or not name.strip():
        raise XProzessError(
            code="missing-name",
            message=_("%(process)s: Der Name (Element 'name') fehlt oder ist leer.", process=label),
        )
    return XProzessProcess(
        process_id=process_id,
        version=_identifier(element, "version"),
        name=name,
        bezeichnung=_first_text(_descriptive(element, "bezeichnung")),
        definition=_first_text(_descriptive(element, "definition")),
        beschreibung=_first_text(_descriptive(element, "beschreibung")),
        ausloeser=_joined(_descriptive(element, "ausloeser")),
        ergebnis=_joined(_descriptive(element, "ergebnis")),
        prozessteilnehmer=tuple(map(_named_text, _descriptive(element, "prozessteilnehmer"))),
        handlungsgrundlagen=_legal_bases(element),
        model=_model(element, label, model_limit),
    )


def _legal_basis(element: etree._Element) -> LegalBasis:
    return LegalBasis(text=_child_text(element, "name") or "", url=_child_text(element, "uri"))


def _legal_bases(prozess: etree._Element) -> tuple[LegalBasis, ...]:
    """The Steckbrief's legal bases, then those of activity groups not named there already."""
    own = tuple(map(_legal_basis, _descriptive(prozess, "handlungsgrundlage")))
    tags = (f"{{{XPROZESS_NS}}}handlungsgrundlage", "handlungsgrundlage")
    nested = [
        _legal_basis(found)
        for structure in _children(prozess, "prozessstrukturbeschreibung")
        for found in structure.iter(*tags)
    ]
    return own + tuple(basis for basis in dict.fromkeys(nested) if basis not in own)


def _model(prozess: etree._Element, label: str, limit: int) -> ModelFile | None:
    files = [
        f for m in _children(prozess, "prozessmodell") for f in _children(m, "prozessmodelldatei")
    ]
    if not files:
        return None
    chosen = next((f for f in files if _looks_like_bpmn(f)), files[0])
    return _model_file(chosen, label, limit)


def _looks_like_bpmn(element: etree._Element) -> bool:
    filename = (_child_text(element, "dateiname") or "").strip().lower()
    media_type = (_child_text(element, "mimeType") or "").lower()
    return filename.endswith(".bpmn") or "bpmn" in media_type


def _model_file(element: etree._Element, label: str, limit: int) -> ModelFile:
    filename = _child_text(element, "dateiname")
    if filename is None or not filename.strip():
        raise XProzessError(
            code="incomplete-model",
            message=_(
                "%(process)s: Der Prozessmodelldatei fehlt der Dateiname (Element 'dateiname').",
                process=label,
            ),
        )
    encoded = _child_text(element, "inhalt")
    if encoded is None:
        raise XProzessError(
            code="incomplete-model",
            message=_(
                "%(process)s: Der Prozessmodelldatei fehlt der Inhalt (Element 'inhalt').",
                process=label,
            ),
        )
    data = _decode(encoded, label)
    if len(data) > limit:
        raise XProzessError(
            code="model-too-large",
            message=_(
                "%(process)s: Die Prozessmodelldatei '%(filename)s' ist größer als %(limit)s KiB.",
                process=label,
                filename=filename,
                limit=limit // 1024,
            ),
        )
    media_type = _child_text(element, "mimeType") or _guess_media_type(filename)
    return ModelFile(filename=filename, media_type=media_type, data=data)


def _decode(encoded: str, label: str) -> bytes:
    try:
        return base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        raise XProzessError(
            code="bad-base64",
            message=_(
                "%(process)s: Der Inhalt der Prozessmodelldatei ist nicht gültig Base64-kodiert.",
                process=label,
            ),
        ) from None


def _guess_media_type(filename: str) -> str:
    suffix = filename.strip().lower().rpartition(".")[2]
    return _MEDIA_TYPES.get(f".{suffix}", "application/octet-stream")


# --- writing -----------------------------------------------------------------------------------


def build_message(
    processes: Iterable[XProzessProcess], *, sender: str, created_at: datetime, message_id: str
) -> bytes:
    """An ``alleInhalte.export.0303`` message (UTF-8); equal input gives equal bytes."""
    if created_at.tzinfo is None or created_at.utcoffset() is None:
        raise XProzessError(
            code="invalid-process",
            message=_("Der Erstellungszeitpunkt der Nachricht braucht eine Zeitzone."),
        )
    root = etree.Element(MESSAGE_TAG, nsmap={PREFIX: XPROZESS_NS})
    header = _sub(root, "nachrichtenkopf")
    _sub(header, "nachrichtID", message_id)
    _sub(header, "erstellungszeitpunkt", created_at.isoformat())
    _sub(header, "absender", sender)
    library = _sub(root, "prozessbibliothek")
    for position, process in enumerate(processes, 1):
        _check_process(process, position)
        _build_process(library, process)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _sub(parent: etree._Element, local: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{XPROZESS_NS}}}{local}")
    if text is not None:
        if _NOT_XML_CHAR.search(text):
            raise XProzessError(
                code="invalid-characters",
                message=_(
                    "Der Text für '%(element)s' enthält Zeichen, die in XML nicht erlaubt sind.",
                    element=local,
                ),
            )
        element.text = text
    return element


def _check_process(process: XProzessProcess, position: int) -> None:
    if not process.process_id.strip() or process.process_id != process.process_id.strip():
        _invalid(
            _(
                "Prozess %(position)s: Die Kennung darf nicht leer sein und nicht mit Leerraum "
                "beginnen oder enden.",
                position=position,
            )
        )
    if process.version is not None and (
        not process.version.strip() or process.version != process.version.strip()
    ):
        _invalid(
            _(
                "Prozess %(position)s: Die Version darf nicht leer sein und nicht mit Leerraum "
                "beginnen oder enden.",
                position=position,
            )
        )
    if not process.name.strip():
        _invalid(_("Prozess %(position)s: Der Name darf nicht leer sein.", position=position))
    model = process.model
    if model is not None and (not model.filename.strip() or not model.media_type):
        _invalid(
            _(
                "Prozess %(position)s: Die Prozessmodelldatei braucht einen Dateinamen und einen "
                "MIME-Typ.",
                position=position,
            )
        )


def _invalid(message: str) -> NoReturn:
    raise XProzessError(code="invalid-process", message=message)


def _build_process(library: etree._Element, process: XProzessProcess) -> None:
    element = _sub(library, "prozess")
    _sub(element, "id", process.process_id)
    if process.version is not None:
        _sub(element, "version", process.version)
    _sub(element, "name", process.name)
    _build_steckbrief(_sub(element, "prozesssteckbrief"), process)
    if process.model is not None:
        _build_model(_sub(element, "prozessmodell"), process.model)


def _build_steckbrief(steckbrief: etree._Element, process: XProzessProcess) -> None:
    for local in ("bezeichnung", "definition", "beschreibung"):
        value = getattr(process, local)
        if value is not None:
            _sub(steckbrief, local, value)
    for local in ("ausloeser", "ergebnis"):
        value = getattr(process, local)
        if value is not None:
            _sub(_sub(steckbrief, local), "name", value)
    for participant in process.prozessteilnehmer:
        _sub(_sub(steckbrief, "prozessteilnehmer"), "name", participant)
    for basis in process.handlungsgrundlagen:
        element = _sub(steckbrief, "handlungsgrundlage")
        _sub(element, "name", basis.text)
        if basis.url is not None:
            _sub(element, "uri", basis.url)


def _build_model(prozessmodell: etree._Element, model: ModelFile) -> None:
    element = _sub(prozessmodell, "prozessmodelldatei")
    _sub(element, "dateiname", model.filename)
    _sub(element, "mimeType", model.media_type)
    _sub(element, "inhalt", base64.b64encode(model.data).decode("ascii"))
