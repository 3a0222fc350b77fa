"""Blueprints (组卷规则) editing, sample draws, and item statistics for bank administrators."""
from __future__ import annotations

import math
import secrets

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length

from exam_center.domain.errors import DomainError
from exam_center.models import Blueprint as BlueprintRow
from exam_center.services import blueprints as blueprint_service
from exam_center.services import item_stats
from exam_center.services import papers as paper_service
from question_bank.blueprint import DifficultyBand
from question_bank.items import LETTERS, CognitiveLevel, ItemType

from .bank import BANK, LEVEL_LABELS, TYPE_LABELS, bp, item_labels, operation_item_choices
from .dates import local_today
from .forms import choices, form_status, submit
from .policy import allow
from .session import current_actor, db_session


def _blueprint_form_class():
    """Fields for each item type: count, points, quotas by level, by difficulty band and by knowledge point."""
    fields = {
        "name": StringField(_l("Name"), validators=[Length(max=60)]),
        "duration_minutes": StringField(_l("Duration (minutes)")),
        "pass_mark": StringField(_l("Pass mark (points)")),
    }
    for item_type in ItemType:
        t = item_type.value
        fields[f"{t}_count"] = StringField(TYPE_LABELS[item_type])
        fields[f"{t}_points"] = StringField(_l("Points each"))
        for level in CognitiveLevel:
            fields[f"{t}_level_{level.value}"] = StringField(LEVEL_LABELS[level])
        for band in DifficultyBand:
            fields[f"{t}_band_{band.value}"] = StringField(BAND_LABELS[band])
        fields[f"{t}_kp"] = TextAreaField(_l("Knowledge-point quotas (one per line: knowledge point = count)"))
    return type("BlueprintForm", (FlaskForm,), fields)


BAND_LABELS = {DifficultyBand.EASY: _l("Easy (1–2)"), DifficultyBand.MEDIUM: _l("Medium (3)"),
               DifficultyBand.HARD: _l("Hard (4–5)")}
BlueprintForm = _blueprint_form_class()


def _number_or_none(raw) -> float | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return -1.0  # reported by the blueprint validation as out of range
    return value if math.isfinite(value) else -1.0


def _definition_from_form(form, operation_item: str) -> dict:
    sections = []
    for item_type in ItemType:
        t = item_type.value
        count = _number_or_none(getattr(form, f"{t}_count").data)
        if not count:
            continue
        levels = {lv.value: _number_or_none(getattr(form, f"{t}_level_{lv.value}").data) for lv in CognitiveLevel}
        bands = {b.value: _number_or_none(getattr(form, f"{t}_band_{b.value}").data) for b in DifficultyBand}
        kps = {}
        for line in (getattr(form, f"{t}_kp").data or "").splitlines():
            name, _sep, value = line.replace("＝", "=").partition("=")
            if name.strip():
                kps[name.strip()] = _number_or_none(value) if value.strip() else -1
        sections.append({
            "type": t, "count": int(count) if count == int(count) else -1,
            "points": _number_or_none(getattr(form, f"{t}_points").data) or 1,
            "level_quotas": {k: int(v) for k, v in levels.items() if v is not None},
            "difficulty_quotas": {k: int(v) for k, v in bands.items() if v is not None},
            "knowledge_point_quotas": {k: int(v) for k, v in kps.items()},
        })
    return {"operation_item": operation_item, "name": form.name.data or "",
            "duration_minutes": int(_number_or_none(form.duration_minutes.data) or 0),
            "pass_mark": _number_or_none(form.pass_mark.data) or 0, "sections": sections}


def _fill_blueprint_form(form, definition: dict) -> None:
    form.name.data = definition.get("name", "")
    form.duration_minutes.data = str(definition["duration_minutes"])
    form.pass_mark.data = f"{definition['pass_mark']:g}"
    for section in definition["sections"]:
        t = section["type"]
        getattr(form, f"{t}_count").data = str(section["count"])
        getattr(form, f"{t}_points").data = f"{section['points']:g}"
        for level, n in section["level_quotas"].items():
            getattr(form, f"{t}_level_{level}").data = str(n)
        for band, n in section["difficulty_quotas"].items():
            getattr(form, f"{t}_band_{band}").data = str(n)
        getattr(form, f"{t}_kp").data = "\n".join(f"{k} = {v}" for k, v in section["knowledge_point_quotas"].items())


class NewBlueprintForm(FlaskForm):
    operation_item = SelectField(_l("Operation item"), validate_choice=False)


class PreviewForm(FlaskForm):
    seed = StringField(_l("Seed"), validators=[Length(max=18)])


@bp.route("/blueprints", methods=["GET", "POST"])
@allow(*BANK)
def blueprints():
    s = db_session()
    form = NewBlueprintForm()
    form.operation_item.choices = choices(operation_item_choices(s))
    row = submit(form, lambda session: blueprint_service.ensure_default_blueprint(
        session, current_actor(), form.operation_item.data, local_today()))
    if row:
        return redirect(url_for(".blueprint", blueprint_id=row.id))
    rows = s.scalars(sa.select(BlueprintRow).order_by(BlueprintRow.operation_item_code, BlueprintRow.name)).all()
    return render_template("bank/blueprints.html", rows=rows, form=form), form_status(form)


@bp.route("/blueprints/<int:blueprint_id>", methods=["GET", "POST"])
@allow(*BANK)
def blueprint(blueprint_id: int):
    s = db_session()
    row = blueprint_service.get_blueprint(s, blueprint_id)
    form = BlueprintForm()
    if request.method == "GET":
        _fill_blueprint_form(form, row.definition)
    saved = submit(form, lambda session: blueprint_service.save_blueprint(
        session, current_actor(), operation_item=row.operation_item_code, name=form.name.data,
        definition=blueprint_service.parse_definition(_definition_from_form(form, row.operation_item_code)),
        blueprint_id=blueprint_id))
    if saved:
        flash(_("Blueprint saved."), "success")
        return redirect(url_for(".blueprint", blueprint_id=blueprint_id))
    return render_template("bank/blueprint.html", row=row, form=form, preview=PreviewForm(), item_types=list(ItemType),
                           levels=list(CognitiveLevel), bands=list(DifficultyBand), labels=item_labels()), form_status(form)


@bp.route("/blueprints/<int:blueprint_id>/preview", methods=["POST"])
@allow(*BANK)
def preview(blueprint_id: int):
    """Draw one paper without storing it or counting exposure: to check a blueprint against the bank."""
    form = PreviewForm()
    s = db_session()
    row = blueprint_service.get_blueprint(s, blueprint_id)
    paper, error = None, None
    if form.validate_on_submit():
        seed_text = (form.seed.data or "").strip()
        seed = int(seed_text) if seed_text.isascii() and seed_text.isdigit() else secrets.randbits(48)
        try:
            paper = paper_service.assembler_for(s, blueprint_id).draw(seed)
        except DomainError as refusal:
            error = refusal
    return render_template("bank/preview.html", row=row, paper=paper, error=error,
                           type_labels={t.value: label for t, label in TYPE_LABELS.items()}), \
        (200 if paper else 422)


@bp.route("/statistics")
@allow(*BANK)
def statistics():
    s = db_session()
    operation_item = (request.args.get("item") or "")[:8] or None
    stats = item_stats.item_statistics(s, operation_item=operation_item)
    flagged_only = request.args.get("flagged") == "1"
    if flagged_only:
        stats = [st for st in stats if st.flags]
    return render_template("bank/statistics.html", stats=stats, operation_item=operation_item or "",
                           flagged_only=flagged_only, operation_items=operation_item_choices(s), letters=LETTERS)
