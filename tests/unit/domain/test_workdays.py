import json
from datetime import date, timedelta

import pytest

from exam_center.domain.errors import ValidationError
from exam_center.domain.workdays import WorkdayCalendar

CAL = WorkdayCalendar()

SUPPLEMENT_2027 = {
    "years": [2027],
    "holidays": ["2027-01-01", "2027-02-08"],
    "workdays": ["2027-02-07"],
}


def test_national_day_2025_is_off_and_makeup_weekends_work():
    for day in range(1, 9):
        assert not CAL.is_workday(date(2025, 10, day))
    assert CAL.is_workday(date(2025, 9, 28))  # Sunday, 调休
    assert CAL.is_workday(date(2025, 10, 11))  # Saturday, 调休
    assert CAL.is_workday(date(2025, 10, 9))
    assert not CAL.is_workday(date(2025, 10, 12))  # ordinary Sunday


def test_spring_festival_2026():
    for day in range(15, 24):
        assert not CAL.is_workday(date(2026, 2, day))
    assert CAL.is_workday(date(2026, 2, 14))  # Saturday, 调休
    assert CAL.is_workday(date(2026, 2, 28))  # Saturday, 调休
    assert CAL.is_workday(date(2026, 2, 24))


def test_labour_day_2024():
    assert not CAL.is_workday(date(2024, 5, 1))
    assert not CAL.is_workday(date(2024, 5, 3))
    assert CAL.is_workday(date(2024, 5, 11))  # Saturday, 调休


def test_add_working_days_skips_the_national_day_holiday():
    assert CAL.add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert CAL.add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 28)
    # 10 working days after 2025-09-26: 28, 29, 30 Sep, 9, 10, 11, 13, 14, 15, 16 Oct.
    assert CAL.add_working_days(date(2025, 9, 26), 10) == date(2025, 10, 16)


def test_add_zero_working_days_returns_start_even_on_a_holiday():
    assert CAL.add_working_days(date(2025, 10, 1), 0) == date(2025, 10, 1)


def test_add_negative_working_days_is_refused():
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2025, 10, 1), -1)


def test_working_days_between_excludes_start_and_includes_end():
    assert CAL.working_days_between(date(2025, 9, 26), date(2025, 10, 16)) == 10
    assert CAL.working_days_between(date(2025, 9, 30), date(2025, 10, 8)) == 0
    assert CAL.working_days_between(date(2025, 9, 30), date(2025, 10, 9)) == 1
    assert CAL.working_days_between(date(2025, 10, 9), date(2025, 10, 9)) == 0
    assert CAL.working_days_between(date(2025, 10, 9), date(2025, 9, 1)) == 0


def test_between_and_add_agree():
    start = date(2026, 1, 30)
    for n in (1, 5, 10, 20):
        assert CAL.working_days_between(start, CAL.add_working_days(start, n)) == n


def test_uncovered_year_is_provisional_and_counts_monday_to_friday():
    assert not CAL.is_provisional(date(2026, 12, 31))
    assert CAL.is_provisional(date(2027, 1, 1))
    assert CAL.is_workday(date(2027, 1, 1))  # a Friday; New Year is not known yet
    assert not CAL.is_workday(date(2027, 1, 2))
    # Crossing into the uncovered year: 2026-12-31 (Thu) → Fri 1 Jan, Mon 4 Jan.
    assert CAL.add_working_days(date(2026, 12, 31), 2) == date(2027, 1, 4)


def test_supplement_covers_a_new_year():
    cal = WorkdayCalendar(SUPPLEMENT_2027)
    assert not cal.is_provisional(date(2027, 6, 1))
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.is_workday(date(2027, 2, 7))  # a Sunday made a working day
    assert not cal.is_workday(date(2027, 2, 8))
    assert cal.is_workday(date(2027, 2, 9))
    assert cal.is_provisional(date(2028, 1, 3))
    assert cal.is_workday(date(2025, 9, 28))  # package data still used for other years


def test_supplement_overrides_the_package_for_the_years_it_lists():
    cal = WorkdayCalendar({"years": [2025], "holidays": [], "workdays": []})
    assert cal.is_workday(date(2025, 10, 1))
    assert not cal.is_workday(date(2025, 9, 28))


def test_from_file(tmp_path):
    path = tmp_path / "holidays.json"
    path.write_text(json.dumps(SUPPLEMENT_2027), encoding="utf-8")
    cal = WorkdayCalendar.from_file(path)
    assert not cal.is_workday(date(2027, 1, 1))


def _supplement_error(document) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        WorkdayCalendar(document)
    assert caught.value.field == "supplement"
    return caught.value


@pytest.mark.parametrize("value", ["2027-02-30", "2027/01/01", "20270101", "2027-W01-1", 20270101])
def test_bad_date(value):
    error = _supplement_error({"years": [2027], "holidays": [value], "workdays": []})
    assert error.code == "workdays.supplement.bad_date"
    assert error.params == {"value": str(value)}


def test_date_both_holiday_and_workday():
    error = _supplement_error({"years": [2027], "holidays": ["2027-02-07"], "workdays": ["2027-02-07"]})
    assert error.code == "workdays.supplement.conflict"
    assert error.params == {"date": "2027-02-07"}


def test_date_outside_the_listed_years():
    error = _supplement_error({"years": [2027], "holidays": [], "workdays": ["2028-01-02"]})
    assert error.code == "workdays.supplement.outside_years"
    assert error.params == {"date": "2028-01-02", "year": 2028}


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"holidays": []},
        {"years": []},
        {"years": ["2027"]},
        {"years": [True]},
        {"years": [2027], "holidays": "2027-01-01"},
    ],
)
def test_malformed_supplement(document):
    assert _supplement_error(document).code == "workdays.supplement.malformed"


def test_file_that_is_not_json(tmp_path):
    path = tmp_path / "holidays.json"
    path.write_text('{"years": [2027],\n oops}', encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        WorkdayCalendar.from_file(path)
    assert caught.value.code == "workdays.supplement.invalid_json"
    assert caught.value.params["line"] == 2


def test_every_day_of_a_covered_year_matches_the_package():
    import chinese_calendar

    day = date(2024, 1, 1)
    while day.year == 2024:
        assert CAL.is_workday(day) == chinese_calendar.is_workday(day)
        day += timedelta(days=1)
