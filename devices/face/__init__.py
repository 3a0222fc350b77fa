"""The face engine: detection, quality, templates, 1:1 and 1:N decisions (see ../shared/domain/face.md).

Import ``DlibFaceEngine`` and construct it: a missing dlib or model file raises FaceEngineUnavailable,
never ends the process.
"""
from .decision import Identification, Outcome, Thresholds, Verdict, identify, vote
from .engine import DlibFaceEngine, FaceEngine, FrameAnalysis
from .errors import FaceEngineUnavailable, ImageUnreadable
from .images import decode_rgb, encode_jpeg, fit_within
from .quality import Pose, Problem, Quality, QualityRules
from .types import FaceBox, template_from_bytes, template_to_bytes

__all__ = [
    "DlibFaceEngine", "FaceBox", "FaceEngine", "FaceEngineUnavailable", "FrameAnalysis", "Identification",
    "ImageUnreadable", "Outcome", "Pose", "Problem", "Quality", "QualityRules", "Thresholds", "Verdict",
    "decode_rgb", "encode_jpeg", "fit_within", "identify", "template_from_bytes", "template_to_bytes", "vote",
]
