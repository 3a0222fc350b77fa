"""Cameras (摄像头) through OpenCV: a device index, an RTSP/HTTP URL, a video file or a still image behind one
interface, and a background grabber that always hands out the latest frame and reconnects after a drop.

A live camera buffers frames; reading on demand would hand out stale ones, so a thread keeps reading and
keeps only the newest. A video file is paced at its own frame rate and loops, so it behaves like a camera.
"""
from __future__ import annotations

import abc
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

log = logging.getLogger(__name__)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}


class CameraError(RuntimeError):
    """The source cannot be opened (no device, bad URL, unreadable file)."""


@dataclass(frozen=True)
class Frame:
    seq: int                        # increases by one per frame handed out by a grabber
    at: float                       # time.monotonic() when grabbed
    bgr: np.ndarray = field(repr=False)

    def rgb(self) -> np.ndarray:
        return cv2.cvtColor(self.bgr, cv2.COLOR_BGR2RGB)

    def jpeg(self, quality: int = 85) -> bytes:
        ok, buffer = cv2.imencode(".jpg", self.bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise CameraError("frame could not be encoded as JPEG")
        return buffer.tobytes()


class FrameSource(abc.ABC):
    """Something that yields BGR frames; ``read`` returns None when the stream has dropped."""

    description: str

    @abc.abstractmethod
    def open(self) -> None: ...

    @abc.abstractmethod
    def read(self) -> np.ndarray | None: ...

    @abc.abstractmethod
    def close(self) -> None: ...

    # Seconds between frames a grabber should wait; 0 for sources that block until a frame arrives.
    pace: float = 0.0


class CaptureSource(FrameSource):
    """cv2.VideoCapture on a device index, a stream URL or a video file."""

    def __init__(self, target: int | str, *, loop: bool = False, size: tuple[int, int] | None = None) -> None:
        self.target = target
        self.loop = loop
        self.size = size
        self.description = f"camera {target}" if isinstance(target, int) else str(target)
        self._capture: cv2.VideoCapture | None = None

    def open(self) -> None:
        capture = cv2.VideoCapture(self.target)
        if not capture.isOpened():
            capture.release()
            raise CameraError(f"cannot open {self.description}")
        if self.size:
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.size[0])
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size[1])
        if self.loop:  # a file: play at its own rate, as a camera would deliver it
            fps = capture.get(cv2.CAP_PROP_FPS)
            self.pace = 1 / fps if 0 < fps < 240 else 1 / 25
        self._capture = capture

    def read(self) -> np.ndarray | None:
        if self._capture is None:
            return None
        ok, frame = self._capture.read()
        if not ok and self.loop:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self._capture.read()
        return frame if ok else None

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


class StillImageSource(FrameSource):
    """One photo, handed out again and again (a demo camera that never moves)."""

    pace = 0.1

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.description = str(path)
        self._image: np.ndarray | None = None

    def open(self) -> None:
        image = cv2.imread(str(self.path), cv2.IMREAD_COLOR)
        if image is None:
            raise CameraError(f"cannot read image {self.path}")
        self._image = image

    def read(self) -> np.ndarray | None:
        return None if self._image is None else self._image.copy()

    def close(self) -> None:
        self._image = None


def open_source(spec: str, *, size: tuple[int, int] | None = None, loop: bool = True) -> FrameSource:
    """'0' → device 0; 'rtsp://…' or 'http://…' → stream; '*.jpg|png' → still image; other paths → a video
    (looping, like a camera that never ends, unless ``loop`` is False)."""
    if spec.isdigit():
        return CaptureSource(int(spec), size=size)
    if "://" in spec:
        return CaptureSource(spec)
    path = Path(spec)
    if not path.is_file():
        raise CameraError(f"no such camera source: {spec}")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return StillImageSource(path)
    return CaptureSource(str(path), loop=loop)


def frames(source: FrameSource, *, every: int = 1):
    """Read a source in order (no thread, no pacing) and yield every n-th frame until it ends: for files."""
    source.open()
    try:
        index = 0
        while (image := source.read()) is not None:
            if index % every == 0:
                yield Frame(index, time.monotonic(), image)
            index += 1
    finally:
        source.close()


class Grabber:
    """Reads a source on a background thread; ``latest()`` is the newest frame, never a buffered old one.

    A failed read closes the source and reopens it after ``reconnect_delay`` seconds, for ever, until stopped.
    """

    def __init__(self, source: FrameSource, *, reconnect_delay: float = 2.0) -> None:
        self.source = source
        self.reconnect_delay = reconnect_delay
        self.reconnects = 0
        self._latest: Frame | None = None
        self._seq = 0
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "Grabber":
        self._thread = threading.Thread(target=self._run, name=f"grabber {self.source.description}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.source.close()

    def __enter__(self) -> "Grabber":
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()

    def latest(self) -> Frame | None:
        with self._changed:
            return self._latest

    def next_frame(self, after_seq: int = 0, timeout: float = 5.0) -> Frame | None:
        """The newest frame with seq > after_seq, waiting up to ``timeout`` seconds for one."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._latest is None or self._latest.seq <= after_seq:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._changed.wait(remaining):
                    return None
            return self._latest

    def _run(self) -> None:
        opened = False
        while not self._stop.is_set():
            if not opened:
                try:
                    self.source.open()
                    opened = True
                except CameraError as error:
                    log.warning("%s; retrying in %.1f s", error, self.reconnect_delay)
                    self._stop.wait(self.reconnect_delay)
                    continue
            image = self.source.read()
            if image is None:
                log.warning("%s dropped; reconnecting", self.source.description)
                self.source.close()
                opened = False
                self.reconnects += 1
                self._stop.wait(self.reconnect_delay)
                continue
            with self._changed:
                self._seq += 1
                self._latest = Frame(self._seq, time.monotonic(), image)
                self._changed.notify_all()
            if self.source.pace:
                self._stop.wait(self.source.pace)
