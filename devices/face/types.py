"""Plain values passed between the engine, the quality gate and the decision rules."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# A face template (人脸特征): dlib's 128-d embedding, stored as 128 float64 values.
TEMPLATE_DIMENSIONS = 128
TEMPLATE_BYTES = TEMPLATE_DIMENSIONS * 8


@dataclass(frozen=True)
class FaceBox:
    """A detected face in image pixels; may reach outside the image when the face is cut off."""

    left: int
    top: int
    right: int
    bottom: int
    confidence: float | None = None

    @property
    def width(self) -> int:
        return self.right - self.left

    def inside(self, image_shape: tuple[int, ...]) -> bool:
        height, width = image_shape[:2]
        return self.left >= 0 and self.top >= 0 and self.right <= width and self.bottom <= height


def template_to_bytes(template: np.ndarray) -> bytes:
    vector = np.asarray(template, dtype="<f8")
    if vector.shape != (TEMPLATE_DIMENSIONS,):
        raise ValueError(f"a face template has {TEMPLATE_DIMENSIONS} values, got shape {vector.shape}")
    return vector.tobytes()


def template_from_bytes(data: bytes) -> np.ndarray:
    if len(data) != TEMPLATE_BYTES:
        raise ValueError(f"a stored face template is {TEMPLATE_BYTES} bytes, got {len(data)}")
    return np.frombuffer(data, dtype="<f8").astype(np.float64)
