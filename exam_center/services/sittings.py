"""One terminal at a time (一人一机): the sitting token that names the terminal a candidate last signed in at.

Each sign-in stores a fresh token on the attempt and in that browser's session; a later sign-in replaces it
and a proctor's move to another seat clears it, so only the current terminal may act for the attempt.
"""
from __future__ import annotations

import hmac

from exam_center.domain.errors import N_, DomainError


class SittingEnded(DomainError):
    """This terminal may no longer act for the attempt: ``terminal.moved`` or ``terminal.replaced``."""

    http_status = 401


SITTING_ENDED = {
    "terminal.moved": N_("The proctor has moved you to another seat. Sign in again at the terminal of your new "
                         "seat."),
    "terminal.replaced": N_("Your exam was opened at another terminal, so this one is signed out. If that was not "
                            "you, raise your hand now."),
}


def check_sitting(stored: str | None, held: str | None) -> None:
    """Raise ``SittingEnded`` unless ``held`` (the browser's token) is the attempt's current sitting."""
    if stored and isinstance(held, str) and hmac.compare_digest(held.encode(), stored.encode()):
        return
    code = "terminal.replaced" if stored else "terminal.moved"
    raise SittingEnded(code, SITTING_ENDED[code])


__all__ = ["SITTING_ENDED", "SittingEnded", "check_sitting"]
