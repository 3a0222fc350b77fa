"""The face engine (人脸引擎): one interface, with dlib (the models behind face_recognition) as its implementation.

Kept behind an interface because the dlib model is weaker on East Asian faces (../shared/domain/face.md):
a stronger model can replace it without touching the check-in or enrolment code.
"""
from __future__ import annotations

import abc
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from .decision import Identification, Thresholds, identify
from .models import DlibModels, load_models
from .quality import Problem, Quality, QualityRules, brightness, pose_from_landmarks, sharpness
from .resnet import CHIP_SIZE
from .types import FaceBox


@dataclass(frozen=True)
class FrameAnalysis:
    """What one image shows: the faces, the quality of the only face, and its encoding when usable."""

    faces: list[FaceBox]
    quality: Quality
    problems: list[Problem]
    encoding: np.ndarray | None = field(default=None, repr=False)
    landmarks: np.ndarray | None = field(default=None, repr=False)

    @property
    def usable(self) -> bool:
        return not self.problems and self.encoding is not None


class FaceEngine(abc.ABC):
    """detect → quality → encode → compare / identify, on RGB uint8 arrays."""

    @abc.abstractmethod
    def detect(self, rgb: np.ndarray, *, thorough: bool = False) -> list[FaceBox]:
        """Faces in the image. ``thorough`` trades seconds for finding small and turned faces (face counting)."""

    @abc.abstractmethod
    def landmarks(self, rgb: np.ndarray, face: FaceBox) -> np.ndarray:
        """The 68 landmark points (x, y) of a face."""

    @abc.abstractmethod
    def encode(self, rgb: np.ndarray, face: FaceBox) -> np.ndarray:
        """The face's template: a 128-d vector; same person ⇒ small Euclidean distance."""

    def quality(self, rgb: np.ndarray, faces: list[FaceBox]) -> tuple[Quality, np.ndarray | None]:
        """Quality of the image's only face (and its landmarks); only the count when there is not exactly one."""
        if len(faces) != 1:
            return Quality(face_count=len(faces)), None
        face = faces[0]
        points = self.landmarks(rgb, face)
        return Quality(face_count=1, face_width=face.width, sharpness=sharpness(rgb, face),
                       brightness=brightness(rgb, face), pose=pose_from_landmarks(points),
                       inside=face.inside(rgb.shape)), points

    def analyse(self, rgb: np.ndarray, rules: QualityRules) -> FrameAnalysis:
        faces = self.detect(rgb)
        quality, points = self.quality(rgb, faces)
        problems = rules.problems(quality)
        # A face that breaks a rule is not encoded: its template would not be trustworthy anyway.
        encoding = self.encode(rgb, faces[0]) if not problems else None
        return FrameAnalysis(faces, quality, problems, encoding, points)

    @staticmethod
    def compare(template: np.ndarray, encoding: np.ndarray) -> float:
        """Euclidean distance between two templates (face_recognition's face_distance)."""
        return float(np.linalg.norm(np.asarray(template) - np.asarray(encoding)))

    @staticmethod
    def identify(encodings: list[np.ndarray], roster: Mapping[Hashable, np.ndarray], thresholds: Thresholds,
                 margin: float) -> Identification:
        """1:N within one roster only (never the whole registry), with a best-vs-second margin."""
        return identify(encodings, roster, thresholds, margin)


class DlibFaceEngine(FaceEngine):
    """HOG detection without upsampling on the grey image: it finds faces from ~80 px wide (the enrolment
    minimum) in a quarter of the time of face_recognition's default (upsample 1, colour). Landmarks and the
    encoding use the colour image; the encoding is the same as face_recognition's default (5-point, 1 jitter).

    The encoding's network runs in numpy (resnet.py), not in dlib: the dlib-bin wheel is built without BLAS,
    so dlib's own matrix products take ~140 ms per face on one core, numpy's OpenBLAS ~20 ms. dlib still cuts
    the aligned 150×150 chip exactly as compute_face_descriptor does; the descriptor agrees with dlib's to
    float32 rounding (max difference < 1e-6, tests/face/test_resnet.py)."""

    def __init__(self, model_dir: Path | None = None) -> None:
        self._models: DlibModels = load_models(model_dir)
        self._dlib = self._models.dlib

    def _rect(self, face: FaceBox):
        return self._dlib.rectangle(face.left, face.top, face.right, face.bottom)

    def detect(self, rgb: np.ndarray, *, thorough: bool = False) -> list[FaceBox]:
        if thorough:
            found = self._models.cnn_detector()(rgb, 0)
            return [FaceBox(d.rect.left(), d.rect.top(), d.rect.right(), d.rect.bottom(), float(d.confidence))
                    for d in found]
        # HOG on colour takes the strongest gradient of three channels; grey gives the same boxes ~25 % faster.
        rects, scores, _ = self._models.detector.run(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), 0, 0.0)
        return [FaceBox(r.left(), r.top(), r.right(), r.bottom(), float(s)) for r, s in zip(rects, scores)]

    def landmarks(self, rgb: np.ndarray, face: FaceBox) -> np.ndarray:
        shape = self._models.landmarks_68(rgb, self._rect(face))
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)

    def encode(self, rgb: np.ndarray, face: FaceBox) -> np.ndarray:
        shape = self._models.landmarks_5(rgb, self._rect(face))
        # The chip compute_face_descriptor(rgb, shape, 1) would feed its network (size 150, padding 0.25).
        chip = self._dlib.get_face_chip(rgb, shape, size=CHIP_SIZE, padding=0.25)
        return self._models.encoder(chip)
