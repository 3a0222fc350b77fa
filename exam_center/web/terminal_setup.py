"""Setting up a browser as a registered exam terminal (终端绑定): a signed, long-lived cookie names the device.

A technician (exam admin or system admin) opens ``/terminal/setup`` once on each terminal PC and picks
the registered exam-terminal device it is. Seats are bound to devices in the hall plan; a candidate whose
seat has a terminal can then sign in only on that browser. The cookie is signed with the server's secret
(a candidate cannot forge another seat's terminal) and is checked against the device registry on every
use, so deactivating the device in the registry retires the browser at once.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from exam_center.models import Device, DeviceKind, Role, Seat
from exam_center.services.audit import record

from .policy import allow
from .session import current_actor, db_session

bp = Blueprint("terminal_setup", __name__, url_prefix="/terminal/setup")
COOKIE = "exam_terminal"
COOKIE_SECONDS = 10 * 365 * 24 * 3600


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="exam-center.exam-terminal")


def this_terminal(session: Session) -> Device | None:
    """The active registered exam terminal this browser was set up as, if any."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        device_id = _serializer().loads(raw)
    except BadSignature:
        return None
    if not isinstance(device_id, int) or isinstance(device_id, bool):
        return None
    device = session.get(Device, device_id)
    return device if device is not None and device.active and device.kind is DeviceKind.EXAM_TERMINAL else None


def _terminals(session: Session) -> list[Device]:
    query = sa.select(Device).where(Device.kind == DeviceKind.EXAM_TERMINAL, Device.active.is_(True))
    if current_user.role is not Role.SYSTEM_ADMIN:
        query = query.where(Device.organisation_id == current_user.organisation_id)
    return list(session.scalars(query.order_by(Device.name)))


@bp.route("/", methods=["GET", "POST"])
@allow(Role.EXAM_ADMIN, Role.SYSTEM_ADMIN)
def setup():
    s = db_session()
    terminals = _terminals(s)
    seats = {seat.terminal_id: seat for seat in s.scalars(sa.select(Seat).where(Seat.terminal_id.is_not(None)))}
    if request.method == "POST":
        if request.form.get("forget"):
            response = redirect(url_for("terminal_setup.setup"))
            response.delete_cookie(COOKIE)
            flash(_("This browser is no longer an exam terminal."), "success")
            return response
        raw = request.form.get("device_id", "")
        chosen = next((d for d in terminals if raw.isdigit() and d.id == int(raw)), None)
        if chosen is None:
            flash(_("Choose one of this centre's active exam terminals."), "error")
            return render_template("terminal/setup.html", terminals=terminals, seats=seats,
                                   current=this_terminal(s)), 400
        record(s, current_actor(), "terminal.setup", "device", chosen.id,
               after={"name": chosen.name, "user_agent": request.user_agent.string[:100]})
        s.commit()
        response = redirect(url_for("terminal_setup.setup"))
        response.set_cookie(COOKIE, _serializer().dumps(chosen.id), max_age=COOKIE_SECONDS, httponly=True,
                            samesite="Strict", secure=request.is_secure)
        flash(_("This browser is now the exam terminal %(name)s.", name=chosen.name), "success")
        return response
    return render_template("terminal/setup.html", terminals=terminals, seats=seats, current=this_terminal(s))


__all__ = ["COOKIE", "bp", "this_terminal"]
