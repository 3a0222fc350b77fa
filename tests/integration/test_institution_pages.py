"""The training institution's pages (培训机构): classes, enrolment, lessons, attendance, the archive download.

Real HTTP as institution staff. Bad input gives 400 with the Chinese message and changes nothing;
another institution's class and other roles are refused.
"""
from __future__ import annotations

import datetime as dt
import html
import io
import re

import cv2
import numpy as np
import openpyxl
import pytest
import sqlalchemy as sa
from conftest import SYSTEM, csrf_token
from flask_babel import force_locale, gettext

from exam_center.domain.credit_code import make_credit_code
from exam_center.domain.idcard import make_id_number
from exam_center.models import (
    Attendance,
    AuditEvent,
    Enrolment,
    Lesson,
    OrganisationKind,
    Person,
    Role,
    TrainingClass,
)
from exam_center.services import training
from exam_center.services.organisations import create_organisation

START = dt.date(2025, 3, 3)
END = dt.date(2025, 3, 28)
HAN = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_SENTENCE = re.compile(r"[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}")


def zh(app, msgid: str, **params) -> str:
    """The message as the zh_CN page shows it; it must really be Chinese."""
    with app.test_request_context(), force_locale("zh_CN"):
        translated = gettext(msgid)
    text = translated % params if params else translated
    assert HAN.search(text) and not ENGLISH_SENTENCE.search(text), f"not Chinese: {text!r}"
    return text


def shows(response, message: str) -> bool:
    return message in html.unescape(response.get_data(as_text=True))


def id_number(n: int) -> str:
    return make_id_number("110105", dt.date(1991, 2, 3), 200 + n)


def image(width: int = 200, height: int = 240) -> bytes:
    pixels = np.full((height, width, 3), 200, np.uint8)
    cv2.rectangle(pixels, (20, 20), (width - 20, height - 20), (40, 80, 120), -1)
    return cv2.imencode(".jpg", pixels)[1].tobytes()


def count(db, model) -> int:
    with db.sessions() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model))


def state(db) -> tuple[int, ...]:
    return tuple(count(db, m) for m in (TrainingClass, Enrolment, Person, Lesson, Attendance, AuditEvent))


@pytest.fixture
def staff(login_as):
    return login_as(Role.INSTITUTION_STAFF)


@pytest.fixture
def klass(db, world) -> int:
    """A class of the signed-in staff member's institution, with two trainees and one lesson."""
    institution = world.organisations[OrganisationKind.TRAINING_INSTITUTION]
    with db.transaction() as s:
        c = training.create_class(s, SYSTEM, institution_id=institution, operation_item_code="1.2",
                                  name="2025年第2期低压电工", starts_on=START, ends_on=END, teachers="张老师", capacity=3)
        for n, name in ((1, "王小明"), (2, "李小红")):
            training.enrol(s, SYSTEM, class_id=c.id, institution_id=institution, id_number=id_number(n), name=name,
                           education="senior_high", phone="13800138000")
        training.add_lesson(s, SYSTEM, class_id=c.id, institution_id=institution, day=START, starts_at="08:00",
                            ends_at="11:00", kind="theory", topic="安全用电")
        return c.id


def ids(db, class_id):
    with db.sessions() as s:
        c = s.get(TrainingClass, class_id)
        return [e.id for e in c.enrolments], [l.id for l in c.lessons]


# --- classes -------------------------------------------------------------------------------------------

def test_open_a_class(app, db, staff):
    page = staff.get("/institution/")
    assert page.status_code == 200 and shows(page, zh(app, "Open a new class"))
    assert "1.2 低压电工作业" in page.get_data(as_text=True)
    response = staff.post("/institution/", data={
        "csrf_token": csrf_token(staff, "/institution/"), "operation_item_code": "1.2", "name": "2026年第1期低压电工",
        "starts_on": "2026-03-02", "ends_on": "2026-03-27", "theory_hours": "", "practical_hours": "64",
        "teachers": "张老师", "capacity": "40"})
    assert response.status_code == 302
    with db.sessions() as s:
        c = s.scalars(sa.select(TrainingClass)).one()
        assert (c.theory_hours, c.practical_hours, c.capacity) == (88, 64, 40)
    assert response.headers["Location"].endswith(f"/institution/classes/{c.id}")
    listing = staff.get("/institution/")
    assert "2026年第1期低压电工" in listing.get_data(as_text=True)


@pytest.mark.parametrize("changes, msgid, params", [
    ({"capacity": "101"}, "Enter a number from %(min)s to %(max)s.", {"min": 1, "max": 100}),
    ({"theory_hours": "87"}, "The training outline requires at least %(min)s class hours here.", {"min": 88}),
    ({"ends_on": "2026-03-01"}, "The class cannot end (%(ends)s) before it starts (%(starts)s).",
     {"ends": "2026-03-01", "starts": "2026-03-02"}),
    ({"operation_item_code": ""}, "Choose an operation item from the catalogue.", {}),
])
def test_bad_class_is_refused_in_chinese_and_nothing_changes(app, db, staff, changes, msgid, params):
    before = state(db)
    data = {"csrf_token": csrf_token(staff, "/institution/"), "operation_item_code": "1.2", "name": "坏班",
            "starts_on": "2026-03-02", "ends_on": "2026-03-27", "theory_hours": "", "practical_hours": "",
            "teachers": "张老师", "capacity": "40", **changes}
    response = staff.post("/institution/", data=data)
    assert response.status_code == 400 and shows(response, zh(app, msgid, **params))
    assert state(db) == before


def test_missing_csrf_token_is_refused(db, staff):
    before = state(db)
    response = staff.post("/institution/", data={"operation_item_code": "1.2", "name": "x"})
    assert response.status_code == 400 and state(db) == before


# --- enrolment and lessons -----------------------------------------------------------------------------

def test_class_page_enrol_with_photo_and_add_lesson(app, db, staff, klass):
    page = staff.get(f"/institution/classes/{klass}")
    assert page.status_code == 200 and "王小明" in page.get_data(as_text=True)
    assert shows(page, zh(app, "Enrol a trainee")) and shows(page, zh(app, "Add a lesson"))
    token = csrf_token(staff, f"/institution/classes/{klass}")
    response = staff.post(f"/institution/classes/{klass}/enrol", content_type="multipart/form-data", data={
        "csrf_token": token, "id_number": id_number(3), "name": "赵大力", "education": "junior_middle",
        "phone": "13900139000", "photo": (io.BytesIO(image()), "me.jpg")})
    assert response.status_code == 302
    with db.sessions() as s:
        person = s.scalars(sa.select(Person).where(Person.name == "赵大力")).one()
        assert person.photo_sha256 and person.id_number == id_number(3)
        enrolment_id = s.scalars(sa.select(Enrolment.id).where(Enrolment.person_id == person.id)).one()
    assert staff.get(f"/institution/enrolments/{enrolment_id}/photo").data == image()
    response = staff.post(f"/institution/classes/{klass}/lessons", data={
        "csrf_token": token, "day": "2025-03-04", "starts_at": "14:00", "ends_at": "15:30", "kind": "practical",
        "topic": "实操训练"})
    assert response.status_code == 302
    with db.sessions() as s:
        lesson = s.scalars(sa.select(Lesson).where(Lesson.topic == "实操训练")).one()
        assert lesson.class_hours == 2


@pytest.mark.parametrize("data, msgid, params", [
    ({"id_number": "110105199102031234", "name": "钱七"},
     ("The ID number does not check out: the 18th character should be %(expected)s, not %(given)s. "
     "Please look for a mistyped digit."), None),
    ({"id_number": "", "name": "钱七"}, "Please enter the ID number.", {}),
    ({"name": "王大明", "id_number": id_number(1)},
     "ID number %(masked)s is registered under another name; check the name and the ID number.", None),
    ({"name": "王小明", "id_number": id_number(1)}, "%(name)s is already enrolled in this class.", {"name": "王小明"}),
    ({"photo": (io.BytesIO(image(80, 80)), "small.jpg")},
     "The photo is %(width)s×%(height)s pixels; it needs at least %(min)s×%(min)s.",
     {"width": 80, "height": 80, "min": 100}),
])
def test_bad_enrolment_is_refused_in_chinese_and_nothing_changes(app, db, staff, klass, data, msgid, params):
    before = state(db)
    form = {"csrf_token": csrf_token(staff, f"/institution/classes/{klass}"), "id_number": id_number(4),
            "name": "钱七", "education": "senior_high", "phone": "13800138000", **data}
    response = staff.post(f"/institution/classes/{klass}/enrol", data=form, content_type="multipart/form-data")
    assert response.status_code == 400
    if params is None:   # the message carries a computed part: check the fixed Chinese text around it
        expected = zh(app, msgid, **{k: "\0" for k in re.findall(r"%\((\w+)\)s", msgid)})
        assert all(part in html.unescape(response.get_data(as_text=True)) for part in expected.split("\0") if part)
    else:
        assert shows(response, zh(app, msgid, **params))
    assert state(db) == before


def test_full_class_refuses_enrolment(app, db, staff, klass):
    with db.transaction() as s:
        training.enrol(s, SYSTEM, class_id=klass, institution_id=None, id_number=id_number(3), name="孙三",
                       education="senior_high", phone="13800138000")
    before = state(db)
    response = staff.post(f"/institution/classes/{klass}/enrol", data={
        "csrf_token": csrf_token(staff, f"/institution/classes/{klass}"), "id_number": id_number(4), "name": "钱七",
        "education": "senior_high", "phone": "13800138000"})
    assert response.status_code == 400
    assert shows(response, zh(app, "The class is full: all %(capacity)s places are taken.", capacity=3))
    assert state(db) == before


@pytest.mark.parametrize("data, msgid, params", [
    ({"ends_at": "08:44"}, ("The lesson lasts %(minutes)s minutes, which is not one class hour: a class hour needs at "
     "least %(per_hour)s minutes."), {"minutes": 44, "per_hour": 45}),
    ({"day": "2025-03-29"}, "The lesson day must lie within the class dates, %(starts)s to %(ends)s.",
     {"starts": START.isoformat(), "ends": END.isoformat()}),
    ({"starts_at": "8点"}, "'%(value)s' is not a time; write it as HH:MM, e.g. 08:30.", {"value": "8点"}),
])
def test_bad_lesson_is_refused_in_chinese_and_nothing_changes(app, db, staff, klass, data, msgid, params):
    before = state(db)
    form = {"csrf_token": csrf_token(staff, f"/institution/classes/{klass}"), "day": "2025-03-05",
            "starts_at": "08:00", "ends_at": "09:30", "kind": "theory", "topic": "", **data}
    response = staff.post(f"/institution/classes/{klass}/lessons", data=form)
    assert response.status_code == 400 and shows(response, zh(app, msgid, **params))
    assert state(db) == before


# --- attendance and hours ------------------------------------------------------------------------------

def test_tick_trainees_and_see_verified_hours(app, db, staff, klass):
    (first, second), (lesson,) = ids(db, klass)
    page = staff.get(f"/institution/lessons/{lesson}")
    assert page.status_code == 200 and shows(page, zh(app, "Save attendance"))
    response = staff.post(f"/institution/lessons/{lesson}", data={
        "csrf_token": csrf_token(staff, f"/institution/lessons/{lesson}"), "enrolment_ids": [str(first)],
        "method": "face", "reason": ""})
    assert response.status_code == 302
    response = staff.post(f"/institution/lessons/{lesson}", data={
        "csrf_token": csrf_token(staff, f"/institution/lessons/{lesson}"), "enrolment_ids": [str(second)],
        "method": "manual", "reason": "身份证读卡器故障"})
    assert response.status_code == 302
    with db.sessions() as s:
        assert s.scalar(sa.select(sa.func.count(Attendance.id)).where(Attendance.lesson_id == lesson)) == 2
    page = staff.get(f"/institution/classes/{klass}").get_data(as_text=True)
    assert page.count("4 / 88") == 2 and "0 / 60" in page   # 3 hours of lesson = 4 class hours each


@pytest.mark.parametrize("data, msgid, params", [
    ({"method": "manual", "reason": ""}, "Manual attendance needs a reason (e.g. the ID card reader failed).", {}),
    ({"enrolment_ids": []}, "Tick at least one trainee.", {}),
    ({"enrolment_ids": ["999999"]}, "Only trainees enrolled in this lesson's class can attend it.", {}),
    ({"enrolment_ids": ["abc"]}, "Only trainees enrolled in this lesson's class can attend it.", {}),
    ({"method": "fingerprint"}, "Choose how attendance was checked: face, ID card or manual.", {}),
    ({"enrolment_ids": "recorded"}, "Attendance of %(name)s at this lesson is already recorded.", {"name": "王小明"}),
])
def test_bad_attendance_is_refused_in_chinese_and_nothing_changes(app, db, staff, klass, data, msgid, params):
    (first, _second), (lesson,) = ids(db, klass)
    with db.transaction() as s:
        other = training.add_lesson(s, SYSTEM, class_id=klass, institution_id=None, day=START, starts_at="13:00",
                                    ends_at="14:30", kind="practical")
        training.record_attendance(s, SYSTEM, lesson_id=other.id, enrolment_id=first, institution_id=None,
                                   method="face")
        if data.get("enrolment_ids") == "recorded":
            training.record_attendance(s, SYSTEM, lesson_id=lesson, enrolment_id=first, institution_id=None,
                                       method="face")
            data = {"enrolment_ids": [str(first), str(_second)]}
    before = state(db)
    form = {"csrf_token": csrf_token(staff, f"/institution/lessons/{lesson}"), "enrolment_ids": [str(first)],
            "method": "face", "reason": "", **data}
    response = staff.post(f"/institution/lessons/{lesson}", data=form)
    assert response.status_code == 400 and shows(response, zh(app, msgid, **params))
    assert state(db) == before


# --- the archive ---------------------------------------------------------------------------------------

def test_archive_downloads(db, staff, klass):
    (first, _second), (lesson,) = ids(db, klass)
    with db.transaction() as s:
        training.record_attendance(s, SYSTEM, lesson_id=lesson, enrolment_id=first, institution_id=None,
                                   method="id_card")
    page = staff.get(f"/institution/classes/{klass}").get_data(as_text=True)
    assert f"/institution/classes/{klass}/archive.xlsx" in page and f"/institution/classes/{klass}/archive.json" in page
    response = staff.get(f"/institution/classes/{klass}/archive.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["班级信息", "学员", "课次", "考勤", "学时汇总"]
    assert [r[1] for r in book["学员"].iter_rows(min_row=2, values_only=True)] == [id_number(1), id_number(2)]
    assert [(r[1], r[3], r[4], r[5]) for r in book["学时汇总"].iter_rows(min_row=2, values_only=True)] == [
        ("王小明", 4, 0, 4), ("李小红", 0, 0, 0)]
    data = staff.get(f"/institution/classes/{klass}/archive.json").get_json()
    assert data["班级信息"]["班级名称"] == "2025年第2期低压电工" and len(data["考勤"]) == 1
    with db.sessions() as s:
        exports = s.scalars(sa.select(AuditEvent.after).where(AuditEvent.action == "training_class.export")).all()
    assert [e["format"] for e in exports] == ["xlsx", "json"]
    assert staff.get(f"/institution/classes/{klass}/archive.csv").status_code == 404


# --- refusals ------------------------------------------------------------------------------------------

def test_another_institutions_class_is_refused(db, staff, klass):
    with db.transaction() as s:
        org = create_organisation(s, SYSTEM, kind=OrganisationKind.TRAINING_INSTITUTION, name="别家培训学校",
                                  credit_code=make_credit_code("12110109MB0000008"), region_code="110105")
        theirs = training.create_class(s, SYSTEM, institution_id=org.id, operation_item_code="1.2", name="别家班",
                                       starts_on=START, ends_on=END, teachers="周老师", capacity=10)
        e = training.enrol(s, SYSTEM, class_id=theirs.id, institution_id=org.id, id_number=id_number(9),
                           name="周九", education="senior_high", phone="13800138000")
        l = training.add_lesson(s, SYSTEM, class_id=theirs.id, institution_id=org.id, day=START, starts_at="08:00",
                                ends_at="09:30", kind="theory")
        theirs_id, enrolment_id, lesson_id = theirs.id, e.id, l.id
    listing = staff.get("/institution/").get_data(as_text=True)
    assert "别家班" not in listing and "2025年第2期低压电工" in listing
    token = csrf_token(staff, "/institution/")
    before = state(db)
    for method, path, data in [
        ("GET", f"/institution/classes/{theirs_id}", None),
        ("GET", f"/institution/classes/{theirs_id}/archive.xlsx", None),
        ("GET", f"/institution/lessons/{lesson_id}", None),
        ("GET", f"/institution/enrolments/{enrolment_id}/photo", None),
        ("POST", f"/institution/classes/{theirs_id}/enrol",
         {"csrf_token": token, "id_number": id_number(5), "name": "钱七", "education": "senior_high",
          "phone": "13800138000"}),
        ("POST", f"/institution/classes/{theirs_id}/lessons",
         {"csrf_token": token, "day": "2025-03-05", "starts_at": "08:00", "ends_at": "09:30", "kind": "theory"}),
        ("POST", f"/institution/lessons/{lesson_id}",
         {"csrf_token": token, "enrolment_ids": [str(enrolment_id)], "method": "face"}),
    ]:
        response = staff.open(path, method=method, data=data)
        assert response.status_code == 403, (method, path, response.status_code)
        assert "周九" not in response.get_data(as_text=True)
    assert state(db) == before


def test_other_roles_are_refused(app, db, login_as, klass):
    client = login_as(Role.EXAM_ADMIN)
    for path in ("/institution/", f"/institution/classes/{klass}", f"/institution/classes/{klass}/archive.xlsx"):
        assert client.get(path).status_code == 403
    before = state(db)
    response = client.post(f"/institution/classes/{klass}/lessons", data={"day": "2025-03-05", "starts_at": "08:00",
                                                                          "ends_at": "09:30", "kind": "theory"})
    assert response.status_code == 403 and state(db) == before
