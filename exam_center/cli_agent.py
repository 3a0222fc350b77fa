"""``exam-center agent …``: a device token for the demo hall agent, and the check-in demo on one laptop
(the emulated ID-card reader serving demo candidates' cards, a camera source, the real agent process)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import date

import click
import sqlalchemy as sa

from .config import PROJECT_ROOT, Settings

DEMO_HALL_AGENT = "理论考场一入口"  # the hall agent seed-demo registers
DEFAULT_CAMERA = PROJECT_ROOT.parent / "shared" / "data" / "faces" / "obama_2.jpg"


@click.group()
def agent() -> None:
    """Device agents: tokens and the check-in demo."""


def _database():
    from .db import Database

    return Database(Settings.from_env().database_url)


def _issue_demo_token(session) -> str:
    from .models import Device, DeviceKind
    from .services.audit import Actor
    from .services.devices import issue_token

    device = session.scalar(sa.select(Device).where(Device.name == DEMO_HALL_AGENT,
                                                    Device.kind == DeviceKind.HALL_AGENT))
    if device is None:
        raise click.ClickException(f"no hall agent named {DEMO_HALL_AGENT!r}: run 'exam-center seed-demo' first")
    return issue_token(session, Actor.system("cli:agent"), device.id)[1]


@agent.command("demo-token")
def demo_token() -> None:
    """Issue a device token for the demo hall agent and print it (the only line on stdout)."""
    with _database().transaction() as session:
        click.echo(_issue_demo_token(session))


def _demo_session_id(session) -> int:
    """The session the first demo candidate is scheduled in (seed-demo's theory session)."""
    from .models import ExamApplication, Person, SessionCandidate
    from .services.demo import demo_candidate

    session_id = session.scalar(
        sa.select(SessionCandidate.session_id).join(ExamApplication, ExamApplication.id == SessionCandidate.application_id)
        .join(Person, Person.id == ExamApplication.person_id)
        .where(Person.id_number == demo_candidate(0)["id_number"]))
    if session_id is None:
        raise click.ClickException("the demo theory session is missing: run 'exam-center seed-demo' first")
    return session_id


def _demo_cards(session, session_id: int) -> list:
    """The cards the emulated reader presents in turn: the demo session's candidates with a registered photo
    (seed-demo gives the first obama_1, which the default camera matches, and the next another face), then a
    demo person scheduled nowhere, whom the roster refuses."""
    from .models import ExamApplication, Person, SessionCandidate
    from .services.demo import CANDIDATES, demo_candidate

    rows = session.execute(
        sa.select(Person.id_number, SessionCandidate.session_id, Person.photo_sha256)
        .join(ExamApplication, ExamApplication.person_id == Person.id)
        .join(SessionCandidate, SessionCandidate.application_id == ExamApplication.id)).all()
    with_photo = {number for number, sid, photo in rows if sid == session_id and photo}
    scheduled = {number for number, _sid, _photo in rows}
    numbers = [demo_candidate(index)["id_number"] for index in range(CANDIDATES)]
    chosen = [n for n, number in enumerate(numbers) if number in with_photo][:2]
    chosen += [n for n, number in enumerate(numbers) if number not in scheduled][:1]
    return [_demo_card(index) for index in chosen]


def _demo_card(index: int):
    """The ID card a demo candidate would carry (made-up person, valid GB 11643 number)."""
    from devices.emulators.idcard_reader import opaque_photo
    from devices.idcard.card import IdentityCard

    from .services.demo import demo_candidate

    values = demo_candidate(index)
    number = values["id_number"]
    birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return IdentityCard(values["name"], "male" if int(number[16]) % 2 else "female", "01", birth,
                        "示范市示范路 1 号", number, "示范市公安局", date(2020, 1, 1), date(2040, 1, 1),
                        opaque_photo(number))


def _wait_for_centre(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/v1/health", timeout=2) as response:
                if json.load(response).get("status") == "ok":
                    return
        except (OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise click.ClickException(f"the centre at {url} did not answer within {seconds:.0f} s")
        time.sleep(0.5)


@agent.command("checkin-demo")
@click.option("--centre", "centre_url", help="The centre's URL [default: http://EXAM_CENTER_HOST:EXAM_CENTER_PORT].")
@click.option("--camera", default=str(DEFAULT_CAMERA), show_default=True,
              help="Camera source: device index, stream URL, video file or still photo.")
@click.option("--every", type=float, default=8.0, show_default=True,
              help="Seconds between one card's read and the next card on the emulated reader.")
def checkin_demo(centre_url: str | None, camera: str, every: float) -> None:
    """Watch check-ins happen: the emulated reader presents demo candidates' cards in turn, the agent reads
    them, sends camera frames to the centre and prints each decision. Needs a running centre; Ctrl-C stops."""
    from devices.emulators.base import EmulatorPort
    from devices.emulators.idcard_reader import IdCardReaderEmulator
    from devices.pty import LinkedPtys
    from devices.transport.settings import LineSettings

    settings = Settings.from_env()
    centre_url = centre_url or f"http://{settings.host}:{settings.port}"
    with _database().transaction() as session:
        session_id, token = _demo_session_id(session), _issue_demo_token(session)
        cards = _demo_cards(session, session_id)
    _wait_for_centre(centre_url, 60)
    reader = IdCardReaderEmulator(cards, rotate_after=every)
    folder = settings.instance_dir / "devices"
    with LinkedPtys(115200, link_a=folder / "checkin-idcard-reader") as cable, \
            EmulatorPort(reader, cable.b_path, LineSettings(cable.b_path)):
        click.echo(f"emulated ID-card reader on {cable.a_path}; cards in turn: "
                   + ", ".join(card.name for card in cards), err=True)
        # The agent runs as its own process, as on a hall PC; the token travels in its environment, not argv.
        environment = dict(os.environ, EXAM_AGENT_CENTRE=centre_url, EXAM_AGENT_TOKEN=token,
                           EXAM_AGENT_SESSION=str(session_id), EXAM_AGENT_READER=cable.a_path,
                           EXAM_AGENT_CAMERA=camera, EXAM_AGENT_OUTBOX=str(settings.instance_dir / "checkin-outbox"))
        process = subprocess.Popen([sys.executable, "-m", "devices.agent", "checkin"], env=environment,
                                   cwd=PROJECT_ROOT)
        # Stopped by a script (SIGTERM) the agent stops too, rather than outliving its emulated reader.
        signal.signal(signal.SIGTERM, lambda *_: process.terminate())
        try:
            process.wait()
        except KeyboardInterrupt:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":  # usable before the group is wired into ``exam-center``
    agent()
