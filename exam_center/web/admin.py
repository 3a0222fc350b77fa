"""System administration (系统管理): organisations, staff accounts, devices and their tokens."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from wtforms import IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length

from exam_center.models import Device, DeviceKind, OrganisationKind, Role, StaffUser
from exam_center.services import devices as device_service
from exam_center.services import staff as staff_service
from exam_center.services.organisations import create_organisation, list_organisations

from .forms import choices, form_status, submit
from .labels import DEVICE_KIND_LABELS, ORGANISATION_KIND_LABELS, ROLE_LABELS
from .policy import allow
from .session import current_actor, db_session

bp = Blueprint("admin", __name__, url_prefix="/admin")
_required = DataRequired(message=_l("This field is required."))


class OrganisationForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=choices((k.value, ORGANISATION_KIND_LABELS[k]) for k in OrganisationKind))
    name = StringField(_l("Name"), validators=[_required, Length(max=100)])
    credit_code = StringField(_l("Unified social credit code"), validators=[_required, Length(max=30)])
    region_code = StringField(_l("Region code"), validators=[_required, Length(max=10)])
    address = StringField(_l("Address"), validators=[Length(max=200)])
    contact_phone = StringField(_l("Contact phone"), validators=[Length(max=30)])


class StaffForm(FlaskForm):
    username = StringField(_l("Username"), validators=[_required, Length(max=40)])
    display_name = StringField(_l("Full name"), validators=[_required, Length(max=50)])
    password = PasswordField(_l("Initial password"), validators=[_required, Length(max=200)])
    role = SelectField(_l("Role"), choices=choices((r.value, ROLE_LABELS[r]) for r in Role))
    organisation_id = SelectField(_l("Organisation"), coerce=int, validate_choice=False)


class DeviceForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=choices((k.value, DEVICE_KIND_LABELS[k]) for k in DeviceKind))
    name = StringField(_l("Name"), validators=[_required, Length(max=60)])
    organisation_id = SelectField(_l("Exam centre"), coerce=int, validate_choice=False)
    location = StringField(_l("Location"), validators=[Length(max=100)])


class ActionForm(FlaskForm):
    """A button that changes state: carries only the CSRF token."""


class ToggleForm(FlaskForm):
    active = IntegerField(validators=[InputRequired(), AnyOf([0, 1])])


@bp.route("/organisations", methods=["GET", "POST"])
@allow(Role.SYSTEM_ADMIN)
def organisations():
    form = OrganisationForm()
    created = submit(form, lambda s: create_organisation(
        s, current_actor(), kind=OrganisationKind(form.kind.data), name=form.name.data,
        credit_code=form.credit_code.data, region_code=form.region_code.data,
        address=form.address.data or "", contact_phone=form.contact_phone.data or ""))
    if created:
        flash(_("Organisation %(name)s created.", name=created.name), "success")
        return redirect(url_for(".organisations"))
    return render_template("admin/organisations.html", form=form,
                           organisations=list_organisations(db_session())), form_status(form)


@bp.route("/staff", methods=["GET", "POST"])
@allow(Role.SYSTEM_ADMIN)
def staff():
    s = db_session()
    form = StaffForm()
    form.organisation_id.choices = choices((o.id, o.name) for o in list_organisations(s))
    created = submit(form, lambda s: staff_service.create_staff_user(
        s, current_actor(), username=form.username.data, display_name=form.display_name.data,
        password=form.password.data, role=Role(form.role.data), organisation_id=form.organisation_id.data))
    if created:
        flash(_("Account %(username)s created.", username=created.username), "success")
        return redirect(url_for(".staff"))
    users = s.scalars(sa.select(StaffUser).options(selectinload(StaffUser.organisation))
                      .order_by(StaffUser.organisation_id, StaffUser.username)).all()
    return render_template("admin/staff.html", form=form, users=users, toggle=ToggleForm()), form_status(form)


@bp.route("/staff/<int:user_id>/active", methods=["POST"])
@allow(Role.SYSTEM_ADMIN)
def staff_active(user_id: int):
    form = ToggleForm()
    user = submit(form, lambda s: staff_service.set_staff_active(s, current_actor(), user_id, bool(form.active.data)))
    if user:
        flash(_("Account %(username)s updated.", username=user.username), "success")
    else:
        for message in form.form_errors or [_("The change was refused.")]:
            flash(message, "error")
    return redirect(url_for(".staff"))


@bp.route("/devices", methods=["GET", "POST"])
@allow(Role.SYSTEM_ADMIN)
def devices():
    s = db_session()
    form = DeviceForm()
    form.organisation_id.choices = choices((o.id, o.name) for o in list_organisations(s, OrganisationKind.EXAM_CENTRE))
    created = submit(form, lambda s: device_service.register_device(
        s, current_actor(), kind=DeviceKind(form.kind.data), name=form.name.data,
        organisation_id=form.organisation_id.data, location=form.location.data or ""))
    if created:
        flash(_("Device %(name)s registered.", name=created.name), "success")
        return redirect(url_for(".devices"))
    rows = s.scalars(sa.select(Device).options(selectinload(Device.tokens), selectinload(Device.organisation))
                     .order_by(Device.organisation_id, Device.name)).all()
    return render_template("admin/devices.html", form=form, devices=rows, action=ActionForm()), form_status(form)


@bp.route("/devices/<int:device_id>/tokens", methods=["POST"])
@allow(Role.SYSTEM_ADMIN)
def issue_token(device_id: int):
    form = ActionForm()
    issued = submit(form, lambda s: device_service.issue_token(s, current_actor(), device_id))
    if not issued:
        for message in form.form_errors or [_("The token was not issued.")]:
            flash(message, "error")
        return redirect(url_for(".devices"))
    token, secret = issued
    # Shown once: only the hash is stored.
    return render_template("admin/token_issued.html", device=db_session().get(Device, device_id), token=token,
                           secret=secret)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@allow(Role.SYSTEM_ADMIN)
def revoke_token(token_id: int):
    form = ActionForm()
    if submit(form, lambda s: device_service.revoke_token(s, current_actor(), token_id)):
        flash(_("Token revoked."), "success")
    else:
        for message in form.form_errors or [_("The token was not revoked.")]:
            flash(message, "error")
    return redirect(url_for(".devices"))
