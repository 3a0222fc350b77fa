"""Problems found in bank content, reported to people per field (and per row and column on import).

The bank does not depend on the application, so it carries its own small error type; messages are
English msgids (marked with ``N_``) that the application's catalog translates (Chinese first).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable


def N_(message: str) -> str:
    """Mark a message for extraction into the catalogs without translating it here."""
    return message


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    field: str | None = None
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    row: int | None = None       # 1-based data row of an import (the header is row 1 in a spreadsheet)
    column: str | None = None    # the column heading or JSON key as the user wrote it

    def render(self, translate: Callable[[str], str] = lambda s: s) -> str:
        text = translate(self.message)
        return text % self.params if self.params else text

    def at(self, row: int, column: str | None) -> "Problem":
        return Problem(self.code, self.message, self.field, self.params, row, column)


class BankError(Exception):
    """One or more problems; nothing was changed."""

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("BankError needs at least one problem")
        self.problems = problems
        super().__init__("; ".join(p.render() for p in problems[:5]))
