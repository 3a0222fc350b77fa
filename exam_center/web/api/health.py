"""Liveness and database reachability, for load balancers and device agents."""
from __future__ import annotations

import sqlalchemy as sa
from flask_smorest import Blueprint

from exam_center.domain.rulesets import rule_set_on
from exam_center.web.dates import local_today
from exam_center.web.policy import public
from exam_center.web.session import db_session

from .schemas import HealthSchema

bp = Blueprint("api_health", __name__, url_prefix="/health", description="Service health")


@bp.route("")
@public
@bp.response(200, HealthSchema)
def health():
    db_session().execute(sa.text("SELECT 1"))
    return {"status": "ok", "database": "ok", "rule_set": rule_set_on(local_today()).name}
