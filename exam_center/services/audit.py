"""Writing and verifying the hash-chained audit trail."""
from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from exam_center.models import GENESIS_HASH, AuditEvent, utcnow

# Any constant: the advisory lock that serialises appends to the chain on PostgreSQL.
_CHAIN_LOCK_KEY = 730_202_4
# PostgreSQL: take the lock, then read the last hash (migration 0010).
_CHAIN_HEAD = sa.func.audit_chain_head(sa.literal(_CHAIN_LOCK_KEY, sa.BigInteger))
_LOCKED_HEAD = sa.select(_CHAIN_HEAD)
_EVENTS = AuditEvent.__table__
_COLUMNS = [c.name for c in _EVENTS.columns if c.name != "id"]
_LAST_HASH = sa.select(_EVENTS.c.hash).order_by(_EVENTS.c.id.desc()).limit(1)
_INSERT = _EVENTS.insert().values({c: sa.bindparam(c) for c in _COLUMNS}).returning(_EVENTS.c.id)


@dataclass(frozen=True)
class Actor:
    """Who causes a change: a staff user, a device, a candidate, or the system itself."""

    type: str
    id: str | None
    label: str
    source_address: str | None = None

    @classmethod
    def system(cls, label: str) -> "Actor":
        return cls("system", None, label)


def jsonable(value: Any) -> Any:
    """State snapshots as plain JSON, so they hash the same after a round trip through the database."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _digest(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event).encode("utf-8")).hexdigest()


def _canonical(event: AuditEvent) -> str:
    """The text an event's hash is taken of."""
    fields = {
        "at": event.at.astimezone(dt.timezone.utc).isoformat(timespec="microseconds"),
        "actor_type": event.actor_type,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": event.before,
        "after": event.after,
        "source_address": event.source_address,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: Any = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction; it commits or rolls back with the change it records.

    ``at`` is the time of the change when the caller works with its own clock (tests, replays); default now.
    """
    # The caller's pending changes go first: on PostgreSQL the chain lock is held until commit, so only the
    # chain's own read and insert happen under it.
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        previous = session.scalar(_LOCKED_HEAD)
    else:  # SQLite: the write transaction (BEGIN IMMEDIATE) already serialises appends
        previous = session.scalar(_LAST_HASH)
    event = _event(actor, action, object_type, object_id, before, after, at or utcnow())
    event.prev_hash = previous or GENESIS_HASH
    event.hash = _digest(event)
    # A plain INSERT, not the ORM's unit of work: every audited action pays for this. The returned event is not
    # attached to the session; it carries its id.
    event.id = session.execute(_INSERT, {column: getattr(event, column) for column in _COLUMNS}).scalar_one()
    return event


def _event(actor: Actor, action: str, object_type: str, object_id: Any, before: dict[str, Any] | None,
           after: dict[str, Any] | None, at: dt.datetime) -> AuditEvent:
    return AuditEvent(
        at=at,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label[:100],
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        before=jsonable(before),
        after=jsonable(after),
        source_address=actor.source_address,
    )


# PostgreSQL: an append that is part of a caller's statement, the chain's head read and the hash taken in SQL,
# so that the chain's lock is held from that statement to the commit and no longer.
# Parameters are named ``audit_*`` (the caller's own are often named like this table's columns).
_APPENDED_COLUMNS = [c for c in _COLUMNS if c not in ("prev_hash", "hash")]
_HEAD = sa.select(sa.func.coalesce(_CHAIN_HEAD, GENESIS_HASH).label("prev_hash")).subquery("head")


def append_if(rows: sa.FromClause) -> sa.Insert:
    """PostgreSQL: the event of ``append_parameters`` as a data-modifying CTE of the caller's statement, appended
    if ``rows`` (the caller's change, a CTE of at most one row) has a row: a change that did not happen is not
    recorded."""
    return _EVENTS.insert().from_select(
        [*_APPENDED_COLUMNS, "prev_hash", "hash"],
        sa.select(*(sa.bindparam(f"audit_{c}", type_=_EVENTS.c[c].type) for c in _APPENDED_COLUMNS),
                  _HEAD.c.prev_hash,
                  sa.func.encode(sa.func.sha256(sa.func.convert_to(
                      sa.bindparam("audit_text_before", type_=sa.Text)
                      + sa.cast(sa.func.to_json(_HEAD.c.prev_hash), sa.Text)
                      + sa.bindparam("audit_text_after", type_=sa.Text), "UTF8")), "hex"))
        .select_from(_HEAD.join(rows, sa.true()))).returning(_EVENTS.c.id)


def append_parameters(actor: Actor, action: str, object_type: str, object_id: Any = None, *,
                      before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
                      at: dt.datetime) -> dict[str, Any]:
    """What ``append_if`` needs for this event: its columns, and the text its hash is taken of, cut
    where the previous hash goes (in canonical JSON, a string)."""
    event = _event(actor, action, object_type, object_id, before, after, at)
    mark = f"previous-hash-{uuid.uuid4().hex}"
    event.prev_hash = mark
    text_before, text_after = _canonical(event).split(json.dumps(mark))
    return {**{f"audit_{c}": getattr(event, c) for c in _APPENDED_COLUMNS},
            "audit_text_before": text_before, "audit_text_after": text_after}


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_event_id: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_event_id is None


def verify_chain(session: Session, *, batch: int = 1000) -> ChainReport:
    """Recompute every hash in order; report the first event that was edited, removed or reordered."""
    expected_prev = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        rows = session.scalars(
            sa.select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            return ChainReport(checked)
        for event in rows:
            if event.prev_hash != expected_prev:
                return ChainReport(checked, event.id, "previous event missing or changed (prev_hash mismatch)")
            if _digest(event) != event.hash:
                return ChainReport(checked, event.id, "event content changed (hash mismatch)")
            expected_prev = event.hash
            checked += 1
            last_id = event.id
        session.expunge_all()
