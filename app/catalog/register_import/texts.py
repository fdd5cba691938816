"""Texts, lists in a cell and legal bases with their links."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from app.catalog.register_import.cells import Cell, Invalid, as_text, at_most, de, display, short
from app.catalog.register_import.model import (
    LEGAL_BASIS_LENGTH,
    LIST_ITEM_LENGTH,
    LIST_LIMITS,
    TEXT_LIMITS,
)


def _text(limit: int, single_line: bool = False) -> Callable[[Cell, list[str]], str]:
    def convert(value: Cell, notes: list[str]) -> str:
        text = display(value) if single_line else as_text(value)
        if len(text) > limit:
            raise Invalid(
                f"Der Text ist {de(len(text))} Zeichen lang; erlaubt sind höchstens {de(limit)}."
            )
        return text

    return convert


_BULLET = re.compile(r"^(?:[-–—•*·▪]|\d{1,2}[.)])\s+")
_BULLET_STARTS = frozenset("-–—•*·▪0123456789")
_LINES_AND_SEMICOLONS = re.compile(r"[\n;]")
_LINES_SEMICOLONS_AND_COMMAS = re.compile(r"[\n;,]")


def _split_list(value: Cell, separators: re.Pattern[str]) -> list[str]:
    items = (_list_item(part) for part in separators.split(as_text(value)))
    return list(dict.fromkeys(item for item in items if item))


def _list_item(text: str) -> str:
    text = " ".join(text.split())
    return _BULLET.sub("", text) if text[:1] in _BULLET_STARTS else text


def _text_list(
    field: str, separators: re.Pattern[str] = _LINES_AND_SEMICOLONS
) -> Callable[[Cell, list[str]], list[str]]:
    def convert(value: Cell, notes: list[str]) -> list[str]:
        items = _split_list(value, separators)
        too_long = next((item for item in items if len(item) > LIST_ITEM_LENGTH), None)
        if too_long:
            raise Invalid(
                f"Der Eintrag „{short(too_long, 40)}“ ist länger als {LIST_ITEM_LENGTH} Zeichen."
            )
        return at_most(items, LIST_LIMITS[field])

    return convert


_URL = re.compile(r"https?://[^\s<>\[\]\"'„“]+", re.IGNORECASE)
_EMPTY_BRACKETS = re.compile(r"[\[(<]\s*[\])>]")
_LONE_PUNCTUATION = re.compile(r"\s[.,;:]+(?=\s|$)")


def _legal_bases(value: Cell, notes: list[str]) -> list[dict[str, str | None]]:
    bases = [_legal_basis(item) for item in _split_list(value, _LINES_AND_SEMICOLONS)]
    unique = list({(b["text"], b["url"]): b for b in bases}.values())
    return at_most(unique, LIST_LIMITS["legal_bases"])


def _legal_basis(item: str) -> dict[str, str | None]:
    text, url = _split_url(item)
    if len(text) > LEGAL_BASIS_LENGTH or len(url or "") > LEGAL_BASIS_LENGTH:
        raise Invalid(
            f"Die Rechtsgrundlage „{short(item, 40)}“ ist länger als {LEGAL_BASIS_LENGTH} Zeichen."
        )
    if url and not _is_web_address(url):
        raise Invalid(f"„{short(url, 60)}“ ist keine gültige Internetadresse.")
    return {"text": text, "url": url}


def _split_url(item: str) -> tuple[str, str | None]:
    """ "§ 17 BMG [https://…]", "§ 17 BMG (https://…)", "§ 17 BMG: https://…" or plain text."""
    match = _URL.search(item)
    if not match:
        return item, None
    url = match.group().rstrip(".,:)")
    if url.count("(") > url.count(")") and match.group()[len(url) :].startswith(")"):
        url += ")"  # a link to "Melderecht_(Deutschland)"
    rest = f"{item[: match.start()]} {item[match.start() + len(url) :]}"
    text = " ".join(_LONE_PUNCTUATION.sub(" ", _EMPTY_BRACKETS.sub(" ", rest)).split())
    return text.strip(" -–:,") or url, url


def _is_web_address(url: str) -> bool:
    host = urlsplit(url).hostname or ""  # no brackets in _URL, so no IPv6 literal to refuse
    return "." in host.strip(".")


CONVERTERS: dict[str, Callable[[Cell, list[str]], Any]] = {
    **{
        field: _text(limit, field in ("title", "responsible_unit"))
        for field, limit in TEXT_LIMITS.items()
    },
    "legal_bases": _legal_bases,
    "required_documents": _text_list("required_documents"),
    "keywords": _text_list("keywords", _LINES_SEMICOLONS_AND_COMMAS),
    "synonyms": _text_list("synonyms", _LINES_SEMICOLONS_AND_COMMAS),
}
