"""The eligibility gate (报考资格审核): every reason an exam application must be refused, all at once.

A pure function over plain facts: no database, no clock. ``services.applications`` gathers the
facts; this module decides, with the rule set in force on the filing date (Order 30, Art. 4, 13,
30, 32; 暂行办法 Art. 10; rules.md §1 and §6).

Rules (each failed one adds a reason; nothing stops at the first):
- age, retirement age, education, health declaration: ``RuleSet.check_eligibility``. Education is
  checked for initial and make-up applications only: holders (review, practical retest) met it
  when their certificate was issued.
- training hours: for initial and make-up applications the outline's initial hours (theory and
  practical separately where the catalogue splits them, else the total, else the class's planned
  hours); for a review at least ``review_training_min_hours`` (8). Hours come from attendance in
  the class the application is filed through, or from another institution's training certificate.
- no reapplication ban in force on the filing date (``until`` inclusive).
- one make-up per failed exam part: failures of that part are counted since the later of the
  last pass of that part and the end of the latest training; after two the person must retrain.
- the practical part (initial or make-up) needs a theory pass still valid on the filing date.
- a practical retest only for a holder off post for at least 6 months.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from exam_center.domain.education import Education
from exam_center.domain.errors import (
    N_,
    DomainError,
    InvalidFields,
    RuleViolation,
    ValidationError,
)
from exam_center.domain.idcard import Sex
from exam_center.domain.rulesets import RuleSet, add_months, rule_set_on
from exam_center.models import ApplicationKind, ExamPart

# Part and kind combinations the regulation knows: a review exam is theory, a retest is practical.
_ALLOWED_PARTS = {
    ApplicationKind.INITIAL: (ExamPart.THEORY, ExamPart.PRACTICAL),
    ApplicationKind.MAKEUP: (ExamPart.THEORY, ExamPart.PRACTICAL),
    ApplicationKind.REVIEW: (ExamPart.THEORY,),
    ApplicationKind.PRACTICAL_RETEST: (ExamPart.PRACTICAL,),
}
_FIRST_TIME_KINDS = (ApplicationKind.INITIAL, ApplicationKind.MAKEUP)


@dataclass(frozen=True)
class ItemFacts:
    """The operation item applied for, as the catalogue describes it."""

    code: str
    category_code: str
    min_education: Education
    theory_hours: int | None
    practical_hours: int | None
    total_hours: int | None
    review_hours: int


@dataclass(frozen=True)
class AttendedHours:
    """Hours verified from attendance in the class the application is filed through, and that class's plan."""

    theory: int
    practical: int
    planned_theory: int
    planned_practical: int

    @property
    def total(self) -> int:
        return self.theory + self.practical


@dataclass(frozen=True)
class CertificateHours:
    """Another institution's training certificate (培训证明): its number and the class hours it states."""

    number: str
    hours: int


@dataclass(frozen=True)
class Sitting:
    """One earlier exam sitting of the same operation item."""

    part: ExamPart
    passed: bool
    taken_on: date


@dataclass(frozen=True)
class ApplicationFacts:
    filed_on: date
    kind: ApplicationKind
    part: ExamPart
    birth_date: date
    sex: Sex | str
    education: Education
    item: ItemFacts
    health_declared: bool
    training: AttendedHours | CertificateHours | None
    # End of the latest training (class end or certificate date): failures before it were retrained.
    trained_until: date | None = None
    sittings: tuple[Sitting, ...] = ()
    ban_until: date | None = None        # the latest reapplication ban, inclusive
    off_post_since: date | None = None   # practical retest only


@dataclass(frozen=True)
class GateResult:
    rule_set: RuleSet
    exam_deadline: date
    reasons: tuple[DomainError, ...] = field(default_factory=tuple)

    @property
    def eligible(self) -> bool:
        return not self.reasons


def check_request(kind: ApplicationKind, part: ExamPart, filed_on: date, off_post_since: date | None) -> None:
    """Refuse a malformed request (not a gate reason: nothing is filed). Raises InvalidFields."""
    errors: list[ValidationError] = []
    if part not in _ALLOWED_PARTS[kind]:
        message = (N_("A review exam (复审) is a theory exam.") if kind is ApplicationKind.REVIEW
                   else N_("A retest after time off post is a practical exam."))
        errors.append(ValidationError("application.part_for_kind", message, field="part"))
    if kind is ApplicationKind.PRACTICAL_RETEST:
        if off_post_since is None:
            errors.append(ValidationError(
                "application.off_post_missing",
                N_("Enter the date since which the holder has been off post."), field="off_post_since"))
        elif off_post_since > filed_on:
            errors.append(ValidationError(
                "application.off_post_future",
                N_("The off-post date %(date)s is after the filing date %(filed_on)s."),
                field="off_post_since", date=off_post_since.isoformat(), filed_on=filed_on.isoformat()))
    if errors:
        raise InvalidFields(errors)


def check_application(facts: ApplicationFacts, rule_set: RuleSet | None = None) -> GateResult:
    """Every reason to refuse, in a stable order; none means eligible. Uses the rule set of the filing date."""
    check_request(facts.kind, facts.part, facts.filed_on, facts.off_post_since)
    rules = rule_set or rule_set_on(facts.filed_on)
    reasons: list[DomainError] = []
    reasons += _person(rules, facts)
    reasons += _ban(facts)
    reasons += _training(rules, facts)
    reasons += _sittings(rules, facts)
    reasons += _theory_pass(rules, facts)
    reasons += _retest(rules, facts)
    return GateResult(rules, rules.exam_deadline(facts.filed_on), tuple(reasons))


def _person(rules: RuleSet, facts: ApplicationFacts) -> list[DomainError]:
    problems = rules.check_eligibility(facts.birth_date, facts.sex, facts.education, facts.item.category_code,
                                       facts.filed_on, facts.health_declared)
    if facts.kind not in _FIRST_TIME_KINDS:
        return [p for p in problems if p.code != "eligibility.education"]
    # The catalogue may ask more of an item than the rule set asks of its category.
    required = rules.required_education(facts.item.category_code)
    if facts.item.min_education > required and facts.education < facts.item.min_education and \
            not any(p.code == "eligibility.education" for p in problems):
        problems.append(RuleViolation(
            "eligibility.education",
            N_("This operation requires %(required)s or higher education; the applicant has %(actual)s."),
            field="education", required=facts.item.min_education.label_zh, actual=facts.education.label_zh))
    return problems


def _ban(facts: ApplicationFacts) -> list[DomainError]:
    if facts.ban_until is None or facts.ban_until < facts.filed_on:
        return []
    return [RuleViolation(
        "eligibility.banned",
        N_("This person's certificate was revoked for false information or deception;"
           " no application is accepted until %(until)s inclusive."),
        field="person", until=facts.ban_until.isoformat())]


def _short(code: str, message: str, actual: int, required: int) -> RuleViolation:
    return RuleViolation(code, message, field="hours", actual=actual, required=required)


def _training(rules: RuleSet, facts: ApplicationFacts) -> list[DomainError]:
    kind, training, item = facts.kind, facts.training, facts.item
    if kind is ApplicationKind.PRACTICAL_RETEST:
        return []
    if training is None:
        return [RuleViolation("eligibility.no_training",
                              N_("There is no training record or training certificate for this operation item."),
                              field="hours")]
    if kind is ApplicationKind.REVIEW:
        required = max(rules.review_training_min_hours, item.review_hours)
        actual = training.hours if isinstance(training, CertificateHours) else training.total
        if actual < required:
            return [_short("eligibility.review_hours",
                           N_("Review training (复审培训) has %(actual)s class hours; at least %(required)s are"
                              " required."), actual, required)]
        return []
    if isinstance(training, CertificateHours):
        required_total = item.total_hours
        if required_total is None and item.theory_hours is not None and item.practical_hours is not None:
            required_total = item.theory_hours + item.practical_hours
        if required_total is not None and training.hours < required_total:
            return [_short("eligibility.certificate_hours",
                           N_("The training certificate states %(actual)s class hours; the outline requires at"
                              " least %(required)s."), training.hours, required_total)]
        return []
    if item.theory_hours is not None and item.practical_hours is not None:
        need_theory, need_practical = item.theory_hours, item.practical_hours
    elif item.total_hours is not None:
        if training.total < item.total_hours:
            return [_short("eligibility.hours_total",
                           N_("Verified training has %(actual)s class hours in total; the outline requires at"
                              " least %(required)s."), training.total, item.total_hours)]
        return []
    else:  # the catalogue has no outline hours for this item: the class plan is the minimum
        need_theory, need_practical = training.planned_theory, training.planned_practical
    problems: list[DomainError] = []
    if training.theory < need_theory:
        problems.append(_short("eligibility.hours_theory",
                               N_("Verified theory training has %(actual)s class hours; at least %(required)s are"
                                  " required."), training.theory, need_theory))
    if training.practical < need_practical:
        problems.append(_short("eligibility.hours_practical",
                               N_("Verified practical training has %(actual)s class hours; at least %(required)s"
                                  " are required."), training.practical, need_practical))
    return problems


def failures_since_training(facts: ApplicationFacts) -> list[Sitting]:
    """Failed sittings of the part applied for since the later of its last pass and the latest training."""
    same_part = [s for s in facts.sittings if s.part is facts.part]
    marks = [s.taken_on for s in same_part if s.passed]
    if facts.trained_until is not None:
        marks.append(facts.trained_until)
    since = max(marks, default=date.min)
    return sorted((s for s in same_part if not s.passed and s.taken_on > since), key=lambda s: s.taken_on)


def _sittings(rules: RuleSet, facts: ApplicationFacts) -> list[DomainError]:
    if facts.kind not in _FIRST_TIME_KINDS:
        return []
    failures = failures_since_training(facts)
    if not rules.makeup_allowed(len(failures)):
        return [RuleViolation(
            "eligibility.retraining_required",
            N_("This exam part has been failed %(failures)s times since the last training (last on %(last)s):"
               " the one make-up exam is used up, and the person must retrain before applying again."),
            field="kind", failures=len(failures), last=failures[-1].taken_on.isoformat())]
    if facts.kind is ApplicationKind.MAKEUP and not failures:
        return [RuleViolation(
            "eligibility.makeup_nothing_failed",
            N_("A make-up exam (补考) needs a failed exam of this part since the last training; there is none."),
            field="kind")]
    if facts.kind is ApplicationKind.INITIAL and failures:
        return [RuleViolation(
            "eligibility.use_makeup",
            N_("This exam part was failed on %(failed_on)s; apply for the make-up exam (补考) instead."),
            field="kind", failed_on=failures[-1].taken_on.isoformat())]
    return []


def _theory_pass(rules: RuleSet, facts: ApplicationFacts) -> list[DomainError]:
    if facts.part is not ExamPart.PRACTICAL or facts.kind not in _FIRST_TIME_KINDS:
        return []
    passes = [s.taken_on for s in facts.sittings if s.part is ExamPart.THEORY and s.passed]
    if not passes:
        return [RuleViolation(
            "eligibility.theory_pass_missing",
            N_("The practical exam may only be taken after the theory exam has been passed; there is no theory"
               " pass for this operation item."), field="part")]
    last = max(passes)
    valid_until = rules.pass_valid_until(last)
    if facts.filed_on > valid_until:
        return [RuleViolation(
            "eligibility.theory_pass_expired",
            N_("The theory exam passed on %(passed_on)s counted only until %(valid_until)s; the theory exam"
               " must be passed again before the practical exam."),
            field="part", passed_on=last.isoformat(), valid_until=valid_until.isoformat())]
    return []


def _retest(rules: RuleSet, facts: ApplicationFacts) -> list[DomainError]:
    if facts.kind is not ApplicationKind.PRACTICAL_RETEST or facts.off_post_since is None:
        return []
    if rules.needs_practical_retest(facts.off_post_since, facts.filed_on):
        return []
    due = add_months(facts.off_post_since, rules.off_post_months_for_practical_retest)
    return [RuleViolation(
        "eligibility.retest_not_due",
        N_("The holder has been off post since %(since)s; a practical retest is for %(months)s months or more"
           " off post, that is from %(due)s."),
        field="off_post_since", since=facts.off_post_since.isoformat(),
        months=rules.off_post_months_for_practical_retest, due=due.isoformat())]
