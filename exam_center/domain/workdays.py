"""Working days (工作日) for statutory deadlines, following the State Council holiday notices."""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, timedelta
from os import PathLike
from typing import Any

import chinese_calendar

from exam_center.domain.errors import N_, ValidationError

FIELD = "supplement"
# date.fromisoformat alone would also take forms like 20270101 or 2027-W01-1.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)

# The package raises for years it has no data for; compute its range once instead of catching that.
_PACKAGE_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)


class WorkdayCalendar:
    """Which days count as working days.

    Statutory holidays are days off; weekends moved to working days (调休) count as working days.
    Data comes from the ``chinese_calendar`` package, which follows the annual State Council notice,
    and from an optional supplement for years the package does not know yet. A supplement is the
    whole truth for the years it lists, overriding the package for those years.

    For a year covered by neither, only Monday to Friday count as working days, ignoring holidays
    that have not been announced; ``is_provisional`` is then True and callers must show deadlines
    in that year as provisional.
    """

    def __init__(self, supplement: Mapping[str, Any] | None = None) -> None:
        self._years: frozenset[int] = frozenset()
        self._holidays: frozenset[date] = frozenset()
        self._workdays: frozenset[date] = frozenset()
        if supplement is not None:
            self._years, self._holidays, self._workdays = _parse_supplement(supplement)

    @classmethod
    def from_file(cls, path: str | PathLike[str]) -> WorkdayCalendar:
        """Load a JSON supplement: {"years": [2027], "holidays": ["2027-01-01"], "workdays": ["2027-02-07"]}."""
        with open(path, encoding="utf-8") as handle:
            try:
                document = json.load(handle)
            except json.JSONDecodeError as error:
                raise ValidationError(
                    "workdays.supplement.invalid_json",
                    N_("The holiday supplement is not valid JSON (line %(line)d, column %(column)d)."),
                    field=FIELD,
                    line=error.lineno,
                    column=error.colno,
                ) from None
        return cls(document)

    def is_provisional(self, d: date) -> bool:
        return d.year not in self._years and d.year not in _PACKAGE_YEARS

    def is_workday(self, d: date) -> bool:
        if d.year in self._years:
            return d in self._workdays or (d.weekday() < 5 and d not in self._holidays)
        if d.year in _PACKAGE_YEARS:
            return chinese_calendar.is_workday(d)
        return d.weekday() < 5

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day strictly after ``start``; ``start`` itself when n == 0."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        day = start
        while n:
            day += timedelta(days=1)
            if self.is_workday(day):
                n -= 1
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; 0 when b is not after a."""
        count = 0
        day = a + timedelta(days=1)
        while day <= b:
            count += self.is_workday(day)
            day += timedelta(days=1)
        return count


def _parse_supplement(document: Mapping[str, Any]) -> tuple[frozenset[int], frozenset[date], frozenset[date]]:
    if not isinstance(document, Mapping):
        raise _malformed()
    years = document.get("years")
    holidays = document.get("holidays", [])
    workdays = document.get("workdays", [])
    if not isinstance(years, list) or not years or not all(_is_year(year) for year in years):
        raise _malformed()
    if not isinstance(holidays, list) or not isinstance(workdays, list):
        raise _malformed()

    year_set = frozenset(years)
    holiday_set = frozenset(_supplement_date(text, year_set) for text in holidays)
    workday_set = frozenset(_supplement_date(text, year_set) for text in workdays)
    both = holiday_set & workday_set
    if both:
        raise ValidationError(
            "workdays.supplement.conflict",
            N_("The holiday supplement lists %(date)s both as a holiday and as a working day."),
            field=FIELD,
            date=min(both).isoformat(),
        )
    return year_set, holiday_set, workday_set


def _is_year(value: object) -> bool:
    # bool is an int subclass; true/false in JSON is a mistake, not a year.
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 9999


def _supplement_date(text: object, years: frozenset[int]) -> date:
    try:
        if not isinstance(text, str) or not _ISO_DATE.fullmatch(text):
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            "workdays.supplement.bad_date",
            N_("The holiday supplement contains %(value)s, which is not a date in the form YYYY-MM-DD."),
            field=FIELD,
            value=str(text),
        ) from None
    if day.year not in years:
        raise ValidationError(
            "workdays.supplement.outside_years",
            N_("The holiday supplement lists %(date)s, but %(year)d is not one of the years it covers."),
            field=FIELD,
            date=text,
            year=day.year,
        )
    return day


def _malformed() -> ValidationError:
    return ValidationError(
        "workdays.supplement.malformed",
        N_(
            "The holiday supplement must be an object with a non-empty list of years"
            " and lists of holidays and working days."
        ),
        field=FIELD,
    )
