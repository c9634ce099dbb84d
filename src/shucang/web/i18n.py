"""Languages of the cockpit: 简体中文 by default, English on request.

UI strings are written in English in the templates and code (``_("Overview")``) and translated by the
Babel message catalogues under ``web/locales/<locale>/LC_MESSAGES/messages.po``. The ``.po`` files are
compiled in memory when first used, so a fresh ``pip install -e .`` works without a build step; a
compiled ``.mo`` beside a ``.po`` is used when it is newer. The chosen language comes from ``?lang=``
(remembered in a cookie) or the ``shucang_lang`` cookie, never from a global.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from starlette.requests import Request

LOCALES_DIR = Path(__file__).parent / "locales"
LANGS = ("zh", "en")
"""Languages offered: ``zh`` (简体中文, the default) and ``en``."""
DEFAULT_LANG = "zh"
COOKIE = "shucang_lang"
_CATALOGUE = {"zh": "zh_Hans"}
"""Which catalogue translates each language (English is the source language of the msgids)."""


def normalise_lang(value: str | None) -> str | None:
    """``zh-CN``/``zh_Hans``/``ZH`` → ``zh``; ``en-US`` → ``en``; anything else → None."""
    if not value:
        return None
    head = value.strip().lower().replace("_", "-").split("-")[0]
    return head if head in LANGS else None


def request_lang(request: Request) -> str:
    """The language of this request: ``?lang=`` first, then the cookie, then Chinese."""
    return (normalise_lang(request.query_params.get("lang"))
            or normalise_lang(request.cookies.get(COOKIE))
            or DEFAULT_LANG)


def lang_to_remember(request: Request) -> str | None:
    """The language to store in the cookie when ``?lang=`` names a valid one different from it."""
    asked = normalise_lang(request.query_params.get("lang"))
    if asked and asked != normalise_lang(request.cookies.get(COOKIE)):
        return asked
    return None


@lru_cache(maxsize=8)
def translations(lang: str) -> NullTranslations:
    """The gettext translations of ``lang`` (cached; compiled from the ``.po`` on first use)."""
    name = _CATALOGUE.get(lang)
    if name is None:
        return NullTranslations()
    base = LOCALES_DIR / name / "LC_MESSAGES"
    po, mo = base / "messages.po", base / "messages.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return Translations(fh, domain="messages")
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=name)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain="messages")


def N_(message: str) -> str:
    """Mark a string for extraction into the catalogue without translating it yet."""
    return message


def gettext(lang: str, message: str) -> str:
    """Translate one message for code outside templates (chart labels, export headers)."""
    return translations(lang).ugettext(message)
