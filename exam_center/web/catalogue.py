"""The special-operations catalogue and the rule set in force, for every staff member."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from sqlalchemy.orm import selectinload

from exam_center.domain.rulesets import rule_set_on
from exam_center.models import OperationCategory, OperationItem

from .dates import local_today
from .policy import ALL_STAFF, allow
from .session import db_session

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")


@bp.route("/")
@allow(*ALL_STAFF)
def index():
    categories = db_session().scalars(
        sa.select(OperationCategory).order_by(sa.cast(OperationCategory.code, sa.Integer))
        .options(selectinload(OperationCategory.items).selectinload(OperationItem.subjects))).all()
    return render_template("catalogue/index.html", categories=categories, rule_set=rule_set_on(local_today()))
