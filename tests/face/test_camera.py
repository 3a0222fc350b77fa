"""Camera sources: still image, the demo video, a grabber that hands out the newest frame and reconnects,
and face-presence events from the video played as a camera."""
from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from conftest import FACES, SHARED

from devices.camera import CameraError, CaptureSource, FrameSource, Grabber, StillImageSource, frames, open_source
from devices.face.watch import Presence, presence_events

VIDEO = SHARED / "data" / "video" / "short_hamilton_clip.mp4"


def test_open_source_picks_the_kind():
    assert isinstance(open_source(str(FACES / "obama_1.jpg")), StillImageSource)
    video = open_source(str(VIDEO))
    assert isinstance(video, CaptureSource) and video.loop
    assert open_source("0").target == 0
    assert open_source("rtsp://10.0.0.5/stream").target == "rtsp://10.0.0.5/stream"
    with pytest.raises(CameraError):
        open_source("/nonexistent/file.mp4")


def test_unreadable_sources_refuse_to_open(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(CameraError):
        StillImageSource(bad).open()
    with pytest.raises(CameraError):
        CaptureSource(str(tmp_path / "missing.mp4")).open()


def test_the_video_file_plays_every_frame_in_order():
    seen = [f.seq for f in frames(open_source(str(VIDEO), loop=False), every=50)]
    assert seen == [0, 50, 100, 150, 200, 250]


def test_grabber_hands_out_newer_frames_and_jpeg_snapshots():
    with Grabber(open_source(str(VIDEO))) as grabber:
        first = grabber.next_frame(timeout=5)
        later = grabber.next_frame(after_seq=first.seq + 3, timeout=5)
    assert first is not None and later.seq > first.seq + 3
    assert later.bgr.shape == (360, 640, 3)
    decoded = cv2.imdecode(np.frombuffer(later.jpeg(), np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == later.bgr.shape


class FlakySource(FrameSource):
    """Delivers two frames, drops, refuses one reopen, then works again — a camera cable pulled and replugged."""

    description = "flaky"

    def __init__(self) -> None:
        self.opens = 0
        self.reads = 0

    def open(self) -> None:
        self.opens += 1
        if self.opens == 2:
            raise CameraError("still unplugged")

    def read(self):
        self.reads += 1
        return None if self.reads == 3 else np.zeros((4, 4, 3), np.uint8)

    def close(self) -> None:
        pass


def test_grabber_reconnects_after_a_drop():
    source = FlakySource()
    with Grabber(source, reconnect_delay=0.01) as grabber:
        deadline = time.monotonic() + 5
        while grabber.latest() is None or grabber.latest().seq < 5:
            assert time.monotonic() < deadline, "no frames after the reconnect"
            time.sleep(0.01)
    assert grabber.reconnects >= 1 and source.opens >= 3


def test_a_still_image_is_a_camera_that_never_moves():
    with Grabber(StillImageSource(FACES / "obama_1.jpg")) as grabber:
        frame = grabber.next_frame(timeout=5)
    assert frame.rgb().shape == (1137, 910, 3)


def test_the_video_yields_no_face_one_face_and_several_faces(engine):
    # Frame 0: the wide stage shot (faces too small); 120: the performer close up; 240: the audience.
    events = list(presence_events(frames(open_source(str(VIDEO), loop=False), every=120), engine))
    assert [(e.presence, e.frame_seq) for e in events] == [
        (Presence.NO_FACE, 0), (Presence.ONE_FACE, 120), (Presence.SEVERAL_FACES, 240)]
    assert len(events[-1].faces) >= 3


def test_fast_detection_on_a_frame_finds_the_close_up_face(engine):
    frame = next(f for f in frames(open_source(str(VIDEO), loop=False), every=1) if f.seq == 120)
    faces = engine.detect(frame.rgb())
    assert len(faces) == 1 and faces[0].width >= 80
