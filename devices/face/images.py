"""Image conversions shared by the engine and the camera: the engine works on RGB arrays, OpenCV on BGR."""
from __future__ import annotations

import cv2
import numpy as np

from .errors import ImageUnreadable


def decode_rgb(data: bytes) -> np.ndarray:
    """JPEG/PNG bytes → an RGB uint8 array; raises ImageUnreadable for anything else."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if data else None
    if image is None:
        raise ImageUnreadable("not a readable JPEG or PNG image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def encode_jpeg(rgb: np.ndarray, quality: int = 85) -> bytes:
    ok, buffer = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ImageUnreadable("the frame could not be encoded as JPEG")
    return buffer.tobytes()


def fit_within(rgb: np.ndarray, max_side: int) -> np.ndarray:
    """Shrink so the longer side is at most max_side (large uploads would make detection slow)."""
    height, width = rgb.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1:
        return rgb
    return cv2.resize(rgb, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
