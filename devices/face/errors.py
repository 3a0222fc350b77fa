"""Errors of the face stack that callers can catch instead of the process dying."""
from __future__ import annotations


class FaceEngineUnavailable(RuntimeError):
    """dlib or its model files are missing or unreadable; the message says which and how to fix it."""


class ImageUnreadable(ValueError):
    """Bytes that are not a JPEG/PNG image OpenCV can decode."""
