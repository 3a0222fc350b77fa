"""Finding and loading dlib and the face_recognition model files without letting an import kill the process.

face_recognition's own import calls quit() when its models package cannot be imported (it needs
pkg_resources); we import dlib directly and locate the model files ourselves, so a missing piece becomes a
FaceEngineUnavailable with a clear message. The encoder model is read by resnet.py (a numpy forward pass of
dlib's network), not by dlib, whose BLAS-less build is several times slower.
"""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import FaceEngineUnavailable
from .resnet import FaceResNet, load_resnet

FILES = {
    "landmarks_5": "shape_predictor_5_face_landmarks.dat",
    "landmarks_68": "shape_predictor_68_face_landmarks.dat",
    "encoder": "dlib_face_recognition_resnet_model_v1.dat",
    "cnn_detector": "mmod_human_face_detector.dat",
}


def import_dlib() -> Any:
    try:
        return importlib.import_module("dlib")
    except ImportError as error:
        raise FaceEngineUnavailable(
            f"dlib is not installed or does not load ({error}); install the 'dlib-bin' wheel") from error


def default_model_dir() -> Path:
    """The folder of the face_recognition_models package, found without importing it (it needs pkg_resources)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FaceEngineUnavailable(
            "the face_recognition_models package is not installed; install it or set the model folder")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


@dataclass(frozen=True)
class DlibModels:
    dlib: Any
    detector: Any
    landmarks_5: Any
    landmarks_68: Any
    encoder: FaceResNet  # 150×150 RGB chip → 128-d descriptor
    model_dir: Path
    _cnn: list

    def cnn_detector(self) -> Any:
        """The CNN (mmod) detector is loaded on first use: only thorough face counting needs it."""
        if not self._cnn:
            self._cnn.append(self.dlib.cnn_face_detection_model_v1(str(self.model_dir / FILES["cnn_detector"])))
        return self._cnn[0]


def load_models(model_dir: Path | None = None) -> DlibModels:
    dlib = import_dlib()
    folder = Path(model_dir) if model_dir else default_model_dir()
    missing = [name for name in FILES.values() if not (folder / name).is_file()]
    if missing:
        raise FaceEngineUnavailable(f"face model files missing in {folder}: {', '.join(missing)}")
    try:
        return DlibModels(
            dlib=dlib,
            detector=dlib.get_frontal_face_detector(),
            landmarks_5=dlib.shape_predictor(str(folder / FILES["landmarks_5"])),
            landmarks_68=dlib.shape_predictor(str(folder / FILES["landmarks_68"])),
            encoder=load_resnet(folder / FILES["encoder"]),
            model_dir=folder,
            _cnn=[],
        )
    except FaceEngineUnavailable:  # the encoder's own message already names the file and the problem
        raise
    except RuntimeError as error:  # dlib raises RuntimeError for unreadable/corrupt model files
        raise FaceEngineUnavailable(f"face model files in {folder} do not load: {error}") from error
