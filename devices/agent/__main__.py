"""``python -m devices.agent checkin …``: the hall check-in agent beside the ID-card reader and the camera.

Every option can come from the environment instead (``EXAM_AGENT_<OPTION>``, e.g. EXAM_AGENT_TOKEN) — prefer
that for the token, which a command line shows to every user of the machine.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from ..camera import CameraError, Grabber, open_source
from ..idcard.reader import LINE_DEFAULTS, IdCardReader
from ..transport.line import SerialLine
from ..transport.settings import LineSettings
from .centre import Centre
from .checkin import CheckinAgent, CheckinSettings
from .display import Display
from .outbox import Outbox


def _option(parser, name: str, help: str, **kwargs) -> None:
    variable = "EXAM_AGENT_" + name.upper().replace("-", "_")
    default = os.environ.get(variable, kwargs.pop("default", None))
    required = kwargs.pop("required", False) and default is None
    parser.add_argument(f"--{name}", default=default, required=required, help=f"{help} [env {variable}]", **kwargs)


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m devices.agent", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    checkin = commands.add_parser("checkin", help="hall check-in: ID card → roster → face check at the centre")
    _option(checkin, "centre", "the centre's base URL, e.g. http://10.0.0.5:5000", required=True)
    _option(checkin, "token", "this hall agent's device token (issued on /admin/devices)", required=True)
    _option(checkin, "session", "the exam session checked in here", required=True, type=int)
    _option(checkin, "reader", "ID-card reader port: URL [key=value …], e.g. '/dev/ttyUSB0 baudrate=115200' or "
                               "'socket://10.0.0.9:4001'", required=True)
    _option(checkin, "camera", "camera: device index (0), rtsp:// or http:// URL, video file or still photo",
            required=True)
    _option(checkin, "frames", "frames sent per face check", default=5, type=int)
    _option(checkin, "outbox", "folder of the durable outbox", default="checkin-outbox", type=Path)
    _option(checkin, "answer-wait", "seconds to wait for a decision before leaving it queued", default=20.0,
            type=float)
    checkin.add_argument("-v", "--verbose", action="store_true", help="log every serial frame and HTTP retry")
    return parser


def run_checkin(options: argparse.Namespace, stop: threading.Event) -> None:
    try:
        line_settings = LineSettings.parse(options.reader, **LINE_DEFAULTS)
        source = open_source(options.camera)
    except (ValueError, CameraError) as error:
        sys.exit(f"checkin: {error}")
    line = SerialLine(line_settings, name="idcard-reader")
    camera = Grabber(source).start()
    agent = CheckinAgent(CheckinSettings(options.session, options.frames,
                                         answer_wait=options.answer_wait),
                         IdCardReader(line), camera, Centre(options.centre, options.token), Outbox(options.outbox),
                         Display())
    try:
        agent.run(stop)
    finally:
        camera.stop()
        line.close()


def main(argv: list[str] | None = None) -> None:
    options = arguments().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if options.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        run_checkin(options, stop)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
