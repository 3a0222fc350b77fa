"""Shared, session-scoped face fixtures: dlib loads once and each photo is analysed once (≈0.2–0.5 s each)."""
from __future__ import annotations

from pathlib import Path

import pytest

from devices.face import DlibFaceEngine, QualityRules, decode_rgb

# The same folder as the top conftest's FACES (a conftest cannot import another module named conftest).
FACES = Path(__file__).resolve().parents[3] / "shared" / "data" / "faces"


@pytest.fixture(scope="session")
def engine() -> DlibFaceEngine:
    return DlibFaceEngine()


@pytest.fixture(scope="session")
def photo():
    cache = {}

    def load(name: str):
        if name not in cache:
            cache[name] = decode_rgb((FACES / name).read_bytes())
        return cache[name]
    return load


@pytest.fixture(scope="session")
def analysed(engine, photo):
    cache = {}

    def analyse(name: str):
        if name not in cache:
            cache[name] = engine.analyse(photo(name), QualityRules())
        return cache[name]
    return analyse
