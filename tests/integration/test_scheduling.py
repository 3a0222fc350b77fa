"""Exam-centre scheduling against the real database: halls, sessions, the 60-day deadline, random seats,
conflict-of-interest exclusion, closing with frozen papers, rosters."""
from __future__ import annotations

import csv
import io
import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from exam_center.domain.credit_code import make_credit_code
from exam_center.domain.education import Education
from exam_center.domain.errors import Conflict, DomainError, NotFound, RuleViolation, ValidationError
from exam_center.domain.idcard import make_id_number
from exam_center.models import (
    ApplicationKind, ApplicationStatus, AuditEvent, Device, DeviceKind, Duty, ExamApplication, ExamPart, ExamSession,
    OrganisationKind, Paper, Person, Role, RoomKind, Seat, SessionCandidate, SessionStaff, SessionStatus, StaffUser,
    Station, utcnow,
)
from exam_center.services import bank_items, blueprints, rooms, scheduling
from exam_center.services.audit import Actor
from exam_center.services.devices import register_device
from exam_center.services.organisations import create_organisation
from exam_center.services.papers import BankShortage
from exam_center.services.staff import create_staff_user
from question_bank.assembly import Paper as FrozenPaper
from question_bank.blueprint import Blueprint as BlueprintDefinition
from question_bank.blueprint import Section
from question_bank.items import CognitiveLevel, ItemStatus, ItemType, Scope, Use, build_content

from conftest import PASSWORD, SYSTEM, run_in_threads

SHANGHAI = ZoneInfo("Asia/Shanghai")
ITEM = "1.2"
OTHER_ITEM = "1.1"


class Place:
    """Ids of the test world's centre, institutions, staff, halls."""

    def __init__(self, **values):
        self.__dict__.update(values)


def _user_id(s, username: str) -> int:
    return s.scalar(sa.select(StaffUser.id).where(StaffUser.username == username))


@pytest.fixture
def place(db, world):
    centre = world.organisations[OrganisationKind.EXAM_CENTRE]
    with db.transaction() as s:
        theory = rooms.create_room(s, SYSTEM, centre_id=centre, name="理论一", kind=RoomKind.THEORY)
        rooms.add_places(s, SYSTEM, theory, [(f"{n:02d}", None) for n in range(1, 7)])
        practical = rooms.create_room(s, SYSTEM, centre_id=centre, name="实操一", kind=RoomKind.PRACTICAL)
        rooms.add_places(s, SYSTEM, practical, [("S1", ITEM), ("S2", ITEM), ("S3", OTHER_ITEM)])
        other_institution = create_organisation(
            s, SYSTEM, kind=OrganisationKind.TRAINING_INSTITUTION, name="另一培训学校",
            credit_code=make_credit_code("12110107MB0000007"), region_code="110105")
        proctor2 = create_staff_user(s, SYSTEM, username="proctor2", display_name="李监考", password=PASSWORD,
                                     role=Role.PROCTOR, organisation_id=centre)
        admin = s.scalar(sa.select(StaffUser).where(StaffUser.username == world.usernames[Role.EXAM_ADMIN]))
        return Place(centre=centre, institution=world.organisations[OrganisationKind.TRAINING_INSTITUTION],
                     other_institution=other_institution.id, theory=theory.id, practical=practical.id,
                     proctor=_user_id(s, world.usernames[Role.PROCTOR]), proctor2=proctor2.id,
                     examiner=_user_id(s, world.usernames[Role.EXAMINER]),
                     admin=Actor("staff", str(admin.id), admin.username))


def local(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def future_day(days: int = 20) -> date:
    return (utcnow().astimezone(SHANGHAI) + timedelta(days=days)).date()


_sequence = iter(range(1, 10_000))


def application(db, *, institution_id: int | None, deadline: date, item: str = ITEM, part: ExamPart = ExamPart.THEORY,
                status: ApplicationStatus = ApplicationStatus.ELIGIBLE, name: str | None = None,
                kind: ApplicationKind = ApplicationKind.INITIAL) -> int:
    n = next(_sequence)
    with db.transaction() as s:
        person = Person(id_number=make_id_number("110105", date(1990, 1, 1), n), name=name or f"考生{n}", sex="M",
                        birth_date=date(1990, 1, 1), education=Education.SENIOR_HIGH, phone="13800000000")
        s.add(person)
        s.flush()
        row = ExamApplication(person_id=person.id, operation_item_code=item, kind=kind, part=part,
                              institution_id=institution_id, health_declared=True,
                              filed_on=deadline - timedelta(days=60), exam_deadline=deadline, status=status, gate=[],
                              rule_set="AQ30-2015")
        s.add(row)
        s.flush()
        return row.id


def new_session(db, place, *, day: date | None = None, part: ExamPart = ExamPart.THEORY, capacity: int = 4,
                hour: int = 9, **extra) -> int:
    with db.transaction() as s:
        room_id = place.theory if part is ExamPart.THEORY else place.practical
        row = scheduling.create_session(
            s, place.admin, centre_id=place.centre, room_id=room_id, part=part, operation_item_code=ITEM,
            starts_at=local(day or future_day(), hour), capacity=capacity, **extra)
        return row.id


def refused(db, error_type, call):
    with pytest.raises(error_type) as caught, db.transaction() as s:
        call(s)
    return caught.value


def messages(error: DomainError) -> list[str]:
    return [e.render() for e in getattr(error, "errors", None) or [error]]


def count(db, model, *where) -> int:
    with db.sessions() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


# --- halls -----------------------------------------------------------------------------------------------------


def test_seats_bind_to_one_terminal_of_the_centre_and_stations_to_a_simulator_address(db, place, world):
    with db.transaction() as s:
        terminal = s.scalar(sa.select(Device).where(Device.kind == DeviceKind.EXAM_TERMINAL))
        agent = s.scalar(sa.select(Device).where(Device.kind == DeviceKind.HALL_AGENT))
        seats = s.scalars(sa.select(Seat).where(Seat.room_id == place.theory).order_by(Seat.label)).all()
        stations = s.scalars(sa.select(Station).where(Station.room_id == place.practical)
                             .order_by(Station.label)).all()
        ids = Place(terminal=terminal.id, agent=agent.id, seat1=seats[0].id, seat2=seats[1].id,
                    st1=stations[0].id, st2=stations[1].id)
    with db.transaction() as s:
        scheduling.bind_terminal(s, place.admin, centre_id=place.centre, seat_id=ids.seat1, terminal_id=ids.terminal)
    error = refused(db, Conflict, lambda s: scheduling.bind_terminal(
        s, place.admin, centre_id=place.centre, seat_id=ids.seat2, terminal_id=ids.terminal))
    assert error.code == "seat.terminal_taken" and "01" in error.render()
    for device in (ids.agent, 999_999):   # not an exam terminal; no such device
        refused(db, NotFound, lambda s: scheduling.bind_terminal(
            s, place.admin, centre_id=place.centre, seat_id=ids.seat2, terminal_id=device))
    with db.transaction() as s:   # a terminal of another centre is not found either
        other = create_organisation(s, SYSTEM, kind=OrganisationKind.EXAM_CENTRE, name="别的考点",
                                    credit_code=make_credit_code("12110108MB0000008"), region_code="110105")
        foreign = register_device(s, SYSTEM, kind=DeviceKind.EXAM_TERMINAL, name="t-x", organisation_id=other.id).id
    refused(db, NotFound, lambda s: scheduling.bind_terminal(
        s, place.admin, centre_id=place.centre, seat_id=ids.seat2, terminal_id=foreign))
    refused(db, NotFound, lambda s: scheduling.bind_terminal(   # the seat is not in the other centre
        s, place.admin, centre_id=other.id, seat_id=ids.seat2, terminal_id=foreign))

    with db.transaction() as s:
        scheduling.bind_station(s, place.admin, centre_id=place.centre, station_id=ids.st1, simulator_address=" 247 ",
                                operation_item_code=OTHER_ITEM)
    for address, error_type in (("0", ValidationError), ("248", ValidationError), ("1a", ValidationError),
                                ("２", ValidationError), ("247", Conflict)):
        error = refused(db, error_type, lambda s: scheduling.bind_station(
            s, place.admin, centre_id=place.centre, station_id=ids.st2, simulator_address=address,
            operation_item_code=ITEM))
        assert error.field == "simulator_address"
    refused(db, ValidationError, lambda s: scheduling.bind_station(
        s, place.admin, centre_id=place.centre, station_id=ids.st2, simulator_address="1", operation_item_code="99.9"))
    with db.sessions() as s:
        assert s.get(Seat, ids.seat1).terminal_id == ids.terminal and s.get(Seat, ids.seat2).terminal_id is None
        assert (s.get(Station, ids.st1).simulator_address, s.get(Station, ids.st1).operation_item_code) == ("247",
                                                                                                              OTHER_ITEM)
        assert s.get(Station, ids.st2).simulator_address is None
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                        .where(AuditEvent.action.in_(["room.seat_bind", "room.station_bind"]))) == 2


# --- sessions --------------------------------------------------------------------------------------------------


def test_session_needs_a_hall_of_its_kind_capacity_within_places_and_a_future_start(db, place):
    day = future_day()
    error = refused(db, RuleViolation, lambda s: scheduling.create_session(
        s, place.admin, centre_id=place.centre, room_id=place.practical, part=ExamPart.THEORY,
        operation_item_code=ITEM, starts_at=local(day), capacity=2))
    assert error.code == "session.room_kind" and "实操一" in error.render()
    refused(db, RuleViolation, lambda s: scheduling.create_session(
        s, place.admin, centre_id=place.centre, room_id=place.theory, part=ExamPart.PRACTICAL,
        operation_item_code=ITEM, starts_at=local(day), capacity=2))
    error = refused(db, RuleViolation, lambda s: scheduling.create_session(
        s, place.admin, centre_id=place.centre, room_id=place.theory, part=ExamPart.THEORY,
        operation_item_code=ITEM, starts_at=local(day), capacity=7))   # 6 seats
    assert error.code == "session.capacity_places" and "6" in error.render()
    # practical: only the 2 stations serving item 1.2 count (S3 serves 1.1)
    refused(db, RuleViolation, lambda s: scheduling.create_session(
        s, place.admin, centre_id=place.centre, room_id=place.practical, part=ExamPart.PRACTICAL,
        operation_item_code=ITEM, starts_at=local(day), capacity=3))
    refused(db, ValidationError, lambda s: scheduling.create_session(
        s, place.admin, centre_id=place.centre, room_id=place.theory, part=ExamPart.THEORY,
        operation_item_code=ITEM, starts_at=local(day), capacity=0))
    refused(db, ValidationError, lambda s: scheduling.create_session(
        s, place.admin, centre_id=place.centre, room_id=place.theory, part=ExamPart.THEORY,
        operation_item_code=ITEM, starts_at=utcnow() - timedelta(minutes=1), capacity=2))
    refused(db, ValidationError, lambda s: scheduling.create_session(
        s, place.admin, centre_id=place.centre, room_id=place.theory, part=ExamPart.THEORY,
        operation_item_code="99.9", starts_at=local(day), capacity=2))
    refused(db, ValidationError, lambda s: scheduling.create_session(
        s, place.admin, centre_id=place.centre, room_id=place.practical, part=ExamPart.PRACTICAL,
        operation_item_code=ITEM, starts_at=local(day), capacity=2, duration_minutes=481))
    assert count(db, ExamSession) == 0

    theory = new_session(db, place, day=day, capacity=6)
    practical = new_session(db, place, day=day, part=ExamPart.PRACTICAL, capacity=2)
    with db.sessions() as s:
        row = s.get(ExamSession, theory)
        definition = blueprints.definition_of(blueprints.get_blueprint(s, row.blueprint_id))
        assert row.duration_minutes == definition.duration_minutes == 120
        assert row.starts_at == local(day) and row.status is SessionStatus.OPEN
        assert (s.get(ExamSession, practical).duration_minutes, s.get(ExamSession, practical).blueprint_id) == (60,
                                                                                                             None)
    # the hall is busy 09:00–11:00: 10:59 overlaps, 11:00 does not
    error = refused(db, Conflict, lambda s: scheduling.create_session(
        s, place.admin, centre_id=place.centre, room_id=place.theory, part=ExamPart.THEORY, operation_item_code=ITEM,
        starts_at=local(day, 10, 59), capacity=1))
    assert error.code == "session.room_busy"
    new_session(db, place, day=day, hour=11, capacity=1)


# --- scheduling ------------------------------------------------------------------------------------------------


def test_deadline_on_the_session_day_is_accepted_one_day_before_is_refused_with_the_reason(db, place):
    day = future_day()
    # 07:30 in Beijing is still the previous day in UTC: the local day is what counts.
    session_id = new_session(db, place, day=day, hour=7)
    on_time = application(db, institution_id=place.institution, deadline=day, name="准时")
    late = application(db, institution_id=place.institution, deadline=day - timedelta(days=1), name="超期")
    error = refused(db, RuleViolation, lambda s: scheduling.schedule(
        s, place.admin, centre_id=place.centre, session_id=session_id, application_ids=[on_time, late]))
    assert [e.code for e in error.errors] == ["schedule.deadline"]
    assert "超期" in error.render() and (day - timedelta(days=1)).isoformat() in error.render()
    assert count(db, SessionCandidate) == 0   # all or nothing
    with db.transaction() as s:
        scheduling.schedule(s, place.admin, centre_id=place.centre, session_id=session_id, application_ids=[on_time])
    with db.sessions() as s:
        assert s.get(ExamApplication, on_time).status is ApplicationStatus.SCHEDULED
        assert s.get(ExamApplication, late).status is ApplicationStatus.ELIGIBLE


def test_only_eligible_applications_of_the_item_and_part_are_scheduled_within_capacity(db, place):
    day = future_day()
    session_id = new_session(db, place, day=day, capacity=2)
    ok = [application(db, institution_id=place.institution, deadline=day + timedelta(days=5)) for _ in range(3)]
    wrong_item = application(db, institution_id=None, deadline=day, item=OTHER_ITEM)
    wrong_part = application(db, institution_id=None, deadline=day, part=ExamPart.PRACTICAL)
    refused_app = application(db, institution_id=None, deadline=day, status=ApplicationStatus.REFUSED)
    for bad, code in ((wrong_item, "schedule.wrong_item"), (wrong_part, "schedule.wrong_part"),
                      (refused_app, "schedule.not_eligible"), (987_654, "application.not_found"),
                      (2**40, "application.not_found")):
        error = refused(db, scheduling.SchedulingRefused,
                        lambda s: scheduling.schedule(s, place.admin, centre_id=place.centre, session_id=session_id,
                                                      application_ids=[ok[0], bad]))
        assert [e.code for e in error.errors] == [code]
    error = refused(db, RuleViolation, lambda s: scheduling.schedule(
        s, place.admin, centre_id=place.centre, session_id=session_id, application_ids=ok))
    assert error.code == "schedule.capacity" and "2" in error.render() and "3" in error.render()
    refused(db, ValidationError, lambda s: scheduling.schedule(
        s, place.admin, centre_id=place.centre, session_id=session_id, application_ids=[]))
    assert count(db, SessionCandidate) == 0
    with db.transaction() as s:
        scheduling.schedule(s, place.admin, centre_id=place.centre, session_id=session_id, application_ids=ok[:2])
    # scheduled already: not waiting any more
    error = refused(db, RuleViolation, lambda s: scheduling.schedule(
        s, place.admin, centre_id=place.centre, session_id=session_id, application_ids=[ok[0]]))
    assert error.errors[0].code == "schedule.not_eligible"
    # full
    error = refused(db, RuleViolation, lambda s: scheduling.schedule(
        s, place.admin, centre_id=place.centre, session_id=session_id, application_ids=[ok[2]]))
    assert error.code == "schedule.capacity"
    # taking one out frees the place and the application waits again
    with db.transaction() as s:
        scheduling.unschedule(s, place.admin, centre_id=place.centre, session_id=session_id, application_id=ok[0])
    with db.transaction() as s:
        scheduling.schedule(s, place.admin, centre_id=place.centre, session_id=session_id, application_ids=[ok[2]])
    with db.sessions() as s:
        assert s.get(ExamApplication, ok[0]).status is ApplicationStatus.ELIGIBLE
        assert s.get(ExamApplication, ok[2]).status is ApplicationStatus.SCHEDULED
    # another centre does not see the session
    refused(db, NotFound, lambda s: scheduling.schedule(
        s, place.admin, centre_id=place.centre + 100, session_id=session_id, application_ids=[ok[0]]))


def test_seats_are_assigned_at_random_distinct_and_tickets_are_unique(db, place):
    day = future_day()
    first = new_session(db, place, day=day, capacity=6)
    apps = [application(db, institution_id=place.institution, deadline=day) for _ in range(6)]
    with db.transaction() as s:
        rows = scheduling.schedule(s, place.admin, centre_id=place.centre, session_id=first,
                                   application_ids=apps[:3], rng=random.Random(1))
        rows += scheduling.schedule(s, place.admin, centre_id=place.centre, session_id=first,
                                    application_ids=apps[3:], rng=random.Random(1))
        seats = [r.seat_id for r in rows]
        tickets = [r.ticket_number for r in rows]
        all_seats = s.scalars(sa.select(Seat.id).where(Seat.room_id == place.theory)).all()
    assert sorted(seats) == sorted(all_seats)                     # every seat once, none twice
    prefix = f"{day:%Y%m%d}{place.centre:04d}"
    assert tickets == [f"{prefix}{n:06d}" for n in range(1, 7)] and all(len(t) <= 20 for t in tickets)

    # different seeds give different seatings (the order is not simply the list order)
    orders = set()
    for seed in range(6):
        apps2 = [application(db, institution_id=None, deadline=day + timedelta(days=30)) for _ in range(6)]
        with db.transaction() as s:
            other = scheduling.create_session(s, place.admin, centre_id=place.centre, room_id=place.theory,
                                              part=ExamPart.THEORY, operation_item_code=ITEM,
                                              starts_at=local(day + timedelta(days=seed - 10), 14), capacity=6)
            rows = scheduling.schedule(s, place.admin, centre_id=place.centre, session_id=other.id,
                                       application_ids=apps2, rng=random.Random(seed))
            labels = tuple(s.get(Seat, r.seat_id).label for r in rows)
            assert len(set(labels)) == 6
            orders.add(labels)
    assert len(orders) > 1
    with db.sessions() as s:   # ticket numbers stay unique across sessions of the same day
        numbers = s.scalars(sa.select(SessionCandidate.ticket_number)).all()
        assert len(numbers) == len(set(numbers)) == 42


def test_practical_candidates_get_stations_serving_their_item(db, place):
    day = future_day()
    session_id = new_session(db, place, day=day, part=ExamPart.PRACTICAL, capacity=2)
    apps = [application(db, institution_id=None, deadline=day, part=ExamPart.PRACTICAL) for _ in range(2)]
    with db.transaction() as s:
        rows = scheduling.schedule(s, place.admin, centre_id=place.centre, session_id=session_id,
                                   application_ids=apps)
        labels = sorted(s.get(Station, r.station_id).label for r in rows)
    assert labels == ["S1", "S2"]


# --- conflicts of interest -------------------------------------------------------------------------------------


def test_staff_tied_to_a_candidates_institution_is_refused_naming_it(db, place):
    day = future_day()
    session_id = new_session(db, place, day=day)
    trainee = application(db, institution_id=place.institution, deadline=day)
    with db.transaction() as s:
        scheduling.add_affiliation(s, place.admin, centre_id=place.centre, user_id=place.proctor,
                                   institution_id=place.institution, note="曾任该校兼职教师")
        scheduling.schedule(s, place.admin, centre_id=place.centre, session_id=session_id, application_ids=[trainee])
    error = refused(db, RuleViolation, lambda s: scheduling.assign_staff(
        s, place.admin, centre_id=place.centre, session_id=session_id, user_id=place.proctor, duty=Duty.PROCTOR))
    assert error.code == "staff.conflict_of_interest" and "测试培训学校" in error.render()
    assert count(db, SessionStaff) == 0
    with db.transaction() as s:   # someone without a tie is fine
        scheduling.assign_staff(s, place.admin, centre_id=place.centre, session_id=session_id, user_id=place.proctor2,
                                duty=Duty.PROCTOR)
    assert count(db, SessionStaff) == 1


def test_a_candidate_of_an_institution_tied_to_assigned_staff_is_refused(db, place):
    day = future_day()
    session_id = new_session(db, place, day=day)
    with db.transaction() as s:
        scheduling.add_affiliation(s, place.admin, centre_id=place.centre, user_id=place.proctor,
                                   institution_id=place.other_institution, note="亲属在该校任职")
        scheduling.assign_staff(s, place.admin, centre_id=place.centre, session_id=session_id, user_id=place.proctor,
                                duty=Duty.PROCTOR)
    conflicted = application(db, institution_id=place.other_institution, deadline=day, name="冲突考生")
    fine = application(db, institution_id=place.institution, deadline=day)
    self_applied = application(db, institution_id=None, deadline=day)
    error = refused(db, RuleViolation, lambda s: scheduling.schedule(
        s, place.admin, centre_id=place.centre, session_id=session_id, application_ids=[fine, conflicted]))
    assert [e.code for e in error.errors] == ["schedule.conflict_of_interest"]
    assert "冲突考生" in error.render() and "另一培训学校" in error.render()
    assert count(db, SessionCandidate) == 0
    with db.transaction() as s:
        scheduling.schedule(s, place.admin, centre_id=place.centre, session_id=session_id,
                            application_ids=[fine, self_applied])
    assert count(db, SessionCandidate) == 2


def test_staff_rules_role_centre_duty_and_affiliation_records(db, place, world):
    day = future_day()
    theory = new_session(db, place, day=day)
    cases = [
        (place.examiner, Duty.PROCTOR, RuleViolation, "staff.role"),
        (place.proctor, Duty.EXAMINER, RuleViolation, "staff.examiner_theory"),
        (999_999, Duty.PROCTOR, NotFound, "staff.not_found"),
    ]
    with db.sessions() as s:
        outsider = _user_id(s, world.usernames[Role.CERT_OFFICER])   # belongs to the authority
    cases.append((outsider, Duty.PROCTOR, RuleViolation, "staff.other_centre"))
    for user_id, duty, error_type, code in cases:
        error = refused(db, error_type, lambda s: scheduling.assign_staff(
            s, place.admin, centre_id=place.centre, session_id=theory, user_id=user_id, duty=duty))
        assert error.code == code
    with db.transaction() as s:
        scheduling.assign_staff(s, place.admin, centre_id=place.centre, session_id=theory, user_id=place.proctor,
                                duty=Duty.PROCTOR)
    assert refused(db, Conflict, lambda s: scheduling.assign_staff(
        s, place.admin, centre_id=place.centre, session_id=theory, user_id=place.proctor,
        duty=Duty.PROCTOR)).code == "staff.duplicate"
    practical = new_session(db, place, day=day, part=ExamPart.PRACTICAL, capacity=1)
    with db.transaction() as s:
        scheduling.assign_staff(s, place.admin, centre_id=place.centre, session_id=practical, user_id=place.examiner,
                                duty=Duty.EXAMINER)
    # affiliations: the institution must be a training institution; no duplicates; the note is checked
    with db.transaction() as s:
        scheduling.add_affiliation(s, place.admin, centre_id=place.centre, user_id=place.proctor2,
                                   institution_id=place.institution)
    for kwargs, error_type in (({"institution_id": place.institution}, Conflict),
                               ({"institution_id": place.centre}, NotFound),
                               ({"institution_id": place.other_institution, "note": "x" * 201}, ValidationError),
                               ({"institution_id": place.other_institution, "user_id": outsider}, RuleViolation)):
        refused(db, error_type, lambda s: scheduling.add_affiliation(
            s, place.admin, **{"centre_id": place.centre, "user_id": place.proctor2, **kwargs}))
    assert len(_affiliation_rows(db, place)) == 1


def _affiliation_rows(db, place):
    with db.sessions() as s:
        return scheduling.list_affiliations(s, place.centre)


# --- closing ---------------------------------------------------------------------------------------------------


def _content(n: int, item_type: ItemType, level: CognitiveLevel):
    options = [] if item_type is ItemType.JUDGE else [f"选项{n}甲", f"选项{n}乙", f"选项{n}丙", f"选项{n}丁"]
    result, problems = build_content(type=item_type, stem=f"排考测试第{n}题：高压作业安全要求", options=options,
                                     answer="T" if item_type is ItemType.JUDGE else "B", explanation="依据大纲。",
                                     knowledge_point="安全技术", cognitive_level=level, difficulty=3)
    assert not problems
    return result


SMALL = BlueprintDefinition(ITEM, (Section(ItemType.JUDGE, 20, 2, {CognitiveLevel.UNDERSTAND: 4,
                                                                    CognitiveLevel.MASTER: 6,
                                                                    CognitiveLevel.PROFICIENT: 10}),
                                   Section(ItemType.SINGLE, 10, 6)), 45, 60, "排考小测验")


def _bank(db, place, judges: int, singles: int) -> None:
    levels = [CognitiveLevel.UNDERSTAND, CognitiveLevel.MASTER, CognitiveLevel.PROFICIENT]
    with db.transaction() as s:
        for n in range(judges + singles):
            item_type = ItemType.JUDGE if n < judges else ItemType.SINGLE
            bank_items.create_item(s, place.admin, operation_item=ITEM, scope=Scope.NATIONAL, use=Use.EXAM,
                                   province_code=None, content=_content(n, item_type, levels[n % 3]),
                                   status=ItemStatus.ACTIVE)
        blueprints.save_blueprint(s, place.admin, operation_item=ITEM, name="排考小测验", definition=SMALL)


def _ready_session(db, place, candidates: int = 3) -> tuple[int, list[int]]:
    day = future_day()
    session_id = new_session(db, place, day=day)
    apps = [application(db, institution_id=place.institution, deadline=day) for _ in range(candidates)]
    with db.transaction() as s:
        scheduling.schedule(s, place.admin, centre_id=place.centre, session_id=session_id, application_ids=apps)
        scheduling.assign_staff(s, place.admin, centre_id=place.centre, session_id=session_id, user_id=place.proctor,
                                duty=Duty.PROCTOR)
    return session_id, apps


def test_closing_draws_and_freezes_every_candidates_paper_then_nothing_changes(db, place):
    _bank(db, place, judges=30, singles=12)
    session_id, apps = _ready_session(db, place)
    with db.sessions() as s:
        assert s.get(ExamSession, session_id).duration_minutes == 45   # from the saved blueprint
    with db.transaction() as s:
        scheduling.close_session(s, place.admin, centre_id=place.centre, session_id=session_id)
    with db.sessions() as s:
        row = s.get(ExamSession, session_id)
        assert row.status is SessionStatus.CLOSED and row.closed_at is not None
        paper_ids = [c.paper_id for c in row.candidates]
        assert None not in paper_ids and len(set(paper_ids)) == 3
        stored = [s.get(Paper, p) for p in paper_ids]
        assert len({p.seed for p in stored}) == 3
        for paper in stored:
            frozen = FrozenPaper.from_dict(paper.snapshot)
            assert len(frozen.questions) == 30 and frozen.total_points == 100
            assert paper.blueprint_id == row.blueprint_id
    extra = application(db, institution_id=place.institution, deadline=future_day())
    for call in (
        lambda s: scheduling.schedule(s, place.admin, centre_id=place.centre, session_id=session_id,
                                      application_ids=[extra]),
        lambda s: scheduling.unschedule(s, place.admin, centre_id=place.centre, session_id=session_id,
                                        application_id=apps[0]),
        lambda s: scheduling.assign_staff(s, place.admin, centre_id=place.centre, session_id=session_id,
                                          user_id=place.proctor2, duty=Duty.PROCTOR),
        lambda s: scheduling.remove_staff(s, place.admin, centre_id=place.centre, session_id=session_id,
                                          user_id=place.proctor),
        lambda s: scheduling.close_session(s, place.admin, centre_id=place.centre, session_id=session_id),
    ):
        assert refused(db, Conflict, call).code == "session.closed"
    with db.sessions() as s:
        assert [c.paper_id for c in s.get(ExamSession, session_id).candidates] == paper_ids


def test_a_bank_shortage_leaves_the_session_open_with_no_paper(db, place):
    _bank(db, place, judges=9, singles=12)
    session_id, _ = _ready_session(db, place, candidates=2)
    error = refused(db, BankShortage, lambda s: scheduling.close_session(
        s, place.admin, centre_id=place.centre, session_id=session_id))
    assert any("判断题" in p.render() for p in error.errors)
    with db.sessions() as s:
        row = s.get(ExamSession, session_id)
        assert row.status is SessionStatus.OPEN and all(c.paper_id is None for c in row.candidates)
    assert count(db, Paper) == 0


def test_closing_needs_candidates_a_proctor_and_no_conflict(db, place):
    day = future_day()
    empty = new_session(db, place, day=day)
    assert refused(db, RuleViolation, lambda s: scheduling.close_session(
        s, place.admin, centre_id=place.centre, session_id=empty)).code == "session.close_empty"
    app_id = application(db, institution_id=place.institution, deadline=day)
    with db.transaction() as s:
        scheduling.schedule(s, place.admin, centre_id=place.centre, session_id=empty, application_ids=[app_id])
    assert refused(db, RuleViolation, lambda s: scheduling.close_session(
        s, place.admin, centre_id=place.centre, session_id=empty)).code == "session.close_proctor"
    with db.transaction() as s:
        scheduling.assign_staff(s, place.admin, centre_id=place.centre, session_id=empty, user_id=place.proctor,
                                duty=Duty.PROCTOR)
        # a tie recorded after the assignment still stops the close
        scheduling.add_affiliation(s, place.admin, centre_id=place.centre, user_id=place.proctor,
                                   institution_id=place.institution)
    error = refused(db, RuleViolation, lambda s: scheduling.close_session(
        s, place.admin, centre_id=place.centre, session_id=empty))
    assert error.code == "session.close_conflict" and "测试培训学校" in error.render()
    practical = new_session(db, place, day=day, part=ExamPart.PRACTICAL, capacity=1)
    app2 = application(db, institution_id=None, deadline=day, part=ExamPart.PRACTICAL)
    with db.transaction() as s:
        scheduling.schedule(s, place.admin, centre_id=place.centre, session_id=practical, application_ids=[app2])
        scheduling.assign_staff(s, place.admin, centre_id=place.centre, session_id=practical, user_id=place.proctor2,
                                duty=Duty.PROCTOR)
    assert refused(db, RuleViolation, lambda s: scheduling.close_session(
        s, place.admin, centre_id=place.centre, session_id=practical)).code == "session.close_examiner"
    with db.transaction() as s:
        scheduling.assign_staff(s, place.admin, centre_id=place.centre, session_id=practical, user_id=place.examiner,
                                duty=Duty.EXAMINER)
        scheduling.close_session(s, place.admin, centre_id=place.centre, session_id=practical)
    with db.sessions() as s:
        row = s.get(ExamSession, practical)
        assert row.status is SessionStatus.CLOSED and row.candidates[0].paper_id is None   # practical: no paper


# --- rosters ---------------------------------------------------------------------------------------------------


HEADER = ["准考证号", "姓名", "身份证号", "座位", "培训机构", "类型"]


def test_roster_csv_has_a_bom_masked_ids_and_is_audited(db, place):
    day = future_day()
    session_id = new_session(db, place, day=day)
    a = application(db, institution_id=place.institution, deadline=day, name="张三")
    b = application(db, institution_id=None, deadline=day, name="=SUM(A1)", kind=ApplicationKind.MAKEUP)
    with db.transaction() as s:
        scheduling.schedule(s, place.admin, centre_id=place.centre, session_id=session_id, application_ids=[a, b])
        id_numbers = {s.get(ExamApplication, x).person.name: s.get(ExamApplication, x).person.id_number for x in (a, b)}
    with db.transaction() as s:
        content = scheduling.export_roster(
            s, place.admin, centre_id=place.centre, session_id=session_id, header=HEADER,
            row_cells=lambda r: [r.ticket_number, r.name, r.masked_id_number, r.place, r.institution or "",
                                 r.kind.value])
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == HEADER and len(rows) == 3
    by_name = {r[1]: r for r in rows[1:]}
    assert by_name["张三"][2] == id_numbers["张三"][:6] + "********" + id_numbers["张三"][-4:]
    assert by_name["张三"][4] == "测试培训学校" and by_name["'=SUM(A1)"][5] == "makeup"
    assert all(id_numbers["张三"] not in line for line in content.decode("utf-8-sig").splitlines())
    assert [r[3] for r in rows[1:]] == sorted(r[3] for r in rows[1:])   # seat order
    assert count(db, AuditEvent, AuditEvent.action == "session.roster_export") == 1


def test_concurrent_scheduling_gives_distinct_seats_and_tickets(db, place):
    day = future_day()
    session_id = new_session(db, place, day=day, capacity=5)
    apps = [application(db, institution_id=None, deadline=day) for _ in range(6)]

    def work(n: int) -> None:
        with db.transaction() as s:
            scheduling.schedule(s, place.admin, centre_id=place.centre, session_id=session_id,
                                application_ids=[apps[n]])

    errors = run_in_threads(work, 6)
    assert len(errors) == 1 and isinstance(errors[0], RuleViolation) and errors[0].errors[0].code == "schedule.capacity"
    with db.sessions() as s:
        rows = s.scalars(sa.select(SessionCandidate)).all()
        assert len(rows) == 5
        assert len({r.seat_id for r in rows}) == 5 and len({r.ticket_number for r in rows}) == 5
