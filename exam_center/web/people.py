"""The exam centre's person registry (人员库): register candidates, look them up, attach photos."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import NotFound
from wtforms import SelectField, StringField

from exam_center.domain.education import Education
from exam_center.models import Person, Role
from exam_center.services.faces import enrol_photo
from exam_center.services.people import get_person, register_person

from .faces import face_engine, face_rules
from .forms import choices, form_status, submit
from .labels import EDUCATION_LABELS
from .paging import page_number
from .policy import allow
from .session import current_actor, db_session

bp = Blueprint("people", __name__, url_prefix="/centre/people")
PAGE_SIZE = 50
_REGISTRARS = (Role.EXAM_ADMIN, Role.SYSTEM_ADMIN)


class PersonForm(FlaskForm):
    # Checked by the domain rules (register_person), which report every bad field at once.
    id_number = StringField(_l("ID number"))
    name = StringField(_l("Full name"))
    education = SelectField(_l("Education"),
                            choices=choices([("", _l("— choose —"))] + [(e.value, EDUCATION_LABELS[e]) for e in Education]),
                            validate_choice=False)
    phone = StringField(_l("Phone"))
    email = StringField(_l("E-mail"))
    address = StringField(_l("Address"))
    employer = StringField(_l("Employer"))


class PhotoForm(FlaskForm):
    photo = FileField(_l("Registered photo (JPEG or PNG)"), validators=[FileRequired(_l("Choose a photo file."))])


@bp.route("/", methods=["GET", "POST"])
@allow(*_REGISTRARS)
def index():
    form = PersonForm()
    person = submit(form, lambda s: register_person(
        s, current_actor(), id_number=form.id_number.data, name=form.name.data, education=form.education.data,
        phone=form.phone.data, email=form.email.data, address=form.address.data, employer=form.employer.data))
    if person:
        flash(_("%(name)s registered.", name=person.name), "success")
        return redirect(url_for(".detail", person_id=person.id))
    query = (request.args.get("q") or "").strip()[:40]
    page = page_number()
    select = sa.select(Person).order_by(Person.id.desc())
    if query:
        select = select.where(sa.or_(Person.name.contains(query), Person.id_number.startswith(query.upper())))
    people = db_session().scalars(select.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("people/index.html", form=form, people=people[:PAGE_SIZE], query=query, page=page,
                           has_next=len(people) > PAGE_SIZE), form_status(form)


@bp.route("/<int:person_id>", methods=["GET", "POST"])
@allow(*_REGISTRARS)
def detail(person_id: int):
    form = PhotoForm()
    store = current_app.extensions["exam_center.evidence"]
    # Through the face gate: a registered photo must be usable for the 1:1 check at the exam room.
    if submit(form, lambda s: enrol_photo(s, current_actor(), store, face_engine(), face_rules(), person_id,
                                          form.photo.data.read())):
        flash(_("Photo saved."), "success")
        return redirect(url_for(".detail", person_id=person_id))
    return render_template("people/detail.html", person=get_person(db_session(), person_id), form=form), \
        form_status(form)


@bp.route("/<int:person_id>/photo")
@allow(*_REGISTRARS)
def photo(person_id: int):
    person = get_person(db_session(), person_id)
    if not person.photo_path:
        raise NotFound()
    path = current_app.extensions["exam_center.evidence"].path(person.photo_path)
    return send_file(path, max_age=0, conditional=True)
