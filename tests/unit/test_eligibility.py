"""The eligibility gate, rule by rule at its boundaries (pure: no database)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from exam_center.domain import rulesets
from exam_center.domain.education import Education
from exam_center.domain.errors import InvalidFields, NotFound
from exam_center.domain.rulesets import ORDER30_2015, validate_rule_sets
from exam_center.models import ApplicationKind as K
from exam_center.models import ExamPart as P
from exam_center.services.eligibility import (
    ApplicationFacts,
    AttendedHours,
    CertificateHours,
    ItemFacts,
    Sitting,
    check_application,
)

FILED = date(2025, 3, 10)
LOW_VOLTAGE = ItemFacts("1.2", "1", Education.JUNIOR_MIDDLE, 88, 60, 148, 8)         # 88 / 60
WORK_AT_HEIGHT = ItemFacts("3.2", "3", Education.JUNIOR_MIDDLE, None, None, 104, 8)  # total only
COAL = ItemFacts("5.1", "5", Education.JUNIOR_MIDDLE, None, None, None, 8)           # no outline hours
HAZCHEM = ItemFacts("9.1", "9", Education.SENIOR_HIGH, None, None, None, 8)
FULL = AttendedHours(theory=88, practical=60, planned_theory=80, planned_practical=40)


def facts(**changes) -> ApplicationFacts:
    base = ApplicationFacts(filed_on=FILED, kind=K.INITIAL, part=P.THEORY, birth_date=date(1990, 5, 17), sex="M",
                            education=Education.JUNIOR_MIDDLE, item=LOW_VOLTAGE, health_declared=True,
                            training=FULL, trained_until=date(2025, 2, 28))
    return replace(base, **changes)


def codes(f: ApplicationFacts) -> list[str]:
    return [reason.code for reason in check_application(f).reasons]


def test_a_complete_application_is_eligible_with_the_60_day_deadline():
    result = check_application(facts())
    assert result.eligible and result.reasons == ()
    assert result.rule_set is ORDER30_2015
    assert result.exam_deadline == date(2025, 5, 9)


# --- age --------------------------------------------------------------------------------------------

def test_exactly_18_on_the_filing_date_is_eligible():
    assert codes(facts(birth_date=date(2007, 3, 10))) == []


def test_17_years_364_days_is_refused():
    f = facts(birth_date=date(2007, 3, 11))
    assert date(2024, 3, 11) + timedelta(days=364) == FILED  # 17th birthday + 364 days
    result = check_application(f)
    assert [r.code for r in result.reasons] == ["eligibility.too_young"]
    assert result.reasons[0].params["adult_on"] == "2025-03-11"


def test_born_on_29_february_turns_18_on_1_march_in_a_common_year():
    # 民法典 Art. 202: the period ends on the month's last day, 28 February.
    assert codes(facts(birth_date=date(2004, 2, 29), filed_on=date(2022, 2, 28))) == []
    assert codes(facts(birth_date=date(2004, 2, 29), filed_on=date(2022, 2, 27))) == ["eligibility.too_young"]


def test_above_the_retirement_age_is_refused():
    # A man born 1964-06-01 retires at 60 on 2024-06-01.
    assert codes(facts(birth_date=date(1964, 6, 1), filed_on=date(2024, 6, 1))) == []
    assert codes(facts(birth_date=date(1964, 6, 1), filed_on=date(2024, 6, 2))) == ["eligibility.retired"]


# --- education and health -------------------------------------------------------------------------

def test_education_one_level_short_is_refused():
    assert codes(facts(education=Education.PRIMARY)) == ["eligibility.education"]
    assert codes(facts(education=Education.JUNIOR_MIDDLE)) == []


def test_hazardous_chemicals_need_senior_high():
    hours = AttendedHours(40, 40, 40, 40)
    result = check_application(facts(item=HAZCHEM, training=hours, education=Education.JUNIOR_MIDDLE))
    assert [r.code for r in result.reasons] == ["eligibility.education"]
    assert result.reasons[0].params == {"required": "高中（含中专、职高、技校）", "actual": "初中"}
    assert codes(facts(item=HAZCHEM, training=hours, education=Education.SENIOR_HIGH)) == []


def test_catalogue_item_asking_more_than_its_category_is_honoured_once():
    demanding = replace(COAL, min_education=Education.SENIOR_HIGH)
    hours = AttendedHours(80, 40, 80, 40)
    assert codes(facts(item=demanding, training=hours)) == ["eligibility.education"]
    assert codes(facts(item=demanding, training=hours, education=Education.PRIMARY)) == ["eligibility.education"]


def test_holders_are_not_refused_for_education():
    review = facts(kind=K.REVIEW, education=Education.PRIMARY, training=AttendedHours(8, 0, 8, 0))
    assert codes(review) == []


def test_no_health_declaration_is_refused():
    assert codes(facts(health_declared=False)) == ["eligibility.health"]


# --- training hours -------------------------------------------------------------------------------

@pytest.mark.parametrize("theory,practical,expected", [
    (88, 60, []),
    (87, 60, ["eligibility.hours_theory"]),
    (88, 59, ["eligibility.hours_practical"]),
    (87, 59, ["eligibility.hours_theory", "eligibility.hours_practical"]),
    (148, 0, ["eligibility.hours_practical"]),  # the split counts, not only the total
])
def test_outline_hours_theory_and_practical_separately(theory, practical, expected):
    assert codes(facts(training=AttendedHours(theory, practical, 0, 0))) == expected


def test_shortfall_reports_actual_and_required():
    reason = check_application(facts(training=AttendedHours(87, 60, 0, 0))).reasons[0]
    assert reason.params == {"actual": 87, "required": 88}
    assert "87" in reason.render() and "88" in reason.render()


def test_total_hours_where_the_outline_gives_only_a_total():
    assert codes(facts(item=WORK_AT_HEIGHT, training=AttendedHours(50, 54, 0, 0))) == []
    assert codes(facts(item=WORK_AT_HEIGHT, training=AttendedHours(50, 53, 0, 0))) == ["eligibility.hours_total"]


def test_class_plan_where_the_catalogue_has_no_hours():
    assert codes(facts(item=COAL, training=AttendedHours(80, 40, 80, 40))) == []
    assert codes(facts(item=COAL, training=AttendedHours(79, 40, 80, 40))) == ["eligibility.hours_theory"]
    assert codes(facts(item=COAL, training=AttendedHours(80, 39, 80, 40))) == ["eligibility.hours_practical"]


@pytest.mark.parametrize("hours,expected", [(8, []), (7, ["eligibility.review_hours"])])
def test_review_needs_8_hours(hours, expected):
    assert codes(facts(kind=K.REVIEW, training=AttendedHours(hours, 0, 8, 0))) == expected
    assert codes(facts(kind=K.REVIEW, training=CertificateHours("PX-1", hours))) == expected


def test_external_certificate_hours_replace_attendance():
    assert codes(facts(training=CertificateHours("WB-2024-001", 148))) == []
    result = check_application(facts(training=CertificateHours("WB-2024-001", 147)))
    assert [r.code for r in result.reasons] == ["eligibility.certificate_hours"]
    assert result.reasons[0].params == {"actual": 147, "required": 148}
    # no outline hours known: the certificate is taken as it stands
    assert codes(facts(item=COAL, training=CertificateHours("WB-2024-002", 1))) == []


def test_no_training_at_all_is_refused():
    assert codes(facts(training=None)) == ["eligibility.no_training"]


# --- reapplication ban ----------------------------------------------------------------------------

def test_ban_until_the_filing_date_refuses_and_the_day_before_allows():
    assert codes(facts(ban_until=FILED)) == ["eligibility.banned"]
    assert codes(facts(ban_until=FILED - timedelta(days=1))) == []


# --- make-up --------------------------------------------------------------------------------------

FAIL_1 = Sitting(P.THEORY, False, date(2025, 3, 1))
FAIL_2 = Sitting(P.THEORY, False, date(2025, 3, 8))


def test_first_make_up_is_allowed():
    assert codes(facts(kind=K.MAKEUP, sittings=(FAIL_1,))) == []


def test_second_make_up_requires_retraining():
    result = check_application(facts(kind=K.MAKEUP, sittings=(FAIL_1, FAIL_2)))
    assert [r.code for r in result.reasons] == ["eligibility.retraining_required"]
    assert result.reasons[0].params == {"failures": 2, "last": "2025-03-08"}
    # a third sitting filed as an initial exam is refused the same way
    assert codes(facts(kind=K.INITIAL, sittings=(FAIL_1, FAIL_2))) == ["eligibility.retraining_required"]


def test_make_up_without_a_failed_exam_is_refused():
    assert codes(facts(kind=K.MAKEUP)) == ["eligibility.makeup_nothing_failed"]
    # a failure of the other part does not count
    assert codes(facts(kind=K.MAKEUP, sittings=(Sitting(P.PRACTICAL, False, date(2025, 3, 1)),))) == \
        ["eligibility.makeup_nothing_failed"]


def test_initial_after_a_failure_must_be_a_make_up():
    assert codes(facts(kind=K.INITIAL, sittings=(FAIL_1,))) == ["eligibility.use_makeup"]


def test_retraining_resets_the_count():
    retrained = facts(kind=K.INITIAL, sittings=(FAIL_1, FAIL_2), trained_until=date(2025, 3, 9))
    assert codes(retrained) == []
    after = facts(kind=K.MAKEUP, sittings=(FAIL_1, FAIL_2, Sitting(P.THEORY, False, date(2025, 3, 10))),
                  trained_until=date(2025, 3, 9))
    assert codes(after) == []


# --- practical after a valid theory pass ----------------------------------------------------------

def test_practical_exactly_12_months_after_the_theory_pass_is_allowed():
    passed = Sitting(P.THEORY, True, date(2024, 3, 10))
    assert codes(facts(part=P.PRACTICAL, sittings=(passed,), filed_on=date(2025, 3, 10))) == []


def test_practical_one_day_after_the_12_months_is_refused():
    passed = Sitting(P.THEORY, True, date(2024, 3, 10))
    result = check_application(facts(part=P.PRACTICAL, sittings=(passed,), filed_on=date(2025, 3, 11)))
    assert [r.code for r in result.reasons] == ["eligibility.theory_pass_expired"]
    assert result.reasons[0].params == {"passed_on": "2024-03-10", "valid_until": "2025-03-10"}


def test_practical_without_a_theory_pass_is_refused():
    failed = Sitting(P.THEORY, False, date(2025, 3, 1))
    assert codes(facts(part=P.PRACTICAL, sittings=(failed,))) == ["eligibility.theory_pass_missing"]


def test_practical_make_up_also_needs_the_theory_pass():
    practical_fail = Sitting(P.PRACTICAL, False, date(2025, 3, 5))
    theory_pass = Sitting(P.THEORY, True, date(2025, 2, 20))
    assert codes(facts(kind=K.MAKEUP, part=P.PRACTICAL, sittings=(theory_pass, practical_fail))) == []
    assert codes(facts(kind=K.MAKEUP, part=P.PRACTICAL, sittings=(practical_fail,))) == \
        ["eligibility.theory_pass_missing"]


# --- practical retest -----------------------------------------------------------------------------

def test_practical_retest_from_six_months_off_post():
    retest = facts(kind=K.PRACTICAL_RETEST, part=P.PRACTICAL, training=None)
    assert codes(replace(retest, off_post_since=date(2024, 9, 10))) == []
    result = check_application(replace(retest, off_post_since=date(2024, 9, 11)))
    assert [r.code for r in result.reasons] == ["eligibility.retest_not_due"]
    assert result.reasons[0].params["due"] == "2025-03-11"


def test_malformed_requests_raise_instead_of_refusing():
    with pytest.raises(InvalidFields) as caught:
        check_application(facts(kind=K.REVIEW, part=P.PRACTICAL))
    assert [e.code for e in caught.value.errors] == ["application.part_for_kind"]
    with pytest.raises(InvalidFields) as caught:
        check_application(facts(kind=K.PRACTICAL_RETEST, part=P.THEORY))
    assert [e.code for e in caught.value.errors] == ["application.part_for_kind", "application.off_post_missing"]
    with pytest.raises(InvalidFields) as caught:
        check_application(facts(kind=K.PRACTICAL_RETEST, part=P.PRACTICAL, off_post_since=FILED + timedelta(days=1)))
    assert [e.code for e in caught.value.errors] == ["application.off_post_future"]


# --- everything at once, and the rule set of the filing date --------------------------------------

def test_every_failed_rule_is_reported_at_once():
    result = check_application(facts(
        birth_date=date(2008, 1, 1), education=Education.PRIMARY, health_declared=False,
        training=AttendedHours(10, 5, 0, 0), ban_until=date(2026, 1, 1), kind=K.MAKEUP, part=P.PRACTICAL))
    assert [r.code for r in result.reasons] == [
        "eligibility.too_young", "eligibility.education", "eligibility.health", "eligibility.banned",
        "eligibility.hours_theory", "eligibility.hours_practical", "eligibility.makeup_nothing_failed",
        "eligibility.theory_pass_missing"]
    assert not result.eligible


def test_the_rule_set_in_force_on_the_filing_date_is_used(monkeypatch):
    closed = replace(ORDER30_2015, effective_to=date(2026, 5, 31))
    stricter = replace(ORDER30_2015, name="TEST_2026", effective_from=date(2026, 6, 1), effective_to=None,
                       min_age=20, exam_within_days_of_application=30)
    monkeypatch.setattr(rulesets, "RULE_SETS", validate_rule_sets((closed, stricter)))
    nineteen = date(2007, 1, 1)
    before = check_application(facts(birth_date=nineteen, filed_on=date(2026, 5, 31)))
    assert before.eligible and before.rule_set.name == "ORDER30_2015"
    assert before.exam_deadline == date(2026, 7, 30)
    after = check_application(facts(birth_date=nineteen, filed_on=date(2026, 6, 1)))
    assert after.rule_set.name == "TEST_2026" and after.exam_deadline == date(2026, 7, 1)
    assert [r.code for r in after.reasons] == ["eligibility.too_young"]


def test_no_rule_set_before_2015_07_01():
    with pytest.raises(NotFound):
        check_application(facts(filed_on=date(2015, 6, 30)))
