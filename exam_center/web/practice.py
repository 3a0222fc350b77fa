"""The practice bank (练习题库) for training institutions: browse and drill by operation item.

Only practice-partition items are ever read here: the queries filter on ``Use.PRACTICE`` in one
place (``services.practice``), and tests prove no exam item leaks through any route (培考分离).
"""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_wtf import FlaskForm

from exam_center.models import Role
from exam_center.services import practice

from .paging import page_number
from .policy import allow
from .session import db_session

bp = Blueprint("practice", __name__, url_prefix="/practice")
PRACTICE = (Role.INSTITUTION_STAFF,)
PAGE_SIZE = 30


class DrillForm(FlaskForm):
    """Answers arrive as fields q<item id>; the item ids drawn are echoed back in 'items'."""


@bp.route("/")
@allow(*PRACTICE)
def index():
    return render_template("practice/index.html", counts=practice.practice_counts(db_session()))


@bp.route("/<item_code>")
@allow(*PRACTICE)
def browse(item_code: str):
    s = db_session()
    operation_item = practice.operation_item(s, item_code)
    page = page_number()
    text = (request.args.get("q") or "").strip()[:50]
    versions = practice.practice_items(s, item_code, text=text, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return render_template("practice/browse.html", operation_item=operation_item, versions=versions[:PAGE_SIZE],
                           page=page, has_next=len(versions) > PAGE_SIZE, q=text)


@bp.route("/<item_code>/drill", methods=["GET", "POST"])
@allow(*PRACTICE)
def drill(item_code: str):
    s = db_session()
    operation_item = practice.operation_item(s, item_code)
    form = DrillForm()
    if form.validate_on_submit():
        result = practice.mark_drill(s, item_code, request.form)
        return render_template("practice/result.html", operation_item=operation_item, result=result)
    questions = practice.drill_questions(s, item_code)
    return render_template("practice/drill.html", operation_item=operation_item, questions=questions, form=form)
