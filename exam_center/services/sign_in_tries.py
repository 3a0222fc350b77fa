"""Wrong sign-ins at the exam terminal (考生登录错误次数): a limit per admission ticket, kept in the audit trail.

Every wrong try is an audit event on the ticket, so the count is shared by every server process and
survives restarts, and the trail shows who guessed at which ticket from where. ``MAX_FAILURES`` wrong
tries within ``LOCK_SECONDS`` of each other lock that ticket until ``LOCK_SECONDS`` after the last; a locked
ticket records no further tries (nothing to count, and a flood of guesses cannot flood the trail).
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from exam_center.models import AuditEvent, utcnow

from .audit import Actor, record

MAX_FAILURES = 5
LOCK_SECONDS = 5 * 60
FAILED = "terminal.sign_in_failed"
LOCKED = "terminal.sign_in_locked"
OBJECT_TYPE = "admission_ticket"


def ticket_key(ticket: str) -> str:
    """Tickets are compared case-insensitively; the key fits the audit trail's object id."""
    return ticket.strip().upper()[:40]


def _recent_failures(session: Session, key: str, now: dt.datetime) -> list[dt.datetime]:
    """The last ``MAX_FAILURES`` wrong tries that can still matter (none older than two windows), newest first."""
    since = now - dt.timedelta(seconds=2 * LOCK_SECONDS)
    return list(session.scalars(
        sa.select(AuditEvent.at).where(AuditEvent.action == FAILED, AuditEvent.object_type == OBJECT_TYPE,
                                       AuditEvent.object_id == key, AuditEvent.at > since)
        .order_by(AuditEvent.id.desc()).limit(MAX_FAILURES)))


def seconds_locked(session: Session, ticket: str, *, now: dt.datetime | None = None) -> float:
    """How long this ticket stays locked (0 when it is not)."""
    now = now or utcnow()
    failures = _recent_failures(session, ticket_key(ticket), now)
    window = dt.timedelta(seconds=LOCK_SECONDS)
    if len(failures) < MAX_FAILURES or failures[0] - failures[-1] > window:
        return 0.0
    return max(0.0, (failures[0] + window - now).total_seconds())


def record_failure(session: Session, actor: Actor, ticket: str, *, candidate_id: int | None,
                   now: dt.datetime | None = None) -> bool:
    """Count one wrong try (in the caller's transaction); True when it locks the ticket."""
    key = ticket_key(ticket)
    record(session, actor, FAILED, OBJECT_TYPE, key, after={"candidate_id": candidate_id}, at=now)
    if seconds_locked(session, key, now=now) <= 0:
        return False
    record(session, actor, LOCKED, OBJECT_TYPE, key,
           after={"candidate_id": candidate_id, "failures": MAX_FAILURES, "lock_seconds": LOCK_SECONDS}, at=now)
    return True


__all__ = ["LOCK_SECONDS", "MAX_FAILURES", "record_failure", "seconds_locked", "ticket_key"]
