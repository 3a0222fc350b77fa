"""The audit trail is hash-chained: tampering with any stored event is detected and reported."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from exam_center.cli import main
from exam_center.models import AuditEvent
from exam_center.services.audit import Actor, record, verify_chain

from conftest import run_in_threads

ACTOR = Actor("staff", "7", "tester", "192.0.2.10")


def _append(db, count: int, **extra) -> list[int]:
    ids = []
    with db.transaction() as s:
        for n in range(count):
            ids.append(record(s, ACTOR, "test.event", "thing", n, before={"n": n}, after={"n": n + 1, **extra}).id)
    return ids


def _tamper(db, statement: str, params: dict) -> None:
    """What an attacker with database access would do: get past the append-only triggers, then edit."""
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_events_no_update")
            conn.exec_driver_sql("DROP TRIGGER audit_events_no_delete")
        conn.execute(sa.text(statement), params)


def _cli_verify(settings):
    env = {"EXAM_CENTER_DATABASE_URL": settings.database_url, "EXAM_CENTER_INSTANCE_DIR": str(settings.instance_dir),
           "EXAM_CENTER_SECRET_KEY": "x"}
    return CliRunner().invoke(main, ["audit", "verify"], env=env)


def test_events_chain_and_verify_ok(db, settings):
    ids = _append(db, 5, when="2026-11-28", 名字="张三")
    with db.sessions() as s:
        events = s.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [e.id for e in events] == ids
        assert events[0].prev_hash == "0" * 64
        assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:]))
        assert events[2].source_address == "192.0.2.10" and events[2].after["名字"] == "张三"
        report = verify_chain(s)
    assert report.ok and report.checked == 5
    result = _cli_verify(settings)
    assert result.exit_code == 0 and result.output.startswith("OK: 5 events"), result.output


@pytest.mark.parametrize("column,value", [("action", "test.innocent"), ("after", None), ("actor_label", "someone else")])
def test_edited_event_is_reported(db, settings, column, value):
    ids = _append(db, 6)
    _tamper(db, f"UPDATE audit_events SET {column} = :v WHERE id = :id", {"v": value, "id": ids[3]})
    with db.sessions() as s:
        report = verify_chain(s)
    assert not report.ok
    assert report.broken_event_id == ids[3] and "hash mismatch" in report.reason
    assert report.checked == 3
    result = _cli_verify(settings)
    assert result.exit_code == 1
    assert f"BROKEN at event {ids[3]}" in result.output


def test_deleted_event_is_reported_at_its_successor(db):
    ids = _append(db, 4)
    _tamper(db, "DELETE FROM audit_events WHERE id = :id", {"id": ids[1]})
    with db.sessions() as s:
        report = verify_chain(s)
    assert report.broken_event_id == ids[2] and "prev_hash" in report.reason


def test_rewritten_hash_is_reported_at_the_next_event(db):
    """Recomputing one event's hash after editing it still breaks the link to the next event."""
    ids = _append(db, 3)
    _tamper(db, "UPDATE audit_events SET hash = :h WHERE id = :id", {"h": "f" * 64, "id": ids[1]})
    with db.sessions() as s:
        report = verify_chain(s)
    assert report.broken_event_id == ids[1]


def test_rolled_back_change_leaves_no_event(db):
    with pytest.raises(RuntimeError):
        with db.transaction() as s:
            record(s, ACTOR, "test.event", "thing", 1)
            raise RuntimeError("the change failed")
    with db.sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


def test_concurrent_writers_keep_one_chain(db):
    """Appends from several threads at once are serialised: one unbroken chain, nothing lost."""
    def writer(n: int) -> None:
        for _ in range(10):
            _append(db, 2, writer=n)

    assert run_in_threads(writer, 4) == []
    with db.sessions() as s:
        report = verify_chain(s)
    assert report.ok and report.checked == 80


def test_an_append_within_a_statement_hashes_as_record_does(db):
    """PostgreSQL: ``append_if`` takes the head and the hash in SQL; the chain verifies in Python, also with text
    that JSON escapes, and with appends by ``record`` on either side and racing it. A change with no row is not
    recorded."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the in-statement append is PostgreSQL's")
    import datetime as dt

    from exam_center.services.audit import append_if, append_parameters
    _append(db, 2)
    awkward = {"reason": '引号 " 反斜杠 \\ 换行 \n 制表 \t', "emoji": "考场 ✓", "n": 1.5}
    candidate = Actor("candidate", "12", "考生 T0001", "10.0.0.8")

    def append_in_sql(n: int, *, changed: bool = True) -> list[int]:
        change = sa.select(sa.literal(n).label("n")).where(sa.literal(changed)).cte("change")
        appended = append_if(change).cte("appended")
        with db.transaction() as s:
            return s.scalars(sa.select(appended.c.id).add_cte(appended), append_parameters(
                candidate, "attempt.start", "attempt", n, before={"status": "checked_in"}, after=awkward,
                at=dt.datetime(2026, 12, 7, 1, 2, 3, 456789, tzinfo=dt.UTC))).all()

    def append_one(n: int) -> None:
        assert len(append_in_sql(n)) == 1

    assert run_in_threads(append_one, 6) == []
    assert append_in_sql(99, changed=False) == []
    assert run_in_threads(lambda n: _append(db, 1), 3) == []
    with db.sessions() as s:
        assert verify_chain(s).ok
        stored = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "attempt.start")).all()
        assert len(stored) == 6 and all(e.after == awkward and e.actor_label == "考生 T0001" for e in stored)
