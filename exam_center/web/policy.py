"""Who may call which route. Every view declares a policy; a route without one is refused.

Declaring is done with decorators that only attach the policy; ``enforce_policy`` (run before every
request) does the checking in one place, so a forgotten check cannot happen in a view.
"""
from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from typing import Callable, TypeVar

from flask import current_app, g, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from exam_center.models import DeviceKind, Role

from .session import CANDIDATE_KEY, authenticate_bearer, is_api_request, signed_in_attempt_id

F = TypeVar("F", bound=Callable)
ALL_STAFF = frozenset(Role)


@dataclass(frozen=True)
class Policy:
    roles: frozenset[Role] = frozenset()
    device_kinds: frozenset[DeviceKind] = frozenset()
    public: bool = False
    candidate: bool = False

    def describe(self) -> str:
        if self.public:
            return "public"
        if self.candidate:
            return "candidate"
        parts = sorted(r.value for r in self.roles) + sorted(f"device:{k.value}" for k in self.device_kinds)
        return ", ".join(parts)


def _attach(policy: Policy) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        if inspect.ismethod(view):  # e.g. a library's bound-method view: wrap it to carry the policy
            view = functools.wraps(view)(lambda *args, _view=view, **kwargs: _view(*args, **kwargs))
        view.policy = policy  # type: ignore[attr-defined]
        return view
    return decorate


def allow(*roles: Role) -> Callable[[F], F]:
    """Staff with one of these roles (signed in through the web session)."""
    if not roles:
        raise ValueError("allow() needs at least one role; use public for open routes")
    return _attach(Policy(roles=frozenset(roles)))


def allow_devices(*kinds: DeviceKind, roles: tuple[Role, ...] = ()) -> Callable[[F], F]:
    """Devices of these kinds presenting a bearer token (and optionally staff of these roles)."""
    return _attach(Policy(roles=frozenset(roles), device_kinds=frozenset(kinds)))


def public(view: F) -> F:
    """Open to anyone, signed in or not."""
    return _attach(Policy(public=True))(view)


def candidate(view: F) -> F:
    """Only an exam candidate signed in at a terminal (考生); staff and devices are not candidates.

    Candidates sign in with their admission ticket (``terminal.sign_in``); the session then holds their
    attempt id under ``CANDIDATE_KEY`` and nothing else.
    """
    return _attach(Policy(candidate=True))(view)


def policy_of(endpoint: str) -> Policy | None:
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "policy", None)


def _refuse(status: int):
    from .errors import error_response
    if status == 401 and not is_api_request():
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    code, message = {
        401: ("auth.required", _("Sign in first.")),
        403: ("auth.forbidden", _("You are not allowed to do this.")),
    }[status]
    return error_response(status, code, message)


TERMINAL_API_PREFIX = "/terminal/api/"


def _refuse_candidate():
    """No candidate signed in: the terminal page's API answers JSON, its pages go to the sign-in form."""
    session.pop(CANDIDATE_KEY, None)
    if request.path.startswith(TERMINAL_API_PREFIX):
        return jsonify(code="terminal.signed_out", message=_("No candidate is signed in at this terminal."),
                       details={}), 401
    return redirect(url_for("terminal.sign_in"))


def enforce_policy():
    """before_request: let the request through, or answer 401/403 (or a redirect to the login page)."""
    if request.endpoint is None:  # no route matched: 404/405 follow
        return None
    policy = policy_of(request.endpoint)
    if policy is None:
        current_app.logger.error("route %s declares no access policy; refused", request.endpoint)
        return _refuse(403)
    if policy.public:
        return None
    if policy.candidate:
        return None if signed_in_attempt_id() is not None else _refuse_candidate()
    if is_api_request() and request.authorization is not None:
        device = authenticate_bearer()
        if device is None:
            return _refuse(401)
        g.device = device
        return None if device.kind in policy.device_kinds else _refuse(403)
    if not current_user.is_authenticated:
        return _refuse(401)
    if current_user.role not in policy.roles:
        return _refuse(403)
    if is_api_request() and request.method not in ("GET", "HEAD", "OPTIONS"):
        # The API is exempt from form CSRF for token callers; cookie callers must send the token header.
        current_app.extensions["csrf"].protect()
    return None


def describe_policies(app) -> dict[str, str]:
    """endpoint → policy description, for the route listing in the README and tests."""
    return {ep: (getattr(v, "policy", None) or Policy()).describe() for ep, v in app.view_functions.items()}


__all__ = ["ALL_STAFF", "Policy", "allow", "allow_devices", "candidate", "public", "policy_of", "enforce_policy"]
