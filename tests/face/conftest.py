"""Shared, session-scoped face fixtures: dlib loads once and each photo is analysed once (≈0.2–0.5 s each)."""
from __future__ import annotations

import pytest
from conftest import FACES

from devices.face import DlibFaceEngine, QualityRules, decode_rgb


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
