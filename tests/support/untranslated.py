"""Finds texts a person would read that bypass gettext: in templates, scripts and Python code.

A finding is ``(file, line, text)``. What counts as a text: anything with a word of two letters or
more, except technical names that are the same in every language (``NAMES``).
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment
from jinja2.ext import i18n

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "app" / "web" / "templates"
SCRIPTS = ROOT / "app" / "web" / "static" / "js"

Finding = tuple[str, int, str]

# Names and symbols that no translation changes.
NAMES = frozenset(
    [
        "API",
        "BPMN",
        "CSV",
        "JSON",
        "XML",
        "SVG",
        "PNG",
        "PDF",
        "URL",
        "URI",
        "ID",
        "IDs",
        "OIDC",
        "OpenID",
        "OpenAPI",
        "Swagger",
        "LeiKa",
        "FIM",
        "XProzess",
        "Musterregister",
        "UTC",
        "JWKS",
        "SHA",
        "Ed25519",
        "kid",
        "DSGVO",
        "BITV",
        "WCAG",
        "KERN",
        "bpmn-js",
        "axe-core",
    ]
)
_WORD = re.compile(r"[A-Za-zÄÖÜäöüß][A-Za-zÄÖÜäöüß0-9.\-]+")
_TEXT_ATTRIBUTES = frozenset(
    {"title", "alt", "placeholder", "label", "aria-label", "aria-description"}
    | {"aria-roledescription", "aria-valuetext"}
)
_EXPRESSION = "\x00"  # stands for a {{ … }} or {% … %} in the flattened template


def is_text(value: str) -> bool:
    return any(word not in NAMES for word in _WORD.findall(value.replace(_EXPRESSION, " ")))


# --- templates --------------------------------------------------------------------------------


def untranslated_in_templates(folder: Path = TEMPLATES) -> list[Finding]:
    environment = Environment(extensions=[i18n])
    findings = []
    for path in sorted(folder.rglob("*.html")):
        flattened, lines = _flatten(environment, path.read_text(encoding="utf-8"))
        collector = _TextCollector(lines)
        collector.feed(flattened)
        collector.close()
        relative = str(path.relative_to(ROOT))
        findings += [(relative, line, text) for line, text in collector.texts if is_text(text)]
    return findings


def _flatten(environment: Environment, source: str) -> tuple[str, list[int]]:
    """The template's literal HTML outside ``{% trans %}``, every tag or output replaced by a
    marker; ``lines[i]`` is the template line of character ``i``."""
    parts: list[str] = []
    lines: list[int] = []
    in_trans = False
    previous = None
    for lineno, kind, value in environment.lex(source):
        if kind == "name" and previous == "block_begin" and value in {"trans", "endtrans"}:
            in_trans = value == "trans"
        if kind != "whitespace":  # `{% trans %}` is block_begin, whitespace, name
            previous = kind
        if kind == "data" and not in_trans:
            text = value
        elif kind in {"variable_end", "block_end"}:
            text = _EXPRESSION
        else:
            continue
        parts.append(text)
        lines += [lineno + text[:offset].count("\n") for offset in range(len(text))]
    return "".join(parts), lines


class _TextCollector(HTMLParser):
    """Text nodes and readable attributes of an HTML fragment, with their lines."""

    def __init__(self, lines: list[int]) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[tuple[int, str]] = []
        self._line_starts = lines
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip_depth += 1
        for name, value in attrs:
            if value and (name in _TEXT_ATTRIBUTES or name.startswith("data-text-")):
                self.texts.append((self._line(), value))
            if value and name == "value" and dict(attrs).get("type") in {"submit", "button"}:
                self.texts.append((self._line(), value))

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skip_depth:
            self._skip_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip_depth and data.strip():
            self.texts.append((self._line(), data.strip()))

    def _line(self) -> int:
        line, column = self.getpos()
        offset = sum(len(text) + 1 for text in self._rawdata_lines[: line - 1]) + column
        return self._line_starts[min(offset, len(self._line_starts) - 1)]

    def feed(self, data: str) -> None:
        self._rawdata_lines = data.split("\n")
        super().feed(data)


# --- scripts ----------------------------------------------------------------------------------

_JS_STRING = re.compile(r"""'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`""")
_JS_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)


def untranslated_in_scripts(folder: Path = SCRIPTS) -> list[Finding]:
    """String literals that read as a sentence: scripts take their texts from the page, where
    the template has translated them (``data-text-*`` attributes)."""
    findings = []
    for path in sorted(folder.glob("*.js")):
        source = _JS_COMMENT.sub(lambda match: "\n" * match.group().count("\n"), path.read_text())
        for match in _JS_STRING.finditer(source):
            literal = next(group for group in match.groups() if group is not None)
            if _reads_as_text(literal):
                line = source.count("\n", 0, match.start()) + 1
                findings.append((str(path.relative_to(ROOT)), line, literal))
    return findings


def _reads_as_text(literal: str) -> bool:
    """Two plain words, or one capitalised word: technical strings (selectors, class lists, MIME
    types, event names) are never made of plain words."""
    plain = [word for word in re.sub(r"<[^>]*>", " ", literal).split() if _PLAIN_WORD.match(word)]
    if literal == "use strict" or set(plain) <= _KEY_NAMES:
        return False
    sentence = len(plain) > 1 or any(word[0].isupper() for word in plain)
    return sentence and is_text(" ".join(plain))


_PLAIN_WORD = re.compile(r"^[„(]?[A-Za-zÄÖÜäöüß][a-zäöüß]*[.,:;!?…)“]*$")
_KEY_NAMES = frozenset({"Enter", "Escape", "Tab", "Home", "End", "ArrowUp", "ArrowDown"})


# --- Python -----------------------------------------------------------------------------------

GETTEXT_CALLS = frozenset(
    {"_", "_l", "_lp", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext", "pgettext"}
)
# Calls whose first argument (or the keywords below) a person reads on a page or in an API reply.
MESSAGE_CALLS = frozenset(
    {
        "flash",
        "DomainError",
        "Unauthorized",
        "Forbidden",
        "NotFound",
        "Conflict",
        "PreconditionFailed",
        "PayloadTooLarge",
        "UnsupportedMediaType",
        "ValidationFailed",
        "PreconditionRequired",
        "TooManyRequests",
        "BadFeedRequest",
        "KeyUnavailable",
        "InvalidSearch",
        "MissingCsrfToken",
        "ValidationError",
        "BpmnError",
        "UntrustedXml",
        "XProzessError",
        "StopValidation",
    }
)
MESSAGE_KEYWORDS = frozenset({"message", "label", "description", "detail", "title"})


def untranslated_in_python(folder: Path = ROOT / "app") -> list[Finding]:
    """Texts handed to a message call (``MESSAGE_CALLS``, WTForms fields and validators) as a
    bare literal or f-string instead of through ``_()`` / ``_l()``."""
    findings = []
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in ast.walk(tree):
            if isinstance(call, ast.Call) and _is_message_call(call):
                for argument in _message_arguments(call):
                    if _is_bare_text(argument):
                        text = ast.unparse(argument)
                        findings.append((str(path.relative_to(ROOT)), argument.lineno, text))
    return findings


def _call_name(call: ast.Call) -> str:
    function = call.func
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else ""


def _is_message_call(call: ast.Call) -> bool:
    name = _call_name(call)
    return name in _message_classes() or name.endswith("Field") or name in _WTFORMS_VALIDATORS


@functools.cache
def _message_classes(folder: Path = ROOT / "app") -> frozenset[str]:
    """``MESSAGE_CALLS`` and every class in ``app`` derived from one of them."""
    bases_of = {
        node.name: {base.id for base in node.bases if isinstance(base, ast.Name)}
        for path in folder.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef)
    }
    found = set(MESSAGE_CALLS)
    while grown := {name for name, bases in bases_of.items() if bases & found} - found:
        found |= grown
    return frozenset(found)


_WTFORMS_VALIDATORS = frozenset(
    {"DataRequired", "InputRequired", "Length", "Email", "URL", "Regexp", "NumberRange"}
    | {"Optional", "EqualTo", "AnyOf", "NoneOf"}
)


def _message_arguments(call: ast.Call) -> Iterator[ast.expr]:
    if call.args and _call_name(call) not in _WTFORMS_VALIDATORS:
        yield call.args[0]
    for keyword in call.keywords:
        if keyword.arg in MESSAGE_KEYWORDS:
            yield keyword.value


def _is_bare_text(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return is_text(node.value)
    if isinstance(node, ast.JoinedStr):
        return any(
            isinstance(part, ast.Constant) and is_text(str(part.value)) for part in node.values
        )
    if isinstance(node, ast.BinOp):  # "…" + x or "…" % x
        return _is_bare_text(node.left) or _is_bare_text(node.right)
    return False


# Modules made of texts for people (labels, findings, titles): every sentence in them is wrapped,
# wherever it stands, not only in message calls.
MESSAGE_MODULES = (
    "app/errors.py",
    "app/validation_messages.py",
    "app/safexml.py",
    "app/audit/presentation.py",
    "app/bpmn/lint.py",
    "app/bpmn/lint_rules.py",
    "app/bpmn/package.py",
    "app/bpmn/validate.py",
    "app/catalog/analytics_views.py",
    "app/fim/xprozess.py",
    "app/library/visual_diff.py",
    "app/review/notifications.py",
)
_NOT_FOR_PEOPLE = frozenset(
    {"debug", "info", "warning", "error", "exception", "critical", "log"}
    | {"RuntimeError", "SchemaUnavailable", "AssertionError", "TypeError", "KeyError", "text"}
    | {"compile", "untranslated"}  # regular expressions; words marked as the same in all languages
)
_PROTOCOL_KEYWORDS = frozenset({"headers"})  # HTTP header values are protocol, not language


def unwrapped_in_message_modules(modules: tuple[str, ...] = MESSAGE_MODULES) -> list[Finding]:
    """Sentences (two words or more) in ``modules`` outside gettext, docstrings, log calls and
    dictionary keys."""
    findings = []
    for module in modules:
        tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
        exempt = _docstrings(tree) | _exempt_literals(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in exempt
                and " " in node.value.strip()
                and is_text(node.value)
            ):
                findings.append((module, node.lineno, node.value))
    return findings


# Tables of labels that are not for pages: CLI output, backup descriptions, OpenAPI parameter
# documentation, the names of the German states (proper names, stored as data), and the register
# import, whose report is written by a background job and kept as text (docs/uebersetzung.md).
LABEL_TABLES_ELSEWHERE = (
    "app/cli.py",
    "app/backup/",
    "app/api/common.py",
    "app/identity/models.py",
    "app/catalog/register_import/",
)


def label_tables_outside_gettext(folder: Path = ROOT / "app") -> list[Finding]:
    """Dictionaries of two or more capitalised texts (status, kind, field labels) anywhere in
    ``app``: such tables feed pages, so their texts must be wrapped too."""
    findings = []
    for path in sorted(folder.rglob("*.py")):
        relative = str(path.relative_to(ROOT))
        if relative in MESSAGE_MODULES or relative.startswith(LABEL_TABLES_ELSEWHERE):
            continue
        for table in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(table, ast.Dict):
                labels = [
                    value
                    for value in table.values
                    if isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                    and value.value[:1].isupper()
                    and is_text(value.value)
                ]
                if len(labels) >= 2:
                    findings += [(relative, label.lineno, label.value) for label in labels]
    return findings


def _docstrings(tree: ast.Module) -> set[int]:
    owners = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, owners)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def _exempt_literals(tree: ast.Module) -> set[int]:
    exempt: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (
            _call_name(node) in GETTEXT_CALLS or _call_name(node) in _NOT_FOR_PEOPLE
        ):
            exempt |= {id(inner) for inner in ast.walk(node)}
        elif isinstance(node, ast.Dict):
            exempt |= {id(key) for key in node.keys if key is not None}
        elif isinstance(node, ast.keyword) and node.arg in _PROTOCOL_KEYWORDS:
            exempt |= {id(inner) for inner in ast.walk(node.value)}
    return exempt


if __name__ == "__main__":  # python -m tests.support.untranslated [path prefix …]
    import sys

    everything = (
        untranslated_in_templates()
        + untranslated_in_scripts()
        + untranslated_in_python()
        + unwrapped_in_message_modules()
        + label_tables_outside_gettext()
    )
    prefixes = tuple(sys.argv[1:]) or ("",)
    shown = sorted({finding for finding in everything if finding[0].startswith(prefixes)})
    for file, line, text in shown:
        print(f"{file}:{line}: {text!r}")
    print(f"{len(shown)} Fundstellen")
