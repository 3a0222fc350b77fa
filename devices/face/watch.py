"""Face-count events from a stream of frames (无人脸 / 单人 / 多人): one event each time the count class changes.

The in-exam monitor and the check-in agent use these to notice an empty seat or a second person.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from devices.camera import Frame

from .engine import FaceEngine
from .types import FaceBox


class Presence(enum.Enum):
    NO_FACE = "no_face"
    ONE_FACE = "one_face"
    SEVERAL_FACES = "several_faces"

    @classmethod
    def of(cls, count: int) -> "Presence":
        return cls.NO_FACE if count == 0 else cls.ONE_FACE if count == 1 else cls.SEVERAL_FACES


@dataclass(frozen=True)
class PresenceEvent:
    presence: Presence
    frame_seq: int
    faces: list[FaceBox] = field(repr=False)


def presence_events(frames: Iterable[Frame], engine: FaceEngine, *, thorough: bool = True) -> Iterator[PresenceEvent]:
    """``thorough`` uses the slow detector that also finds small and half-turned faces: a second person in the
    background is exactly what the fast detector misses (face.md: 0–1 found where 3–4 were visible)."""
    previous: Presence | None = None
    for frame in frames:
        faces = engine.detect(frame.rgb(), thorough=thorough)
        presence = Presence.of(len(faces))
        if presence is not previous:
            yield PresenceEvent(presence, frame.seq, faces)
            previous = presence
