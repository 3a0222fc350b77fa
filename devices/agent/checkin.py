"""The hall check-in agent (入场签到代理): ID card → roster → camera frames → the centre's decision.

One candidate at a time: the card names the claimed identity, the centre finds it in this session's roster
or refuses, the agent sends a burst of frames and the centre decides (accept / review / reject). The frames
go through the outbox, so a check made while the centre is down is delivered when it is back.

Resending a face check is safe in the cases that matter: the centre's API has no idempotency key (the
message id travels as ``Idempotency-Key`` for a centre that learns to use it), but once a check was
applied the candidate is either checked in or waiting for a proctor, and the centre refuses a second
check with ``checkin.already`` / ``checkin.review_pending`` — the agent reads those as "applied earlier".
The one resend that is not harmless is a reject whose reply was lost: the resend is decided again and
uses up one more of the candidate's tries.
"""
from __future__ import annotations

import base64
import logging
import threading
import time
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

import cv2

from ..camera import Grabber
from ..idcard.card import IdentityCard
from ..idcard.reader import IdCardReader, ReaderStatusError
from ..transport.errors import DeviceError
from .centre import Centre, CentreUnreachable, Reply
from .courier import Courier
from .display import Display, explain
from .outbox import Message, Outbox

logger = logging.getLogger(__name__)
LIFT_AND_PRESENT_AGAIN = 0x41  # SW3 of a read the SAM refused (rules.md §8.4)
APPLIED_EARLIER = {"checkin.already", "checkin.review_pending"}
FRAME_SIDE = 960  # the centre shrinks larger frames anyway; smaller uploads survive a slow hall network


@dataclass(frozen=True)
class CheckinSettings:
    session_id: int
    frames: int = 5             # frames per face check (the centre accepts min_frames … 2 × check_frames)
    poll: float = 0.3           # seconds between looks for a card
    answer_wait: float = 20.0   # seconds the operator waits for a decision before it is left queued
    frame_wait: float = 5.0     # seconds to wait for each fresh camera frame
    challenge_seconds: float = 3.0   # a liveness challenge: the burst of frames is spread over this long


class CheckinAgent:
    def __init__(self, settings: CheckinSettings, reader: IdCardReader, camera: Grabber, centre: Centre,
                 outbox: Outbox, display: Display, backoff: tuple[float, float] = (0.5, 30.0)):
        self.settings = settings
        self.reader = reader
        self.camera = camera
        self.centre = centre
        self.display = display
        self.courier = Courier(outbox, centre, on_reply=self._delivered, on_unreachable=self._unreachable,
                               backoff=backoff)
        self._reader_down = False

    def run(self, stop: threading.Event) -> None:
        """Serve candidates until ``stop`` is set."""
        self.courier.start()
        self.display.show("ready", session=self.settings.session_id)
        try:
            while not stop.is_set():
                card = self._next_card()
                if card is None:
                    stop.wait(self.settings.poll)
                    continue
                self.check_in(card)
                # The SAM serves a card once per presentation; the next read is the next card.
                self.display.show("take_card")
        finally:
            self.courier.stop()

    def _next_card(self) -> IdentityCard | None:
        try:
            card = self.reader.read_card()
        except ReaderStatusError as error:
            if error.sw3 == LIFT_AND_PRESENT_AGAIN:
                self.display.show("lift_card")
            else:
                self._reader_failed(error)
            return None
        except DeviceError as error:
            self._reader_failed(error)
            return None
        if self._reader_down:
            self._reader_down = False
            self.display.show("reader_back")
        return card

    def _reader_failed(self, error: DeviceError) -> None:
        if not self._reader_down:  # said once; the line reconnects by itself
            self._reader_down = True
            self.display.show("reader_down", error=error)

    def check_in(self, card: IdentityCard) -> None:
        self.display.show("card", name=card.name, id_number=card.masked_id_number)
        try:
            found = self.centre.post(f"/checkin/sessions/{self.settings.session_id}/card",
                                     {"id_number": card.id_number})
        except CentreUnreachable as error:
            # Nothing to queue yet: without the roster answer there is no candidate to check.
            self.display.show("unreachable", error=error)
            return
        if not found.ok:
            self._refused(found)
            return
        entry = found.body
        self.display.show("candidate", name=entry["name"], ticket_number=entry["ticket_number"])
        challenge = entry.get("liveness")
        if challenge:
            # The centre chose the challenge at random; the frames must show the candidate following it.
            self.display.show("liveness", prompt=challenge["prompt_zh"], prompt_en=challenge["prompt_en"])
        try:
            frames = self._capture(self.settings.challenge_seconds if challenge else 0.0)
        except CameraFailed as error:
            self.display.show("camera_failed", error=error)
            return
        body = {"frames": frames, **({"challenge_token": challenge["token"]} if challenge else {})}
        message = Message.new(f"/checkin/candidates/{entry['candidate_id']}/face", body,
                              label=f"face check of ticket {entry['ticket_number']}",
                              context={"ticket_number": entry["ticket_number"], "seat_id": entry.get("seat_id")})
        future = self.courier.submit(message)
        try:
            future.result(self.settings.answer_wait)  # the courier shows the decision when it arrives
        except FutureTimeout:
            self.display.show("queued", queued=len(self.courier.outbox))

    def _capture(self, spread: float = 0.0) -> list[str]:
        """``frames`` distinct frames from the camera, each a base64 JPEG no larger than FRAME_SIDE, taken over
        ``spread`` seconds (a liveness challenge needs the movement, not one instant)."""
        frames, seq = [], 0
        pause = spread / max(self.settings.frames - 1, 1)
        for n in range(self.settings.frames):
            if n and pause:
                time.sleep(pause)
            frame = self.camera.next_frame(after_seq=seq, timeout=self.settings.frame_wait)
            if frame is None:
                raise CameraFailed(f"no frame from {self.camera.source.description} within "
                                   f"{self.settings.frame_wait:.0f} s")
            seq = frame.seq
            frames.append(base64.b64encode(_jpeg(frame.bgr)).decode("ascii"))
        return frames

    def _refused(self, reply: Reply) -> None:
        chinese, english = explain(reply.code, reply.message)
        self.display.show("refused", text=chinese, text_en=english, code=reply.code)

    def _delivered(self, message: Message, reply: Reply) -> None:
        """Runs on the courier thread for every acknowledged face check, also ones queued long ago."""
        if reply.ok:
            decision = reply.body
            self.display.show(decision["outcome"], label=message.context.get("ticket_number"),
                              reason=decision.get("reason"), retries_left=decision.get("retries_left"),
                              seat_id=message.context.get("seat_id"), check_id=decision.get("check_id"))
        elif reply.code in APPLIED_EARLIER:
            chinese, english = explain(reply.code, reply.message)
            self.display.show("applied_earlier", label=message.context.get("ticket_number"), text=chinese,
                              text_en=english, code=reply.code)
        else:
            self._refused(reply)

    def _unreachable(self, error: str) -> None:
        logger.info("centre unreachable: %s; %d message(s) queued", error, len(self.courier.outbox))


class CameraFailed(Exception):
    """The camera gave no fresh frame in time (unplugged, stream dropped, file unreadable)."""


def _jpeg(bgr) -> bytes:
    height, width = bgr.shape[:2]
    scale = FRAME_SIDE / max(height, width)
    if scale < 1:
        bgr = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, buffer = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise CameraFailed("a frame could not be encoded as JPEG")
    return buffer.tobytes()
