"""Face image quality (人脸质量): the measures and the rules an enrolment photo or a check-in frame must meet.

Each measure is cheap (a crop, a Laplacian, a mean, a few landmark distances), so it runs on every frame.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

import cv2
import numpy as np

from .types import FaceBox

# Crops are resized to this side before measuring sharpness, so the figure does not depend on face size.
_SHARPNESS_SIDE = 128


class Problem(enum.Enum):
    NO_FACE = "no_face"
    SEVERAL_FACES = "several_faces"
    CUT_OFF = "cut_off"              # the face touches or crosses the image edge (partial face)
    TOO_SMALL = "too_small"
    BLURRED = "blurred"
    TOO_DARK = "too_dark"
    TOO_BRIGHT = "too_bright"
    NOT_FRONTAL = "not_frontal"


@dataclass(frozen=True)
class Pose:
    """Head pose estimated from the 68 landmarks: yaw as left/right asymmetry (0 = frontal), roll in degrees."""

    yaw: float
    roll: float


@dataclass(frozen=True)
class Quality:
    face_count: int
    face_width: int | None = None
    sharpness: float | None = None
    brightness: float | None = None
    pose: Pose | None = None
    inside: bool = True


@dataclass(frozen=True)
class QualityRules:
    """Limits for a usable face; the defaults were set on the shared sample photos (sharpness 270–1200,
    brightness 108–147, |yaw| ≤ 0.27 there; a 5-px Gaussian blur drops sharpness below 10)."""

    min_face_width: int = 80
    min_sharpness: float = 40.0
    min_brightness: float = 50.0
    max_brightness: float = 215.0
    max_yaw: float = 0.35
    max_roll: float = 20.0

    def problems(self, quality: Quality) -> list[Problem]:
        """Every rule the face breaks (empty when usable); a missing or crowded face stops the other checks."""
        if quality.face_count == 0:
            return [Problem.NO_FACE]
        if quality.face_count > 1:
            return [Problem.SEVERAL_FACES]
        found = []
        if not quality.inside:
            found.append(Problem.CUT_OFF)
        if quality.face_width is not None and quality.face_width < self.min_face_width:
            found.append(Problem.TOO_SMALL)
        if quality.brightness is not None and quality.brightness < self.min_brightness:
            found.append(Problem.TOO_DARK)
        if quality.brightness is not None and quality.brightness > self.max_brightness:
            found.append(Problem.TOO_BRIGHT)
        # After the light: a dark face also has weak edges, and the darkness is the cause to report first.
        if quality.sharpness is not None and quality.sharpness < self.min_sharpness:
            found.append(Problem.BLURRED)
        if quality.pose is not None and (abs(quality.pose.yaw) > self.max_yaw or abs(quality.pose.roll) > self.max_roll):
            found.append(Problem.NOT_FRONTAL)
        return found


def _gray_crop(rgb: np.ndarray, box: FaceBox) -> np.ndarray:
    height, width = rgb.shape[:2]
    crop = rgb[max(box.top, 0):min(box.bottom, height), max(box.left, 0):min(box.right, width)]
    return cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)


def sharpness(rgb: np.ndarray, box: FaceBox) -> float:
    """Variance of the Laplacian of the face at a fixed size: low when the face is out of focus or moving."""
    gray = _gray_crop(rgb, box)
    if gray.size == 0:
        return 0.0
    resized = cv2.resize(gray, (_SHARPNESS_SIDE, _SHARPNESS_SIDE), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(resized, cv2.CV_64F).var())


def brightness(rgb: np.ndarray, box: FaceBox) -> float:
    """Mean grey level of the face (0–255)."""
    gray = _gray_crop(rgb, box)
    return float(gray.mean()) if gray.size else 0.0


def pose_from_landmarks(points: np.ndarray) -> Pose:
    """Yaw: how much closer the nose tip is to one eye than the other; roll: the tilt of the eye line."""
    left_eye, right_eye, nose_tip = points[36:42].mean(axis=0), points[42:48].mean(axis=0), points[30]
    to_left, to_right = np.linalg.norm(nose_tip - left_eye), np.linalg.norm(nose_tip - right_eye)
    yaw = float((to_left - to_right) / (to_left + to_right)) if to_left + to_right else 0.0
    roll = float(np.degrees(np.arctan2(right_eye[1] - left_eye[1], right_eye[0] - left_eye[0])))
    return Pose(yaw=yaw, roll=roll)


def eye_aspect_ratio(points: np.ndarray) -> float:
    """Mean eye aspect ratio of both eyes (Soukupová & Čech 2016): below ≈0.2 the eyes are closed (blink)."""
    def one(eye: np.ndarray) -> float:
        vertical = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
        horizontal = 2.0 * np.linalg.norm(eye[0] - eye[3])
        return float(vertical / horizontal) if horizontal else 0.0
    return (one(points[36:42]) + one(points[42:48])) / 2
