"""The question bank for bank administrators (题库管理): items, review, import/export, blueprints, statistics.

Exam items are confidential to the exam side: only the bank-admin role reaches these pages (培考分离).
"""
from __future__ import annotations

import sqlalchemy as sa

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from exam_center.models import ItemVersion, OperationItem, Role
from exam_center.services import bank_items as items
from question_bank.items import LETTERS, CognitiveLevel, ItemStatus, ItemType, Scope, Use

from .forms import choices, form_status, submit
from .paging import page_number
from .policy import allow
from .session import current_actor, db_session

bp = Blueprint("bank", __name__, url_prefix="/bank")
PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BANK = (Role.BANK_ADMIN,)

TYPE_LABELS = {ItemType.JUDGE: _l("True/false"), ItemType.SINGLE: _l("Single choice"),
               ItemType.MULTI: _l("Multiple choice")}
LEVEL_LABELS = {CognitiveLevel.UNDERSTAND: _l("Understand (了解)"), CognitiveLevel.MASTER: _l("Master (掌握)"),
                CognitiveLevel.PROFICIENT: _l("Proficient (熟练掌握)")}
STATUS_LABELS = {ItemStatus.DRAFT: _l("Draft"), ItemStatus.IN_REVIEW: _l("In review"),
                 ItemStatus.ACTIVE: _l("Active"), ItemStatus.RETIRED: _l("Retired")}
USE_LABELS = {Use.EXAM: _l("Exam"), Use.PRACTICE: _l("Practice")}
SCOPE_LABELS = {Scope.NATIONAL: _l("National"), Scope.PROVINCIAL: _l("Provincial")}


def operation_item_choices(session) -> list:
    rows = session.scalars(sa.select(OperationItem)).all()
    return sorted(((o.code, f"{o.code} {o.name_zh}") for o in rows), key=lambda c: tuple(map(int, c[0].split("."))))


class ItemForm(FlaskForm):
    operation_item = SelectField(_l("Operation item"), validate_choice=False)
    scope = SelectField(_l("Scope"), choices=choices((s.value, SCOPE_LABELS[s]) for s in Scope))
    province_code = StringField(_l("Province code (provincial items)"), validators=[Optional(), Length(max=2)])
    use = SelectField(_l("Use"), choices=choices((u.value, USE_LABELS[u]) for u in Use))
    type = SelectField(_l("Item type"), choices=choices((t.value, TYPE_LABELS[t]) for t in ItemType))
    stem = TextAreaField(_l("Stem"))
    option_A = StringField(_l("Option A"))
    option_B = StringField(_l("Option B"))
    option_C = StringField(_l("Option C"))
    option_D = StringField(_l("Option D"))
    option_E = StringField(_l("Option E"))
    option_F = StringField(_l("Option F"))
    answer = StringField(_l("Answer (e.g. B, ACD, or T/F for true/false)"))
    explanation = TextAreaField(_l("Explanation"))
    knowledge_point = StringField(_l("Knowledge point"))
    cognitive_level = SelectField(_l("Cognitive level"), choices=choices((c.value, LEVEL_LABELS[c]) for c in CognitiveLevel))
    difficulty = SelectField(_l("Difficulty (1 easy – 5 hard)"), choices=choices((str(n), str(n)) for n in range(1, 6)),
                             default="3")
    source = StringField(_l("Source / reference"))
    submit_now = BooleanField(_l("Submit for review now"))

    def content_fields(self) -> dict:
        return {"type": self.type.data, "stem": self.stem.data,
                "options": [getattr(self, f"option_{letter}").data or "" for letter in LETTERS],
                "answer": self.answer.data, "explanation": self.explanation.data,
                "knowledge_point": self.knowledge_point.data, "cognitive_level": self.cognitive_level.data,
                "difficulty": self.difficulty.data, "source": self.source.data}

    def fill_from(self, version: ItemVersion) -> None:
        self.operation_item.data = version.item.operation_item_code
        self.scope.data, self.use.data = version.item.scope.value, version.item.use.value
        self.province_code.data = version.item.province_code or ""
        self.type.data, self.stem.data = version.type.value, version.stem
        if version.type is not ItemType.JUDGE:
            for letter, option in zip(LETTERS, version.options):
                getattr(self, f"option_{letter}").data = option
        self.answer.data = items.content_of(version).answer_letters
        self.explanation.data, self.knowledge_point.data = version.explanation, version.knowledge_point
        self.cognitive_level.data, self.difficulty.data = version.cognitive_level.value, str(version.difficulty)
        self.source.data = version.source


class ActionForm(FlaskForm):
    """A state change carrying only the CSRF token."""


class ReviewForm(FlaskForm):
    decision = SelectField(choices=choices([("approve", _l("Approve")), ("reject", _l("Send back"))]))
    note = StringField(_l("Review note"), validators=[Length(max=500)])


class RetireForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Length(max=500)])


def enum_arg(enum_class, name: str):
    raw = request.args.get(name) or ""
    return next((m for m in enum_class if m.value == raw), None)


@bp.route("/")
@allow(*BANK)
def index():
    s = db_session()
    page = page_number()
    text = (request.args.get("q") or "").strip()[:50]
    filters = {"use": enum_arg(Use, "use"), "status": enum_arg(ItemStatus, "status"),
               "item_type": enum_arg(ItemType, "type"), "operation_item": (request.args.get("item") or "")[:8]}
    versions = items.search_items(s, text=text, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE, **filters)
    return render_template("bank/index.html", versions=versions[:PAGE_SIZE], has_next=len(versions) > PAGE_SIZE,
                           page=page, q=text, filters=filters, operation_items=operation_item_choices(s),
                           labels=item_labels())


def item_labels() -> dict:
    return {"type": TYPE_LABELS, "level": LEVEL_LABELS, "status": STATUS_LABELS, "use": USE_LABELS,
            "scope": SCOPE_LABELS}


@bp.route("/items/new", methods=["GET", "POST"])
@allow(*BANK)
def new_item():
    s = db_session()
    form = ItemForm()
    form.operation_item.choices = choices(operation_item_choices(s))

    def create(session):
        version = items.create_item(
            session, current_actor(), operation_item=form.operation_item.data, scope=Scope(form.scope.data),
            use=Use(form.use.data), province_code=(form.province_code.data or "").strip() or None,
            content=items.parse_content(form.content_fields()))
        if form.submit_now.data:
            items.submit_for_review(session, current_actor(), version.id)
        return version

    version = submit(form, create)
    if version:
        flash(_("Item %(id)s saved.", id=version.item_id), "success")
        return redirect(url_for(".item", item_id=version.item_id))
    return render_template("bank/edit.html", form=form, version=None, labels=item_labels()), form_status(form)


@bp.route("/items/<int:item_id>")
@allow(*BANK)
def item(item_id: int):
    bank_item = items.get_item(db_session(), item_id)
    return render_template("bank/item.html", item=bank_item, versions=list(reversed(bank_item.versions)),
                           action=ActionForm(), review=ReviewForm(), retire=RetireForm(), labels=item_labels(),
                           me=current_user.id, letters=LETTERS)


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@allow(*BANK)
def edit_item(item_id: int):
    s = db_session()
    bank_item = items.get_item(s, item_id)
    form = ItemForm()
    form.operation_item.choices = choices(operation_item_choices(s))
    if request.method == "GET":
        form.fill_from(items.latest_version(bank_item))

    def edit(session):
        version = items.edit_item(session, current_actor(), item_id, items.parse_content(form.content_fields()))
        if form.submit_now.data:
            items.submit_for_review(session, current_actor(), version.id)
        return version

    version = submit(form, edit)
    if version:
        flash(_("Version %(number)s of item %(id)s saved.", number=version.number, id=item_id), "success")
        return redirect(url_for(".item", item_id=item_id))
    return render_template("bank/edit.html", form=form, version=items.latest_version(bank_item),
                           labels=item_labels()), form_status(form)


def _redirect_with_result(ok: bool, form: FlaskForm, item_id: int, message: str):
    if ok:
        flash(message, "success")
    else:
        # WTForms 3 lists form-level errors in form.errors too (under None): each shown once.
        for error in [e for errors in form.errors.values() for e in errors] or [_("The change was refused.")]:
            flash(error, "error")
    return redirect(url_for(".item", item_id=item_id))


@bp.route("/versions/<int:version_id>/submit", methods=["POST"])
@allow(*BANK)
def submit_version(version_id: int):
    form = ActionForm()
    version = items.get_version(db_session(), version_id)
    ok = submit(form, lambda s: items.submit_for_review(s, current_actor(), version_id))
    return _redirect_with_result(bool(ok), form, version.item_id, _("Submitted for review."))


@bp.route("/versions/<int:version_id>/review", methods=["POST"])
@allow(*BANK)
def review_version(version_id: int):
    form = ReviewForm()
    version = items.get_version(db_session(), version_id)
    approve = form.decision.data == "approve"
    ok = submit(form, lambda s: items.review(s, current_actor(), version_id, approve=approve, note=form.note.data))
    return _redirect_with_result(bool(ok), form, version.item_id,
                                 _("Approved: this version is now active.") if approve else _("Sent back to draft."))


@bp.route("/items/<int:item_id>/retire", methods=["POST"])
@allow(*BANK)
def retire_item(item_id: int):
    form = RetireForm()
    ok = submit(form, lambda s: items.retire_item(s, current_actor(), item_id, form.reason.data))
    return _redirect_with_result(bool(ok), form, item_id, _("Item retired."))


@bp.route("/review")
@allow(*BANK)
def review_queue():
    versions = items.search_items(db_session(), status=ItemStatus.IN_REVIEW, limit=200)
    return render_template("bank/review.html", versions=versions, me=current_user.id, labels=item_labels())
