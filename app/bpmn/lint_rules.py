"""The modelling-convention rules as data: what an instance shows, explains and switches on or off.

Each rule's check lives in :mod:`app.bpmn.lint`, under the same id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    title: str
    description: str


RULES: tuple[Rule, ...] = (
    Rule(
        "label-task",
        "error",
        "Aktivitäten sind beschriftet",
        "Jede Aufgabe, jeder Teilprozess und jede Aufrufaktivität trägt eine Bezeichnung, "
        "damit das Modell ohne weitere Erläuterung verständlich ist.",
    ),
    Rule(
        "label-event",
        "warning",
        "Ereignisse sind beschriftet",
        "Start-, Zwischen- und Endereignisse tragen eine Bezeichnung, die den erreichten Zustand "
        "beschreibt, z. B. „Antrag eingegangen“.",
    ),
    Rule(
        "label-gateway",
        "warning",
        "Verzweigungen stellen eine Frage",
        "Exklusive, inklusive und komplexe Gateways, die den Fluss aufteilen, tragen eine "
        "Bezeichnung in Frageform, z. B. „Unterlagen vollständig?“. Zusammenführende Gateways "
        "dürfen unbeschriftet bleiben.",
    ),
    Rule(
        "start-event",
        "error",
        "Prozesse haben ein Startereignis",
        "Jeder Prozess und jeder Teilprozess mit Inhalt beginnt mit mindestens einem "
        "Startereignis. Leere Prozesse und zugeklappte Pools ohne Prozess sind ausgenommen.",
    ),
    Rule(
        "end-event",
        "error",
        "Prozesse haben ein Endereignis",
        "Jeder Prozess und jeder Teilprozess mit Inhalt endet mit mindestens einem Endereignis. "
        "Leere Prozesse und zugeklappte Pools ohne Prozess sind ausgenommen.",
    ),
    Rule(
        "disconnected",
        "error",
        "Keine unverbundenen Elemente",
        "Jedes Flussobjekt ist über Sequenzflüsse mit dem Ablauf verbunden. Ausgenommen sind "
        "angeheftete Ereignisse, Ereignis-Teilprozesse und ihre Startereignisse, "
        "Kompensationsaktivitäten und Elemente in Ad-hoc-Teilprozessen.",
    ),
    Rule(
        "implicit-split",
        "warning",
        "Keine impliziten Verzweigungen",
        "Verlassen mehrere Sequenzflüsse eine Aktivität oder ein Ereignis und ist mindestens "
        "einer davon weder bedingt noch Standardfluss, teilt sich der Ablauf stillschweigend "
        "parallel auf. Ein Gateway macht die Verzweigung sichtbar.",
    ),
    Rule(
        "implicit-join",
        "warning",
        "Keine impliziten Zusammenführungen",
        "Münden mehrere Sequenzflüsse in eine Aktivität oder ein Ereignis, bleibt offen, ob auf "
        "alle Pfade gewartet wird. Ein Gateway macht die Zusammenführung eindeutig.",
    ),
    Rule(
        "duplicate-flow",
        "error",
        "Keine doppelten Sequenzflüsse",
        "Zwei Sequenzflüsse mit derselben Quelle und demselben Ziel sind fast immer ein "
        "Versehen beim Zeichnen.",
    ),
    Rule(
        "named-lanes",
        "warning",
        "Bahnen sind benannt",
        "Jede Bahn (Lane) nennt die zuständige Organisationseinheit oder Rolle.",
    ),
    Rule(
        "task-label-verb",
        "warning",
        "Aufgaben nach dem Muster „Objekt + Verb“ benennen",
        "Eine Aufgabenbezeichnung besteht aus mindestens zwei Wörtern und endet mit einem Verb im "
        "Infinitiv, z. B. „Antrag prüfen“, „Gebühr erheben“, „Meldedaten erfassen“.",
    ),
    Rule(
        "gateway-mixed",
        "warning",
        "Gateways verzweigen oder führen zusammen",
        "Ein Gateway, das zugleich zusammenführt und verzweigt, ist schwer zu lesen. Besser sind "
        "zwei Gateways: eines führt zusammen, das nächste verzweigt.",
    ),
    Rule(
        "conditional-flow-label",
        "warning",
        "Pfade nach einer Entscheidung sind beschriftet",
        "Jeder Sequenzfluss, der ein verzweigendes exklusives oder inklusives Gateway verlässt, "
        "trägt die Antwort auf dessen Frage als Bezeichnung, z. B. „ja“ oder „nein“.",
    ),
    Rule(
        "gateway-question",
        "info",
        "Entscheidungen als Frage formulieren",
        "Die Bezeichnung eines verzweigenden exklusiven oder inklusiven Gateways endet mit einem "
        "Fragezeichen.",
    ),
)
RULES_BY_ID = {rule.id: rule for rule in RULES}
