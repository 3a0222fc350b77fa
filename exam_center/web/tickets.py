"""Admission tickets (准考证) as PDF.

The exam centre prints them for a whole session or one candidate; a training institution prints them for
its own candidates only. Another centre's or institution's candidate is "not found", not "forbidden":
ticket numbers and IDs of others are not confirmed to exist.
"""
from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, current_app, make_response
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import NotFound

from exam_center.domain.idcard import mask_id_number
from exam_center.models import (ApplicationStatus, ExamApplication, ExamSession, OperationItem, Organisation, Role,
                                Seat, SessionCandidate, Station)
from exam_center.reports.admission_ticket import (PART_LABELS, PLACE_HEADINGS, SEX_LABELS, TicketData,
                                                  TicketFontMissing, render_tickets)

from .errors import error_response
from .policy import allow
from .session import db_session

bp = Blueprint("tickets", __name__)
log = logging.getLogger(__name__)
_WEEKDAYS = "一二三四五六日"


@bp.route("/centre/sessions/<int:session_id>/tickets.pdf")
@allow(Role.EXAM_ADMIN)
def session_tickets(session_id: int):
    """Every candidate's ticket of one session of this exam centre, one page each, in seat order."""
    s = db_session()
    exam_session = s.get(ExamSession, session_id)
    if exam_session is None or exam_session.centre_id != current_user.organisation_id:
        raise NotFound()
    candidates = _printable(s.scalars(_candidates().where(SessionCandidate.session_id == session_id)).all())
    if not candidates:
        return error_response(404, "tickets.none", _(
            "This session has no scheduled candidates, so there are no admission tickets to print."))
    return _pdf(candidates, f"tickets-session-{session_id}.pdf")


@bp.route("/centre/tickets/<int:candidate_id>.pdf")
@allow(Role.EXAM_ADMIN)
def centre_ticket(candidate_id: int):
    """One candidate's ticket, for a session of this exam centre."""
    candidate = _candidate(candidate_id)
    if candidate.session.centre_id != current_user.organisation_id:
        raise NotFound()
    return _pdf([candidate], f"ticket-{candidate.ticket_number}.pdf")


@bp.route("/institution/tickets/<int:candidate_id>.pdf")
@allow(Role.INSTITUTION_STAFF)
def institution_ticket(candidate_id: int):
    """The ticket of a candidate whose application this institution filed."""
    candidate = _candidate(candidate_id)
    if candidate.application.institution_id != current_user.organisation_id:
        raise NotFound()
    return _pdf([candidate], f"ticket-{candidate.ticket_number}.pdf")


def _candidates() -> sa.Select:
    return (sa.select(SessionCandidate)
            .options(selectinload(SessionCandidate.session).selectinload(ExamSession.room),
                     selectinload(SessionCandidate.application).selectinload(ExamApplication.person))
            .order_by(SessionCandidate.id))


def _printable(candidates: list[SessionCandidate]) -> list[SessionCandidate]:
    """A withdrawn application keeps no ticket."""
    return [c for c in candidates if c.application.status is not ApplicationStatus.WITHDRAWN]


def _candidate(candidate_id: int) -> SessionCandidate:
    candidate = db_session().scalar(_candidates().where(SessionCandidate.id == candidate_id))
    if candidate is None or not _printable([candidate]):
        raise NotFound()
    return candidate


def _pdf(candidates: list[SessionCandidate], filename: str):
    try:
        tickets = _ticket_data(candidates)
        body = render_tickets(tickets)
    except TicketFontMissing:
        log.exception("admission tickets cannot be rendered")
        return error_response(503, "tickets.font_missing",
                              _("Admission tickets cannot be printed: the Chinese font is not installed on the "
                                "server. Ask the system administrator to run scripts/setup."))
    response = make_response(body)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    # Personal data (photo, name): never kept by shared caches or the browser's disk cache.
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _ticket_data(candidates: list[SessionCandidate]) -> list[TicketData]:
    s = db_session()
    sessions = {c.session.id: c.session for c in candidates}
    centres = {o.id: o for o in s.scalars(sa.select(Organisation).where(
        Organisation.id.in_({x.centre_id for x in sessions.values()})))}
    items = {i.code: i for i in s.scalars(sa.select(OperationItem).where(
        OperationItem.code.in_({x.operation_item_code for x in sessions.values()})))}
    seat_ids = {c.seat_id for c in candidates if c.seat_id}
    station_ids = {c.station_id for c in candidates if c.station_id}
    seats = dict(s.execute(sa.select(Seat.id, Seat.label).where(Seat.id.in_(seat_ids))).all()) \
        if seat_ids else {}
    stations = dict(s.execute(sa.select(Station.id, Station.label).where(Station.id.in_(station_ids))).all()) \
        if station_ids else {}
    zone = ZoneInfo(current_app.extensions["exam_center.settings"].timezone)
    store = current_app.extensions["exam_center.evidence"]
    tickets = []
    for candidate in sorted(candidates, key=lambda c: (seats.get(c.seat_id) or stations.get(c.station_id) or "",
                                                       c.id)):
        exam_session = sessions[candidate.session_id]
        person = candidate.application.person
        centre = centres[exam_session.centre_id]
        item = items[exam_session.operation_item_code]
        part = exam_session.part.value
        tickets.append(TicketData(
            ticket_number=candidate.ticket_number,
            name=person.name,
            id_number_masked=mask_id_number(person.id_number),
            sex=SEX_LABELS.get(person.sex, person.sex),
            photo=_photo(store, person.photo_path),
            operation_item_code=item.code,
            operation_item_name=item.name_zh,
            part=PART_LABELS[part],
            starts_at=_local_time(exam_session.starts_at, zone),
            duration_minutes=exam_session.duration_minutes,
            centre_name=centre.name,
            centre_address=centre.address,
            centre_phone=centre.contact_phone,
            hall_name=exam_session.room.name,
            place_heading=PLACE_HEADINGS[part],
            place=seats.get(candidate.seat_id) if part == "theory" else stations.get(candidate.station_id),
        ))
    return tickets


def _local_time(moment: dt.datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.year}年{local.month}月{local.day}日（星期{_WEEKDAYS[local.weekday()]}）{local:%H:%M}"


def _photo(store, relative: str | None) -> bytes | None:
    """The registered photo, or None (the ticket then shows 无照片) when there is none or it is unreadable."""
    if not relative:
        return None
    try:
        return store.read(relative)
    except (OSError, ValueError):
        log.warning("registered photo %s is missing from the evidence store", relative)
        return None
