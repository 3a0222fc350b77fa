"""Page numbers from the query string, kept in a range the database can offset to."""
from __future__ import annotations

from flask import request

MAX_PAGE = 10_000


def page_number() -> int:
    return min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
