"""Chinese first, English second: the locale comes from the user's choice, else the default (zh_CN).

API callers may ask for English with Accept-Language.
"""
from __future__ import annotations

from flask import current_app, request, session

LANGUAGES = {"zh_CN": "中文", "en": "English"}


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    default = current_app.extensions["exam_center.settings"].default_locale
    if request.path.startswith("/api/") and request.accept_languages:
        best = request.accept_languages.best_match(["zh_CN", "zh", "en"])
        if best is not None:
            return "en" if best == "en" else "zh_CN"
    return default
