"""The proctor's hall console (考场监考台), Chinese first.

A proctor sees only the theory sessions they are assigned to (anything else is "not found"). The console is a seat
map refreshed every 3 seconds from ``state.json`` (state and progress only: no answers, no keys, no ID numbers),
an alerts list, and the candidate panel with the actions: confirm identity, absent, pause/resume, extend, move to a
free seat, warn, expel with the score cancelled; irregularity reports for a seat or the whole hall; and the
exam-room record (考场记录) as PDF. Every action is a POST with CSRF; a refused one changes nothing and answers 400
with the reason on the form.
"""
from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import NotFound as HTTPNotFound
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField

from exam_center.domain.errors import N_, Conflict, InvalidFields, ValidationError
from exam_center.models import (
    Attempt,
    AttemptStatus,
    ExamApplication,
    FaceCheck,
    FaceWatchCheck,
    OperationItem,
    Person,
    Role,
    Seat,
    SessionCandidate,
    StaffUser,
    utcnow,
)
from exam_center.reports.exam_room_record import (
    TicketFontMissing,
    record_data,
    render_record,
)
from exam_center.services import attempts, face_checkin
from exam_center.services import hall as svc
from exam_center.services.scheduling import local_text

from .errors import error_response
from .forms import choices, submit
from .labels import ATTEMPT_STATUS_LABELS
from .policy import allow
from .session import current_actor, db_session

bp = Blueprint("hall", __name__, url_prefix="/hall")
log = logging.getLogger(__name__)

STATE_LABELS = {
    svc.EMPTY: _l("Free seat"),
    svc.VACATED: _l("Vacated (candidate moved)"),
    **{status.value: text for status, text in ATTEMPT_STATUS_LABELS.items()},
    svc.MISSING: _l("MISSING: terminal silent"),
}
CATEGORY_LABELS = {
    "environment": _l("Environment"),
    "candidate": _l("Candidate"),
    "staff": _l("Staff"),
    "technical": _l("Technical"),
}
ACTION_LABELS = {
    "check_in": _l("Identity confirmed, checked in"),
    "mark_absent": _l("Marked absent"),
    "start": _l("Started answering"),
    "pause": _l("Paused"),
    "resume": _l("Resumed"),
    "extend": _l("Time extended"),
    "move": _l("Moved to another seat"),
    "warn": _l("Warned"),
    "terminate": _l("Expelled, score cancelled"),
    "submit": _l("Submitted"),
    "time_out": _l("Submitted at the deadline"),
    "irregularity": _l("Irregularity recorded"),
    "face_alert": _l("Face monitoring alert"),
}
ALERT_LABELS = {"missing": _l("Missing"), "paused": _l("Paused"), "warning": _l("Warning"),
                "no_face": _l("Nobody at the terminal"), "several_faces": _l("Several faces"),
                "different_person": _l("Possibly another person"), "face_review": _l("Face check: your decision")}
REFRESH_SECONDS = 3
S = AttemptStatus
# Which actions the panel offers in which state (the attempt service refuses the others anyway).
OFFERED = {
    S.SCHEDULED: ("check_in", "mark_absent", "move"),
    S.CHECKED_IN: ("move", "warn", "expel"),
    S.IN_PROGRESS: ("pause", "extend", "move", "warn", "expel"),
    S.PAUSED: ("resume", "extend", "move", "warn", "expel"),
}


# --- forms -----------------------------------------------------------------------------------------------------------
# Plain text fields: the use cases check them and say in Chinese what is wrong, with nothing changed.

class ActionForm(FlaskForm):
    """A button: the CSRF token only."""


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason (required)"))


class ResumeForm(FlaskForm):
    reason = StringField(_l("Remark (optional)"))


class ExtendForm(FlaskForm):
    minutes = StringField(_l("Minutes to add (1–%(max)s)", max=attempts.MAX_EXTENSION_MINUTES),
                          render_kw={"inputmode": "numeric"})
    reason = StringField(_l("Reason (required)"))


class MoveForm(FlaskForm):
    seat_id = SelectField(_l("Move to the free seat"), validate_choice=False)
    reason = StringField(_l("Reason (required)"))


class ExpelForm(FlaskForm):
    reason = TextAreaField(_l("Misconduct observed (required)"))
    confirm = BooleanField(_l("I confirm: the candidate leaves the hall and this exam's score is cancelled."))


class IrregularityForm(FlaskForm):
    category = SelectField(_l("Category"), validate_choice=False,
                           choices=choices([("", _l("— choose —"))] + list(CATEGORY_LABELS.items())))
    seat_id = SelectField(_l("Seat (optional)"), validate_choice=False)
    description = TextAreaField(_l("What happened (required)"))


class ReviewForm(FlaskForm):
    decision = HiddenField()
    reason = StringField(_l("Reason (required to refuse)"))


FORMS = {"check_in": ActionForm, "mark_absent": ActionForm, "pause": ReasonForm, "resume": ResumeForm,
         "extend": ExtendForm, "move": MoveForm, "warn": ReasonForm, "expel": ExpelForm, "review": ReviewForm}


# --- helpers ---------------------------------------------------------------------------------------------------------

def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.extensions["exam_center.settings"].timezone)


def _session(session_id: int):
    return svc.assigned_session(db_session(), session_id, current_user.id)


def _local(moment) -> str:
    return local_text(moment, _zone()) if moment else "—"


def _clock(moment) -> str:
    return moment.astimezone(_zone()).strftime("%H:%M:%S") if moment else "—"


def _duration(seconds) -> str:
    if seconds is None:
        return "—"
    seconds = max(0, int(seconds))
    return f"{seconds // 60:d}:{seconds % 60:02d}"


def _actor_name(label: str, names: dict[str, str]) -> str:
    if label in names:
        return names[label]
    kind = label.split(":", 1)[0]
    return {"system": _("System"), "candidate": _("Candidate"), "device": _("Terminal")}.get(kind, label)


def _required_reason(form) -> list[ValidationError]:
    if (form.reason.data or "").strip():
        return []
    # The attempt service's own message, so both say the same.
    return [ValidationError("attempt.reason_required", N_("Give the reason for this action."), field="reason")]


def _plain_int(raw: str | None) -> int | None:
    text = (raw or "").strip()
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= 9 else None


def _explained(error: Conflict) -> Conflict:
    """The service names the status by its code; say it in the proctor's words."""
    if error.code == "attempt.transition":
        status = next((s for s in S if s.value == error.params.get("status")), None)
        return Conflict(error.code, N_("Not possible now: this candidate is %(status)s."), field=error.field,
                        status=str(ATTEMPT_STATUS_LABELS.get(status, error.params.get("status"))))
    return error


def _console(session_id: int, candidate_id: int | None = None, *, forms: dict | None = None,
             irregularity_form: IrregularityForm | None = None, status: int = 200):
    s = db_session()
    exam_session = _session(session_id)
    state = svc.hall_state(s, exam_session)
    selected = None
    panel_forms: dict = {}
    if candidate_id is not None:
        candidate = svc.candidate_of_session(s, exam_session, candidate_id)
        selected = state.candidates.get(candidate.id)
        person = s.scalar(sa.select(Person).join(ExamApplication, ExamApplication.person_id == Person.id)
                          .where(ExamApplication.id == candidate.application_id))
        panel_forms = {name: (forms or {}).get(name) or cls(formdata=None) for name, cls in FORMS.items()}
        panel_forms["move"].seat_id.choices = choices(
            [("", _l("— choose a free seat —"))] + [(str(i), label) for i, label in state.move_targets(candidate.id)])
        status_enum = S(selected.state) if selected.state in S._value2member_map_ else S.IN_PROGRESS
        offered = OFFERED.get(status_enum, ())
    else:
        person, offered = None, ()
    # Why a submitted action was refused, at the top of the panel (its form may no longer be offered).
    refusals = []
    for name, form in (forms or {}).items():
        refusals += list(form.form_errors)
        if name not in offered:
            refusals += [m for field_name, messages in form.errors.items() if field_name != "csrf_token"
                         for m in messages]
    irregularity_form = irregularity_form or IrregularityForm(formdata=None)
    irregularity_form.seat_id.choices = choices([("", _l("The whole hall"))] + [
        (str(v.seat_id), f"{v.label}（{v.name}）" if v.name else v.label) for v in state.seats if v.seat_id])
    if selected is not None:
        events = svc.recent_events(s, exam_session, candidate_id=selected.candidate_id)
    else:
        events = svc.recent_events(s, exam_session, limit=30)
    facts_names = _staff_names(s, [e["actor"] for e in events])
    item = s.get(OperationItem, exam_session.operation_item_code)
    return render_template(
        "hall/console.html", exam_session=exam_session, item=item, state=state, selected=selected, person=person,
        forms=panel_forms, offered=offered, refusals=refusals, irregularity_form=irregularity_form, events=events,
        irregularities=svc.irregularities(s, exam_session), actor_name=lambda label: _actor_name(label, facts_names),
        state_labels=STATE_LABELS, category_labels=CATEGORY_LABELS, action_labels=ACTION_LABELS,
        alert_labels=ALERT_LABELS, local=_local, clock=_clock, duration=_duration, refresh_seconds=REFRESH_SECONDS,
        missing_after=svc.MISSING_AFTER_SECONDS, js_labels=_js_labels(), face_thresholds=_face_thresholds()), status


def _face_thresholds() -> tuple[float, float]:
    face = current_app.extensions["exam_center.settings"].face
    return face.accept_threshold, face.review_threshold


def _staff_names(s, labels) -> dict[str, str]:
    usernames = {label.split(":", 1)[1] for label in labels if label.startswith("staff:")}
    if not usernames:
        return {}
    return {f"staff:{u}": n for u, n in s.execute(sa.select(StaffUser.username, StaffUser.display_name)
                                                  .where(StaffUser.username.in_(usernames))).all()}


def _js_labels() -> dict:
    return {"states": {k: str(v) for k, v in STATE_LABELS.items()},
            "alerts": {k: str(v) for k, v in ALERT_LABELS.items()},
            "online": _("Live · updated %(time)s"), "offline": _("Connection lost: retrying… (last update %(time)s)"),
            "signed_out": _("Signed out: reload the page and sign in again."),
            "seen": _("last heard %(seconds)s s ago"), "ago": _("%(seconds)s s ago"), "no_alerts": _("No alerts."),
            "moved_to": _("now at %(seat)s")}


# --- pages -----------------------------------------------------------------------------------------------------------

@bp.route("/")
@allow(Role.PROCTOR)
def index():
    s = db_session()
    sessions = svc.proctor_sessions(s, current_user.id)
    rooms = {x.room_id: x.room.name for x in sessions}
    items = dict(s.execute(sa.select(OperationItem.code, OperationItem.name_zh).where(
        OperationItem.code.in_({x.operation_item_code for x in sessions}))).all()) if sessions else {}
    counts = dict(s.execute(sa.select(SessionCandidate.session_id, sa.func.count()).where(
        SessionCandidate.session_id.in_([x.id for x in sessions])).group_by(SessionCandidate.session_id)).all()) \
        if sessions else {}
    return render_template("hall/index.html", sessions=sessions, rooms=rooms, items=items, counts=counts,
                           local=_local)


@bp.route("/sessions/<int:session_id>")
@allow(Role.PROCTOR)
def console(session_id: int):
    return _console(session_id)


@bp.route("/sessions/<int:session_id>/candidates/<int:candidate_id>")
@allow(Role.PROCTOR)
def candidate(session_id: int, candidate_id: int):
    return _console(session_id, candidate_id)


@bp.route("/sessions/<int:session_id>/state.json")
@allow(Role.PROCTOR)
def state(session_id: int):
    s = db_session()
    hall_state = svc.hall_state(s, _session(session_id))
    data = hall_state.as_json()
    # Times as the hall reads them (Beijing time), whatever the browser's clock or zone says.
    data["now_local"] = _clock(hall_state.now)
    for alert, source in zip(data["alerts"], hall_state.alerts):
        alert["at_local"] = _clock(source.at) if source.at else None
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/sessions/<int:session_id>/candidates/<int:candidate_id>/photo")
@allow(Role.PROCTOR)
def photo(session_id: int, candidate_id: int):
    """The registered photo (as on the admission ticket), for the identity check."""
    s = db_session()
    candidate = svc.candidate_of_session(s, _session(session_id), candidate_id)
    path = s.scalar(sa.select(Person.photo_path).join(ExamApplication, ExamApplication.person_id == Person.id)
                    .where(ExamApplication.id == candidate.application_id))
    if not path:
        raise HTTPNotFound()
    return _evidence_file(path)


@bp.route("/sessions/<int:session_id>/face-checks/<int:check_id>/snapshot")
@allow(Role.PROCTOR)
def face_snapshot(session_id: int, check_id: int):
    """The webcam snapshot behind a face-monitoring alert (evidence), for a candidate of this session only."""
    s = db_session()
    exam_session = _session(session_id)
    check = s.get(FaceWatchCheck, check_id)
    attempt = s.get(Attempt, check.attempt_id) if check is not None else None
    if attempt is None or not check.snapshot_path:
        raise HTTPNotFound()
    svc.candidate_of_session(s, exam_session, attempt.candidate_id)
    return _evidence_file(check.snapshot_path)


def _evidence_file(path: str):
    try:
        response = send_file(current_app.extensions["exam_center.evidence"].path(path), max_age=0)
    except (OSError, ValueError):
        raise HTTPNotFound() from None
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/sessions/<int:session_id>/checkin-checks/<int:check_id>/snapshot")
@allow(Role.PROCTOR)
def checkin_snapshot(session_id: int, check_id: int):
    """The camera frame of a check-in face decision (evidence), for a candidate of this session only."""
    check = _checkin_check(session_id, check_id)
    if not check.snapshot_path:
        raise HTTPNotFound()
    return _evidence_file(check.snapshot_path)


def _checkin_check(session_id: int, check_id: int) -> FaceCheck:
    s = db_session()
    exam_session = _session(session_id)
    check = s.get(FaceCheck, check_id)
    if check is None:
        raise HTTPNotFound()
    svc.candidate_of_session(s, exam_session, check.candidate_id)
    return check


@bp.route("/sessions/<int:session_id>/checkin-checks/<int:check_id>/resolution", methods=["POST"])
@allow(Role.PROCTOR)
def resolve_checkin(session_id: int, check_id: int):
    """The proctor settles a face check-in in the grey zone: confirm the identity, or refuse with a reason."""
    check = _checkin_check(session_id, check_id)
    form = ReviewForm()
    confirm = form.decision.data == "confirm"

    def run(session):
        if form.decision.data not in ("confirm", "refuse"):
            raise InvalidFields([ValidationError("checkin.decision", N_("Choose: confirm or refuse."),
                                                 field="decision")])
        return face_checkin.resolve(session, current_actor(), current_user.id, check.id, confirm=confirm,
                                    reason=form.reason.data)

    if submit(form, run):
        flash(_("Identity confirmed: the candidate is checked in and may start at the terminal.") if confirm
              else _("Check-in refused; the reason is recorded."), "success")
        return redirect(url_for(".candidate", session_id=session_id, candidate_id=check.candidate_id))
    return _console(session_id, check.candidate_id, forms={"review": form}, status=400)


# --- actions on one candidate ----------------------------------------------------------------------------------------

def _act(session_id: int, candidate_id: int, name: str, use_case, done_message: str):
    s = db_session()
    exam_session = _session(session_id)
    candidate = svc.candidate_of_session(s, exam_session, candidate_id)
    form = FORMS[name]()

    def run(session):
        try:
            return use_case(session, exam_session, candidate, form)
        except Conflict as error:
            raise _explained(error) from error

    if submit(form, run):
        flash(done_message, "success")
        return redirect(url_for(".candidate", session_id=session_id, candidate_id=candidate_id))
    return _console(session_id, candidate_id, forms={name: form}, status=400)


def _attempt_id(session, candidate) -> int:
    return attempts.attempt_of_candidate(session, candidate.id).id


@bp.route("/sessions/<int:session_id>/candidates/<int:candidate_id>/check-in", methods=["POST"])
@allow(Role.PROCTOR)
def check_in(session_id: int, candidate_id: int):
    return _act(session_id, candidate_id, "check_in",
                lambda s, _e, c, _f: attempts.check_in(s, current_actor(), c.id),
                _("Identity confirmed: the candidate is checked in and may start at the terminal."))


@bp.route("/sessions/<int:session_id>/candidates/<int:candidate_id>/absent", methods=["POST"])
@allow(Role.PROCTOR)
def mark_absent(session_id: int, candidate_id: int):
    return _act(session_id, candidate_id, "mark_absent",
                lambda s, _e, c, _f: attempts.mark_absent(s, current_actor(), c.id),
                _("The candidate is recorded as absent."))


def _with_reason(call):
    def use_case(s, exam_session, candidate, form):
        errors = _required_reason(form)
        if errors:
            raise InvalidFields(errors)
        return call(s, _attempt_id(s, candidate), form.reason.data.strip())
    return use_case


@bp.route("/sessions/<int:session_id>/candidates/<int:candidate_id>/pause", methods=["POST"])
@allow(Role.PROCTOR)
def pause(session_id: int, candidate_id: int):
    return _act(session_id, candidate_id, "pause",
                _with_reason(lambda s, a, reason: attempts.pause(s, current_actor(), a, reason)),
                _("Paused: the candidate's clock has stopped."))


@bp.route("/sessions/<int:session_id>/candidates/<int:candidate_id>/resume", methods=["POST"])
@allow(Role.PROCTOR)
def resume(session_id: int, candidate_id: int):
    return _act(session_id, candidate_id, "resume",
                lambda s, _e, c, f: attempts.resume(s, current_actor(), _attempt_id(s, c), f.reason.data),
                _("Resumed: the clock runs again with the time that was left."))


@bp.route("/sessions/<int:session_id>/candidates/<int:candidate_id>/extend", methods=["POST"])
@allow(Role.PROCTOR)
def extend(session_id: int, candidate_id: int):
    def use_case(s, _exam_session, candidate, form):
        errors = _required_reason(form)
        minutes = _plain_int(form.minutes.data)
        if minutes is None or not 1 <= minutes <= attempts.MAX_EXTENSION_MINUTES:
            errors.append(ValidationError("attempt.extension", N_("Extend by 1 to %(max)s minutes."),
                                          field="minutes", max=attempts.MAX_EXTENSION_MINUTES))
        if errors:
            raise InvalidFields(errors)
        return attempts.extend(s, current_actor(), _attempt_id(s, candidate), minutes, form.reason.data.strip())
    return _act(session_id, candidate_id, "extend", use_case, _("Time extended."))


@bp.route("/sessions/<int:session_id>/candidates/<int:candidate_id>/move", methods=["POST"])
@allow(Role.PROCTOR)
def move(session_id: int, candidate_id: int):
    def use_case(s, exam_session, candidate, form):
        errors = _required_reason(form)
        seat_id = _plain_int(form.seat_id.data)
        seat = s.get(Seat, seat_id) if seat_id else None
        if seat is None or seat.room_id != exam_session.room_id:
            errors.append(ValidationError("attempt.seat", N_("Choose a free seat of this hall."), field="seat_id"))
        if errors:
            raise InvalidFields(errors)
        return attempts.move(s, current_actor(), _attempt_id(s, candidate), seat.id, form.reason.data.strip())
    return _act(session_id, candidate_id, "move", use_case,
                _("Moved: the terminal at the new seat continues the same exam with the same answers and time."))


@bp.route("/sessions/<int:session_id>/candidates/<int:candidate_id>/warn", methods=["POST"])
@allow(Role.PROCTOR)
def warn(session_id: int, candidate_id: int):
    return _act(session_id, candidate_id, "warn",
                _with_reason(lambda s, a, reason: attempts.warn(s, current_actor(), a, reason)),
                _("Warning recorded."))


@bp.route("/sessions/<int:session_id>/candidates/<int:candidate_id>/expel", methods=["POST"])
@allow(Role.PROCTOR)
def expel(session_id: int, candidate_id: int):
    def use_case(s, _exam_session, candidate, form):
        errors = _required_reason(form)
        if not form.confirm.data:
            errors.append(ValidationError("hall.confirm_expel", N_(
                "Tick the box to confirm the expulsion: it ends the exam and cancels the score."), field="confirm"))
        if errors:
            raise InvalidFields(errors)
        return attempts.expel(s, current_actor(), _attempt_id(s, candidate), form.reason.data.strip())
    return _act(session_id, candidate_id, "expel", use_case,
                _("The candidate's exam is terminated and the score cancelled."))


# --- the hall ---------------------------------------------------------------------------------------------------------

@bp.route("/sessions/<int:session_id>/irregularities", methods=["POST"])
@allow(Role.PROCTOR)
def irregularity(session_id: int):
    exam_session = _session(session_id)
    form = IrregularityForm()
    raw_seat = (form.seat_id.data or "").strip()
    seat_id = (_plain_int(raw_seat) or -1) if raw_seat else None

    def run(s):
        try:
            return svc.report_irregularity(s, current_actor(), exam_session, category=form.category.data,
                                           description=form.description.data, seat_id=seat_id)
        except Conflict as error:
            raise _explained(error) from error

    if submit(form, run):
        flash(_("Irregularity recorded."), "success")
        back = request.form.get("back_candidate", "")
        if back.isdigit() and len(back) <= 9:
            return redirect(url_for(".candidate", session_id=session_id, candidate_id=int(back)) + "#irregularities")
        return redirect(url_for(".console", session_id=session_id) + "#irregularities")
    return _console(session_id, irregularity_form=form, status=400)


@bp.route("/sessions/<int:session_id>/record.pdf")
@allow(Role.PROCTOR)
def record_pdf(session_id: int):
    s = db_session()
    exam_session = _session(session_id)
    now = utcnow()
    try:
        body = render_record(record_data(svc.record_facts(s, exam_session, now=now), _zone(), printed_at=now))
    except TicketFontMissing:
        log.exception("the exam-room record cannot be rendered")
        return error_response(503, "record.font_missing", _(
            "The exam-room record cannot be printed: the Chinese font is not installed on the server. Ask the "
            "system administrator to run scripts/setup."))
    response = make_response(body)
    response.mimetype = "application/pdf"
    local = exam_session.starts_at.astimezone(_zone())
    response.headers["Content-Disposition"] = f'inline; filename="exam-room-record-{session_id}-{local:%Y%m%d}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
