"""The signed-in staff member's start page: their organisation, role and what they can do."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user

from exam_center.domain.rulesets import rule_set_on
from exam_center.models import AuditEvent, Organisation, Person

from .dates import local_today, workdays
from .policy import ALL_STAFF, allow
from .session import db_session

bp = Blueprint("home", __name__)


@bp.route("/")
@allow(*ALL_STAFF)
def index():
    s = db_session()
    counts = {
        "organisations": s.scalar(sa.select(sa.func.count()).select_from(Organisation)),
        "persons": s.scalar(sa.select(sa.func.count()).select_from(Person)),
        "audit_events": s.scalar(sa.select(sa.func.count()).select_from(AuditEvent)),
    }
    today = local_today()
    rule_set = rule_set_on(today)
    results_due = rule_set.result_publish_deadline(today, workdays())
    return render_template("home.html", user=current_user, counts=counts, rule_set=rule_set, today=today,
                           results_due=results_due, results_due_provisional=workdays().is_provisional(results_due))
