"""A hall on the bench: the real centre behind a real HTTP server (restartable, so it can be "down"), a
roster with registered photos, the emulated ID-card reader on a paced pty cable, a still photo as the
camera, and the agent in a thread whose operator lines the test can wait for."""
from __future__ import annotations

import contextlib
import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import FACES, SYSTEM
from exam_day import scheduled_candidate, small_exam_bank
from werkzeug.serving import make_server

from devices.agent.centre import Centre
from devices.agent.checkin import CheckinAgent, CheckinSettings
from devices.agent.display import Display
from devices.agent.outbox import Outbox
from devices.camera import Grabber, StillImageSource
from devices.emulators.base import EmulatorPort
from devices.emulators.idcard_reader import IdCardReaderEmulator
from devices.idcard.card import IdentityCard
from devices.idcard.reader import IdCardReader
from devices.pty import LinkedPtys
from devices.transport.line import SerialLine
from devices.transport.settings import LineSettings
from exam_center.db import read_only
from exam_center.domain.idcard import make_id_number
from exam_center.models import (Attempt, AttemptStatus, DeviceKind, ExamPart, ExamRoom, ExamSession, FaceCheck,
                                OrganisationKind, RoomKind, Seat, SessionStatus)
from exam_center.services import papers
from exam_center.services.people import set_person_photo

WAIT = 60.0  # generous: a face decision under a loaded CPU takes seconds, never a minute


class LiveCentre:
    """The app served over HTTP on a fixed port; ``stop``/``start`` take the centre down and bring it back.
    ``lose_next_reply`` lets the next request be applied but answers 503, as a reply lost on the network."""

    def __init__(self, app):
        self.app = app
        self.lose_next_reply = False
        self._server = None
        self._thread = None
        self.port = 0
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wsgi(self, environ, start_response):
        if self.lose_next_reply:
            self.lose_next_reply = False
            for _ in self.app(environ, lambda *args: None):
                pass  # the centre does the work; the reply never reaches the agent
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"code": "test.reply_lost"}']
        return self.app(environ, start_response)

    def start(self) -> None:
        self._server = make_server("127.0.0.1", self.port, self._wsgi, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="live centre")
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


class RecordingDisplay(Display):
    """Prints like the real one and remembers every line; ``hooks[kind]`` runs on the agent's thread."""

    def __init__(self):
        super().__init__()
        self.events: list[tuple[str, dict]] = []
        self.hooks: dict[str, callable] = {}
        self._changed = threading.Condition()

    def show(self, kind: str, **fields) -> None:
        super().show(kind, **fields)
        hook = self.hooks.pop(kind, None)
        if hook:
            hook()
        with self._changed:
            self.events.append((kind, fields))
            self._changed.notify_all()

    def wait_for(self, kind: str, count: int = 1, timeout: float = WAIT) -> dict:
        """The fields of the ``count``-th line of this kind, waiting for it."""
        def seen():
            return [fields for k, fields in self.events if k == kind]
        with self._changed:
            assert self._changed.wait_for(lambda: len(seen()) >= count, timeout), \
                f"no {kind!r} line #{count}; lines so far: {self.events}"
            return seen()[count - 1]

    def kinds(self) -> list[str]:
        with self._changed:
            return [k for k, _ in self.events]


@dataclass
class Roster:
    session_id: int
    cards: dict[str, IdentityCard]
    candidates: dict[str, int]


def _card(id_number: str, name: str) -> IdentityCard:
    birth = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    return IdentityCard(name, "male", "01", birth, "北京市朝阳区示范路1号", id_number, "北京市公安局朝阳分局",
                        dt.date(2015, 1, 1), None)


@pytest.fixture
def roster(db, app, world) -> Roster:
    """Session one: obama and biden with registered photos; elsewhere is scheduled in session two."""
    centre = world.organisations[OrganisationKind.EXAM_CENTRE]
    store = app.extensions["exam_center.evidence"]
    people = (("obama", "obama_1.jpg"), ("biden", "biden_1.jpg"), ("elsewhere", None))
    with db.transaction() as s:
        blueprint = small_exam_bank(s)
        drawn = papers.draw_papers(s, SYSTEM, blueprint.id, seeds=[1, 2, 3])
        rooms = [ExamRoom(centre_id=centre, name=name, kind=RoomKind.THEORY) for name in ("理论一", "理论二")]
        s.add_all(rooms)
        s.flush()
        seats = [Seat(room_id=rooms[0].id, label="01"), Seat(room_id=rooms[0].id, label="02"),
                 Seat(room_id=rooms[1].id, label="01")]
        s.add_all(seats)
        sessions = [ExamSession(centre_id=centre, room_id=room.id, part=ExamPart.THEORY, operation_item_code="1.2",
                                blueprint_id=blueprint.id, starts_at=dt.datetime(2026, 12, 5, 1, 0, tzinfo=dt.UTC),
                                duration_minutes=30, capacity=3, status=SessionStatus.CLOSED) for room in rooms]
        s.add_all(sessions)
        s.flush()
        cards, candidates = {}, {}
        for n, (who, photo) in enumerate(people):
            id_number = make_id_number("110105", dt.date(1990, 5, n + 1), 31 + 2 * n)
            row = scheduled_candidate(s, exam_session_id=sessions[1 if who == "elsewhere" else 0].id,
                                      seat_id=seats[n].id, paper_id=drawn[n].id, id_number=id_number,
                                      name="考生" + "甲乙丙"[n], ticket_number=f"A000{n}")
            if photo:
                set_person_photo(s, SYSTEM, store, row.application.person_id, (FACES / photo).read_bytes())
            cards[who], candidates[who] = _card(id_number, "考生" + "甲乙丙"[n]), row.id
    return Roster(sessions[0].id, cards, candidates)


@pytest.fixture
def centre(app):
    server = LiveCentre(app)
    yield server
    with contextlib.suppress(Exception):
        server.stop()


@dataclass
class Hall:
    reader: IdCardReaderEmulator
    display: RecordingDisplay
    outbox: Outbox
    agent: CheckinAgent


@pytest.fixture
def start_agent(tmp_path: Path, centre, world, roster):
    """``start_agent(photo, answer_wait)``: the agent on its own thread, the reader emulator to script."""
    with contextlib.ExitStack() as stack:
        def start(photo: str, answer_wait: float = WAIT) -> Hall:
            cable = stack.enter_context(LinkedPtys(115200, link_a=tmp_path / "idcard-reader"))
            emulator = IdCardReaderEmulator()
            stack.enter_context(EmulatorPort(emulator, cable.b_path))
            line = SerialLine(LineSettings(cable.a_path), backoff=(0.05, 0.2))
            stack.callback(line.close)
            camera = Grabber(StillImageSource(FACES / photo)).start()
            stack.callback(camera.stop)
            display, outbox = RecordingDisplay(), Outbox(tmp_path / "outbox")
            agent = CheckinAgent(CheckinSettings(roster.session_id, frames=5, poll=0.05, answer_wait=answer_wait,
                                                 challenge_seconds=0.4),
                                 IdCardReader(line), camera,
                                 Centre(centre.url, world.device_tokens[DeviceKind.HALL_AGENT], timeout=WAIT),
                                 outbox, display, backoff=(0.05, 0.5))
            stop = threading.Event()
            thread = threading.Thread(target=agent.run, args=(stop,), daemon=True, name="check-in agent")
            thread.start()
            stack.callback(thread.join, WAIT)
            stack.callback(stop.set)
            display.wait_for("ready")
            return Hall(emulator, display, outbox, agent)

        yield start


def status_of(db, candidate_id: int) -> AttemptStatus:
    with read_only(), db.sessions() as s:
        return s.scalar(sa.select(Attempt.status).where(Attempt.candidate_id == candidate_id))


def outcomes(db, candidate_id: int) -> list[str]:
    with read_only(), db.sessions() as s:
        return [c.outcome.value for c in s.scalars(sa.select(FaceCheck).where(FaceCheck.candidate_id == candidate_id)
                                                   .order_by(FaceCheck.id))]
