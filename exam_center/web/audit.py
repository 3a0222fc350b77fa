"""The audit trail for administrators and regulators: browse events, verify the hash chain."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template, request

from exam_center.models import AuditEvent, Role
from exam_center.services.audit import verify_chain

from .policy import allow
from .session import db_session

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE_SIZE = 100


@bp.route("/")
@allow(Role.SYSTEM_ADMIN, Role.REGULATOR)
def index():
    action = (request.args.get("action") or "").strip()[:60]
    before_id = request.args.get("before", type=int)
    select = sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(PAGE_SIZE)
    if action:
        select = select.where(AuditEvent.action.startswith(action))
    if before_id:
        select = select.where(AuditEvent.id < before_id)
    events = db_session().scalars(select).all()
    return render_template("audit/index.html", events=events, action=action,
                           next_before=events[-1].id if len(events) == PAGE_SIZE else None)


@bp.route("/verify")
@allow(Role.SYSTEM_ADMIN, Role.REGULATOR)
def verify():
    return render_template("audit/verify.html", report=verify_chain(db_session()))
