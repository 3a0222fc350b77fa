"""Publishing a theory session's results (exam administrators), within 10 working days of the exam."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from exam_center.models import Role
from exam_center.services import results as service

from .forms import form_status, submit
from .labels import label
from .policy import allow
from .session import current_actor, db_session

bp = Blueprint("results", __name__, url_prefix="/centre/sessions")


class PublishForm(FlaskForm):
    """The publish button (CSRF token only)."""


def _calendar():
    return current_app.extensions["exam_center.workdays"]


@bp.route("/<int:session_id>/results", methods=["GET", "POST"])
@allow(Role.EXAM_ADMIN)
def session_results(session_id: int):
    form = PublishForm()
    published = submit(form, lambda s: service.publish_results(
        s, current_actor(), centre_id=current_user.organisation_id, session_id=session_id, calendar=_calendar()))
    if published:
        flash(_("%(count)s results published.", count=published), "success")
        return redirect(url_for(".session_results", session_id=session_id))
    results = service.session_results(db_session(), centre_id=current_user.organisation_id, session_id=session_id,
                                      calendar=_calendar())
    return render_template("results/session.html", results=results, session_id=session_id, form=form,
                           status_label=label), form_status(form)
