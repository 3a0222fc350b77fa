"""Exam applications through the service and the pages: facts from the database, every reason stored."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from conftest import SYSTEM, csrf_token, run_in_threads

from exam_center.domain import rulesets
from exam_center.domain.credit_code import make_credit_code
from exam_center.domain.education import Education
from exam_center.domain.errors import (
    Conflict,
    InvalidFields,
    NotFound,
    ValidationError,
)
from exam_center.domain.idcard import make_id_number
from exam_center.domain.rulesets import ORDER30_2015, add_months, validate_rule_sets
from exam_center.models import (
    ApplicationStatus,
    Attendance,
    AttendanceMethod,
    AuditEvent,
    Enrolment,
    ExamApplication,
    ExamPart,
    ExamResult,
    Lesson,
    LessonKind,
    OrganisationKind,
    Person,
    ReapplicationBan,
    Role,
    TrainingClass,
)
from exam_center.services import applications as service
from exam_center.services.organisations import create_organisation

FILED = date(2025, 3, 10)
_sequence = iter(range(1, 999, 2))


def _person(s, birth_date=date(1990, 5, 17), education=Education.JUNIOR_MIDDLE) -> Person:
    person = Person(id_number=make_id_number("110105", birth_date, next(_sequence)), name="申请人", sex="M",
                    birth_date=birth_date, education=education, phone="13800000000")
    s.add(person)
    s.flush()
    return person


def _class(s, institution_id, item="1.2", name="低压电工2025第1期", planned=(88, 60),
           starts_on=date(2025, 1, 6), ends_on=date(2025, 2, 28)) -> TrainingClass:
    training_class = TrainingClass(institution_id=institution_id, operation_item_code=item, name=name,
                                   starts_on=starts_on, ends_on=ends_on, theory_hours=planned[0],
                                   practical_hours=planned[1], teachers="张老师", capacity=60)
    s.add(training_class)
    s.flush()
    return training_class


def _enrol(s, training_class, person, theory=88, practical=60) -> Enrolment:
    enrolment = Enrolment(class_id=training_class.id, person_id=person.id)
    s.add(enrolment)
    s.flush()
    for kind, hours in ((LessonKind.THEORY, theory), (LessonKind.PRACTICAL, practical)):
        if hours:
            lesson = Lesson(class_id=training_class.id, day=training_class.starts_on, starts_at=time(8, 30),
                            ends_at=time(17, 0), kind=kind, class_hours=hours)
            s.add(lesson)
            s.flush()
            s.add(Attendance(lesson_id=lesson.id, enrolment_id=enrolment.id, method=AttendanceMethod.FACE))
    s.flush()
    return enrolment


@pytest.fixture
def institution(world) -> int:
    return world.organisations[OrganisationKind.TRAINING_INSTITUTION]


@pytest.fixture
def trainee(db, institution):
    """A function building a person enrolled in a class of the world's institution; returns the enrolment id."""
    def build(birth_date=date(1990, 5, 17), education=Education.JUNIOR_MIDDLE, theory=88, practical=60, item="1.2",
              planned=(88, 60)) -> int:
        with db.transaction() as s:
            training_class = _class(s, institution, item=item, name=f"班{next(_sequence)}", planned=planned)
            return _enrol(s, training_class, _person(s, birth_date, education), theory, practical).id
    return build


def _file(db, institution, enrolment_id, *, kind="initial", part="theory", health=True, filed_on=FILED,
          off_post_since=None) -> ExamApplication:
    with db.transaction() as s:
        return service.file_for_trainee(s, SYSTEM, institution_id=institution, enrolment_id=enrolment_id, kind=kind,
                                        part=part, health_declared=health, filed_on=filed_on,
                                        off_post_since=off_post_since)


def _codes(application) -> list[str]:
    return [reason["code"] for reason in application.gate]


def _person_of(db, enrolment_id) -> int:
    with db.sessions() as s:
        return s.get(Enrolment, enrolment_id).person_id


def _add(db, *rows):
    with db.transaction() as s:
        s.add_all(rows)


def _count(db, model) -> int:
    with db.sessions() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model))


# --- through the service ----------------------------------------------------------------------------

def test_eligible_application_is_stored_with_deadline_and_audited(db, institution, trainee):
    enrolment_id = trainee()
    application = _file(db, institution, enrolment_id)
    assert application.status is ApplicationStatus.ELIGIBLE and application.gate == []
    assert application.exam_deadline == date(2025, 5, 9) and application.rule_set == "ORDER30_2015"
    with db.sessions() as s:
        stored = s.get(ExamApplication, application.id)
        assert (stored.institution_id, stored.operation_item_code, stored.health_declared) == (institution, "1.2", True)
        event = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "application.file")).one()
        assert event.object_id == str(application.id)
        assert event.after["status"] == "eligible" and event.after["hours"] == {"theory": 88, "practical": 60}
        assert "*" in event.after["person"]  # the ID number is masked in the trail


@pytest.mark.parametrize("birth_date,expected", [
    (date(2007, 3, 10), "eligible"),   # 18 on the filing date
    (date(2007, 3, 11), "refused"),    # 17 years 364 days
])
def test_age_boundary(db, institution, trainee, birth_date, expected):
    application = _file(db, institution, trainee(birth_date=birth_date))
    assert application.status.value == expected
    assert _codes(application) == ([] if expected == "eligible" else ["eligibility.too_young"])


@pytest.mark.parametrize("theory,practical,expected", [
    (88, 60, []),
    (87, 60, ["eligibility.hours_theory"]),
    (88, 59, ["eligibility.hours_practical"]),
])
def test_hours_from_attendance_at_the_minimum_and_one_short(db, institution, trainee, theory, practical, expected):
    assert _codes(_file(db, institution, trainee(theory=theory, practical=practical))) == expected


def test_hours_count_only_recorded_attendance(db, institution):
    with db.transaction() as s:
        training_class = _class(s, institution)
        enrolment = _enrol(s, training_class, _person(s), theory=88, practical=60)
        absent = Lesson(class_id=training_class.id, day=date(2025, 1, 7), starts_at=time(8, 30), ends_at=time(9, 15),
                        kind=LessonKind.THEORY, class_hours=1)
        s.add(absent)  # a lesson of the class the trainee was not recorded at
        enrolment_id = enrolment.id
    assert _codes(_file(db, institution, enrolment_id)) == []
    with db.transaction() as s:
        s.execute(sa.delete(Attendance).where(Attendance.enrolment_id == enrolment_id,
                                              Attendance.lesson_id.in_(sa.select(Lesson.id).where(
                                                  Lesson.kind == LessonKind.PRACTICAL))))
        s.execute(sa.delete(ExamApplication))
    assert _codes(_file(db, institution, enrolment_id)) == ["eligibility.hours_practical"]


def test_class_plan_is_the_minimum_where_the_catalogue_has_none(db, institution, trainee):
    assert _codes(_file(db, institution, trainee(item="5.1", planned=(80, 40), theory=80, practical=40))) == []
    refused = _file(db, institution, trainee(item="5.1", planned=(80, 40), theory=80, practical=39))
    assert _codes(refused) == ["eligibility.hours_practical"]


@pytest.mark.parametrize("education,expected", [
    (Education.JUNIOR_MIDDLE, ["eligibility.education"]),
    (Education.SENIOR_HIGH, []),
])
def test_hazardous_chemicals_education(db, institution, trainee, education, expected):
    enrolment_id = trainee(item="9.1", planned=(40, 40), theory=40, practical=40, education=education)
    assert _codes(_file(db, institution, enrolment_id)) == expected


def test_education_one_level_short_and_no_health_declaration(db, institution, trainee):
    application = _file(db, institution, trainee(education=Education.PRIMARY), health=False)
    assert _codes(application) == ["eligibility.education", "eligibility.health"]


@pytest.mark.parametrize("hours,expected", [(8, []), (7, ["eligibility.review_hours"])])
def test_review_needs_8_hours_in_the_review_class(db, institution, trainee, hours, expected):
    enrolment_id = trainee(planned=(8, 0), theory=hours, practical=0)
    assert _codes(_file(db, institution, enrolment_id, kind="review")) == expected


@pytest.mark.parametrize("until,expected", [(FILED, ["eligibility.banned"]), (FILED - timedelta(days=1), [])])
def test_ban_until_the_filing_date(db, institution, trainee, until, expected):
    enrolment_id = trainee()
    _add(db, ReapplicationBan(person_id=_person_of(db, enrolment_id), until=until, reason="提供虚假材料"))
    assert _codes(_file(db, institution, enrolment_id)) == expected


def _result(person_id, part, passed, taken_on, item="1.2"):
    return ExamResult(person_id=person_id, operation_item_code=item, part=part, score=90 if passed else 60,
                      passed=passed, taken_on=taken_on)


def test_first_make_up_allowed_second_needs_retraining(db, institution, trainee):
    enrolment_id = trainee()
    person_id = _person_of(db, enrolment_id)
    _add(db, _result(person_id, ExamPart.THEORY, False, date(2025, 3, 3)))
    assert _codes(_file(db, institution, enrolment_id, kind="initial")) == ["eligibility.use_makeup"]
    first = _file(db, institution, enrolment_id, kind="makeup")
    assert first.status is ApplicationStatus.ELIGIBLE
    with db.transaction() as s:  # the make-up was sat and failed
        s.get(ExamApplication, first.id).status = ApplicationStatus.WITHDRAWN
        s.add(_result(person_id, ExamPart.THEORY, False, date(2025, 3, 8)))
    second = _file(db, institution, enrolment_id, kind="makeup")
    assert second.status is ApplicationStatus.REFUSED
    assert _codes(second) == ["eligibility.retraining_required"]


def test_retraining_in_a_new_class_allows_a_new_exam(db, institution, trainee):
    enrolment_id = trainee()
    person_id = _person_of(db, enrolment_id)
    _add(db, _result(person_id, ExamPart.THEORY, False, date(2025, 3, 3)),
         _result(person_id, ExamPart.THEORY, False, date(2025, 3, 8)))
    with db.transaction() as s:
        again = _class(s, institution, name="低压电工2025第2期", starts_on=date(2025, 3, 9), ends_on=date(2025, 4, 30))
        new_enrolment = _enrol(s, again, s.get(Person, person_id)).id
    assert _codes(_file(db, institution, enrolment_id, filed_on=date(2025, 5, 6))) == \
        ["eligibility.retraining_required"]
    assert _codes(_file(db, institution, new_enrolment, filed_on=date(2025, 5, 6))) == []


@pytest.mark.parametrize("filed_on,expected", [
    (date(2025, 3, 10), []),
    (date(2025, 3, 11), ["eligibility.theory_pass_expired"]),
])
def test_practical_within_12_months_of_the_theory_pass(db, institution, trainee, filed_on, expected):
    enrolment_id = trainee()
    _add(db, _result(_person_of(db, enrolment_id), ExamPart.THEORY, True, date(2024, 3, 10)))
    assert rulesets.ORDER30_2015.pass_valid_until(date(2024, 3, 10)) == date(2025, 3, 10)
    assert _codes(_file(db, institution, enrolment_id, part="practical", filed_on=filed_on)) == expected


def test_practical_without_theory_pass(db, institution, trainee):
    assert _codes(_file(db, institution, trainee(), part="practical")) == ["eligibility.theory_pass_missing"]


def test_practical_retest_needs_six_months_off_post(db, institution, trainee):
    enrolment_id = trainee()
    refused = _file(db, institution, enrolment_id, kind="practical_retest", part="practical",
                    off_post_since="2024-09-11")
    assert _codes(refused) == ["eligibility.retest_not_due"]
    allowed = _file(db, institution, enrolment_id, kind="practical_retest", part="practical",
                    off_post_since="2024-09-10")
    assert _codes(allowed) == []
    with db.sessions() as s:
        events = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "application.file")
                           .order_by(AuditEvent.id)).all()
        assert [e.after["off_post_since"] for e in events] == ["2024-09-11", "2024-09-10"]


def test_several_failures_are_all_stored(db, institution, trainee):
    enrolment_id = trainee(birth_date=date(2008, 1, 1), education=Education.PRIMARY, theory=10, practical=5)
    _add(db, ReapplicationBan(person_id=_person_of(db, enrolment_id), until=date(2026, 1, 1), reason="骗取证书"))
    application = _file(db, institution, enrolment_id, health=False, part="practical")
    assert application.status is ApplicationStatus.REFUSED
    assert _codes(application) == ["eligibility.too_young", "eligibility.education", "eligibility.health",
                                   "eligibility.banned", "eligibility.hours_theory", "eligibility.hours_practical",
                                   "eligibility.theory_pass_missing"]
    with db.sessions() as s:  # stored as plain JSON and rebuilt for display
        rebuilt = service.gate_reasons(s.get(ExamApplication, application.id))
    assert [r.code for r in rebuilt] == _codes(application)
    assert "2026-01-01" in rebuilt[3].render()


def test_rule_set_is_chosen_by_filing_date(db, institution, trainee, monkeypatch):
    stricter = replace(ORDER30_2015, name="TEST_2026", effective_from=date(2026, 6, 1), min_age=20)
    monkeypatch.setattr(rulesets, "RULE_SETS", validate_rule_sets(
        (replace(ORDER30_2015, effective_to=date(2026, 5, 31)), stricter)))
    enrolment_id = trainee(birth_date=date(2007, 1, 1))
    before = _file(db, institution, enrolment_id, filed_on=date(2026, 5, 31))
    assert (before.rule_set, before.status) == ("ORDER30_2015", ApplicationStatus.ELIGIBLE)
    with db.transaction() as s:
        s.get(ExamApplication, before.id).status = ApplicationStatus.WITHDRAWN
    after = _file(db, institution, enrolment_id, filed_on=date(2026, 6, 1))
    assert (after.rule_set, _codes(after)) == ("TEST_2026", ["eligibility.too_young"])


def _refused(db, call, error_type, *codes):
    applications, events = _count(db, ExamApplication), _count(db, AuditEvent)
    with pytest.raises(error_type) as caught, db.transaction() as s:
        call(s)
    error = caught.value
    found = [e.code for e in error.errors] if isinstance(error, InvalidFields) else [error.code]
    assert found == list(codes)
    assert (_count(db, ExamApplication), _count(db, AuditEvent)) == (applications, events)
    return error


def test_bad_input_stores_nothing(db, institution, trainee):
    enrolment_id = trainee()

    def call(**changes):
        values = {"institution_id": institution, "enrolment_id": enrolment_id, "kind": "initial", "part": "theory",
                  "health_declared": True, "filed_on": FILED}
        values.update(changes)
        return lambda s: service.file_for_trainee(s, SYSTEM, **values)

    _refused(db, call(kind="", part="both", enrolment_id="x"), InvalidFields,
             "application.enrolment_not_found", "application.kind_unknown", "application.part_unknown")
    _refused(db, call(enrolment_id="", kind="review", part="practical", off_post_since="1.9.2024"), InvalidFields,
             "application.enrolment_not_found", "date.invalid", "application.part_for_kind")
    _refused(db, call(enrolment_id=999999), NotFound, "application.enrolment_not_found")
    _refused(db, call(enrolment_id=2**40), InvalidFields, "application.enrolment_not_found")
    _refused(db, call(kind="review", part="practical"), InvalidFields, "application.part_for_kind")
    _refused(db, call(kind="practical_retest", part="practical"), InvalidFields, "application.off_post_missing")
    _refused(db, call(kind="practical_retest", part="practical", off_post_since="2024/09/01"), InvalidFields,
             "date.invalid")
    _refused(db, call(filed_on=date(2015, 6, 30)), NotFound, "ruleset.none_in_force")


def test_other_institutions_trainees_are_not_found(db, institution, trainee):
    enrolment_id = trainee()
    with db.transaction() as s:
        other = create_organisation(s, SYSTEM, kind=OrganisationKind.TRAINING_INSTITUTION, name="别家培训学校",
                                    credit_code=make_credit_code("12110105MB0000077"), region_code="110105").id
    _refused(db, lambda s: service.file_for_trainee(s, SYSTEM, institution_id=other, enrolment_id=enrolment_id,
                                                    kind="initial", part="theory", health_declared=True,
                                                    filed_on=FILED), NotFound, "application.enrolment_not_found")
    application = _file(db, institution, enrolment_id)
    with db.sessions() as s:
        with pytest.raises(NotFound):
            service.get_application(s, application.id, institution_id=other)
        assert service.list_applications(s, institution_id=other) == []
        assert [a.id for a in service.list_applications(s, institution_id=institution)] == [application.id]


def test_second_open_application_for_the_same_item_and_part_is_refused(db, institution, trainee):
    enrolment_id = trainee()
    first = _file(db, institution, enrolment_id)
    error = _refused(db, lambda s: service.file_for_trainee(
        s, SYSTEM, institution_id=institution, enrolment_id=enrolment_id, kind="initial", part="theory",
        health_declared=True, filed_on=FILED), Conflict, "application.open_exists")
    assert error.params["number"] == first.id
    # a refused application does not block a corrected one
    with db.transaction() as s:
        s.get(ExamApplication, first.id).status = ApplicationStatus.REFUSED
    assert _file(db, institution, enrolment_id).status is ApplicationStatus.ELIGIBLE


def test_concurrent_filings_store_one_open_application(db, institution, trainee):
    enrolment_id = trainee()
    errors = run_in_threads(lambda n: _file(db, institution, enrolment_id), 4)
    assert len(errors) == 3 and all(isinstance(e, Conflict) for e in errors), errors
    assert _count(db, ExamApplication) == 1


def _register(db, birth_date=date(1990, 5, 17), education=Education.JUNIOR_MIDDLE) -> str:
    with db.transaction() as s:
        return _person(s, birth_date, education).id_number


def _counter(**changes):
    values = {"operation_item_code": "1.2", "certificate_number": "WB-2025-0001", "certificate_hours": "148",
              "trained_until": "2025-02-28", "kind": "initial", "part": "theory", "health_declared": True,
              "filed_on": FILED}
    values.update(changes)
    return lambda s: service.file_with_certificate(s, SYSTEM, **values)


def test_counter_uses_the_certificate_hours(db, world):
    id_number = _register(db)
    with db.transaction() as s:
        application = _counter(id_number=id_number)(s)
    assert (application.status, application.institution_id) == (ApplicationStatus.ELIGIBLE, None)
    assert (application.external_certificate, application.external_hours) == ("WB-2025-0001", 148)
    with db.transaction() as s:
        short = _counter(id_number=_register(db), certificate_hours="147")(s)
    assert _codes(short) == ["eligibility.certificate_hours"]


def test_counter_bad_input_stores_nothing(db, world):
    id_number = _register(db)
    _refused(db, _counter(id_number=id_number, certificate_number="  ", certificate_hours="0", trained_until=""),
             InvalidFields, "text.empty", "hours.invalid", "date.empty")
    _refused(db, _counter(id_number=id_number, certificate_hours="12.5"), InvalidFields, "hours.invalid")
    _refused(db, _counter(id_number="110105199005171234"), InvalidFields, "id_number.check_character")
    unknown = make_id_number("110105", date(1991, 1, 1), 999)
    _refused(db, _counter(id_number=unknown), NotFound, "application.person_not_registered")
    _refused(db, _counter(id_number=id_number, operation_item_code="99.9"), ValidationError, "application.item_unknown")
    _refused(db, _counter(id_number=id_number, operation_item_code="1.4", filed_on=date(2017, 12, 31),
                          trained_until="2017-12-01"),
             ValidationError, "application.item_unknown")  # not yet in the catalogue then
    _refused(db, _counter(id_number=id_number, trained_until="2025-03-11"), ValidationError,
             "application.certificate_future")


# --- through the pages ------------------------------------------------------------------------------

def _page(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def _birth_for_age_today(years: int, extra_days: int = 0) -> date:
    from exam_center.web.dates import local_today
    return add_months(local_today(), -12 * years) + timedelta(days=extra_days)


def test_institution_files_and_sees_every_reason_in_chinese(app, db, institution, trainee, login_as):
    client = login_as(Role.INSTITUTION_STAFF)
    with app.app_context():
        young = trainee(birth_date=_birth_for_age_today(18, 1), theory=87)
        adult = trainee(birth_date=_birth_for_age_today(18))
    page = _page(client, "/institution/applications/new")
    assert "申请人" in page and f'value="{young}"' in page
    token = csrf_token(client, "/institution/applications/new")
    response = client.post("/institution/applications/new", data={
        "csrf_token": token, "enrolment_id": str(young), "kind": "initial", "part": "theory"})
    assert response.status_code == 302
    detail = client.get(response.headers["Location"], follow_redirects=False).get_data(as_text=True)
    assert 'data-code="eligibility.too_young"' in detail and 'data-code="eligibility.hours_theory"' in detail
    assert 'data-code="eligibility.health"' in detail
    reasons = re.findall(r'<li data-code="[^"]+">([^<]+)</li>', detail)
    assert len(reasons) == 3 and all(re.search(r"[\u4e00-\u9fff]", r) for r in reasons), reasons
    response = client.post("/institution/applications/new", data={
        "csrf_token": token, "enrolment_id": str(adult), "kind": "initial", "part": "theory", "health_declared": "y"},
        follow_redirects=True)
    assert response.status_code == 200 and "符合全部报考条件" in response.get_data(as_text=True)
    listing = _page(client, "/institution/applications/")
    assert listing.count('data-status="refused"') == 1 and listing.count('data-status="eligible"') == 1
    assert 'data-code="eligibility.too_young"' in listing
    assert _page(client, "/institution/applications/?status=refused").count("data-status=") == 1


def test_institution_bad_input_gives_a_message_and_stores_nothing(client, db, institution, trainee, login_as):
    login_as(Role.INSTITUTION_STAFF)
    trainee()
    token = csrf_token(client, "/institution/applications/new")
    response = client.post("/institution/applications/new", data={
        "csrf_token": token, "enrolment_id": "123456", "kind": "review", "part": "practical"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'data-field="part"' in page
    assert (_count(db, ExamApplication)) == 0
    response = client.post("/institution/applications/new", data={"csrf_token": token, "kind": "", "part": ""})
    assert response.status_code == 400
    assert {"kind", "part", "enrolment_id"} <= set(re.findall(r'data-field="(\w+)"', response.get_data(as_text=True)))
    assert (_count(db, ExamApplication)) == 0


def test_institution_sees_only_its_own_applications(app, client, db, institution, trainee, login_as):
    enrolment_id = trainee()
    with db.transaction() as s:
        other = create_organisation(s, SYSTEM, kind=OrganisationKind.TRAINING_INSTITUTION, name="别家培训学校",
                                    credit_code=make_credit_code("12110105MB0000077"), region_code="110105").id
        training_class = _class(s, other, name="别家班")
        foreign = _enrol(s, training_class, _person(s)).id
    mine = _file(db, institution, enrolment_id)
    theirs = _file(db, other, foreign)
    login_as(Role.INSTITUTION_STAFF)
    assert client.get(f"/institution/applications/{mine.id}").status_code == 200
    assert client.get(f"/institution/applications/{theirs.id}").status_code == 404
    listing = _page(client, "/institution/applications/")
    assert f'/institution/applications/{theirs.id}"' not in listing
    assert f'value="{foreign}"' not in _page(client, "/institution/applications/new")


def test_counter_files_with_a_certificate(app, client, db, login_as):
    login_as(Role.EXAM_ADMIN)
    with app.app_context():
        id_number = _register(db, birth_date=_birth_for_age_today(30))
    token = csrf_token(client, "/centre/applications/new")
    data = {"csrf_token": token, "id_number": id_number, "operation_item_code": "1.2", "kind": "initial",
            "part": "theory", "certificate_number": "WB-2025-0002", "certificate_hours": "148",
            "trained_until": "2020-01-01", "health_declared": "y"}
    response = client.post("/centre/applications/new", data=data)
    assert response.status_code == 302
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "WB-2025-0002" in detail and 'id="status"' in detail
    assert "data-code=" not in detail
    # a second open application for the same item and part: refused with a message, nothing stored
    response = client.post("/centre/applications/new", data=data)
    assert response.status_code == 400
    assert re.search(r'data-field="part">[^<]*[\u4e00-\u9fff][^<]*</small>', response.get_data(as_text=True))
    assert _count(db, ExamApplication) == 1
    # an unregistered person and a missing certificate number: clear messages, nothing stored
    response = client.post("/centre/applications/new", data={**data, "id_number": make_id_number(
        "110105", date(1980, 1, 1), 997), "certificate_number": ""})
    assert response.status_code == 400
    assert 'data-field="certificate_number"' in response.get_data(as_text=True)
    response = client.post("/centre/applications/new", data={**data, "id_number": make_id_number(
        "110105", date(1980, 1, 1), 997)})
    assert response.status_code == 400 and 'data-field="id_number"' in response.get_data(as_text=True)
    assert _count(db, ExamApplication) == 1
    assert "data-status=" not in _page(client, "/centre/applications/?status=refused")
    assert _page(client, "/centre/applications/").count('data-status="eligible"') == 1


def test_pages_refuse_other_roles(client, login_as):
    login_as(Role.INSTITUTION_STAFF)
    assert client.get("/centre/applications/").status_code == 403
    assert client.get("/centre/applications/new").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(Role.EXAM_ADMIN)
    assert client.get("/institution/applications/").status_code == 403
    assert client.get("/centre/applications/999").status_code == 404
