"""Exam applications (考试申请) and their eligibility-gate results.

Institution staff file for their own trainees under /institution/applications; the exam centre's
counter files for people with another institution's training certificate under
/centre/applications. A refused application is kept and shown with every reason.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField

from exam_center.domain.idcard import mask_id_number
from exam_center.domain.rulesets import rule_set_on
from exam_center.models import (
    ApplicationKind,
    ApplicationStatus,
    ExamApplication,
    ExamPart,
    OperationItem,
    Role,
    SessionCandidate,
)
from exam_center.services import applications as service

from .dates import local_today
from .forms import choices, form_status, submit
from .paging import page_number
from .policy import allow
from .session import current_actor, db_session

bp = Blueprint("applications", __name__)
PAGE_SIZE = 50
INSTITUTION = (Role.INSTITUTION_STAFF,)
COUNTER = (Role.EXAM_ADMIN,)

KIND_LABELS = {
    ApplicationKind.INITIAL: _l("Initial exam"),
    ApplicationKind.MAKEUP: _l("Make-up exam"),
    ApplicationKind.REVIEW: _l("Review exam"),
    ApplicationKind.PRACTICAL_RETEST: _l("Practical retest after 6 months off post"),
}
PART_LABELS = {ExamPart.THEORY: _l("Theory exam"), ExamPart.PRACTICAL: _l("Practical exam")}
STATUS_LABELS = {
    ApplicationStatus.ELIGIBLE: _l("Eligible, waiting to be scheduled"),
    ApplicationStatus.REFUSED: _l("Refused"),
    ApplicationStatus.SCHEDULED: _l("Scheduled"),
    ApplicationStatus.WITHDRAWN: _l("Withdrawn"),
}
LABELS = {**KIND_LABELS, **PART_LABELS, **STATUS_LABELS}


def _choose(pairs):
    return choices([("", _l("— choose —"))] + list(pairs))


class _ApplicationFields(FlaskForm):
    # Values are checked by the service, which reports every bad field at once.
    kind = SelectField(_l("Kind of application"), choices=_choose((k.value, v) for k, v in KIND_LABELS.items()),
                       validate_choice=False)
    part = SelectField(_l("Exam part"), choices=_choose((p.value, v) for p, v in PART_LABELS.items()),
                       validate_choice=False)
    off_post_since = StringField(_l("Off post since (practical retest only, YYYY-MM-DD)"))
    health_declared = BooleanField(_l("The applicant has declared passing the health check (健康承诺)"))


class TraineeApplicationForm(_ApplicationFields):
    enrolment_id = SelectField(_l("Trainee (class)"), validate_choice=False)


class CertificateApplicationForm(_ApplicationFields):
    id_number = StringField(_l("ID number"))
    operation_item_code = SelectField(_l("Operation item"), validate_choice=False)
    certificate_number = StringField(_l("Training certificate number"))
    certificate_hours = StringField(_l("Class hours stated on the certificate"))
    trained_until = StringField(_l("Training completed on (YYYY-MM-DD)"))


def _status_filter() -> ApplicationStatus | None:
    try:
        return ApplicationStatus(request.args.get("status", ""))
    except ValueError:
        return None


def _list(template: str, endpoint: str, institution_id: int | None):
    page, status = page_number(), _status_filter()
    rows = service.list_applications(db_session(), institution_id=institution_id, status=status,
                                     limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return render_template(template, applications=rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE,
                           status=status, statuses=STATUS_LABELS, labels=LABELS, reasons=service.gate_reasons,
                           endpoint=endpoint)


def _detail(application: ExamApplication, back: str, ticket_endpoint: str):
    s = db_session()
    item = s.get(OperationItem, application.operation_item_code)
    candidate_id = s.scalar(sa.select(SessionCandidate.id).where(SessionCandidate.application_id == application.id))
    ticket_url = url_for(ticket_endpoint, candidate_id=candidate_id) if candidate_id else None
    return render_template("applications/detail.html", application=application, item=item, labels=LABELS,
                           reasons=service.gate_reasons(application), back=back, ticket_url=ticket_url)


def _filed(application: ExamApplication, detail_endpoint: str):
    if application.status is ApplicationStatus.ELIGIBLE:
        flash(_("Application no. %(number)s filed: eligible; the exam must be held by %(day)s.",
                number=application.id, day=application.exam_deadline.isoformat()), "success")
    else:
        flash(_("Application no. %(number)s was refused by the eligibility check; the reasons are listed below.",
                number=application.id), "error")
    return redirect(url_for(detail_endpoint, application_id=application.id))


# --- training institution ------------------------------------------------------------------------

@bp.route("/institution/applications/")
@allow(*INSTITUTION)
def institution_index():
    return _list("applications/institution_index.html", "applications.institution_index",
                 current_user.organisation_id)


@bp.route("/institution/applications/new", methods=["GET", "POST"])
@allow(*INSTITUTION)
def institution_new():
    s = db_session()
    institution_id = current_user.organisation_id
    enrolments = service.trainees(s, institution_id)
    form = TraineeApplicationForm()
    form.enrolment_id.choices = _choose(
        (str(e.id), (f"{e.person.name} {mask_id_number(e.person.id_number)} — {e.training_class.name}"
                    f" ({e.training_class.operation_item_code})")) for e in enrolments)
    application = submit(form, lambda session: service.file_for_trainee(
        session, current_actor(), institution_id=institution_id, enrolment_id=form.enrolment_id.data,
        kind=form.kind.data, part=form.part.data, health_declared=form.health_declared.data,
        filed_on=local_today(), off_post_since=form.off_post_since.data))
    if application:
        return _filed(application, "applications.institution_detail")
    return render_template("applications/institution_new.html", form=form, has_trainees=bool(enrolments),
                           rule_set=_rule_set_today()), form_status(form)


@bp.route("/institution/applications/<int:application_id>")
@allow(*INSTITUTION)
def institution_detail(application_id: int):
    application = service.get_application(db_session(), application_id, institution_id=current_user.organisation_id)
    return _detail(application, "applications.institution_index", "tickets.institution_ticket")


# --- exam centre counter -------------------------------------------------------------------------

@bp.route("/centre/applications/")
@allow(*COUNTER)
def centre_index():
    return _list("applications/centre_index.html", "applications.centre_index", None)


@bp.route("/centre/applications/new", methods=["GET", "POST"])
@allow(*COUNTER)
def centre_new():
    s = db_session()
    today = local_today()
    form = CertificateApplicationForm()
    form.operation_item_code.choices = _choose((i.code, f"{i.code} {i.name_zh}")
                                               for i in service.operation_items(s, today))
    application = submit(form, lambda session: service.file_with_certificate(
        session, current_actor(), id_number=form.id_number.data, operation_item_code=form.operation_item_code.data,
        certificate_number=form.certificate_number.data, certificate_hours=form.certificate_hours.data,
        trained_until=form.trained_until.data, kind=form.kind.data, part=form.part.data,
        health_declared=form.health_declared.data, filed_on=today, off_post_since=form.off_post_since.data))
    if application:
        return _filed(application, "applications.centre_detail")
    return render_template("applications/centre_new.html", form=form, rule_set=_rule_set_today()), \
        form_status(form)


@bp.route("/centre/applications/<int:application_id>")
@allow(*COUNTER)
def centre_detail(application_id: int):
    application = service.get_application(db_session(), application_id)
    return _detail(application, "applications.centre_index", "tickets.centre_ticket")


def _rule_set_today():
    return rule_set_on(local_today())
