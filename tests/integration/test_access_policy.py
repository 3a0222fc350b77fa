"""Every route declares who may call it, and everyone else is refused (security by default)."""
from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from exam_center.models import DeviceKind, Role
from exam_center.web.policy import policy_of

from conftest import login

def _routes(app):
    """(endpoint, method, concrete path) for every rule, with placeholder values for its arguments."""
    for rule in app.url_map.iter_rules():
        values = {name: 1 if isinstance(conv, IntegerConverter) else "x" for name, conv in rule._converters.items()}
        path = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, path


def _call(client, method, path, **kwargs):
    return client.open(path, method=method, **kwargs)


def test_every_route_declares_a_policy(app):
    with app.test_request_context():
        missing = [rule.endpoint for rule in app.url_map.iter_rules() if policy_of(rule.endpoint) is None]
    assert missing == [], f"routes without an access policy: {missing}"


def test_roles_outside_a_policy_are_refused(app, world):
    clients = {}
    for role in Role:
        clients[role] = app.test_client()
        assert login(clients[role], world.usernames[role]).status_code == 302
    anonymous = app.test_client()
    checked = 0
    with app.test_request_context():
        routes = [(endpoint, method, path, policy_of(endpoint)) for endpoint, method, path in _routes(app)]
    for endpoint, method, path, policy in routes:
        if policy.public:
            response = _call(anonymous, method, path)
            assert response.status_code not in (401, 403), (endpoint, method, response.status_code)
            continue
        if policy.candidate:  # the exam terminal: nobody but a signed-in candidate, staff included
            for client in (anonymous, *clients.values()):
                response = _call(client, method, path)
                if path.startswith("/terminal/api/"):
                    assert response.status_code == 401, (endpoint, method)
                    assert response.get_json()["code"] == "terminal.signed_out"
                else:
                    assert response.status_code == 302 and response.headers["Location"].endswith("/terminal/")
                checked += 1
            continue
        response = _call(anonymous, method, path)
        if path.startswith("/api/"):
            assert response.status_code == 401, (endpoint, method)
            assert response.get_json()["code"] == "auth.required"
        else:
            assert response.status_code == 302 and "/login" in response.headers["Location"], (endpoint, method)
        for role, client in clients.items():
            response = _call(client, method, path)
            if role in policy.roles:
                assert response.status_code not in (401, 403), (endpoint, method, role, response.status_code)
            else:
                assert response.status_code == 403, (endpoint, method, role, response.status_code)
            checked += 1
        if path.startswith("/api/"):
            for kind, token in world.device_tokens.items():
                response = _call(anonymous, method, path, headers={"Authorization": f"Bearer {token}"})
                expected_ok = kind in policy.device_kinds
                assert (response.status_code not in (401, 403)) if expected_ok else response.status_code == 403, \
                    (endpoint, method, kind, response.status_code)
            response = _call(anonymous, method, path, headers={"Authorization": "Bearer ecd_not-a-token"})
            assert response.status_code == 401, (endpoint, method)
    assert checked > 100  # the walk really covered the map


def test_route_without_policy_is_refused(app, world):
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    client = app.test_client()
    login(client, world.usernames[Role.SYSTEM_ADMIN])
    response = client.get("/forgotten")
    assert response.status_code == 403 and b"secret" not in response.data


def test_institution_staff_cannot_reach_exam_side_pages(login_as):
    """培考分离: training-institution accounts see nothing of the exam centre's registry or administration."""
    client = login_as(Role.INSTITUTION_STAFF)
    for path in ("/centre/people/", "/admin/staff", "/audit/", "/api/v1/persons/1"):
        assert client.get(path).status_code == 403, path


@pytest.mark.parametrize("kind", list(DeviceKind))
def test_device_tokens_do_not_open_staff_pages(client, world, kind):
    response = client.get("/centre/people/", headers={"Authorization": f"Bearer {world.device_tokens[kind]}"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
