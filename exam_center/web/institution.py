"""Pages for training-institution staff (培训机构): classes, trainees, attendance, the class archive.

Every page works on the signed-in staff member's own institution: classes of other institutions are
refused by the services (``institution_id`` scope), not hidden by the templates.
"""
from __future__ import annotations

import io

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import NotFound
from wtforms import SelectField, StringField

from exam_center.domain.education import Education
from exam_center.models import AttendanceMethod, LessonKind, OperationItem, Role
from exam_center.models.base import MAX_ROW_ID
from exam_center.services import training

from .dates import local_today
from .forms import choices, form_status, submit
from .labels import EDUCATION_LABELS
from .policy import allow
from .session import current_actor, db_session

bp = Blueprint("institution", __name__, url_prefix="/institution")
STAFF = (Role.INSTITUTION_STAFF,)

KIND_LABELS = {LessonKind.THEORY: _l("Theory"), LessonKind.PRACTICAL: _l("Practical")}
METHOD_LABELS = {AttendanceMethod.FACE: _l("Face recognition"), AttendanceMethod.ID_CARD: _l("ID card reader"),
                 AttendanceMethod.MANUAL: _l("Manual (give the reason)")}


def _institution_id() -> int:
    return current_user.organisation_id


def _item_choices():
    items = db_session().scalars(sa.select(OperationItem).where(OperationItem.effective_to.is_(None))).all()
    items.sort(key=lambda i: i.code_key)
    pairs = [("", _l("— choose —"))]
    for i in items:
        if i.theory_hours is not None and i.practical_hours is not None:
            outline = _("outline %(theory)s + %(practical)s class hours", theory=i.theory_hours,
                        practical=i.practical_hours)
        elif i.total_hours is not None:
            outline = _("outline %(total)s class hours in total", total=i.total_hours)
        else:
            outline = _("outline hours not in the catalogue")
        pairs.append((i.code, f"{i.code} {i.name_zh}（{outline}）"))
    return choices(pairs)


class ClassForm(FlaskForm):
    # Checked by the domain rules (create_class), which report every bad field at once.
    operation_item_code = SelectField(_l("Operation item"), validate_choice=False)
    name = StringField(_l("Class name (e.g. 2026年第3期低压电工)"))
    starts_on = StringField(_l("First day"), render_kw={"type": "date"})
    ends_on = StringField(_l("Last day"), render_kw={"type": "date"})
    theory_hours = StringField(_l("Planned theory class hours (blank: the outline's)"),
                               render_kw={"inputmode": "numeric"})
    practical_hours = StringField(_l("Planned practical class hours (blank: the outline's)"),
                                  render_kw={"inputmode": "numeric"})
    teachers = StringField(_l("Teachers"))
    capacity = StringField(_l("Capacity (at most 100 trainees)"), render_kw={"inputmode": "numeric"})


class EnrolForm(FlaskForm):
    id_number = StringField(_l("ID number"))
    name = StringField(_l("Full name"))
    education = SelectField(_l("Education (for a new person)"),
                            choices=choices([("", _l("— choose —"))]
                                            + [(e.value, EDUCATION_LABELS[e]) for e in Education]),
                            validate_choice=False)
    phone = StringField(_l("Phone (for a new person)"))
    photo = FileField(_l("Registered photo (JPEG or PNG, at least 100×100 pixels, at most 5 MB; optional)"))


class LessonForm(FlaskForm):
    day = StringField(_l("Day"), render_kw={"type": "date"})
    starts_at = StringField(_l("Starts at (HH:MM)"), render_kw={"type": "time"})
    ends_at = StringField(_l("Ends at (HH:MM)"), render_kw={"type": "time"})
    kind = SelectField(_l("Kind"), choices=choices([(k.value, KIND_LABELS[k]) for k in LessonKind]),
                       validate_choice=False)
    topic = StringField(_l("Topic"))


class AttendanceForm(FlaskForm):
    """The ticked trainees arrive as repeated 'enrolment_ids' values."""
    method = SelectField(_l("How attendance was checked"),
                         choices=choices([(m.value, METHOD_LABELS[m]) for m in AttendanceMethod]),
                         validate_choice=False)
    reason = StringField(_l("Reason (required for manual attendance)"))


class PhotoForm(FlaskForm):
    photo = FileField(_l("Registered photo (JPEG or PNG, at least 100×100 pixels, at most 5 MB)"),
                      validators=[FileRequired(_l("Choose a photo file."))])


@bp.route("/", methods=["GET", "POST"])
@allow(*STAFF)
def index():
    form = ClassForm()
    form.operation_item_code.choices = _item_choices()
    created = submit(form, lambda s: training.create_class(
        s, current_actor(), institution_id=_institution_id(), operation_item_code=form.operation_item_code.data,
        name=form.name.data, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
        theory_hours=form.theory_hours.data, practical_hours=form.practical_hours.data,
        teachers=form.teachers.data, capacity=form.capacity.data))
    if created:
        flash(_("Class %(name)s opened. Now enrol the trainees and plan the lessons.", name=created.name), "success")
        return redirect(url_for(".class_page", class_id=created.id))
    classes = training.list_classes(db_session(), _institution_id())
    return render_template("institution/index.html", form=form, classes=classes, today=local_today()), \
        form_status(form)


def _class_page(class_id: int, enrol_form: EnrolForm | None = None, lesson_form: LessonForm | None = None,
                photo_form: PhotoForm | None = None):
    s = db_session()
    training_class = training.get_class(s, class_id, _institution_id())
    enrol_form = enrol_form or EnrolForm(formdata=None)
    lesson_form = lesson_form or LessonForm(formdata=None)
    photo_form = photo_form or PhotoForm(formdata=None)
    status = max(form_status(enrol_form), form_status(lesson_form), form_status(photo_form))
    return render_template("institution/class.html", c=training_class, trainees=training.class_hours(s, training_class),
                           enrol_form=enrol_form, lesson_form=lesson_form, photo_form=photo_form,
                           kind_labels=KIND_LABELS, minutes_per_hour=training.MINUTES_PER_CLASS_HOUR), status


@bp.route("/classes/<int:class_id>")
@allow(*STAFF)
def class_page(class_id: int):
    return _class_page(class_id)


@bp.route("/classes/<int:class_id>/enrol", methods=["POST"])
@allow(*STAFF)
def enrol(class_id: int):
    training.get_class(db_session(), class_id, _institution_id())
    form = EnrolForm()
    store = current_app.extensions["exam_center.evidence"]
    photo = form.photo.data.read() if form.photo.data and form.photo.data.filename else None
    enrolment = submit(form, lambda s: training.enrol(
        s, current_actor(), class_id=class_id, institution_id=_institution_id(), id_number=form.id_number.data,
        name=form.name.data, education=form.education.data, phone=form.phone.data, photo=photo, store=store))
    if enrolment:
        flash(_("%(name)s enrolled.", name=enrolment.person.name), "success")
        return redirect(url_for(".class_page", class_id=class_id) + "#trainees")
    return _class_page(class_id, enrol_form=form)


@bp.route("/classes/<int:class_id>/lessons", methods=["POST"])
@allow(*STAFF)
def add_lesson(class_id: int):
    training.get_class(db_session(), class_id, _institution_id())
    form = LessonForm()
    lesson = submit(form, lambda s: training.add_lesson(
        s, current_actor(), class_id=class_id, institution_id=_institution_id(), day=form.day.data,
        starts_at=form.starts_at.data, ends_at=form.ends_at.data, kind=form.kind.data, topic=form.topic.data))
    if lesson:
        flash(_("Lesson on %(day)s added: %(hours)s class hours.", day=lesson.day.isoformat(),
                hours=lesson.class_hours), "success")
        return redirect(url_for(".class_page", class_id=class_id) + "#lessons")
    return _class_page(class_id, lesson_form=form)


@bp.route("/enrolments/<int:enrolment_id>/photo", methods=["GET", "POST"])
@allow(*STAFF)
def trainee_photo(enrolment_id: int):
    s = db_session()
    enrolment = training.get_enrolment(s, enrolment_id, _institution_id())
    if request.method == "GET":
        if not enrolment.person.photo_path:
            raise NotFound()
        path = current_app.extensions["exam_center.evidence"].path(enrolment.person.photo_path)
        return send_file(path, max_age=0, conditional=True)
    form = PhotoForm()
    store = current_app.extensions["exam_center.evidence"]
    if submit(form, lambda s: training.set_trainee_photo(s, current_actor(), store, enrolment_id=enrolment_id,
                                                         institution_id=_institution_id(),
                                                         photo=form.photo.data.read())):
        flash(_("Photo saved."), "success")
        return redirect(url_for(".class_page", class_id=enrolment.class_id) + "#trainees")
    return _class_page(enrolment.class_id, photo_form=form)


def _ids(values: list[str]) -> list[int]:
    """Ticked enrolment ids; anything else becomes an id no trainee has (refused by the service)."""
    return [int(v) if v.isdigit() and 0 < int(v) <= MAX_ROW_ID else -1 for v in values]


@bp.route("/lessons/<int:lesson_id>", methods=["GET", "POST"])
@allow(*STAFF)
def lesson(lesson_id: int):
    s = db_session()
    lesson = training.get_lesson(s, lesson_id, _institution_id())
    form = AttendanceForm()
    ticked = _ids(request.form.getlist("enrolment_ids")) if form.is_submitted() else []
    records = submit(form, lambda s: training.record_attendance_bulk(
        s, current_actor(), lesson_id=lesson_id, enrolment_ids=ticked, institution_id=_institution_id(),
        method=form.method.data, reason=form.reason.data, today=local_today()))
    if records:
        flash(_("Attendance recorded for %(count)s trainees.", count=len(records)), "success")
        return redirect(url_for(".lesson", lesson_id=lesson_id))
    s = db_session()
    lesson = training.get_lesson(s, lesson_id, _institution_id())
    return render_template("institution/lesson.html", lesson=lesson, c=lesson.training_class, form=form,
                           ticked=set(ticked), attendance=training.lesson_attendance(s, lesson),
                           trainees=lesson.training_class.enrolments, kind_labels=KIND_LABELS,
                           method_labels=METHOD_LABELS, future=lesson.day > local_today()), form_status(form)


@bp.route("/classes/<int:class_id>/archive.<fmt>")
@allow(*STAFF)
def archive(class_id: int, fmt: str):
    if fmt not in ("xlsx", "json"):
        raise NotFound()
    s = db_session()
    content, filename, mimetype = training.export_archive(s, current_actor(), class_id=class_id,
                                                          institution_id=_institution_id(), fmt=fmt)
    s.commit()  # the export is audited
    return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=filename)
