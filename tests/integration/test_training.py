"""Training records (培训档案) through the services: classes, enrolment, lessons, attendance, verified hours,
the class archive (一期一档). Bad cases change nothing; another institution's class is refused."""
from __future__ import annotations

import datetime as dt
import io
import json

import cv2
import numpy as np
import openpyxl
import pytest
import sqlalchemy as sa
from conftest import SYSTEM, run_in_threads

from exam_center.domain.credit_code import make_credit_code
from exam_center.domain.errors import (
    Conflict,
    Forbidden,
    InvalidFields,
    NotFound,
    ValidationError,
)
from exam_center.domain.idcard import make_id_number
from exam_center.evidence import EvidenceStore
from exam_center.models import (
    Attendance,
    AttendanceMethod,
    AuditEvent,
    Enrolment,
    Lesson,
    OrganisationKind,
    Person,
    TrainingClass,
)
from exam_center.services import training
from exam_center.services.organisations import create_organisation
from exam_center.services.people import register_person

START = dt.date(2025, 3, 3)
END = dt.date(2025, 3, 28)
TODAY = dt.date(2025, 6, 1)


def id_number(n: int) -> str:
    return make_id_number("110105", dt.date(1990, 1, 1), 100 + n)


def image(width: int = 200, height: int = 240, ext: str = ".jpg") -> bytes:
    pixels = np.full((height, width, 3), 180, np.uint8)
    cv2.circle(pixels, (width // 2, height // 2), min(width, height) // 3, (60, 90, 140), -1)
    return cv2.imencode(ext, pixels)[1].tobytes()


def fields_of(error) -> dict[str, str]:
    errors = getattr(error, "errors", None) or [error]
    return {e.field: e.code for e in errors}


def count(session, model) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def institution(world) -> int:
    return world.organisations[OrganisationKind.TRAINING_INSTITUTION]


@pytest.fixture
def other_institution(session) -> int:
    org = create_organisation(session, SYSTEM, kind=OrganisationKind.TRAINING_INSTITUTION, name="另一培训学校",
                              credit_code=make_credit_code("12110109MB0000009"), region_code="110105")
    session.commit()
    return org.id


def new_class(session, institution_id, **overrides) -> TrainingClass:
    values = {"institution_id": institution_id, "operation_item_code": "1.2", "name": "2025年第1期低压电工",
                  "starts_on": START, "ends_on": END, "teachers": "张老师、李老师", "capacity": 30}
    values.update(overrides)
    c = training.create_class(session, SYSTEM, **values)
    session.commit()
    return c


def enrol(session, c, n: int, name: str | None = None, **extra) -> Enrolment:
    e = training.enrol(session, SYSTEM, class_id=c.id, institution_id=c.institution_id, id_number=id_number(n),
                       name=name or f"学员{'一二三四五六七八九十'[n % 10]}", education="senior_high",
                       phone="13800138000", **extra)
    session.commit()
    return e


def lesson(session, c, day=START, start="08:30", end="11:30", kind="theory", topic="") -> Lesson:
    result = training.add_lesson(session, SYSTEM, class_id=c.id, institution_id=c.institution_id, day=day,
                                 starts_at=start, ends_at=end, kind=kind, topic=topic)
    session.commit()
    return result


# --- classes -------------------------------------------------------------------------------------------

def test_class_hours_default_from_the_outline_and_may_be_raised(session, institution):
    c = new_class(session, institution)
    assert (c.theory_hours, c.practical_hours) == (88, 60)   # 低压电工作业: 148 (88 / 60)
    more = new_class(session, institution, name="加长班", theory_hours="100", practical_hours=60)
    assert (more.theory_hours, more.practical_hours) == (100, 60)
    event = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "training_class.create")
                            .order_by(AuditEvent.id.desc())).first()
    assert event.object_id == str(more.id) and event.after["theory_hours"] == 100


@pytest.mark.parametrize("overrides, field, code", [
    ({"theory_hours": 87}, "theory_hours", "training_class.hours_below_outline"),       # one short
    ({"practical_hours": "59"}, "practical_hours", "training_class.hours_below_outline"),
    ({"theory_hours": "八十八"}, "theory_hours", "number.format"),
    ({"starts_on": END, "ends_on": END - dt.timedelta(days=1)}, "ends_on", "training_class.dates_order"),
    ({"starts_on": "2025-02-30"}, "starts_on", "date.format"),
    ({"capacity": 0}, "capacity", "number.range"),
    ({"capacity": 101}, "capacity", "number.range"),
    ({"capacity": ""}, "capacity", "number.empty"),
    ({"operation_item_code": "99.9"}, "operation_item_code", "training_class.operation_item"),
    ({"name": "  "}, "name", "text.empty"),
    ({"teachers": ""}, "teachers", "text.empty"),
    ({"operation_item_code": "5.1"}, "theory_hours", "training_class.hours_needed"),  # outline not in catalogue
    ({"operation_item_code": "3.2", "theory_hours": 50, "practical_hours": 53}, "theory_hours",
     "training_class.total_below_outline"),                                           # 104 in total
])
def test_bad_classes_are_refused_and_nothing_is_stored(session, institution, overrides, field, code):
    events = count(session, AuditEvent)
    with pytest.raises(ValidationError) as refused:
        new_class(session, institution, **overrides)
    session.rollback()
    assert fields_of(refused.value).get(field) == code
    assert count(session, TrainingClass) == 0 and count(session, AuditEvent) == events


def test_class_boundaries_are_accepted(session, institution):
    one_day = new_class(session, institution, name="一天班", ends_on=START, capacity="1")
    full = new_class(session, institution, name="大班", capacity=100)
    tall = new_class(session, institution, name="高处", operation_item_code="3.2", theory_hours=50, practical_hours=54)
    assert (one_day.capacity, full.capacity, tall.theory_hours + tall.practical_hours) == (1, 100, 104)


def test_every_bad_field_is_reported_at_once(session, institution):
    with pytest.raises(InvalidFields) as refused:
        new_class(session, institution, name="", capacity=500, theory_hours=1, ends_on="x")
    assert set(fields_of(refused.value)) == {"name", "capacity", "theory_hours", "ends_on"}


def test_class_names_are_unique_per_institution(session, institution, other_institution):
    new_class(session, institution)
    with pytest.raises(Conflict):
        new_class(session, institution)
    session.rollback()
    new_class(session, other_institution)   # the same name elsewhere is fine
    assert count(session, TrainingClass) == 2


def test_classes_belong_to_training_institutions(session, world):
    with pytest.raises(Conflict):
        new_class(session, world.organisations[OrganisationKind.EXAM_CENTRE])


# --- enrolment -----------------------------------------------------------------------------------------

def test_enrolment_registers_new_people_and_finds_known_ones(session, institution):
    c = new_class(session, institution)
    first = enrol(session, c, 1, name="王小明")
    assert first.person.name == "王小明" and first.person.id_number == id_number(1)
    known = register_person(session, SYSTEM, id_number=id_number(2), name="李四", education="bachelor",
                            phone="13900139000")
    session.commit()
    persons = count(session, Person)
    second = training.enrol(session, SYSTEM, class_id=c.id, institution_id=institution, id_number=id_number(2),
                            name="李四", education="", phone="")
    session.commit()
    assert second.person_id == known.id and count(session, Person) == persons
    assert session.get(Person, known.id).education.value == "bachelor"   # registered data kept


def test_enrolment_refusals(session, institution):
    c = new_class(session, institution, capacity=2)
    enrol(session, c, 1, name="王小明")
    before = (count(session, Enrolment), count(session, Person), count(session, AuditEvent))
    with pytest.raises(Conflict) as refused:    # the same person twice
        enrol(session, c, 1, name="王小明")
    assert refused.value.code == "enrolment.duplicate"
    session.rollback()
    with pytest.raises(Conflict) as refused:    # a registered ID number under another name
        enrol(session, c, 1, name="王大明")
    assert refused.value.code == "enrolment.name_mismatch"
    session.rollback()
    with pytest.raises(ValidationError) as refused:
        training.enrol(session, SYSTEM, class_id=c.id, institution_id=institution, id_number="110105199001011234",
                       name="赵六", education="senior_high", phone="13800138000")
    assert fields_of(refused.value) == {"id_number": "id_number.check_character"}
    session.rollback()
    with pytest.raises(InvalidFields) as refused:   # a new person needs education and phone
        training.enrol(session, SYSTEM, class_id=c.id, institution_id=institution, id_number=id_number(3),
                       name="赵六", education="", phone="12")
    assert set(fields_of(refused.value)) == {"education", "phone"}
    session.rollback()
    assert (count(session, Enrolment), count(session, Person), count(session, AuditEvent)) == before
    enrol(session, c, 2)
    with pytest.raises(Conflict) as refused:    # capacity 2 reached
        enrol(session, c, 3)
    assert refused.value.code == "enrolment.class_full"
    session.rollback()
    assert count(session, Enrolment) == 2


def test_enrolment_photo_check(session, institution, tmp_path):
    store = EvidenceStore(tmp_path / "evidence")
    c = new_class(session, institution)
    e = enrol(session, c, 1, photo=image(100, 100, ".png"), store=store)   # the smallest accepted
    assert e.person.photo_sha256 and (tmp_path / "evidence" / e.person.photo_path).exists()
    for n, (data, code) in enumerate([(image(99, 200), "photo.too_small"), (b"", "photo.empty"),
                                      (b"GIF89a" + b"\0" * 200, "photo.format"),
                                      (b"\xff\xd8\xff" + b"\0" * 300, "photo.format"),
                                      (image() + b"\0" * (5 * 1024 * 1024), "photo.too_large")], start=2):
        with pytest.raises(ValidationError) as refused:
            enrol(session, c, n, photo=data, store=store)
        assert fields_of(refused.value) == {"photo": code}
        session.rollback()
    assert count(session, Enrolment) == 1
    old = e.person.photo_sha256
    replaced = training.set_trainee_photo(session, SYSTEM, store, enrolment_id=e.id, institution_id=institution,
                                          photo=image(300, 400))
    session.commit()
    assert replaced.photo_sha256 != old and session.get(Person, e.person_id).photo_sha256 == replaced.photo_sha256
    with pytest.raises(ValidationError):
        training.set_trainee_photo(session, SYSTEM, store, enrolment_id=e.id, institution_id=institution,
                                   photo=image(50, 50))


# --- lessons -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("start, end, hours", [("08:00", "08:45", 1), ("08:00", "09:30", 2), ("08:00", "09:29", 1),
                                               ("08:00", "11:00", 4), ("13:00", "17:30", 6)])
def test_class_hours_are_whole_45_minute_units(session, institution, start, end, hours):
    assert lesson(session, new_class(session, institution), start=start, end=end).class_hours == hours


@pytest.mark.parametrize("values, field, code", [
    ({"start": "08:00", "end": "08:44"}, "ends_at", "lesson.too_short"),       # worth 0 class hours
    ({"start": "09:00", "end": "09:00"}, "ends_at", "lesson.times_order"),
    ({"start": "10:00", "end": "09:00"}, "ends_at", "lesson.times_order"),
    ({"start": "8点", "end": "09:00"}, "starts_at", "time.format"),
    ({"start": "24:00", "end": "09:00"}, "starts_at", "time.format"),
    ({"day": START - dt.timedelta(days=1)}, "day", "lesson.outside_class"),
    ({"day": END + dt.timedelta(days=1)}, "day", "lesson.outside_class"),
    ({"day": ""}, "day", "date.empty"),
    ({"kind": "online"}, "kind", "kind.choice"),
    ({"topic": "x" * 101}, "topic", "text.too_long"),
])
def test_bad_lessons_are_refused(session, institution, values, field, code):
    c = new_class(session, institution)
    with pytest.raises(ValidationError) as refused:
        lesson(session, c, **values)
    session.rollback()
    assert fields_of(refused.value).get(field) == code
    assert count(session, Lesson) == 0


def test_too_short_lesson_says_why(session, institution):
    c = new_class(session, institution)
    with pytest.raises(ValidationError) as refused:
        lesson(session, c, start="08:00", end="08:44")
    assert "44 minutes" in refused.value.render() and "45" in refused.value.render()


def test_lessons_on_the_class_boundary_days_and_no_overlap(session, institution):
    c = new_class(session, institution)
    lesson(session, c, day=START, start="08:00", end="09:30")
    lesson(session, c, day=END, start="08:00", end="09:30")
    lesson(session, c, day=START, start="09:30", end="11:00")   # back to back is fine
    with pytest.raises(Conflict) as refused:
        lesson(session, c, day=START, start="09:00", end="10:00")
    assert refused.value.code == "lesson.overlap"


# --- attendance and verified hours ---------------------------------------------------------------------

def attend(session, l, e, method="face", reason=None):
    a = training.record_attendance(session, SYSTEM, lesson_id=l.id, enrolment_id=e.id,
                                   institution_id=l.training_class.institution_id, method=method, reason=reason,
                                   today=TODAY)
    session.commit()
    return a


def test_verified_hours_are_computed_from_attendance(session, institution):
    c = new_class(session, institution)
    a, b = enrol(session, c, 1), enrol(session, c, 2)
    four = lesson(session, c, start="08:00", end="11:00")                                # 4 class hours
    three = lesson(session, c, day=START + dt.timedelta(days=1), start="08:00", end="10:15")   # 3
    two = lesson(session, c, day=START + dt.timedelta(days=2), start="14:00", end="15:30", kind="practical")  # 2
    assert [four.class_hours, three.class_hours, two.class_hours] == [4, 3, 2]
    attend(session, four, a)
    attend(session, three, a, method="id_card")
    attend(session, two, a, method="manual", reason="人脸识别设备故障")
    attend(session, three, b)
    hours = {t.enrolment.id: t for t in training.class_hours(session, c)}
    assert (hours[a.id].hours.theory, hours[a.id].hours.practical, hours[a.id].hours.total) == (7, 2, 9)
    assert (hours[b.id].hours.theory, hours[b.id].hours.practical, hours[b.id].hours.total) == (3, 0, 3)
    assert hours[a.id].planned.total == 148 and not hours[a.id].complete
    assert training.verified_hours(session, a.person_id, "1.2") == training.VerifiedHours(7, 2)
    assert training.verified_hours(session, a.person_id, "1.2", institution_id=institution).total == 9
    assert training.verified_hours(session, a.person_id, "1.1").total == 0


def test_attendance_refusals(session, institution):
    c = new_class(session, institution)
    e = enrol(session, c, 1)
    l = lesson(session, c)
    events = count(session, AuditEvent)
    for method, reason, field, code in [("manual", None, "reason", "attendance.reason_required"),
                                        ("manual", "   ", "reason", "attendance.reason_required"),
                                        ("fingerprint", None, "method", "method.choice")]:
        with pytest.raises(ValidationError) as refused:
            attend(session, l, e, method=method, reason=reason)
        session.rollback()
        assert fields_of(refused.value) == {field: code}
    assert count(session, Attendance) == 0 and count(session, AuditEvent) == events
    first = attend(session, l, e, method="manual", reason="读卡器故障")
    assert first.method is AttendanceMethod.MANUAL and first.reason == "读卡器故障"
    with pytest.raises(Conflict) as refused:    # once per lesson
        attend(session, l, e, method="face")
    assert refused.value.code == "attendance.duplicate"
    session.rollback()
    other = new_class(session, institution, name="另一期")
    stranger = enrol(session, other, 2)
    with pytest.raises(NotFound):               # not enrolled in this lesson's class
        attend(session, l, stranger)
    session.rollback()
    with pytest.raises(ValidationError):
        training.record_attendance_bulk(session, SYSTEM, lesson_id=l.id, enrolment_ids=[], institution_id=institution,
                                        method="face", today=TODAY)
    session.rollback()
    with pytest.raises(Conflict) as refused:    # a lesson still to come
        training.record_attendance(session, SYSTEM, lesson_id=l.id, enrolment_id=e.id, institution_id=institution,
                                   method="face", today=START - dt.timedelta(days=1))
    assert refused.value.code == "attendance.future_lesson"
    session.rollback()
    assert count(session, Attendance) == 1


def test_bulk_attendance_is_all_or_nothing(session, institution):
    c = new_class(session, institution)
    a, b, d = enrol(session, c, 1), enrol(session, c, 2), enrol(session, c, 3)
    l = lesson(session, c)
    attend(session, l, b)
    with pytest.raises(Conflict):
        training.record_attendance_bulk(session, SYSTEM, lesson_id=l.id, enrolment_ids=[a.id, b.id, d.id],
                                        institution_id=institution, method="face", today=TODAY)
    session.rollback()
    assert count(session, Attendance) == 1
    done = training.record_attendance_bulk(session, SYSTEM, lesson_id=l.id, enrolment_ids=[a.id, d.id, a.id],
                                           institution_id=institution, method="id_card", today=TODAY)
    session.commit()
    assert sorted(r.enrolment_id for r in done) == [a.id, d.id] and count(session, Attendance) == 3


def test_other_institutions_classes_are_refused(session, institution, other_institution, tmp_path):
    theirs = new_class(session, other_institution)
    e = enrol(session, theirs, 1)
    l = lesson(session, theirs)
    before = (count(session, Enrolment), count(session, Lesson), count(session, Attendance))
    refusals = [
        lambda: training.get_class(session, theirs.id, institution),
        lambda: training.enrol(session, SYSTEM, class_id=theirs.id, institution_id=institution,
                               id_number=id_number(2), name="外人", education="senior_high", phone="13800138000"),
        lambda: training.add_lesson(session, SYSTEM, class_id=theirs.id, institution_id=institution,
                                    day=START, starts_at="14:00", ends_at="16:00", kind="theory"),
        lambda: training.record_attendance(session, SYSTEM, lesson_id=l.id, enrolment_id=e.id,
                                           institution_id=institution, method="face", today=TODAY),
        lambda: training.set_trainee_photo(session, SYSTEM, EvidenceStore(tmp_path), enrolment_id=e.id,
                                           institution_id=institution, photo=image()),
        lambda: training.export_archive(session, SYSTEM, class_id=theirs.id, institution_id=institution, fmt="xlsx"),
    ]
    for refuse in refusals:
        with pytest.raises(Forbidden) as refused:
            refuse()
        assert refused.value.code == "training_class.other_institution"
        session.rollback()
    assert (count(session, Enrolment), count(session, Lesson), count(session, Attendance)) == before
    with pytest.raises(NotFound):
        training.get_class(session, 2_000_000_000, institution)


# --- the archive ---------------------------------------------------------------------------------------

def test_class_archive_xlsx_and_json(session, institution):
    c = new_class(session, institution)
    a, b = enrol(session, c, 1, name="王小明"), enrol(session, c, 2, name="李小红")
    l1 = lesson(session, c, start="08:00", end="11:00", topic="电工基础")
    l2 = lesson(session, c, day=START + dt.timedelta(days=1), start="14:00", end="15:30", kind="practical")
    attend(session, l1, a)
    attend(session, l2, a, method="manual", reason="读卡器故障")
    attend(session, l1, b, method="id_card")
    content, filename, mimetype = training.export_archive(session, SYSTEM, class_id=c.id, institution_id=institution,
                                                          fmt="xlsx")
    session.commit()
    assert filename == f"class-{c.id}-archive.xlsx" and "spreadsheet" in mimetype
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["班级信息", "学员", "课次", "考勤", "学时汇总"]
    info = {row[0]: row[1] for row in book["班级信息"].iter_rows(min_row=2, values_only=True)}
    assert info["班级名称"] == "2025年第1期低压电工" and info["计划总学时"] == 148 and info["操作项目代码"] == "1.2"
    trainees = list(book["学员"].iter_rows(values_only=True))
    assert trainees[0][:3] == ("学员序号", "身份证号", "姓名") and len(trainees) == 3
    assert trainees[1][1] == id_number(1) and trainees[1][2] == "王小明"   # kept as text, full number
    lessons = list(book["课次"].iter_rows(min_row=2, values_only=True))
    # an empty text cell reads back as None
    assert [(r[1], r[4], r[5], r[6] or "") for r in lessons] == [
        (START.isoformat(), "理论", 4, "电工基础"), ((START + dt.timedelta(days=1)).isoformat(), "实操", 2, "")]
    attendance = list(book["考勤"].iter_rows(min_row=2, values_only=True))
    assert len(attendance) == 3 and {(r[3], r[5], r[6] or "") for r in attendance} == {
        ("王小明", "人脸识别", ""), ("李小红", "身份证读卡", ""), ("王小明", "人工", "读卡器故障")}
    summary = {r[1]: r[3:6] for r in book["学时汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary == {"王小明": (4, 2, 6), "李小红": (4, 0, 4)}
    event = session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.action == "training_class.export" and event.after == {"format": "xlsx", "trainees": 2,
                                                                        "lessons": 2, "attendance": 3}
    content, _name, mimetype = training.export_archive(session, SYSTEM, class_id=c.id, institution_id=institution,
                                                       fmt="json")
    data = json.loads(content)
    assert mimetype == "application/json" and data["学时汇总"][0]["总学时"] == 6 and len(data["考勤"]) == 3


def test_empty_class_archive_has_headers(session, institution):
    c = new_class(session, institution)
    content, _n, _m = training.export_archive(session, SYSTEM, class_id=c.id, institution_id=institution, fmt="xlsx")
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert [book[s].max_row for s in ("学员", "课次", "考勤", "学时汇总")] == [1, 1, 1, 1]
    assert book["考勤"]["F1"].value == "考勤方式"
    with pytest.raises(ValidationError):
        training.export_archive(session, SYSTEM, class_id=c.id, institution_id=institution, fmt="csv")


def test_concurrent_enrolments_cannot_overfill_a_class(db, session, institution):
    c = new_class(session, institution, capacity=1)

    def work(n: int) -> None:
        with db.transaction() as s:
            training.enrol(s, SYSTEM, class_id=c.id, institution_id=institution, id_number=id_number(n),
                           name="并发学员", education="senior_high", phone="13800138000")

    errors = run_in_threads(work, 4)
    assert count(session, Enrolment) == 1
    # the others are refused as full (SQLite may instead report its single writer as busy)
    assert len(errors) == 3 and all(isinstance(e, Conflict) or "locked" in str(e) for e in errors), errors
