"""Staff accounts: creation, passwords, sign-in with lock-out after repeated failures."""
from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from exam_center.domain.contact import parse_person_name
from exam_center.domain.errors import N_, Conflict, Forbidden, NotFound, ValidationError
from exam_center.models import ROLE_ORGANISATION_KINDS, Role, StaffUser, utcnow

from .audit import Actor, record
from .lookup import fetch
from .organisations import get_organisation

_USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{2,39}$")
MIN_PASSWORD_LENGTH = 10
# Compared against when the user does not exist, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError("password.too_short", N_("The password needs at least %(min)s characters."),
                              field="password", min=MIN_PASSWORD_LENGTH)
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        raise ValidationError("password.too_simple", N_("The password needs both letters and digits."),
                              field="password")


def staff_snapshot(user: StaffUser) -> dict:
    return {"username": user.username, "display_name": user.display_name, "role": user.role,
            "organisation_id": user.organisation_id, "active": user.active}


def create_staff_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    organisation_id: int,
) -> StaffUser:
    username = (username or "").strip().lower()
    if not _USERNAME.match(username):
        raise ValidationError(
            "username.format",
            N_("The username must be 3–40 characters: lowercase letters, digits, '_', '.', '-', starting with a letter."),
            field="username",
        )
    display_name = parse_person_name(display_name, field="display_name")
    check_password_strength(password)
    org = get_organisation(session, organisation_id)
    if org.kind not in ROLE_ORGANISATION_KINDS[role]:
        raise Conflict("staff.role_organisation",
                       N_("This role cannot belong to this kind of organisation (training and examination are kept apart)."),
                       field="role")
    if session.scalar(sa.select(StaffUser.id).where(StaffUser.username == username)):
        raise Conflict("staff.duplicate_username", N_("The username '%(username)s' is taken."),
                       field="username", username=username)
    user = StaffUser(username=username, display_name=display_name, password_hash=generate_password_hash(password),
                     role=role, organisation_id=org.id)
    session.add(user)
    session.flush()
    record(session, actor, "staff.create", "staff_user", user.id, after=staff_snapshot(user))
    return user


def set_staff_active(session: Session, actor: Actor, user_id: int, active: bool) -> StaffUser:
    user = fetch(session, StaffUser, user_id, NotFound("staff.not_found", N_("No such staff user."), field="user_id"))
    if actor.type == "staff" and actor.id == str(user.id) and not active:
        raise Conflict("staff.self_deactivate", N_("You cannot deactivate your own account."))
    before = staff_snapshot(user)
    user.active = active
    if active:
        user.failed_logins, user.locked_until = 0, None
    record(session, actor, "staff.activate" if active else "staff.deactivate", "staff_user", user.id,
           before=before, after=staff_snapshot(user))
    return user


def authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    source_address: str | None,
    max_failures: int = 5,
    lock_minutes: int = 15,
) -> StaffUser:
    """Return the user for a correct username and password, or raise; every attempt is audited."""
    username = (username or "").strip().lower()
    user = session.scalar(sa.select(StaffUser).where(StaffUser.username == username))
    now = utcnow()
    attempt = Actor("anonymous", None, username[:40] or "-", source_address)
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        record(session, attempt, "auth.login_failed", "staff_user", None, after={"username": username[:40]})
        raise Forbidden("auth.bad_credentials", N_("Wrong username or password."))
    who = Actor("staff", str(user.id), user.username, source_address)
    if user.locked_until is not None and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        record(session, who, "auth.login_refused_locked", "staff_user", user.id)
        raise Forbidden("auth.locked", N_("Too many failed attempts: the account is locked for %(minutes)s more minutes."),
                        minutes=minutes)
    if not check_password_hash(user.password_hash, password or ""):
        user.failed_logins += 1
        locked = user.failed_logins >= max_failures
        if locked:
            user.locked_until = now + timedelta(minutes=lock_minutes)
            user.failed_logins = 0
        record(session, who, "auth.login_failed", "staff_user", user.id, after={"locked": locked})
        raise Forbidden("auth.bad_credentials", N_("Wrong username or password."))
    if not user.active or not user.organisation.active:
        record(session, who, "auth.login_refused_inactive", "staff_user", user.id)
        raise Forbidden("auth.inactive", N_("This account has been deactivated."))
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    record(session, who, "auth.login", "staff_user", user.id)
    return user
