"""Benchmark: per-frame face-check latency at 640×480 on one core, our pipeline against face_recognition's
plain default, on the same frames in the same run.

Ours: HOG on the grey frame without upsampling, 68 landmarks, quality measures, 5-point encoding on the full frame (dlib cuts
the aligned chip, dlib's ResNet runs as a numpy/OpenBLAS forward pass: devices/face/resnet.py).
Default: face_recognition.face_locations(frame, 1) + face_encodings(frame, locations) on the full frame.
Frames: each good shared photo framed as a check-in camera would see it (face ≈ 180 px wide in a 640×480
frame) plus frames of the demo video padded to 640×480. Outcomes: every framed photo against every
person's reference template, accept/review/reject at the given thresholds, must agree between the two.

    .venv/bin/python scripts/bench/face_check.py [--repeat 3] [--accept 0.42] [--review 0.55]

Last line: RESULT median_ms=… p95_ms=… default_median_ms=… speedup=… same_outcomes=yes|no
"""
from __future__ import annotations

import os

# One core is the goal: OpenBLAS (numpy's matrix products, which our encoder uses) must not start threads on
# the other cores. It reads this once, when numpy is first imported, so it is set before any import below.
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from devices.camera import frames, open_source  # noqa: E402
from devices.face import DlibFaceEngine, QualityRules, Thresholds, decode_rgb  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
PHOTOS = {"obama_1.jpg": "obama", "obama_2.jpg": "obama", "obama_3.jpg": "obama", "biden_1.jpg": "biden",
          "biden_2.jpg": "biden", "lin_manuel_miranda_1.png": "miranda"}
REFERENCES = {"obama": "obama_1.jpg", "biden": "biden_1.jpg", "miranda": "lin_manuel_miranda_1.png"}
WIDTH, HEIGHT, FACE_WIDTH = 640, 480, 180


def import_face_recognition():
    try:
        import face_recognition
    except (ImportError, SystemExit) as error:  # its import calls quit() when the models package fails
        raise SystemExit(f"face_recognition does not import ({error!r}); the default baseline cannot run") from None
    return face_recognition


def camera_frame(rgb: np.ndarray, engine: DlibFaceEngine) -> np.ndarray:
    """Scale the photo so its face is FACE_WIDTH px wide and cut a 640×480 window centred on it (grey padding)."""
    face = engine.detect(rgb)[0]
    scale = FACE_WIDTH / face.width
    scaled = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    cx, cy = round((face.left + face.right) / 2 * scale), round((face.top + face.bottom) / 2 * scale)
    canvas = np.full((HEIGHT, WIDTH, 3), 128, np.uint8)
    x0, y0 = cx - WIDTH // 2, cy - HEIGHT // 2
    sx0, sy0 = max(x0, 0), max(y0, 0)
    sx1, sy1 = min(x0 + WIDTH, scaled.shape[1]), min(y0 + HEIGHT, scaled.shape[0])
    canvas[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = scaled[sy0:sy1, sx0:sx1]
    return canvas


def video_frames(every: int) -> list[np.ndarray]:
    out = []
    for frame in frames(open_source(str(DATA / "video" / "short_hamilton_clip.mp4"), loop=False), every=every):
        canvas = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
        rgb = frame.rgb()[:HEIGHT, :WIDTH]
        top = (HEIGHT - rgb.shape[0]) // 2
        canvas[top:top + rgb.shape[0], :rgb.shape[1]] = rgb
        out.append(canvas)
    return out


def ours(engine: DlibFaceEngine, rules: QualityRules, rgb: np.ndarray) -> np.ndarray | None:
    return engine.analyse(rgb, rules).encoding


def default(fr, rgb: np.ndarray) -> np.ndarray | None:
    locations = fr.face_locations(rgb, 1)
    encodings = fr.face_encodings(rgb, locations)
    return encodings[0] if len(encodings) == 1 else None


def timed(function, frames_: list[np.ndarray], repeat: int) -> tuple[list[float], list]:
    times, results = [], []
    for _ in range(repeat):
        for rgb in frames_:
            started = time.perf_counter()
            results.append(function(rgb))
            times.append((time.perf_counter() - started) * 1000)
    return times, results[:len(frames_)]


def outcomes(encodings: dict[str, np.ndarray | None], thresholds: Thresholds) -> list[tuple[str, str, str]]:
    rows = []
    for photo, encoding in encodings.items():
        for person, reference in REFERENCES.items():
            if photo == reference:
                continue
            outcome = "no_face" if encoding is None or encodings[reference] is None else \
                thresholds.outcome(float(np.linalg.norm(encoding - encodings[reference]))).value
            rows.append((photo, person, outcome))
    return rows


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--video-every", type=int, default=25)
    parser.add_argument("--accept", type=float, default=0.42)
    parser.add_argument("--review", type=float, default=0.55)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the goal states
    fr = import_face_recognition()
    engine, rules, thresholds = DlibFaceEngine(), QualityRules(), Thresholds(args.accept, args.review)

    framed = {name: camera_frame(decode_rgb((DATA / "faces" / name).read_bytes()), engine) for name in PHOTOS}
    bench_frames = list(framed.values()) + video_frames(args.video_every)
    for rgb in bench_frames[:2]:  # warm-up: first calls allocate
        ours(engine, rules, rgb), default(fr, rgb)

    our_ms, _ = timed(lambda rgb: ours(engine, rules, rgb), bench_frames, args.repeat)
    default_ms, _ = timed(lambda rgb: default(fr, rgb), bench_frames, args.repeat)
    our_outcomes = outcomes({n: ours(engine, rules, f) for n, f in framed.items()}, thresholds)
    default_outcomes = outcomes({n: default(fr, f) for n, f in framed.items()}, thresholds)
    same = our_outcomes == default_outcomes

    median, default_median = statistics.median(our_ms), statistics.median(default_ms)
    print(f"{len(bench_frames)} frames of {WIDTH}×{HEIGHT} ({len(framed)} framed photos, "
          f"{len(bench_frames) - len(framed)} video frames) × {args.repeat}, one core")
    print(f"ours:    median {median:.1f} ms  p95 {p95(our_ms):.1f} ms")
    print(f"default: median {default_median:.1f} ms  p95 {p95(default_ms):.1f} ms")
    for mine, theirs in zip(our_outcomes, default_outcomes):
        flag = "" if mine == theirs else "   <-- differs"
        print(f"  {mine[0]:26} vs {mine[1]:8} ours={mine[2]:7} default={theirs[2]}{flag}")
    print(f"RESULT median_ms={median:.1f} p95_ms={p95(our_ms):.1f} default_median_ms={default_median:.1f} "
          f"speedup={default_median / median:.2f} same_outcomes={'yes' if same else 'no'}")


if __name__ == "__main__":
    main()
