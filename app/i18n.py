"""Translatable texts through gettext (Flask-Babel).

German is the source language: every text a person reads is written in German inside ``_()`` (or
``_l()`` where it is defined at import time, e.g. form labels) and in templates inside ``_()`` or
``{% trans %}``. ``scripts/messages`` extracts them into ``app/translations/messages.pot``. A language
is added by a compiled catalogue ``<dir>/<locale>/LC_MESSAGES/messages.mo`` in
``app/translations`` or in the folder named by ``MUSTERREGISTER_TRANSLATIONS_PATH``; the browser's
``Accept-Language`` then chooses among German and the installed languages.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, has_request_context, request
from flask_babel import Babel, get_locale, gettext, lazy_gettext, lazy_pgettext, ngettext

SOURCE_LOCALE = "de"
BUILTIN_TRANSLATIONS = Path(__file__).resolve().parent / "translations"

_ = gettext
_l = lazy_gettext
_lp = lazy_pgettext  # one German word with two meanings: _lp("Behördenart", "Land")

__all__ = ["_", "_l", "_lp", "current_language", "init_app", "ngettext", "untranslated"]


def untranslated(text: str) -> str:
    """Marks words that stay as they are in every language: a tool's original English output,
    kept beside the German message for experts (the i18n tests accept it only so marked)."""
    return text


def init_app(app: Flask, extra_translations: Path | None) -> None:
    directories = [BUILTIN_TRANSLATIONS, *([extra_translations] if extra_translations else [])]
    babel = Babel()
    babel.init_app(
        app,
        default_locale=SOURCE_LOCALE,
        default_translation_directories=";".join(str(path) for path in directories),
        locale_selector=_preferred_language,
    )
    app.jinja_env.policies["ext.i18n.trimmed"] = True  # {% trans %} blocks as one line of text
    languages = _installed_languages(directories)
    app.extensions["musterregister.languages"] = languages
    app.jinja_env.globals["current_language"] = current_language
    if len(languages) > 1:
        app.after_request(_vary_by_language)


def _vary_by_language(response: Response) -> Response:
    response.vary.add("Accept-Language")
    return response


def _installed_languages(directories: list[Path]) -> tuple[str, ...]:
    found = {
        catalogue.parent.parent.name
        for directory in directories
        for catalogue in directory.glob("*/LC_MESSAGES/messages.mo")
    }
    return (SOURCE_LOCALE, *sorted(found - {SOURCE_LOCALE}))


def _preferred_language() -> str:
    from flask import current_app

    languages = current_app.extensions["musterregister.languages"]
    if len(languages) == 1 or not has_request_context():  # CLI and background jobs: German
        return SOURCE_LOCALE
    return request.accept_languages.best_match(languages, default=SOURCE_LOCALE)


def current_language() -> str:
    """The language of the current response, for ``<html lang>`` and cache keys."""
    locale = get_locale()
    return locale.language if locale is not None else SOURCE_LOCALE
