"""The dlib face engine on the shared real photos: same person accepted, different persons not, bad photos refused."""
from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from devices.face import (
    DlibFaceEngine,
    FaceEngineUnavailable,
    ImageUnreadable,
    Outcome,
    Problem,
    Quality,
    QualityRules,
    Thresholds,
    decode_rgb,
    template_from_bytes,
    template_to_bytes,
)
from devices.face.quality import Pose, eye_aspect_ratio

THRESHOLDS = Thresholds(accept=0.42, review=0.55)
# Independent photos of one person (obama_480p is a downscale of obama_1, so not an independent pair).
SAME = [("obama_1.jpg", "obama_2.jpg"), ("obama_1.jpg", "obama_3.jpg"), ("biden_1.jpg", "biden_2.jpg")]
PEOPLE = {"obama_1.jpg": "obama", "obama_2.jpg": "obama", "obama_3.jpg": "obama", "biden_1.jpg": "biden",
          "biden_2.jpg": "biden", "lin_manuel_miranda_1.png": "miranda"}


@pytest.mark.parametrize("a,b", SAME)
def test_same_person_is_accepted(analysed, a, b):
    distance = DlibFaceEngine.compare(analysed(a).encoding, analysed(b).encoding)
    assert THRESHOLDS.outcome(distance) is Outcome.ACCEPT, distance


def test_different_persons_are_never_accepted(analysed):
    for a, b in itertools.combinations(PEOPLE, 2):
        if PEOPLE[a] != PEOPLE[b]:
            distance = DlibFaceEngine.compare(analysed(a).encoding, analysed(b).encoding)
            assert THRESHOLDS.outcome(distance) is Outcome.REJECT, (a, b, distance)


def test_good_photos_pass_every_quality_rule(analysed):
    for name in PEOPLE:
        result = analysed(name)
        assert result.usable, (name, result.problems, result.quality)
        assert result.encoding.shape == (128,)


def test_partial_face_is_refused_as_cut_off(analysed):
    result = analysed("obama_partial_face.jpg")
    assert result.problems == [Problem.CUT_OFF] and result.encoding is None


def test_two_people_photo_is_refused(analysed):
    result = analysed("two_people.jpg")
    assert result.quality.face_count == 2
    assert result.problems == [Problem.SEVERAL_FACES] and result.encoding is None


def test_blurred_and_dark_photos_are_refused(engine, photo):
    sharp = photo("obama_1.jpg")
    blurred = cv2.GaussianBlur(sharp, (0, 0), 6)
    assert Problem.BLURRED in engine.analyse(blurred, QualityRules()).problems
    dark = (sharp * 0.15).astype(np.uint8)
    assert Problem.TOO_DARK in engine.analyse(dark, QualityRules()).problems


def test_a_blank_image_has_no_face(engine):
    result = engine.analyse(np.full((480, 640, 3), 128, np.uint8), QualityRules())
    assert result.problems == [Problem.NO_FACE] and result.faces == []


def test_rules_for_small_and_turned_faces():
    rules = QualityRules()
    good = dict(face_count=1, face_width=200, sharpness=300.0, brightness=120.0, pose=Pose(0.0, 0.0))
    assert rules.problems(Quality(**good)) == []
    assert rules.problems(Quality(**{**good, "face_width": 79})) == [Problem.TOO_SMALL]
    assert rules.problems(Quality(**{**good, "pose": Pose(0.5, 0.0)})) == [Problem.NOT_FRONTAL]
    assert rules.problems(Quality(**{**good, "pose": Pose(0.0, -30.0)})) == [Problem.NOT_FRONTAL]
    assert rules.problems(Quality(**{**good, "brightness": 250.0})) == [Problem.TOO_BRIGHT]


def test_open_eyes_have_a_high_aspect_ratio(analysed):
    assert eye_aspect_ratio(analysed("obama_1.jpg").landmarks) > 0.2


def test_non_images_are_refused():
    for data in (b"", b"not an image", b"\xff\xd8\xff\xe0broken jpeg"):
        with pytest.raises(ImageUnreadable):
            decode_rgb(data)


def test_missing_models_raise_a_clear_error(tmp_path):
    with pytest.raises(FaceEngineUnavailable, match="missing"):
        DlibFaceEngine(model_dir=tmp_path)


def test_corrupt_model_files_raise_a_clear_error(tmp_path):
    from devices.face.models import FILES
    for name in FILES.values():
        (tmp_path / name).write_bytes(b"junk")
    with pytest.raises(FaceEngineUnavailable, match="do not load"):
        DlibFaceEngine(model_dir=tmp_path)


def test_templates_round_trip_as_1024_bytes(analysed):
    encoding = analysed("obama_1.jpg").encoding
    data = template_to_bytes(encoding)
    assert len(data) == 1024
    assert np.array_equal(template_from_bytes(data), encoding)
    with pytest.raises(ValueError):
        template_from_bytes(data[:-8])
