"""Calibration: rates per threshold on known distances, and `exam-center face calibrate` on the shared photos."""
from __future__ import annotations

import re

import cv2
import numpy as np
from click.testing import CliRunner
from conftest import FACES

from devices.face import Thresholds
from devices.face.calibration import Calibration
from exam_center.cli_face import face



def test_rates_and_suggested_thresholds_on_known_distances():
    result = Calibration(genuine=np.array([0.30, 0.35, 0.40, 0.50]),
                         impostor=np.array([0.45, 0.60, 0.70, 0.80] * 250))
    assert result.rates(0.42).false_accepts == 0 and result.rates(0.42).false_rejects == 1
    assert result.rates(0.45).false_accepts == 250 and result.rates(0.45).far == 0.25
    assert result.accept_for_far(0.001) == 0.44
    assert result.review_for_frr(0.0, floor=0.44) == 0.50
    assert result.counts_at(Thresholds(0.42, 0.55)) == {
        "genuine": 4, "impostor": 1000, "false_accepts": 0, "false_rejects": 0, "reviews": 251}


def test_calibrate_command_on_the_shared_photos(tmp_path, monkeypatch):
    layout = {"obama": ["obama_1.jpg", "obama_2.jpg", "obama_3.jpg", "obama_partial_face.jpg"],
              "biden": ["biden_1.jpg", "biden_2.jpg"], "miranda": ["lin_manuel_miranda_1.png"]}
    for person, names in layout.items():
        (tmp_path / person).mkdir()
        for name in names:
            (tmp_path / person / name).symlink_to(FACES / name)
    (tmp_path / "biden" / "notes.txt").write_text("ignored")
    for name in ("EXAM_CENTER_FACE_ACCEPT_THRESHOLD", "EXAM_CENTER_FACE_REVIEW_THRESHOLD"):
        monkeypatch.delenv(name, raising=False)
    plot = tmp_path / "plot.png"
    outcome = CliRunner().invoke(face, ["calibrate", str(tmp_path), "--plot", str(plot)])
    assert outcome.exit_code == 0, outcome.output
    lines = outcome.output.splitlines()
    assert "skipped obama/obama_partial_face.jpg: cut_off" in lines
    assert re.search(r"genuine .*n=4 ", outcome.output) and re.search(r"impostor .*n=11 ", outcome.output)
    assert any(line.startswith("no suggestion: 11 impostor pairs") for line in lines)  # too few to claim 0.001
    assert lines[-1] == "RESULT genuine=4 impostor=11 false_accepts=0 false_rejects=0 reviews=1"
    assert cv2.imread(str(plot)).shape == (400, 800, 3)


def test_calibrate_needs_two_persons(tmp_path):
    (tmp_path / "only").mkdir()
    (tmp_path / "only" / "a.jpg").symlink_to(FACES / "obama_1.jpg")
    outcome = CliRunner().invoke(face, ["calibrate", str(tmp_path)])
    assert outcome.exit_code != 0 and "two persons" in outcome.output
