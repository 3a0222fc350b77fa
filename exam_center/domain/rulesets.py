"""Dated rule sets: every number the regulation fixes, and the date arithmetic built on them.

Periods counted in months or years follow 民法典 Art. 201-202: the starting day is not counted,
the period ends on the corresponding day of the final month, and when that month has no such day
(29 February in a common year) it ends on the month's last day. So ``issue + 6 years`` is the last
day of validity.
"""
from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from exam_center.domain.education import Education
from exam_center.domain.errors import N_, DomainError, NotFound, RuleViolation, ValidationError
from exam_center.domain.idcard import Sex
from exam_center.domain.workdays import WorkdayCalendar


@dataclass(frozen=True)
class RuleSet:
    """The numbers of one version of the regulation and the period during which they apply.

    ``effective_to`` is the last day in force (inclusive); None means open-ended.

    The only rule set is ORDER30_2015: Order 30 as amended by Orders 63 and 80 (2015).
    应急管理部令第19号 (Order 19 of 2026) replaces it from 2026-06-01, but its text was not
    available, so Order 30 stays the rule set in force until someone enters ORDER19_2026: give
    ORDER30_2015 ``effective_to=date(2026, 5, 31)`` and append the new rule set to ``RULE_SETS``.
    Callers go through ``rule_set_on()`` and need no change.
    """

    name: str
    effective_from: date
    effective_to: date | None
    theory_pass_mark: int
    practical_pass_mark: int
    theory_minutes: int
    theory_full_marks: int
    practical_full_marks: int
    max_makeup_exams: int
    result_publish_working_days: int
    exam_within_days_of_application: int
    acceptance_working_days: int
    issuance_review_working_days: int
    certificate_validity_years: int
    review_interval_years: int
    extended_review_interval_years: int
    clean_years_for_extended_review: int
    review_window_days: int
    review_processing_working_days: int
    review_training_min_hours: int
    reapplication_ban_years: int
    off_post_months_for_practical_retest: int
    pass_valid_months: int
    min_age: int
    min_education: Education
    hazchem_category: str
    hazchem_min_education: Education

    def in_force_on(self, d: date) -> bool:
        return self.effective_from <= d and (self.effective_to is None or d <= self.effective_to)

    # --- deadlines -------------------------------------------------------------------------

    def exam_deadline(self, application_date: date) -> date:
        """Last day to hold the exam; the 60 days of Art. 13 are calendar days."""
        return application_date + timedelta(days=self.exam_within_days_of_application)

    def result_publish_deadline(self, exam_date: date, cal: WorkdayCalendar) -> date:
        return cal.add_working_days(exam_date, self.result_publish_working_days)

    def acceptance_deadline(self, received: date, cal: WorkdayCalendar) -> date:
        """After this day without a decision the application counts as accepted on receipt (Art. 17)."""
        return cal.add_working_days(received, self.acceptance_working_days)

    def issuance_deadline(self, accepted: date, cal: WorkdayCalendar) -> date:
        return cal.add_working_days(accepted, self.issuance_review_working_days)

    def review_deadline(self, applied: date, cal: WorkdayCalendar) -> date:
        return cal.add_working_days(applied, self.review_processing_working_days)

    # --- certificate life ------------------------------------------------------------------

    def certificate_valid_to(self, issue_date: date) -> date:
        return add_months(issue_date, 12 * self.certificate_validity_years)

    def review_due(self, issue_or_last_review_date: date, extended: bool) -> date:
        """``extended``: the authority agreed to the longer interval (Art. 21, clean record for 10 years)."""
        years = self.extended_review_interval_years if extended else self.review_interval_years
        return add_months(issue_or_last_review_date, 12 * years)

    def review_window(self, due: date) -> tuple[date, date]:
        """First and last day (both inclusive) on which the review may be applied for."""
        return due - timedelta(days=self.review_window_days), due

    def pass_valid_until(self, pass_date: date) -> date:
        """Last day on which a passed exam still counts towards a certificate."""
        return add_months(pass_date, self.pass_valid_months)

    def ban_until(self, revoked_on: date) -> date:
        """Last day of the ban on reapplying after revocation for false information or deception."""
        return add_months(revoked_on, 12 * self.reapplication_ban_years)

    def needs_practical_retest(self, off_post_since: date, on: date) -> bool:
        """Whether someone away from the post since ``off_post_since`` must retake the practical exam on ``on``."""
        return on >= add_months(off_post_since, self.off_post_months_for_practical_retest)

    # --- exams -----------------------------------------------------------------------------

    def passed_theory(self, score: float) -> bool:
        _check_score(score, self.theory_full_marks)
        return score >= self.theory_pass_mark

    def passed_practical(self, score: float, veto_failed: bool) -> bool:
        """A failed veto item (否决项) fails the practical exam whatever the score."""
        _check_score(score, self.practical_full_marks)
        return not veto_failed and score >= self.practical_pass_mark

    def makeup_allowed(self, failed_attempts: int) -> bool:
        """``failed_attempts`` counts failed sittings of the same exam, the first one included.

        Once the make-up is failed too, the candidate must retrain before sitting again.
        """
        if failed_attempts < 0:
            raise ValueError(f"failed_attempts must be >= 0, got {failed_attempts}")
        return failed_attempts <= self.max_makeup_exams

    # --- eligibility -----------------------------------------------------------------------

    def required_education(self, category_code: str) -> Education:
        return self.hazchem_min_education if category_code == self.hazchem_category else self.min_education

    def check_eligibility(
        self,
        birth_date: date,
        sex: Sex | str,
        education: Education,
        item_category_code: str,
        on: date,
        health_ok: bool,
    ) -> list[DomainError]:
        """All reasons the person may not apply on ``on`` (Art. 4); an empty list means eligible."""
        problems: list[DomainError] = []
        adult_on = add_months(birth_date, 12 * self.min_age)
        if on < adult_on:
            problems.append(
                RuleViolation(
                    "eligibility.too_young",
                    N_(
                        "Applicants must be at least %(min_age)d years old;"
                        " this person turns %(min_age)d on %(adult_on)s."
                    ),
                    field="birth_date",
                    min_age=self.min_age,
                    adult_on=adult_on.isoformat(),
                )
            )
        retirement = retirement_date(birth_date, Sex(sex))
        if on > retirement:
            months = retirement_age_months(birth_date, Sex(sex))  # only for the message
            problems.append(
                RuleViolation(
                    "eligibility.retired",
                    N_(
                        "This person reached the statutory retirement age of %(years)d years %(months)d months"
                        " on %(retirement_date)s and can no longer apply."
                    ),
                    field="birth_date",
                    years=months // 12,
                    months=months % 12,
                    retirement_date=retirement.isoformat(),
                )
            )
        required = self.required_education(item_category_code)
        if education < required:
            # The labels are Chinese because the UI is Chinese-first and render() does not translate params.
            problems.append(
                RuleViolation(
                    "eligibility.education",
                    N_("This operation requires %(required)s or higher education; the applicant has %(actual)s."),
                    field="education",
                    required=required.label_zh,
                    actual=education.label_zh,
                )
            )
        if not health_ok:
            problems.append(
                RuleViolation(
                    "eligibility.health",
                    N_(
                        "The health check has not been confirmed: applicants must pass a health check"
                        " at a community or county-level (or higher) medical institution."
                    ),
                    field="health_ok",
                )
            )
        return problems


ORDER30_2015 = RuleSet(
    name="ORDER30_2015",
    effective_from=date(2015, 7, 1),
    effective_to=None,
    theory_pass_mark=80,
    practical_pass_mark=80,
    theory_minutes=120,
    theory_full_marks=100,
    practical_full_marks=100,
    max_makeup_exams=1,
    result_publish_working_days=10,
    exam_within_days_of_application=60,
    acceptance_working_days=5,
    issuance_review_working_days=20,
    certificate_validity_years=6,
    review_interval_years=3,
    extended_review_interval_years=6,
    clean_years_for_extended_review=10,
    review_window_days=60,
    review_processing_working_days=20,
    review_training_min_hours=8,
    reapplication_ban_years=3,
    off_post_months_for_practical_retest=6,
    pass_valid_months=12,
    min_age=18,
    min_education=Education.JUNIOR_MIDDLE,
    hazchem_category="9",
    hazchem_min_education=Education.SENIOR_HIGH,
)


def validate_rule_sets(rule_sets: Iterable[RuleSet]) -> tuple[RuleSet, ...]:
    """Refuse a registry in which two rule sets are in force on the same day."""
    ordered = tuple(sorted(rule_sets, key=lambda rule_set: rule_set.effective_from))
    for earlier, later in zip(ordered, ordered[1:]):
        if earlier.effective_to is None or earlier.effective_to >= later.effective_from:
            raise ValueError(f"rule sets {earlier.name} and {later.name} overlap")
    return ordered


# Append ORDER19_2026 here once its text is known (see the RuleSet docstring).
RULE_SETS: tuple[RuleSet, ...] = validate_rule_sets((ORDER30_2015,))


def rule_set_on(d: date) -> RuleSet:
    for rule_set in RULE_SETS:
        if rule_set.in_force_on(d):
            return rule_set
    raise NotFound(
        "ruleset.none_in_force",
        N_("No examination rule set is in force on %(date)s."),
        date=d.isoformat(),
    )


# --- statutory retirement age --------------------------------------------------------------

# 全国人大常委会关于实施渐进式延迟法定退休年龄的决定 (in force 2025-01-01): the age rises by one
# month per `step` months of birth, starting with people born in `first_birth_year`, up to a cap.
@dataclass(frozen=True)
class _RetirementSchedule:
    base_years: int
    first_birth_year: int
    birth_months_per_step: int
    max_extra_months: int


_MEN = _RetirementSchedule(base_years=60, first_birth_year=1965, birth_months_per_step=4, max_extra_months=36)
# Women cadres 55 → 58. Women workers (originally 50 → 55) retire earlier, but the job category is
# unknown here, so the later schedule is used: nobody is refused who might still be eligible.
_WOMEN = _RetirementSchedule(base_years=55, first_birth_year=1970, birth_months_per_step=4, max_extra_months=36)


def retirement_age_months(birth_date: date, sex: Sex) -> int:
    """Statutory retirement age in months under the 2025 reform.

    Men: 60 years, rising to 63 for births from 1965-01 (one month per four months of birth).
    Women: 55 years, rising to 58 for births from 1970-01 at the same pace. Women workers whose
    original age was 50 (rising to 55, one month per two months from births in 1975-01) are not
    distinguished, because the job category is unknown; using the later age refuses nobody wrongly.
    Flexible retirement (弹性退休) does not change the statutory age.
    """
    schedule = _MEN if sex is Sex.MALE else _WOMEN
    months_since_start = (birth_date.year - schedule.first_birth_year) * 12 + birth_date.month - 1
    extra = 0 if months_since_start < 0 else months_since_start // schedule.birth_months_per_step + 1
    return schedule.base_years * 12 + min(extra, schedule.max_extra_months)


def retirement_date(birth_date: date, sex: Sex) -> date:
    """The day the person reaches the statutory retirement age; from the next day they are above it."""
    return add_months(birth_date, retirement_age_months(birth_date, sex))


def add_months(d: date, months: int) -> date:
    """The corresponding day ``months`` later, or that month's last day if it has none (民法典 Art. 202)."""
    month_index = d.year * 12 + d.month - 1 + months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))


def _check_score(score: float, full_marks: int) -> None:
    if not 0 <= score <= full_marks:
        raise ValidationError(
            "ruleset.score_out_of_range",
            N_("A score must be between 0 and %(full_marks)d, but %(score)s was given."),
            field="score",
            full_marks=full_marks,
            score=score,
        )
