"""Face enrolment pages: the bulk ZIP import of registered photos with a per-file report.

The single-photo upload is on the person page (people.detail), through the same gate.
"""
from __future__ import annotations

import functools
from pathlib import Path

from flask import Blueprint, current_app, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from devices.face import FaceEngine, QualityRules
from exam_center.models import Role
from exam_center.services.faces import load_engine, quality_rules
from exam_center.services.faces_bulk import enrol_zip

from .forms import form_status, submit
from .policy import allow
from .session import current_actor

bp = Blueprint("faces", __name__, url_prefix="/centre/faces")
ENROLLERS = (Role.EXAM_ADMIN, Role.SYSTEM_ADMIN)


def face_engine() -> FaceEngine:
    return _engine(face_settings().model_dir)


@functools.lru_cache(maxsize=2)
def _engine(model_dir: Path | None) -> FaceEngine:
    """One engine per process and model folder, loaded on first use (dlib takes a second to load its models);
    a failure is not cached, so installing the models later needs no restart."""
    return load_engine(model_dir)


def face_settings():
    return current_app.extensions["exam_center.settings"].face


def face_rules() -> QualityRules:
    return quality_rules(face_settings())


class ZipForm(FlaskForm):
    archive = FileField(_l("ZIP file of photos named by ID number"), validators=[FileRequired(_l("Choose a ZIP file."))])


@bp.route("/import", methods=["GET", "POST"])
@allow(*ENROLLERS)
def bulk_import():
    form = ZipForm()
    store = current_app.extensions["exam_center.evidence"]
    rows = submit(form, lambda s: enrol_zip(s, current_actor(), store, face_engine(), face_rules(),
                                            form.archive.data.read()))
    return render_template("faces/import.html", form=form, rows=rows, min_width=face_settings().min_face_width), \
        form_status(form)
