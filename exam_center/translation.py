"""The message catalogs outside a web request (command line), in the configured default language."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from babel import Locale
from babel.support import Translations

CATALOGS = Path(__file__).resolve().parent / "translations"


def translator(locale: str) -> Callable[[str], str]:
    # Catalog folders are named by the full locale (zh_Hans_CN), which "zh_CN" parses to.
    return Translations.load(str(CATALOGS), [Locale.parse(locale)]).gettext
