"""Exam-centre scheduling (考务): halls, sessions, scheduling, staff assignment, rosters.

Pages for the exam administrator of one exam centre: everything shown and changed belongs to their own centre.
(/centre/people/ is the person registry, another module.)
"""
from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from exam_center.domain.errors import N_, FieldErrors, NotFound, ValidationError
from exam_center.models import (
    ApplicationKind, Duty, ExamPart, ExamRoom, OperationItem, Organisation, OrganisationKind, Role, RoomKind,
    SessionStatus, StaffUser,
)
from exam_center.services import rooms as room_service
from exam_center.services import scheduling as svc
from exam_center.services.lookup import fetch

from .forms import choices, form_status, submit
from .labels import ROLE_LABELS, ROOM_KIND_LABELS
from .policy import allow
from .session import current_actor, db_session

bp = Blueprint("centre", __name__, url_prefix="/centre")

PART_LABELS = {ExamPart.THEORY: _l("Theory exam"), ExamPart.PRACTICAL: _l("Practical exam")}
DUTY_LABELS = {Duty.PROCTOR: _l("Proctor (监考)"), Duty.EXAMINER: _l("Examiner (考评)")}
STATUS_LABELS = {SessionStatus.OPEN: _l("Open for scheduling"), SessionStatus.CLOSED: _l("Closed, papers drawn")}
KIND_LABELS = {
    ApplicationKind.INITIAL: _l("Initial exam"),
    ApplicationKind.MAKEUP: _l("Make-up exam"),
    ApplicationKind.REVIEW: _l("Review exam"),
    ApplicationKind.PRACTICAL_RETEST: _l("Practical retest after leaving the post"),
}
_LABELS = (PART_LABELS, DUTY_LABELS, STATUS_LABELS, KIND_LABELS, ROOM_KIND_LABELS, ROLE_LABELS)
MAX_PLACES_PER_ADD = 200


def centre_label(value) -> str:
    for table in _LABELS:
        if value in table:
            return str(table[value])
    return str(value)


def _centre_id() -> int:
    return current_user.organisation_id


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.extensions["exam_center.settings"].timezone)


def _choice(raw: str | None, allowed, *, field: str):
    """The member of ``allowed`` (an enum or a list of ints) chosen on the page, or a clear refusal."""
    for member in allowed:
        if raw is not None and str(getattr(member, "value", member)) == raw.strip():
            return member
    raise ValidationError("choice.invalid", N_("Choose one of the listed values."), field=field)


def _row_id(raw: str | None, *, field: str) -> int:
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit() and 0 < len(text) <= 12):
        raise ValidationError("choice.invalid", N_("Choose one of the listed values."), field=field)
    return int(text)


def _render(template: str, status: int = 200, **context):
    zone = _zone()
    return render_template(template, centre_label=centre_label, local=lambda moment: svc.local_text(moment, zone),
                           **context), status


# --- forms ---------------------------------------------------------------------------------------------------------
# Fields are plain text: the use cases check them and report every bad field in Chinese, with nothing changed.


class ActionForm(FlaskForm):
    """A button that changes state: carries only the CSRF token."""


class SessionForm(FlaskForm):
    room_id = SelectField(_l("Hall"), validate_choice=False)
    part = SelectField(_l("Exam part"), choices=choices((p.value, PART_LABELS[p]) for p in ExamPart),
                       validate_choice=False)
    operation_item_code = SelectField(_l("Operation item"), validate_choice=False)
    starts_at = StringField(_l("Start (Beijing time)"), render_kw={"type": "datetime-local"})
    capacity = StringField(_l("Capacity (candidates)"), render_kw={"inputmode": "numeric"})
    duration_minutes = StringField(_l("Duration in minutes (practical only; theory follows the blueprint)"),
                                   default=str(svc.PRACTICAL_MINUTES_DEFAULT), render_kw={"inputmode": "numeric"})


class ScheduleForm(FlaskForm):
    """The chosen applications arrive as checkboxes named application_ids."""


class StaffForm(FlaskForm):
    user_id = SelectField(_l("Staff member"), validate_choice=False)
    duty = SelectField(_l("Duty"), choices=choices((d.value, DUTY_LABELS[d]) for d in Duty), validate_choice=False)


class HallForm(FlaskForm):
    name = StringField(_l("Hall name"))
    kind = SelectField(_l("Kind"), choices=choices((k.value, ROOM_KIND_LABELS[k]) for k in RoomKind),
                       validate_choice=False)


class PlacesForm(FlaskForm):
    count = StringField(_l("Number of places to add"), render_kw={"inputmode": "numeric"})
    operation_item_code = SelectField(_l("Operation item (stations)"), validate_choice=False)


class SeatForm(FlaskForm):
    terminal_id = SelectField(_l("Exam terminal"), validate_choice=False)


class StationForm(FlaskForm):
    simulator_address = StringField(_l("Simulator address (1–247)"))
    operation_item_code = SelectField(_l("Operation item"), validate_choice=False)


class AffiliationForm(FlaskForm):
    user_id = SelectField(_l("Staff member"), validate_choice=False)
    institution_id = SelectField(_l("Training institution"), validate_choice=False)
    note = StringField(_l("Nature of the tie (e.g. former teacher, relative)"))


def _item_choices(blank_label) -> list:
    items = db_session().execute(sa.select(OperationItem.code, OperationItem.name_zh).order_by(OperationItem.code))
    return choices([("", blank_label)] + [(code, f"{code} {name}") for code, name in items])


# --- sessions ------------------------------------------------------------------------------------------------------


@bp.route("/")
@allow(Role.EXAM_ADMIN)
def index():
    return redirect(url_for(".sessions"))


@bp.route("/sessions", methods=["GET", "POST"])
@allow(Role.EXAM_ADMIN)
def sessions():
    s = db_session()
    centre_id, zone = _centre_id(), _zone()
    rooms = s.scalars(sa.select(ExamRoom).where(ExamRoom.centre_id == centre_id, ExamRoom.active.is_(True))
                      .order_by(ExamRoom.name)).all()
    form = SessionForm()
    form.room_id.choices = choices([("", _l("— choose —"))] + [(str(r.id), f"{r.name}（{centre_label(r.kind)}）")
                                                                for r in rooms])
    form.operation_item_code.choices = _item_choices(_l("— choose —"))

    def create(session):
        errors = FieldErrors()
        duration = (form.duration_minutes.data or "").strip()
        values = {
            "room_id": errors.take(_row_id, form.room_id.data, field="room_id"),
            "part": errors.take(_choice, form.part.data, ExamPart, field="part"),
            "starts_at": errors.take(svc.parse_local_datetime, form.starts_at.data, zone),
            "capacity": errors.take(svc.parse_int, form.capacity.data, field="capacity", minimum=1, maximum=10_000),
            "duration_minutes": errors.take(svc.parse_int, duration, field="duration_minutes",
                                            minimum=svc.MIN_MINUTES, maximum=svc.MAX_MINUTES) if duration else None,
        }
        errors.raise_any()
        return svc.create_session(session, current_actor(), centre_id=centre_id,
                                  operation_item_code=form.operation_item_code.data or "", zone=zone, **values)

    created = submit(form, create)
    if created:
        flash(_("Session created. Now schedule candidates and assign staff."), "success")
        return redirect(url_for(".session_detail", session_id=created.id))
    return _render("centre/sessions.html", form_status(form), form=form, rooms=rooms,
                   sessions=svc.list_sessions(s, centre_id))


def _session_page(session_id: int, *, schedule_form=None, staff_form=None, action_form=None):
    s = db_session()
    centre_id, zone = _centre_id(), _zone()
    exam_session = svc.get_exam_session(s, session_id, centre_id)
    staff_form = staff_form or StaffForm(formdata=None)
    candidates = svc.assignable_staff(s, centre_id)
    staff_form.user_id.choices = choices([("", _l("— choose —"))] + [
        (str(u.id), f"{u.display_name}（{ROLE_LABELS[u.role]}）") for u in candidates])
    users = {u.id: u for u in s.scalars(sa.select(StaffUser).where(
        StaffUser.id.in_([a.user_id for a in exam_session.staff])))}
    day = svc.local_date(exam_session.starts_at, zone)
    ties = svc.staff_ties(s, exam_session.id)
    applications = [(a, day > a.exam_deadline, ties.get(a.institution_id))
                    for a in svc.schedulable_applications(s, exam_session)]
    forms = (schedule_form, staff_form, action_form)
    status = max(form_status(f) for f in forms if f is not None)
    return _render("centre/session.html", status, exam_session=exam_session, day=day,
                   roster=svc.roster(s, centre_id=centre_id, session_id=session_id), applications=applications,
                   staff=[(a, users[a.user_id]) for a in exam_session.staff], conflicts=svc.session_conflicts(
                       s, exam_session.id),
                   schedule_form=schedule_form or ScheduleForm(formdata=None), staff_form=staff_form,
                   action_form=action_form or ActionForm(formdata=None), action=ActionForm(formdata=None),
                   item=s.get(OperationItem, exam_session.operation_item_code), SessionStatus=SessionStatus)


@bp.route("/sessions/<int:session_id>")
@allow(Role.EXAM_ADMIN)
def session_detail(session_id: int):
    return _session_page(session_id)


@bp.route("/sessions/<int:session_id>/schedule", methods=["POST"])
@allow(Role.EXAM_ADMIN)
def schedule(session_id: int):
    form = ScheduleForm()

    def run(session):
        raw = request.form.getlist("application_ids")
        ids = [_row_id(value, field="application_ids") for value in raw]
        return svc.schedule(session, current_actor(), centre_id=_centre_id(), session_id=session_id,
                            application_ids=ids, zone=_zone())

    rows = submit(form, run)
    if rows:
        flash(_("%(count)s candidates scheduled; seats were assigned at random.", count=len(rows)), "success")
        return redirect(url_for(".session_detail", session_id=session_id))
    return _session_page(session_id, schedule_form=form)


@bp.route("/sessions/<int:session_id>/candidates/<int:application_id>/remove", methods=["POST"])
@allow(Role.EXAM_ADMIN)
def unschedule(session_id: int, application_id: int):
    form = ActionForm()
    if submit(form, lambda s: svc.unschedule(s, current_actor(), centre_id=_centre_id(), session_id=session_id,
                                             application_id=application_id)):
        flash(_("The candidate was taken out of the session; the application waits to be scheduled again."),
              "success")
        return redirect(url_for(".session_detail", session_id=session_id))
    return _session_page(session_id, action_form=form)


@bp.route("/sessions/<int:session_id>/staff", methods=["POST"])
@allow(Role.EXAM_ADMIN)
def assign_staff(session_id: int):
    form = StaffForm()

    def run(session):
        errors = FieldErrors()
        user_id = errors.take(_row_id, form.user_id.data, field="user_id")
        duty = errors.take(_choice, form.duty.data, Duty, field="duty")
        errors.raise_any()
        return svc.assign_staff(session, current_actor(), centre_id=_centre_id(), session_id=session_id,
                                user_id=user_id, duty=duty)

    if submit(form, run):
        flash(_("Staff assigned."), "success")
        return redirect(url_for(".session_detail", session_id=session_id))
    return _session_page(session_id, staff_form=form)


@bp.route("/sessions/<int:session_id>/staff/<int:user_id>/remove", methods=["POST"])
@allow(Role.EXAM_ADMIN)
def remove_staff(session_id: int, user_id: int):
    form = ActionForm()
    if submit(form, lambda s: svc.remove_staff(s, current_actor(), centre_id=_centre_id(), session_id=session_id,
                                               user_id=user_id) or True):
        flash(_("Staff removed from the session."), "success")
        return redirect(url_for(".session_detail", session_id=session_id))
    return _session_page(session_id, action_form=form)


@bp.route("/sessions/<int:session_id>/close", methods=["POST"])
@allow(Role.EXAM_ADMIN)
def close_session(session_id: int):
    form = ActionForm()
    if submit(form, lambda s: svc.close_session(s, current_actor(), centre_id=_centre_id(), session_id=session_id)):
        flash(_("The session is closed; every candidate's paper is drawn and frozen."), "success")
        return redirect(url_for(".session_detail", session_id=session_id))
    return _session_page(session_id, action_form=form)


ROSTER_HEADER = (_l("Ticket number"), _l("Full name"), _l("ID number"), _l("Seat / station"),
                 _l("Training institution"), _l("Application kind"))


def _roster_cells(row: svc.RosterRow) -> list:
    return [row.ticket_number, row.name, row.masked_id_number, row.place,
            row.institution or _("(self-applied)"), centre_label(row.kind)]


@bp.route("/sessions/<int:session_id>/roster")
@allow(Role.EXAM_ADMIN)
def roster(session_id: int):
    s = db_session()
    exam_session = svc.get_exam_session(s, session_id, _centre_id())
    return _render("centre/roster.html", exam_session=exam_session,
                   rows=svc.roster(s, centre_id=_centre_id(), session_id=session_id),
                   item=s.get(OperationItem, exam_session.operation_item_code))


@bp.route("/sessions/<int:session_id>/roster.csv")
@allow(Role.EXAM_ADMIN)
def roster_csv(session_id: int):
    s = db_session()
    exam_session = svc.get_exam_session(s, session_id, _centre_id())
    content = svc.export_roster(s, current_actor(), centre_id=_centre_id(), session_id=session_id,
                                header=[str(h) for h in ROSTER_HEADER], row_cells=_roster_cells)
    s.commit()  # the export is audited
    name = f"roster-{svc.local_date(exam_session.starts_at, _zone()):%Y%m%d}-{exam_session.id}.csv"
    return send_file(io.BytesIO(content), mimetype="text/csv; charset=utf-8", as_attachment=True,
                     download_name=name)


# --- halls ---------------------------------------------------------------------------------------------------------


def _halls_page(*, hall_form=None, places_form=None, failed=None, errors=()):
    s = db_session()
    centre_id = _centre_id()
    hall_form = hall_form or HallForm(formdata=None)
    places_form = places_form or PlacesForm(formdata=None)
    places_form.operation_item_code.choices = _item_choices(_l("any item"))
    seat_form = SeatForm(formdata=None)
    terminals = svc.centre_terminals(s, centre_id)
    seat_form.terminal_id.choices = choices([("", _l("— none —"))] + [(str(t.id), t.name) for t in terminals])
    station_form = StationForm(formdata=None)
    station_form.operation_item_code.choices = _item_choices(_l("any item"))
    status = 400 if errors else max(form_status(hall_form), form_status(places_form))
    return _render("centre/halls.html", status, halls=svc.list_halls(s, centre_id), hall_form=hall_form,
                   places_form=places_form, seat_form=seat_form, station_form=station_form,
                   terminals={t.id: t for t in terminals}, failed=failed, errors=list(errors), RoomKind=RoomKind)


@bp.route("/halls", methods=["GET", "POST"])
@allow(Role.EXAM_ADMIN)
def halls():
    form = HallForm()

    def create(session):
        kind = _choice(form.kind.data, RoomKind, field="kind")
        return room_service.create_room(session, current_actor(), centre_id=_centre_id(), name=form.name.data,
                                        kind=kind)

    created = submit(form, create)
    if created:
        flash(_("Hall %(name)s created. Add its seats or stations below.", name=created.name), "success")
        return redirect(url_for(".halls"))
    return _halls_page(hall_form=form)


def _next_labels(room: ExamRoom, count: int) -> list[str]:
    existing = [p.label for p in (room.seats if room.kind is RoomKind.THEORY else room.stations)]
    prefix = "" if room.kind is RoomKind.THEORY else "S"
    numbers = [int(label[len(prefix):]) for label in existing
               if label.startswith(prefix) and label[len(prefix):].isascii() and label[len(prefix):].isdigit()]
    start = max(numbers, default=0) + 1
    return [f"{prefix}{n:02d}" if not prefix else f"{prefix}{n}" for n in range(start, start + count)]


@bp.route("/halls/<int:room_id>/places", methods=["POST"])
@allow(Role.EXAM_ADMIN)
def add_places(room_id: int):
    form = PlacesForm()

    def run(session):
        room = fetch(session, ExamRoom, room_id, NotFound("room.not_found", N_("No such exam room."),
                                                               field="room_id"))
        if room.centre_id != _centre_id():
            raise NotFound("room.not_found", N_("No such exam room."), field="room_id")
        count = svc.parse_int(form.count.data, field="count", minimum=1, maximum=MAX_PLACES_PER_ADD)
        item_code = (form.operation_item_code.data or "").strip() or None
        if room.kind is RoomKind.THEORY:
            item_code = None
        elif item_code is not None and session.get(OperationItem, item_code) is None:
            raise ValidationError("item.operation_item", N_("There is no special-operation item %(item_code)s."),
                                  field="operation_item_code", item_code=item_code[:8])
        labels = _next_labels(room, count)
        if any(len(label) > 10 for label in labels):
            raise ValidationError("number.range", N_("Enter a number from %(min)s to %(max)s."), field="count",
                                  min=1, max=MAX_PLACES_PER_ADD)
        return room_service.add_places(session, current_actor(), room, [(label, item_code) for label in labels])

    added = submit(form, run)
    if added:
        flash(_("%(count)s places added.", count=added), "success")
        return redirect(url_for(".halls"))
    return _halls_page(places_form=form, failed=("room", room_id), errors=_errors_of(form))


def _errors_of(form: FlaskForm) -> list[str]:
    messages = list(form.form_errors)
    for name, field_errors in form.errors.items():
        if name and name != "csrf_token":
            messages.extend(field_errors)
    if "csrf_token" in form.errors:
        messages.append(_("The form has expired or is missing its security token; reload the page and try again."))
    return messages


@bp.route("/seats/<int:seat_id>/terminal", methods=["POST"])
@allow(Role.EXAM_ADMIN)
def bind_seat(seat_id: int):
    form = SeatForm()

    def run(session):
        raw = (form.terminal_id.data or "").strip()
        terminal_id = _row_id(raw, field="terminal_id") if raw else None
        return svc.bind_terminal(session, current_actor(), centre_id=_centre_id(), seat_id=seat_id,
                                 terminal_id=terminal_id)

    seat = submit(form, run)
    if seat:
        flash(_("Seat %(label)s saved.", label=seat.label), "success")
        return redirect(url_for(".halls"))
    return _halls_page(failed=("seat", seat_id), errors=_errors_of(form))


@bp.route("/stations/<int:station_id>", methods=["POST"])
@allow(Role.EXAM_ADMIN)
def bind_station(station_id: int):
    form = StationForm()
    station = submit(form, lambda s: svc.bind_station(
        s, current_actor(), centre_id=_centre_id(), station_id=station_id,
        simulator_address=form.simulator_address.data, operation_item_code=form.operation_item_code.data))
    if station:
        flash(_("Station %(label)s saved.", label=station.label), "success")
        return redirect(url_for(".halls"))
    return _halls_page(failed=("station", station_id), errors=_errors_of(form))


# --- conflicts of interest -----------------------------------------------------------------------------------------


def _affiliations_page(form: AffiliationForm, action_form=None):
    s = db_session()
    centre_id = _centre_id()
    staff = s.scalars(sa.select(StaffUser).where(StaffUser.organisation_id == centre_id)
                      .order_by(StaffUser.role, StaffUser.display_name)).all()
    institutions = s.scalars(sa.select(Organisation).where(
        Organisation.kind == OrganisationKind.TRAINING_INSTITUTION).order_by(Organisation.name)).all()
    form.user_id.choices = choices([("", _l("— choose —"))] + [
        (str(u.id), f"{u.display_name}（{ROLE_LABELS[u.role]}）") for u in staff])
    form.institution_id.choices = choices([("", _l("— choose —"))] + [(str(o.id), o.name) for o in institutions])
    action_form = action_form or ActionForm(formdata=None)
    status = max(form_status(form), form_status(action_form))
    return _render("centre/affiliations.html", status, form=form, action=action_form,
                   rows=svc.list_affiliations(s, centre_id))


@bp.route("/affiliations", methods=["GET", "POST"])
@allow(Role.EXAM_ADMIN)
def affiliations():
    form = AffiliationForm()

    def run(session):
        errors = FieldErrors()
        values = {name: errors.take(_row_id, getattr(form, name).data, field=name)
                  for name in ("user_id", "institution_id")}
        errors.raise_any()
        return svc.add_affiliation(session, current_actor(), centre_id=_centre_id(), note=form.note.data or "",
                                   **values)

    if submit(form, run):
        flash(_("Tie recorded: this person will not be assigned to sessions with that institution's trainees."),
              "success")
        return redirect(url_for(".affiliations"))
    return _affiliations_page(form)


@bp.route("/affiliations/<int:affiliation_id>/remove", methods=["POST"])
@allow(Role.EXAM_ADMIN)
def remove_affiliation(affiliation_id: int):
    form = ActionForm()
    if submit(form, lambda s: svc.remove_affiliation(s, current_actor(), centre_id=_centre_id(),
                                                     affiliation_id=affiliation_id) or True):
        flash(_("Tie removed."), "success")
        return redirect(url_for(".affiliations"))
    return _affiliations_page(AffiliationForm(formdata=None), action_form=form)

