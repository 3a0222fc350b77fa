"""``exam-center face …``: face-recognition tools for the centre's operators (calibration of thresholds)."""
from __future__ import annotations

from pathlib import Path

import click

from devices.face import DlibFaceEngine, FaceEngineUnavailable, ImageUnreadable, Thresholds, decode_rgb, fit_within
from devices.face.calibration import Calibration, plot_png, summary

from .config import FaceSettings
from .services.faces import MAX_ANALYSIS_SIDE, quality_rules

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png"}


@click.group()
def face() -> None:
    """Face recognition: calibration on the centre's own consented photos."""


def _encodings(folder: Path, engine: DlibFaceEngine, settings: FaceSettings) -> dict[str, list]:
    """Per sub-folder (one per person), the encodings of the photos that pass the enrolment gate."""
    rules = quality_rules(settings)
    people: dict[str, list] = {}
    for person_dir in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        encodings = []
        for path in sorted(p for p in person_dir.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES):
            try:
                analysis = engine.analyse(fit_within(decode_rgb(path.read_bytes()), MAX_ANALYSIS_SIDE), rules)
            except ImageUnreadable:
                click.echo(f"skipped {person_dir.name}/{path.name}: not a readable image")
                continue
            if analysis.problems:
                reasons = ", ".join(p.value for p in analysis.problems)
                click.echo(f"skipped {person_dir.name}/{path.name}: {reasons}")
                continue
            encodings.append(analysis.encoding)
        people[person_dir.name] = encodings
    return people


@face.command("calibrate")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--target-far", default=0.001, show_default=True, help="False-accept rate to aim for.")
@click.option("--target-frr", default=0.01, show_default=True,
              help="Share of genuine pairs allowed beyond the suggested review threshold.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path),
              help="PNG to write (default: FOLDER/calibration.png).")
def calibrate(folder: Path, target_far: float, target_frr: float, plot_path: Path | None) -> None:
    """Distance distributions and error rates over FOLDER, one sub-folder of photos per person.

    The last line reports the pairs at the configured thresholds (EXAM_CENTER_FACE_*_THRESHOLD).
    """
    settings = FaceSettings.from_env()
    thresholds = Thresholds(settings.accept_threshold, settings.review_threshold)
    try:
        engine = DlibFaceEngine(settings.model_dir)
    except FaceEngineUnavailable as error:
        raise click.ClickException(str(error)) from None
    people = _encodings(folder, engine, settings)
    photos = sum(len(e) for e in people.values())
    click.echo(f"{len(people)} persons, {photos} usable photos")
    result = Calibration.from_encodings(people)
    if not len(result.genuine) or not len(result.impostor):
        raise click.ClickException("need at least one person with two usable photos and two persons")
    click.echo(f"genuine  (same person):      {summary(result.genuine)}")
    click.echo(f"impostor (different person): {summary(result.impostor)}")
    click.echo("threshold  false_accepts  FAR      false_rejects  FRR")
    for rates in result.table():
        click.echo(f"{rates.threshold:9.2f}  {rates.false_accepts:13d}  {rates.far:7.4f}  "
                   f"{rates.false_rejects:13d}  {rates.frr:7.4f}")
    resolution = 1 / len(result.impostor)
    accept = result.accept_for_far(target_far)
    if resolution > target_far:
        # A threshold "measured" on too few pairs would look safe and be anything but: suggest nothing.
        click.echo(f"no suggestion: {len(result.impostor)} impostor pairs can only show a false-accept rate down to "
                   f"{resolution:.4f}, not {target_far}; add photos of more persons (≥ {int(1 / target_far)} pairs)")
    elif accept is None:
        click.echo(f"no threshold reaches a false-accept rate of {target_far}")
    else:
        review = result.review_for_frr(target_frr, floor=accept)
        click.echo(f"suggested for FAR ≤ {target_far}: EXAM_CENTER_FACE_ACCEPT_THRESHOLD={accept:.2f} "
                   f"(FRR {result.rates(accept).frr:.4f}); EXAM_CENTER_FACE_REVIEW_THRESHOLD={review:.2f} "
                   f"(genuine pairs beyond it {result.rates(review).frr:.4f})")
    target = plot_path or folder / "calibration.png"
    target.write_bytes(plot_png(result, thresholds))
    click.echo(f"plot written to {target}")
    counts = result.counts_at(thresholds)
    click.echo(f"configured: accept ≤ {thresholds.accept:.2f}, review ≤ {thresholds.review:.2f}")
    click.echo("RESULT " + " ".join(f"{key}={value}" for key, value in counts.items()))
