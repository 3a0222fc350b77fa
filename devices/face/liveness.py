"""Liveness at check-in (活体检测): a random challenge the candidate must follow in front of the camera.

A printed photo cannot blink, and a replayed video does not follow a prompt it did not know: the centre picks
the challenge at random when the card is read, the agent shows it and sends a short burst of frames, and the
68-point landmarks of those frames must show it. Not certified presentation-attack detection — with a proctor
in the hall it raises the cost of spoofing (../shared/domain/face.md).

Directions are the candidate's own: turning to their left moves the nose towards the image's right side (the
camera is not mirrored), which raises ``pose_from_landmarks``'s yaw.
"""
from __future__ import annotations

import enum
import random
from dataclasses import dataclass, field

import numpy as np

from .quality import eye_aspect_ratio, pose_from_landmarks

EYES_CLOSED = 0.20     # eye aspect ratio below this: closed (Soukupová & Čech 2016)
EYES_OPEN = 0.25       # and at or above this in another frame: open
TURN_DELTA = 0.15      # yaw change (of −1…1) that counts as a clear head turn
MIN_FRAMES = 3         # frames with exactly one face needed to judge


class Challenge(enum.Enum):
    BLINK = "blink"
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"

    @property
    def prompt_zh(self) -> str:
        return {"blink": "请眨眨眼", "turn_left": "请缓慢向左转头", "turn_right": "请缓慢向右转头"}[self.value]

    @property
    def prompt_en(self) -> str:
        return {"blink": "Please blink", "turn_left": "Please turn your head slowly to your left",
                "turn_right": "Please turn your head slowly to your right"}[self.value]


# Which challenges a configuration value allows.
MODES = {"blink": (Challenge.BLINK,), "turn": (Challenge.TURN_LEFT, Challenge.TURN_RIGHT), "any": tuple(Challenge)}


def pick(mode: str, rng: random.Random | None = None) -> Challenge:
    """A random challenge allowed by ``mode`` (blink, turn or any)."""
    return (rng or random.SystemRandom()).choice(MODES[mode])


@dataclass(frozen=True)
class LivenessResult:
    challenge: Challenge
    passed: bool
    reason: str                  # followed | too_few_frames | no_blink | no_turn
    frames_used: int
    measures: list[float] = field(default_factory=list)   # eye aspect ratio or yaw per usable frame

    def as_dict(self) -> dict:
        return {"challenge": self.challenge.value, "passed": self.passed, "reason": self.reason,
                "frames_used": self.frames_used, "measures": [round(m, 3) for m in self.measures]}


def judge(challenge: Challenge, landmarks: list[np.ndarray | None]) -> LivenessResult:
    """Did the frames (their 68-point landmarks, None where not exactly one face was seen) follow the challenge?"""
    usable = [points for points in landmarks if points is not None]
    if len(usable) < MIN_FRAMES:
        return LivenessResult(challenge, False, "too_few_frames", len(usable))
    if challenge is Challenge.BLINK:
        ears = [eye_aspect_ratio(points) for points in usable]
        closed = min(ears) < EYES_CLOSED
        opened = max(ears) >= EYES_OPEN
        return LivenessResult(challenge, closed and opened, "followed" if closed and opened else "no_blink",
                              len(usable), ears)
    yaws = [pose_from_landmarks(points).yaw for points in usable]
    sign = 1.0 if challenge is Challenge.TURN_LEFT else -1.0
    turned = max(sign * (yaw - yaws[0]) for yaw in yaws) >= TURN_DELTA
    return LivenessResult(challenge, turned, "followed" if turned else "no_turn", len(usable), yaws)


__all__ = ["Challenge", "LivenessResult", "MODES", "judge", "pick"]
