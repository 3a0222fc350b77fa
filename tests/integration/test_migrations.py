"""One Alembic history: upgrading an empty database gives exactly the models' schema; downgrading removes it."""
from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from exam_center import migrate
from exam_center.db import make_engine
from exam_center.models import Base


def _schema_objects(engine) -> dict[str, set[str]]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").all()
            found: dict[str, set[str]] = {}
            for kind, name in rows:
                found.setdefault(kind, set()).add(name)
            return found
        return {
            "table": set(conn.scalars(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))),
            "trigger": set(conn.scalars(sa.text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))),
            "function": set(conn.scalars(sa.text(
                "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = 'public'"))),
            "sequence": set(conn.scalars(sa.text(
                "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public'"))),
            "type": set(conn.scalars(sa.text(
                "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                "WHERE n.nspname = 'public' AND t.typtype = 'e'"))),
        }


def test_upgrade_matches_models_and_downgrade_leaves_nothing(databases):
    url = databases.empty()
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            # The comparison is live: against an empty database it sees every table missing.
            assert len(compare_metadata(MigrationContext.configure(conn), Base.metadata)) >= len(Base.metadata.tables)
        migrate.upgrade(url)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        objects = _schema_objects(engine)
        assert set(Base.metadata.tables) <= objects["table"]
        assert {"audit_events_no_update", "audit_events_no_delete"} <= objects["trigger"]

        migrate.downgrade(url, "base")
        leftovers = _schema_objects(engine)
        assert leftovers.get("table", set()) <= {"alembic_version"}, leftovers
        for kind in ("trigger", "function", "sequence", "type", "index", "view"):
            assert not leftovers.get(kind), f"{kind} left behind: {leftovers[kind]}"
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT count(*) FROM alembic_version")) == 0
    finally:
        engine.dispose()


def test_single_linear_history():
    scripts = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert len(scripts.get_heads()) == 1
    assert len(scripts.get_bases()) == 1


def test_audit_events_are_append_only_in_the_database(database_url):
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO audit_events (at, actor_type, actor_label, action, object_type, prev_hash, hash) "
                "VALUES (:at, 'system', 't', 'x', 'y', :p, :h)"),
                {"at": datetime(2026, 1, 1), "p": "0" * 64, "h": "1" * 64})
        for statement in ("UPDATE audit_events SET action = 'changed'", "DELETE FROM audit_events"):
            with engine.connect() as conn:
                try:
                    conn.execute(sa.text(statement))
                    conn.commit()
                except sa.exc.DatabaseError as error:
                    assert "append-only" in str(error)
                else:
                    raise AssertionError(f"{statement!r} was allowed")
    finally:
        engine.dispose()


def test_role_check_constraint_follows_the_roles(database_url):
    """Migration 0002 widened staff_users.role's CHECK to bank_admin; anything else is still refused."""
    engine = make_engine(database_url)
    insert = sa.text("INSERT INTO organisations (kind, name, credit_code, region_code, address, contact_phone, active,"
                     " created_at) VALUES ('exam_centre', 'c', 'X', '110105', '', '', :t, :at)")
    user = sa.text("INSERT INTO staff_users (username, display_name, password_hash, role, organisation_id, active,"
                   " failed_logins, created_at) VALUES (:u, 'n', 'h', :role, 1, :t, 0, :at)")
    try:
        with engine.begin() as conn:
            conn.execute(insert, {"t": True, "at": datetime(2026, 1, 1)})
            conn.execute(user, {"u": "a", "role": "bank_admin", "t": True, "at": datetime(2026, 1, 1)})
        with engine.connect() as conn:
            try:
                conn.execute(user, {"u": "b", "role": "wizard", "t": True, "at": datetime(2026, 1, 1)})
                conn.commit()
            except sa.exc.IntegrityError:
                pass
            else:
                raise AssertionError("an unknown role was stored")
    finally:
        engine.dispose()


def test_papers_drawn_before_0009_get_their_shown_questions_from_the_snapshot(db, world, database_url):
    from exam_center.models import Paper
    from exam_center.services import papers
    from conftest import SYSTEM
    from exam_day import small_exam_bank

    with db.transaction() as s:
        drawn = papers.draw_papers(s, SYSTEM, small_exam_bank(s).id, seeds=[3, 4])
        expected = {p.id: (p.questions_shown, p.duration_seconds) for p in drawn}
    db.engine.dispose()
    migrate.downgrade(database_url, "0008")
    migrate.upgrade(database_url)
    with db.sessions() as s:
        backfilled = {p.id: (p.questions_shown, p.duration_seconds) for p in s.scalars(sa.select(Paper))}
    assert backfilled == expected
    shown = json.loads(expected[drawn[0].id][0])
    assert len(shown) == 10 and expected[drawn[0].id][1] == 30 * 60
    assert all(set(q) == {"position", "type", "stem", "options", "points"} for q in shown)  # never the key


def test_papers_drawn_before_0011_get_their_question_shapes_from_the_snapshot(db, world, database_url):
    from exam_center.models import Paper
    from exam_center.services import papers
    from conftest import SYSTEM
    from exam_day import small_exam_bank

    with db.transaction() as s:
        drawn = papers.draw_papers(s, SYSTEM, small_exam_bank(s).id, seeds=[5, 6])
        expected = {p.id: p.question_shapes for p in drawn}
        snapshots = {p.id: p.snapshot for p in drawn}
    db.engine.dispose()
    migrate.downgrade(database_url, "0010")
    migrate.upgrade(database_url)
    with db.sessions() as s:
        backfilled = {p.id: p.question_shapes for p in s.scalars(sa.select(Paper))}
    assert backfilled == expected
    for paper_id, shapes in expected.items():
        questions = snapshots[paper_id]["questions"]
        assert json.loads(shapes) == [[q["type"], len(q["options"])] for q in questions]
        assert {shape[0] for shape in json.loads(shapes)} <= {"judge", "single", "multi"}
