"""The candidate's exam terminal (考试终端): sign-in by admission ticket, the exam page and its JSON API.

Candidates are not staff: they sign in with the admission-ticket number and the last six characters of
their ID number. The Flask session then holds their attempt id and a *sitting token* and nothing else
(signing in clears any staff sign-in; a staff sign-in clears the candidate). Routes after sign-in are
declared ``@candidate`` (the access policy lets only a signed-in candidate through) and only ever reach
that attempt — no route takes an attempt id from the request.

One terminal at a time: the sitting token is also stored on the attempt; a new sign-in replaces it and a
proctor's move to another seat clears it, so the old browser is shut out (``terminal.replaced`` /
``terminal.moved``). A browser set up as a seat's exam terminal (``/terminal/setup``, a signed cookie
naming the registered device) is the only place where the candidate of that seat can sign in.

The page's JSON API lives under ``/terminal/api/…`` (session cookie + ``X-CSRFToken`` header) and answers
errors as JSON ``{"code", "message", "details"}`` itself (the app's JSON errors are for ``/api/`` only).

The server owns the clock: the page shows ``remaining_seconds`` from every answer and resynchronises with
each heartbeat; overdue attempts are finished here (and by the ``exam-center run`` sweeper) whether or
not a terminal is still connected.
"""
from __future__ import annotations

import datetime as dt
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import (Blueprint, current_app, g, jsonify, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp

from exam_center.db import end_read_only
from exam_center.domain.errors import N_, Conflict, DomainError
from exam_center.models import (FINISHED, ApplicationStatus, Attempt, AttemptAnswer, AttemptStatus, ExamApplication,
                                ExamRoom, ExamSession, OperationItem, Person, Seat, SessionCandidate, utcnow)
from exam_center.services import attempts, autosave, sign_in_tries
from exam_center.services.sittings import SITTING_ENDED, SittingEnded, check_sitting
from exam_center.services.audit import Actor, record

from .errors import _http_message, domain_error_details, error_response
from .policy import candidate, public
from .session import CANDIDATE_KEY, database, db_session, signed_in_attempt_id
from .face_watch import snapshots
from .terminal_setup import this_terminal

bp = Blueprint("terminal", __name__, url_prefix="/terminal")
SITTING_KEY = "candidate_sitting"
API_PATH = "/terminal/api/"
S = AttemptStatus


# --- sign-in --------------------------------------------------------------------------------------

class SignInForm(FlaskForm):
    ticket_number = StringField(_l("Admission ticket number"), validators=[
        DataRequired(message=_l("Enter your admission ticket number.")),
        Length(max=20, message=_l("An admission ticket number has at most 20 characters."))])
    id_tail = StringField(_l("Last 6 characters of your ID number"), validators=[
        DataRequired(message=_l("Enter the last 6 characters of your ID number.")),
        Regexp(r"^\s*[0-9]{5}[0-9Xx]\s*$", message=_l("Enter 6 characters: five digits, then a digit or X."))])


def _candidate_by_ticket(s, ticket: str) -> tuple[SessionCandidate, ExamApplication, Person] | None:
    row = s.execute(sa.select(SessionCandidate, ExamApplication, Person)
                    .join(ExamApplication, ExamApplication.id == SessionCandidate.application_id)
                    .join(Person, Person.id == ExamApplication.person_id)
                    .where(SessionCandidate.ticket_number == ticket)).first()
    return tuple(row) if row else None


def _locked(seconds: float) -> tuple[str, str]:
    return "terminal.locked", _("Too many wrong tries for this ticket. Try again in %(minutes)s minutes or ask "
                                "the proctor.", minutes=max(1, round(seconds / 60)))


def _sign_in(ticket: str, id_tail: str) -> tuple[int, str] | tuple[str, str]:
    """(attempt id, sitting token), or a refusal: (code, translated message)."""
    s = db_session()
    locked = sign_in_tries.seconds_locked(s, ticket)
    if locked > 0:
        return _locked(locked)
    found = _candidate_by_ticket(s, ticket)
    given = id_tail.strip().upper().encode()
    expected = found[2].id_number[-6:].upper().encode() if found else b"\x00" * 6
    if found is None or not hmac.compare_digest(given, expected):
        guesser = Actor("candidate", None, f"ticket:{ticket[:20]}", request.remote_addr)
        now_locked = sign_in_tries.record_failure(s, guesser, ticket, candidate_id=found[0].id if found else None)
        s.commit()
        if now_locked:
            return _locked(sign_in_tries.LOCK_SECONDS)
        return "terminal.wrong_credentials", _("The admission ticket number or the ID characters are wrong.")
    candidate, application, _person = found
    if application.status is ApplicationStatus.WITHDRAWN:
        return "terminal.withdrawn", _("This admission ticket is no longer valid. Ask the proctor.")
    if candidate.paper_id is None:
        return "terminal.not_ready", _("This exam session is not ready yet. Wait for the proctor's announcement.")
    try:
        attempt = attempts.attempt_of_candidate(s, candidate.id)
    except DomainError:
        s.rollback()
        return "terminal.not_ready", _("This exam session is not ready yet. Wait for the proctor's announcement.")
    if attempt.status is S.ABSENT:
        return "terminal.absent", _("You have been recorded as absent from this exam. Ask the proctor.")
    if attempt.status in FINISHED:
        return "terminal.finished", _("You have already finished this exam.")
    terminal = this_terminal(s)
    seat_id = attempt.seat_id or candidate.seat_id
    seat = s.get(Seat, seat_id) if seat_id else None
    if seat is not None and seat.terminal_id is not None and (terminal is None or terminal.id != seat.terminal_id):
        return "terminal.wrong_terminal", _("This is not the terminal of your seat. Sign in at seat %(seat)s.",
                                            seat=seat.label)
    token = secrets.token_urlsafe(24)
    replaced = attempt.sitting_token is not None
    attempt.sitting_token = token
    record(s, _candidate_actor(candidate), "terminal.sign_in", "attempt", attempt.id,
           after={"status": attempt.status, "seat": seat.label if seat else None,
                  "terminal": terminal.name if terminal else None, "replaced_sitting": replaced})
    s.commit()
    return attempt.id, token


SIGNED_OUT = N_("You are signed out.")
SIGN_IN_NOTICES = {**SITTING_ENDED, "terminal.signed_out": SIGNED_OUT}


@bp.route("/", methods=["GET", "POST"])
@public
def sign_in():
    if request.method == "GET" and signed_in_attempt_id() is not None:
        return redirect(url_for("terminal.exam"))
    form = SignInForm()
    refusal = None
    if form.validate_on_submit():
        outcome = _sign_in(form.ticket_number.data.strip(), form.id_tail.data)
        if isinstance(outcome[0], int):
            session.clear()  # a staff sign-in on this browser ends here
            session[CANDIDATE_KEY], session[SITTING_KEY] = outcome
            return redirect(url_for("terminal.exam"))
        refusal = outcome
    reason = request.args.get("reason", "")
    notice = (reason, _(SIGN_IN_NOTICES[reason])) if reason in SIGN_IN_NOTICES and not refusal else None
    status = 400 if form.is_submitted() and (refusal or form.errors) else 200
    return render_template("terminal/sign_in.html", form=form, refusal=refusal, notice=notice,
                           terminal=this_terminal(db_session())), status


@bp.route("/sign-out", methods=["POST"])
@public
def sign_out():
    session.pop(CANDIDATE_KEY, None)
    session.pop(SITTING_KEY, None)
    return redirect(url_for("terminal.sign_in"))


# --- who is at the terminal -----------------------------------------------------------------------

def _attempt() -> Attempt:
    """The signed-in candidate's attempt, if this browser still holds its sitting (else ``SittingEnded``)."""
    attempt = db_session().get(Attempt, signed_in_attempt_id())
    if attempt is None:
        raise SittingEnded("terminal.signed_out", SIGNED_OUT)
    check_sitting(attempt.sitting_token, session.get(SITTING_KEY))
    return attempt


def _candidate_actor(candidate: SessionCandidate) -> Actor:
    return attempts.candidate_actor(candidate.id, candidate.ticket_number, request.remote_addr)


def _writable() -> None:
    """GET handlers that may finish overdue attempts: take SQLite's write lock from the start."""
    token = g.pop("read_only_token", None)
    if token is not None:
        end_read_only(token)


@dataclass(frozen=True)
class _Context:
    attempt: Attempt
    candidate: SessionCandidate
    person: Person
    exam: ExamSession
    item: OperationItem | None
    room: ExamRoom | None
    seat: Seat | None


def _context(s, attempt: Attempt) -> _Context:
    candidate = s.get(SessionCandidate, attempt.candidate_id)
    application = s.get(ExamApplication, candidate.application_id)
    exam = s.get(ExamSession, candidate.session_id)
    seat = s.get(Seat, attempt.seat_id) if attempt.seat_id else None
    return _Context(attempt, candidate, s.get(Person, application.person_id), exam,
                    s.get(OperationItem, exam.operation_item_code), s.get(ExamRoom, exam.room_id), seat)


# --- pages ----------------------------------------------------------------------------------------

@bp.route("/exam")
@candidate
def exam():
    attempt = _attempt()
    if attempt.status in FINISHED:
        return redirect(url_for("terminal.result"))
    s = db_session()
    context = _context(s, attempt)
    paper = attempts.paper_of(s, attempt)
    return render_template("terminal/exam.html", c=context, paper=paper, blueprint=paper.blueprint,
                           config=_page_config(attempt, paper))


def _page_config(attempt: Attempt, paper) -> dict[str, Any]:
    return {
        "attemptId": attempt.id,
        "urls": {"state": url_for("terminal.api_state"), "start": url_for("terminal.api_start"),
                 "save": url_for("terminal.api_save"), "heartbeat": url_for("terminal.api_heartbeat"),
                 "submit": url_for("terminal.api_submit"), "result": url_for("terminal.result"),
                 "signIn": url_for("terminal.sign_in"), "snapshot": url_for("terminal.api_snapshot")},
        "heartbeatSeconds": 5,
        "faceWatchSeconds": current_app.extensions["exam_center.settings"].face.watch_seconds,
        "text": {
            "connected": _("Connected"), "reconnecting": _("Reconnecting"), "offline": _("Offline"),
            "queued": _("Unsaved: %(count)s"), "allSaved": _("All answers saved"),
            "question": _("Question %(n)s of %(total)s"), "points": _("%(points)s points"),
            "judge": _("True or false"), "single": _("Single choice"), "multi": _("Multiple choice"),
            "multiHint": _("Choose every correct option."),
            "mark": _("Mark for review (M)"), "unmark": _("Remove mark (M)"),
            "unanswered": _("%(count)s questions are unanswered: %(list)s"),
            "noneUnanswered": _("You have answered every question."),
            "markedList": _("Marked for review: %(list)s"),
            "waitCheckIn": _("The proctor has not confirmed your identity yet. Please wait at your seat."),
            "canStart": _("Your identity has been confirmed. You may start when the proctor says so."),
            "saving": _("Saving your last answers before submitting…"),
            "cannotSubmitOffline": _("Some answers are not saved yet. Wait for the connection to come back, "
                                     "then submit."),
            "error": _("The server refused the request: %(message)s"),
            "timeLow": _("Less than 5 minutes left"),
            "cameraOn": _("Face check on"),
            "cameraOff": _("Camera unavailable: raise your hand"),
        },
    }


@bp.route("/result")
@candidate
def result():
    attempt = _attempt()
    if attempt.status not in FINISHED:
        return redirect(url_for("terminal.exam"))
    s = db_session()
    context = _context(s, attempt)
    paper = attempts.paper_of(s, attempt)
    answered = _answered_count(s, attempt)
    # The exam's policy: the score is shown at once, unless the attempt was terminated (score cancelled).
    show_score = attempt.status in (S.SUBMITTED, S.TIMED_OUT) and not attempt.score_cancelled \
        and attempt.score is not None
    return render_template("terminal/result.html", c=context, paper=paper, blueprint=paper.blueprint,
                           answered=answered, show_score=show_score)


def _answered_count(s, attempt: Attempt) -> int:
    return sum(1 for chosen in s.scalars(sa.select(AttemptAnswer.chosen)
                                         .where(AttemptAnswer.attempt_id == attempt.id)) if chosen)


# --- the page's JSON API --------------------------------------------------------------------------

def _json_error(status: int, code: str, message: str, details: dict | None = None):
    return jsonify(code=code, message=message, details=details or {}), status


def _is_api() -> bool:
    return request.path.startswith(API_PATH)


@bp.errorhandler(SittingEnded)
def _sitting_ended(error: SittingEnded):
    """This browser is shut out of the attempt: its sign-in ends here, and the sign-in page says why."""
    db_session().rollback()
    session.pop(CANDIDATE_KEY, None)
    session.pop(SITTING_KEY, None)
    if _is_api():
        return _json_error(401, error.code, error.render(_))
    return redirect(url_for("terminal.sign_in", reason=error.code))


@bp.errorhandler(DomainError)
def _domain(error: DomainError):
    db_session().rollback()
    if _is_api():
        return _json_error(error.http_status, error.code, error.render(_), domain_error_details(error))
    return error_response(error.http_status, error.code, error.render(_), domain_error_details(error))


@bp.errorhandler(CSRFError)
def _csrf(_error: CSRFError):
    message = _("The form has expired or is missing its security token; reload the page and try again.")
    if _is_api():
        return _json_error(400, "csrf.invalid", message)
    return error_response(400, "csrf.invalid", message)


@bp.errorhandler(HTTPException)
def _http(error: HTTPException):
    status = error.code or 500
    if _is_api():
        return _json_error(status, f"http.{status}", _http_message(status))
    return error_response(status, f"http.{status}", _http_message(status))


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise _Invalid({"_": [_("The request body is not valid JSON.")]}, code="request.invalid_json", status=400)
    return body


class _Invalid(Exception):
    def __init__(self, details: dict[str, list[str]], *, code: str = "request.invalid", status: int = 422):
        super().__init__(code)
        self.details, self.code, self.status = details, code, status


@bp.errorhandler(_Invalid)
def _invalid(error: _Invalid):
    message = _("The request body is not valid JSON.") if error.status == 400 else _("Some fields are invalid.")
    return _json_error(error.status, error.code, message, error.details)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _save_values(body: dict[str, Any]) -> dict[str, Any]:
    problems: dict[str, list[str]] = {}
    position, chosen, marked, seq = (body.get("position"), body.get("chosen", []), body.get("marked", False),
                                     body.get("seq"))
    if not _is_int(position):
        problems["position"] = [_("Not a valid integer.")]
    if not isinstance(chosen, list) or len(chosen) > 6 or not all(_is_int(i) for i in chosen):
        problems["chosen"] = [_("Give the chosen options as a list of option numbers.")]
    if not isinstance(marked, bool):
        problems["marked"] = [_("Not a valid boolean.")]
    if not _is_int(seq):
        problems["seq"] = [_("Not a valid integer.")]
    unknown = sorted(set(body) - {"position", "chosen", "marked", "seq"})
    for name in unknown:
        problems[name] = [_("Unknown field.")]
    if problems:
        raise _Invalid(problems)
    return {"position": position, "chosen": chosen, "marked": marked, "seq": seq}


def _csrf_token() -> str:
    """The token the page sends with its next calls (renewed now and then, see ``VerifiedCSRF.token``)."""
    return current_app.extensions["csrf"].token()


def _seconds(value: float) -> float:
    return round(max(0.0, value), 1)


def _clock(s, attempt: Attempt | attempts.Started, now: dt.datetime) -> dict[str, Any]:
    return {"status": attempt.status.value, "remaining_seconds": _seconds(attempts.remaining_seconds(s, attempt, now))}


def _state(s, attempt: Attempt | attempts.Started, now: dt.datetime, *, with_answers: bool = True):
    """The attempt as the page needs it: clock, answers, and the questions once the exam is under way."""
    # Question text only once the exam is under way; answer keys never (the stored questions have none).
    visible = attempt.status in (S.IN_PROGRESS, S.PAUSED)
    if isinstance(attempt, attempts.Started):
        count, shown = attempt.question_count, attempt.questions_shown
    else:
        count, shown = attempts.questions_shown(s, attempt.paper_id, with_text=visible)
    answers = [{"position": a.position, "chosen": list(a.chosen), "marked": a.marked, "seq": a.seq}
               for a in s.scalars(sa.select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)
                                  .order_by(AttemptAnswer.position))] if visible and with_answers else []
    state = {"attempt_id": attempt.id, **_clock(s, attempt, now), "last_seq": attempt.last_seq,
             "question_count": count, "answers": answers, "csrf_token": _csrf_token()}
    # The questions are spliced in as stored: they are the bulk of the reply, and encoded once per paper.
    body = json.dumps(state, ensure_ascii=False)[:-1] + ',"questions":' + (shown if visible else "[]") + "}"
    return current_app.response_class(body, mimetype="application/json")


@bp.route("/api/state")
@candidate
def api_state():
    _writable()
    attempt_id = _attempt().id
    s = db_session()
    now = utcnow()
    attempts.finish_overdue(s, now=now)
    s.commit()
    return _state(s, attempts.get_attempt(s, attempt_id), now)


@bp.route("/api/start", methods=["POST"])
@candidate
def api_start():
    now = utcnow()
    # Committed before it is acknowledged.
    started = attempts.start_committed(database(), signed_in_attempt_id(), now=now,
                                       sitting_token=session.get(SITTING_KEY), check_token=True,
                                       address=request.remote_addr)
    # A first start cannot have answers yet; what was committed is what the reply shows.
    return _state(db_session(), started, now, with_answers=not started.first)


@bp.route("/api/save", methods=["POST"])
@candidate
def api_save():
    values = _save_values(_body())
    # Committed before it is acknowledged; a refused save writes nothing.
    ack = autosave.save_committed(database(), signed_in_attempt_id(), sitting_token=session.get(SITTING_KEY),
                                  check_token=True, **values)
    # The reply names the save it answers: a client with several saves in flight (or a load generator) can
    # match each acknowledgement to its save without relying on their order.
    return jsonify(acknowledged={"position": values["position"], "seq": values["seq"]}, seq=ack.seq,
                   applied=ack.applied, remaining_seconds=_seconds(ack.remaining_seconds), status=ack.status.value)


SNAPSHOT_MAX_BYTES = 512 * 1024


@bp.route("/api/snapshot", methods=["POST"])
@candidate
def api_snapshot():
    """A webcam snapshot for in-exam face monitoring: validated and queued, judged by the server later."""
    attempt = _attempt()
    if not current_app.extensions["exam_center.settings"].face.watch_seconds:
        raise Conflict("face_watch.off", N_("In-exam face monitoring is switched off."))
    if attempt.status not in (S.IN_PROGRESS, S.PAUSED):
        raise Conflict("face_watch.not_in_exam", N_("Snapshots are taken only during the exam."))
    data = request.get_data(cache=False)
    if request.mimetype != "image/jpeg" or not data.startswith(b"\xff\xd8") or len(data) > SNAPSHOT_MAX_BYTES:
        raise _Invalid({"snapshot": [_("Send one JPEG image of at most %(kb)s KB.", kb=SNAPSHOT_MAX_BYTES // 1024)]})
    if not snapshots(current_app._get_current_object()).submit(attempt.id, data, utcnow()):
        return _json_error(503, "face_watch.busy", _("The server is busy; the next snapshot will be taken."))
    return jsonify(queued=True), 202


@bp.route("/api/heartbeat", methods=["POST"])
@candidate
def api_heartbeat():
    attempt_id = _attempt().id
    s = db_session()
    now = utcnow()
    attempts.finish_overdue(s, now=now)
    attempt = attempts.heartbeat(s, attempt_id, now=now)
    s.commit()
    return jsonify(**_clock(s, attempt, now), last_seq=attempt.last_seq, csrf_token=_csrf_token())


@bp.route("/api/submit", methods=["POST"])
@candidate
def api_submit():
    attempt = _attempt()
    s = db_session()
    now = utcnow()
    if attempt.status not in FINISHED:  # a second click, or the deadline came first: the end stands
        candidate = s.get(SessionCandidate, attempt.candidate_id)
        attempt = attempts.submit(s, _candidate_actor(candidate), attempt.id, now=now)
        s.commit()
    return jsonify(**_clock(s, attempt, now), result_url=url_for("terminal.result"))


__all__ = ["SITTING_KEY", "bp"]
