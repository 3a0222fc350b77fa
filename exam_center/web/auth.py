"""Staff sign-in and sign-out, and the language switch."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from exam_center.domain.errors import Forbidden
from exam_center.models import OrganisationKind, Role, StaffUser
from exam_center.services.audit import record
from exam_center.services.staff import authenticate

from .i18n import LANGUAGES
from .policy import public
from .session import current_actor, db_session

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"


@dataclass(frozen=True)
class StaffPrincipal(UserMixin):
    """The signed-in staff member, detached from any database session."""

    user_id: int
    username: str
    display_name: str
    role: Role
    organisation_id: int
    organisation_name: str
    organisation_kind: OrganisationKind

    def get_id(self) -> str:
        return f"staff:{self.user_id}"

    @property
    def id(self) -> int:
        return self.user_id

    @classmethod
    def of(cls, user: StaffUser) -> "StaffPrincipal":
        return cls(user.id, user.username, user.display_name, user.role, user.organisation_id,
                   user.organisation.name, user.organisation.kind)


@login_manager.user_loader
def _load_user(key: str) -> StaffPrincipal | None:
    kind, _sep, raw_id = key.partition(":")
    if kind != "staff" or not raw_id.isdigit():
        return None
    user = db_session().get(StaffUser, int(raw_id))
    # A deactivated account loses its open sessions at once.
    if user is None or not user.active or not user.organisation.active:
        return None
    return StaffPrincipal.of(user)


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(message=_l("Enter your username.")),
                                                       Length(max=40)])
    password = PasswordField(_l("Password"), validators=[DataRequired(message=_l("Enter your password.")),
                                                         Length(max=200)])
    next = HiddenField()


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would let a phishing link borrow our login page."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        settings = current_app.extensions["exam_center.settings"]
        s = db_session()
        try:
            user = authenticate(s, username=form.username.data, password=form.password.data,
                                source_address=request.remote_addr, max_failures=settings.login_max_failures,
                                lock_minutes=settings.login_lock_minutes)
        except Forbidden as refusal:
            s.commit()  # the failed attempt and the lock-out counter are kept
            form.password.errors = [refusal.render(_)]
        else:
            s.commit()
            session.clear()
            login_user(StaffPrincipal.of(user))
            return redirect(_safe_next(form.next.data))
    status = 200 if request.method == "GET" or not form.errors else 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@public
def logout():
    if current_user.is_authenticated:
        s = db_session()
        record(s, current_actor(), "auth.logout", "staff_user", current_user.id)
        s.commit()
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language/<code>", methods=["POST"])
@public
def set_language(code: str):
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next") or request.referrer and _path_of(request.referrer)))


def _path_of(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
