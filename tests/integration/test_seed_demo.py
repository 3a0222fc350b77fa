"""Demo data: every role, the halls, 40 valid candidates (some with photos); a second run changes nothing."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from click.testing import CliRunner

from exam_center.cli import main
from exam_center.domain.idcard import parse_id_number
from exam_center.evidence import EvidenceStore
from exam_center.models import (AuditEvent, ExamRoom, Organisation, Person, Role, RoomKind,
                                StaffUser)
from exam_center.services.audit import verify_chain
from exam_center.services.demo import CANDIDATES, DEMO_PASSWORD, seed_demo

from conftest import FACES, SHARED, login


def _counts(s) -> dict:
    return {model.__name__: s.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Organisation, StaffUser, Person, ExamRoom, AuditEvent)}


def test_seed_is_complete_and_idempotent(app, db, settings):
    store = EvidenceStore(settings.instance_dir / "evidence")
    # Today's date: the demo's exam session is a week ahead of it, and a session may only be created in the future.
    today = date.today()
    with db.transaction() as s:
        first = seed_demo(s, store, faces_dir=FACES, today=today)
    with db.sessions() as s:
        counts = _counts(s)
        kinds = sorted(o.kind.value for o in s.scalars(sa.select(Organisation)))
        assert kinds == ["certification_authority", "exam_centre", "training_institution", "training_institution"]
        assert {u.role for u in s.scalars(sa.select(StaffUser))} == set(Role)
        rooms = {r.kind: r for r in s.scalars(sa.select(ExamRoom))}
        assert len(rooms[RoomKind.THEORY].seats) == 30
        assert len(rooms[RoomKind.PRACTICAL].stations) == 8
        assert all(st.operation_item_code for st in rooms[RoomKind.PRACTICAL].stations)
        people = s.scalars(sa.select(Person)).all()
        assert len(people) == CANDIDATES
        for person in people:
            citizen = parse_id_number(person.id_number)
            assert (citizen.birth_date, citizen.sex) == (person.birth_date, person.sex)
        with_photo = [p for p in people if p.photo_path]
        assert len(with_photo) == 3
        for person in with_photo:
            assert store.path(person.photo_path).read_bytes()[:2] in (b"\xff\xd8", b"\x89P")
        assert verify_chain(s).ok
    assert first.created > 0
    assert sorted(role for role, _ in first.logins) == sorted(r.value for r in Role)

    with db.transaction() as s:
        second = seed_demo(s, store, faces_dir=FACES, today=today)
    with db.sessions() as s:
        assert _counts(s) == counts
    assert second.created == 0 and second.logins == first.logins

    for _role, username in first.logins:
        assert login(app.test_client(), username, DEMO_PASSWORD).status_code == 302


def test_seed_demo_command(settings):
    env = {"EXAM_CENTER_DATABASE_URL": settings.database_url, "EXAM_CENTER_INSTANCE_DIR": str(settings.instance_dir)}
    runner = CliRunner()
    first = runner.invoke(main, ["seed-demo", "--shared-dir", str(SHARED)], env=env)
    assert first.exit_code == 0, first.output
    assert "first run" in first.output
    for role in Role:
        assert role.value in first.output
    second = runner.invoke(main, ["seed-demo", "--shared-dir", str(SHARED)], env=env)
    assert second.exit_code == 0 and "0 records created" in second.output
