from dataclasses import replace
from datetime import date

import pytest

from exam_center.domain.education import Education
from exam_center.domain.errors import NotFound, RuleViolation, ValidationError
from exam_center.domain.idcard import Sex
from exam_center.domain.rulesets import (
    ORDER30_2015,
    RULE_SETS,
    add_months,
    retirement_age_months,
    retirement_date,
    rule_set_on,
    validate_rule_sets,
)
from exam_center.domain.workdays import WorkdayCalendar

RULES = ORDER30_2015
CAL = WorkdayCalendar()


def test_order30_numbers():
    assert (RULES.theory_pass_mark, RULES.practical_pass_mark) == (80, 80)
    assert (RULES.theory_minutes, RULES.theory_full_marks, RULES.practical_full_marks) == (120, 100, 100)
    assert RULES.max_makeup_exams == 1
    assert RULES.certificate_validity_years == 6
    assert (RULES.review_interval_years, RULES.extended_review_interval_years) == (3, 6)
    assert RULES.clean_years_for_extended_review == 10
    assert (RULES.exam_within_days_of_application, RULES.result_publish_working_days) == (60, 10)
    assert (RULES.acceptance_working_days, RULES.issuance_review_working_days) == (5, 20)
    assert (RULES.review_window_days, RULES.review_processing_working_days) == (60, 20)
    assert (RULES.reapplication_ban_years, RULES.off_post_months_for_practical_retest, RULES.pass_valid_months) == (3, 6, 12)
    assert RULES.review_training_min_hours == 8
    assert (RULES.min_age, RULES.min_education) == (18, Education.JUNIOR_MIDDLE)
    assert (RULES.hazchem_category, RULES.hazchem_min_education) == ("9", Education.SENIOR_HIGH)


def test_rule_set_in_force():
    assert RULE_SETS == (ORDER30_2015,)
    assert rule_set_on(date(2015, 7, 1)) is ORDER30_2015
    assert rule_set_on(date(2026, 6, 1)) is ORDER30_2015  # until ORDER19_2026 is entered


def test_no_rule_set_before_2015_amendment():
    with pytest.raises(NotFound) as caught:
        rule_set_on(date(2015, 6, 30))
    assert caught.value.code == "ruleset.none_in_force"
    assert caught.value.params == {"date": "2015-06-30"}


def test_registry_refuses_overlapping_rule_sets():
    successor = replace(ORDER30_2015, name="NEXT", effective_from=date(2026, 6, 1))
    with pytest.raises(ValueError, match="ORDER30_2015 and NEXT overlap"):
        validate_rule_sets((successor, ORDER30_2015))
    closed = replace(ORDER30_2015, effective_to=date(2026, 5, 31))
    assert validate_rule_sets((successor, closed)) == (closed, successor)


def test_exam_deadline_is_60_calendar_days():
    assert RULES.exam_deadline(date(2025, 9, 1)) == date(2025, 10, 31)


def test_working_day_deadlines_skip_national_day():
    assert RULES.result_publish_deadline(date(2025, 9, 26), CAL) == date(2025, 10, 16)
    assert RULES.acceptance_deadline(date(2025, 9, 30), CAL) == date(2025, 10, 14)  # 9, 10, 11(Sat), 13, 14
    # 8 working days in October up to the 17th, then 5 + 5, then 3 and 4 November.
    assert RULES.issuance_deadline(date(2025, 9, 30), CAL) == date(2025, 11, 4)
    assert RULES.review_deadline(date(2025, 9, 30), CAL) == date(2025, 11, 4)


def test_certificate_validity_and_leap_day():
    assert RULES.certificate_valid_to(date(2019, 5, 20)) == date(2025, 5, 20)
    assert RULES.certificate_valid_to(date(2020, 2, 29)) == date(2026, 2, 28)
    assert RULES.certificate_valid_to(date(2018, 2, 28)) == date(2024, 2, 28)


def test_review_due_and_window():
    assert RULES.review_due(date(2022, 3, 15), extended=False) == date(2025, 3, 15)
    assert RULES.review_due(date(2022, 3, 15), extended=True) == date(2028, 3, 15)
    assert RULES.review_window(date(2025, 3, 15)) == (date(2025, 1, 14), date(2025, 3, 15))


def test_pass_validity_ban_and_retest():
    assert RULES.pass_valid_until(date(2025, 3, 31)) == date(2026, 3, 31)
    assert RULES.pass_valid_until(date(2024, 2, 29)) == date(2025, 2, 28)
    assert RULES.ban_until(date(2025, 8, 31)) == date(2028, 8, 31)
    assert not RULES.needs_practical_retest(date(2025, 1, 31), date(2025, 7, 30))
    assert RULES.needs_practical_retest(date(2025, 1, 31), date(2025, 7, 31))
    assert RULES.needs_practical_retest(date(2025, 8, 31), date(2026, 2, 28))  # no 31 Feb: month end


def test_add_months_across_years():
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


@pytest.mark.parametrize("score, passed", [(80, True), (79.5, False), (100, True), (0, False)])
def test_theory_pass_mark(score, passed):
    assert RULES.passed_theory(score) is passed


def test_practical_veto_fails_whatever_the_score():
    assert RULES.passed_practical(80, veto_failed=False)
    assert not RULES.passed_practical(79, veto_failed=False)
    assert not RULES.passed_practical(100, veto_failed=True)


@pytest.mark.parametrize("score", [-1, 100.5])
def test_score_out_of_range(score):
    for check in (RULES.passed_theory, lambda s: RULES.passed_practical(s, veto_failed=False)):
        with pytest.raises(ValidationError) as caught:
            check(score)
        assert caught.value.code == "ruleset.score_out_of_range"
        assert caught.value.field == "score"


def test_one_makeup_then_retraining():
    assert RULES.makeup_allowed(1)
    assert not RULES.makeup_allowed(2)
    with pytest.raises(ValueError):
        RULES.makeup_allowed(-1)


@pytest.mark.parametrize(
    "birth, sex, years, months",
    [
        (date(1964, 12, 31), Sex.MALE, 60, 0),
        (date(1965, 1, 1), Sex.MALE, 60, 1),
        (date(1965, 4, 30), Sex.MALE, 60, 1),
        (date(1965, 5, 1), Sex.MALE, 60, 2),
        (date(1970, 1, 1), Sex.MALE, 61, 4),
        (date(1976, 8, 31), Sex.MALE, 62, 11),
        (date(1976, 9, 1), Sex.MALE, 63, 0),
        (date(1990, 1, 1), Sex.MALE, 63, 0),
        (date(1969, 12, 31), Sex.FEMALE, 55, 0),
        (date(1970, 1, 1), Sex.FEMALE, 55, 1),
        (date(1975, 1, 1), Sex.FEMALE, 56, 4),
        (date(1981, 8, 1), Sex.FEMALE, 57, 11),
        (date(1981, 9, 1), Sex.FEMALE, 58, 0),
    ],
)
def test_retirement_age_after_2025_reform(birth, sex, years, months):
    assert retirement_age_months(birth, sex) == years * 12 + months


def test_retirement_date():
    assert retirement_date(date(1965, 3, 10), Sex.MALE) == date(2025, 4, 10)
    # Born 1972-05..08: 55 years 8 months (official table: retires 2028-01..04).
    assert retirement_date(date(1972, 6, 15), Sex.FEMALE) == date(2028, 2, 15)


ADULT = dict(
    birth_date=date(1990, 5, 1), sex="M", education=Education.JUNIOR_MIDDLE, item_category_code="1", health_ok=True
)


def _codes(**overrides) -> list[str]:
    arguments = {**ADULT, "on": date(2025, 6, 1), **overrides}
    problems = RULES.check_eligibility(**arguments)
    assert all(isinstance(problem, RuleViolation) for problem in problems)
    return [problem.code for problem in problems]


def test_eligible_adult():
    assert _codes() == []


def test_too_young_until_the_18th_birthday():
    problems = RULES.check_eligibility(**{**ADULT, "birth_date": date(2007, 6, 2)}, on=date(2025, 6, 1))
    assert [problem.code for problem in problems] == ["eligibility.too_young"]
    assert problems[0].field == "birth_date"
    assert problems[0].params == {"min_age": 18, "adult_on": "2025-06-02"}
    assert _codes(birth_date=date(2007, 6, 1)) == []


def test_retired_after_the_retirement_date():
    # Man born 1965-03-10 reaches 60 years 1 month on 2025-04-10.
    assert _codes(birth_date=date(1965, 3, 10), on=date(2025, 4, 10)) == []
    problems = RULES.check_eligibility(**{**ADULT, "birth_date": date(1965, 3, 10)}, on=date(2025, 4, 11))
    assert [problem.code for problem in problems] == ["eligibility.retired"]
    assert problems[0].params == {"years": 60, "months": 1, "retirement_date": "2025-04-10"}


def test_women_use_the_55_to_58_schedule():
    # Born 1970-01-15: 55 years 1 month → 2025-02-15. Under the 50 → 55 schedule she would be long retired.
    assert _codes(birth_date=date(1970, 1, 15), sex=Sex.FEMALE, on=date(2025, 2, 15)) == []
    assert _codes(birth_date=date(1970, 1, 15), sex=Sex.FEMALE, on=date(2025, 2, 16)) == ["eligibility.retired"]


def test_education_minimum():
    assert _codes(education=Education.PRIMARY) == ["eligibility.education"]
    assert _codes(education=Education.JUNIOR_MIDDLE, item_category_code="9") == ["eligibility.education"]
    assert _codes(education=Education.SENIOR_HIGH, item_category_code="9") == []
    problem = RULES.check_eligibility(**{**ADULT, "item_category_code": "9"}, on=date(2025, 6, 1))[0]
    assert problem.field == "education"
    assert problem.params == {"required": Education.SENIOR_HIGH.label_zh, "actual": Education.JUNIOR_MIDDLE.label_zh}


def test_health_not_confirmed():
    problems = RULES.check_eligibility(**{**ADULT, "health_ok": False}, on=date(2025, 6, 1))
    assert [problem.code for problem in problems] == ["eligibility.health"]
    assert problems[0].field == "health_ok"


def test_all_problems_are_reported_together():
    assert _codes(birth_date=date(2010, 1, 1), education=Education.PRIMARY, health_ok=False) == [
        "eligibility.too_young",
        "eligibility.education",
        "eligibility.health",
    ]
