"""The modelling-convention rules as data: what an instance shows, explains and switches on or off.

Each rule's check lives in :mod:`app.bpmn.lint`, under the same id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.i18n import _l

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    title: str  # lazy (_l): in the reader's language when turned into text
    description: str


RULES: tuple[Rule, ...] = (
    Rule(
        "label-task",
        "error",
        _l("Aktivitäten sind beschriftet"),
        _l(
            "Jede Aufgabe, jeder Teilprozess und jede Aufrufaktivität trägt eine Bezeichnung, "
            "damit das Modell ohne weitere Erläuterung verständlich ist."
        ),
    ),
    Rule(
        "label-event",
        "warning",
        _l("Ereignisse sind beschriftet"),
        _l(
            "Start-, Zwischen- und Endereignisse tragen eine Bezeichnung, die den erreichten Zustand "
            "beschreibt, z. B. „Antrag eingegangen“."
        ),
    ),
    Rule(
        "label-gateway",
        "warning",
        _l("Verzweigungen stellen eine Frage"),
        _l(
            "Exklusive, inklusive und komplexe Gateways, die den Fluss aufteilen, tragen eine "
            "Bezeichnung in Frageform, z. B. „Unterlagen vollständig?“. Zusammenführende Gateways "
            "dürfen unbeschriftet bleiben."
        ),
    ),
    Rule(
        "start-event",
        "error",
        _l("Prozesse haben ein Startereignis"),
        _l(
            "Jeder Prozess und jeder Teilprozess mit Inhalt beginnt mit mindestens einem "
            "Startereignis. Leere Prozesse und zugeklappte Pools ohne Prozess sind ausgenommen."
        ),
    ),
    Rule(
        "end-event",
        "error",
        _l("Prozesse haben ein Endereignis"),
        _l(
            "Jeder Prozess und jeder Teilprozess mit Inhalt endet mit mindestens einem Endereignis. "
            "Leere Prozesse und zugeklappte Pools ohne Prozess sind ausgenommen."
        ),
    ),
    Rule(
        "disconnected",
        "error",
        _l("Keine unverbundenen Elemente"),
        _l(
            "Jedes Flussobjekt ist über Sequenzflüsse mit dem Ablauf verbunden. Ausgenommen sind "
            "angeheftete Ereignisse, Ereignis-Teilprozesse und ihre Startereignisse, "
            "Kompensationsaktivitäten und Elemente in Ad-hoc-Teilprozessen."
        ),
    ),
    Rule(
        "implicit-split",
        "warning",
        _l("Keine impliziten Verzweigungen"),
        _l(
            "Verlassen mehrere Sequenzflüsse eine Aktivität oder ein Ereignis und ist mindestens "
            "einer davon weder bedingt noch Standardfluss, teilt sich der Ablauf stillschweigend "
            "parallel auf. Ein Gateway macht die Verzweigung sichtbar."
        ),
    ),
    Rule(
        "implicit-join",
        "warning",
        _l("Keine impliziten Zusammenführungen"),
        _l(
            "Münden mehrere Sequenzflüsse in eine Aktivität oder ein Ereignis, bleibt offen, ob auf "
            "alle Pfade gewartet wird. Ein Gateway macht die Zusammenführung eindeutig."
        ),
    ),
    Rule(
        "duplicate-flow",
        "error",
        _l("Keine doppelten Sequenzflüsse"),
        _l(
            "Zwei Sequenzflüsse mit derselben Quelle und demselben Ziel sind fast immer ein "
            "Versehen beim Zeichnen."
        ),
    ),
    Rule(
        "named-lanes",
        "warning",
        _l("Bahnen sind benannt"),
        _l("Jede Bahn (Lane) nennt die zuständige Organisationseinheit oder Rolle."),
    ),
    Rule(
        "task-label-verb",
        "warning",
        _l("Aufgaben nach dem Muster „Objekt + Verb“ benennen"),
        _l(
            "Eine Aufgabenbezeichnung besteht aus mindestens zwei Wörtern und endet mit einem Verb im "
            "Infinitiv, z. B. „Antrag prüfen“, „Gebühr erheben“, „Meldedaten erfassen“."
        ),
    ),
    Rule(
        "gateway-mixed",
        "warning",
        _l("Gateways verzweigen oder führen zusammen"),
        _l(
            "Ein Gateway, das zugleich zusammenführt und verzweigt, ist schwer zu lesen. Besser sind "
            "zwei Gateways: eines führt zusammen, das nächste verzweigt."
        ),
    ),
    Rule(
        "conditional-flow-label",
        "warning",
        _l("Pfade nach einer Entscheidung sind beschriftet"),
        _l(
            "Jeder Sequenzfluss, der ein verzweigendes exklusives oder inklusives Gateway verlässt, "
            "trägt die Antwort auf dessen Frage als Bezeichnung, z. B. „ja“ oder „nein“."
        ),
    ),
    Rule(
        "gateway-question",
        "info",
        _l("Entscheidungen als Frage formulieren"),
        _l(
            "Die Bezeichnung eines verzweigenden exklusiven oder inklusiven Gateways endet mit einem "
            "Fragezeichen."
        ),
    ),
)
RULES_BY_ID = {rule.id: rule for rule in RULES}
