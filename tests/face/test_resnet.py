"""The numpy forward pass of dlib's face ResNet against dlib itself, on the shared real photos."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import FACES

from devices.face import FaceEngineUnavailable
from devices.face.models import FILES, default_model_dir, import_dlib
from devices.face.resnet import load_resnet

PHOTOS = sorted(path.name for path in FACES.iterdir() if path.suffix in (".jpg", ".png"))
# Measured on these photos: max |difference| 3.4e-7, distance 1.0e-6 (float32 rounding; dlib-bin 20.0.1).
MAX_ABS_DIFFERENCE, MAX_DISTANCE = 1e-4, 1e-3


@pytest.fixture(scope="module")
def dlib_reference():
    """dlib's own encoder and 5-point landmarks, as face_recognition uses them."""
    dlib, folder = import_dlib(), default_model_dir()
    return (dlib, dlib.shape_predictor(str(folder / FILES["landmarks_5"])),
            dlib.face_recognition_model_v1(str(folder / FILES["encoder"])))


@pytest.mark.parametrize("name", PHOTOS)
def test_descriptor_matches_dlib(engine, photo, dlib_reference, name):
    dlib, landmarks_5, encoder = dlib_reference
    rgb = photo(name)
    faces = engine.detect(rgb)
    assert faces, name
    for face in faces:
        ours = engine.encode(rgb, face)
        shape = landmarks_5(rgb, dlib.rectangle(face.left, face.top, face.right, face.bottom))
        theirs = np.array(encoder.compute_face_descriptor(rgb, shape, 1))
        assert ours.shape == (128,) and ours.dtype == np.float64
        assert np.abs(ours - theirs).max() < MAX_ABS_DIFFERENCE, (name, face)
        assert np.linalg.norm(ours - theirs) < MAX_DISTANCE, (name, face)


def test_the_model_is_read_once_per_process():
    path = default_model_dir() / FILES["encoder"]
    assert load_resnet(path) is load_resnet(path)


def test_a_truncated_model_file_is_refused_clearly(tmp_path):
    data = (default_model_dir() / FILES["encoder"]).read_bytes()
    truncated = tmp_path / FILES["encoder"]
    truncated.write_bytes(data[:len(data) // 2])
    with pytest.raises(FaceEngineUnavailable, match=r"does not load: .*ends early"):
        load_resnet(truncated)


def test_a_model_file_with_other_content_is_refused_clearly(tmp_path):
    data = (default_model_dir() / FILES["encoder"]).read_bytes()
    cases = {
        "junk.dat": b"\x01\x01\x01\x04junk",
        "trailing.dat": data + b"\x00" * 8,
        "other_loss.dat": data.replace(b"loss_metric_2", b"loss_mmod_xx2", 1),
        # the stem's 7×7 filters declared as 7×6: the weights no longer fit the shape
        "bad_shape.dat": data.replace(b"\x01\x07\x01\x07\x01\x02\x01\x02", b"\x01\x07\x01\x06\x01\x02\x01\x02", 1),
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(FaceEngineUnavailable, match="does not load: not dlib's face-recognition ResNet"):
            load_resnet(tmp_path / name)


def test_the_engine_refuses_a_corrupt_encoder_naming_it(tmp_path):
    from devices.face import DlibFaceEngine
    folder = default_model_dir()
    for name in FILES.values():
        (tmp_path / name).symlink_to(folder / name)
    (tmp_path / FILES["encoder"]).unlink()
    (tmp_path / FILES["encoder"]).write_bytes((folder / FILES["encoder"]).read_bytes()[:100_000])
    with pytest.raises(FaceEngineUnavailable, match=FILES["encoder"]):
        DlibFaceEngine(model_dir=tmp_path)
