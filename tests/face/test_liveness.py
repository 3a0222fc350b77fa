"""Liveness challenges judged from the 68-point landmarks of real photos: a still photo never passes, a real
head turn (obama_1 frontal → obama_3 turned) passes only in its own direction, a blink needs closed then open
eyes."""
from __future__ import annotations

import random

import numpy as np
import pytest

from devices.face.liveness import Challenge, MODES, judge, pick
from devices.face.quality import eye_aspect_ratio


@pytest.fixture(scope="module")
def points(engine, photo):
    """Landmarks of a photo (flipped: the same face turned the other way)."""
    cache = {}

    def of(name: str, flip: bool = False) -> np.ndarray:
        if (name, flip) not in cache:
            rgb = photo(name)[:, ::-1].copy() if flip else photo(name)
            faces = engine.detect(rgb)
            assert len(faces) == 1
            cache[name, flip] = engine.landmarks(rgb, faces[0])
        return cache[name, flip]
    return of


def _closed(landmarks: np.ndarray) -> np.ndarray:
    """The same face with its eyelids brought down to the eye line (as in the middle of a blink)."""
    shut = landmarks.copy()
    for upper, lower, corners in (((37, 38), (41, 40), (36, 39)), ((43, 44), (47, 46), (42, 45))):
        line = shut[list(corners), 1].mean()
        for index in (*upper, *lower):
            shut[index, 1] = line + (shut[index, 1] - line) * 0.2
    return shut


def test_a_still_photo_follows_no_challenge(points):
    still = [points("obama_2.jpg")] * 5
    for challenge in Challenge:
        result = judge(challenge, still)
        assert not result.passed and result.reason in ("no_blink", "no_turn"), challenge


def test_a_head_turn_passes_only_in_the_asked_direction(points):
    to_the_left = [points("obama_1.jpg"), points("obama_1.jpg"), points("obama_3.jpg")]
    to_the_right = [points("obama_1.jpg"), points("obama_1.jpg"), points("obama_3.jpg", flip=True)]
    assert judge(Challenge.TURN_LEFT, to_the_left).passed
    assert not judge(Challenge.TURN_RIGHT, to_the_left).passed
    assert judge(Challenge.TURN_RIGHT, to_the_right).passed
    assert not judge(Challenge.TURN_LEFT, to_the_right).passed


def test_a_blink_needs_closed_and_open_eyes(points):
    open_eyes = points("obama_2.jpg")
    shut = _closed(open_eyes)
    assert eye_aspect_ratio(shut) < 0.2 <= 0.25 <= eye_aspect_ratio(open_eyes)
    assert judge(Challenge.BLINK, [open_eyes, shut, open_eyes]).passed
    assert not judge(Challenge.BLINK, [shut, shut, shut]).passed           # eyes never open: a photo of closed eyes
    assert not judge(Challenge.BLINK, [open_eyes, shut]).reason == "followed"


def test_too_few_faces_is_not_a_pass(points):
    result = judge(Challenge.TURN_LEFT, [None, points("obama_1.jpg"), None, points("obama_3.jpg")])
    assert (result.passed, result.reason, result.frames_used) == (False, "too_few_frames", 2)


def test_challenges_are_drawn_from_the_configured_mode():
    rng = random.Random(7)
    assert {pick("turn", rng) for _ in range(50)} == {Challenge.TURN_LEFT, Challenge.TURN_RIGHT}
    assert {pick("blink", rng) for _ in range(10)} == {Challenge.BLINK}
    assert {pick("any", rng) for _ in range(80)} == set(MODES["any"])
