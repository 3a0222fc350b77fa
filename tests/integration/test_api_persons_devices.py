"""The JSON API's happy paths and who may call what: persons, devices, catalogue, health, OpenAPI document."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from exam_center.db import read_only
from exam_center.domain.idcard import make_id_number
from exam_center.models import AuditEvent, Device, DeviceKind, DeviceToken, OrganisationKind, Person, Role
from exam_center.services.audit import verify_chain
from exam_center.services.devices import revoke_token
from exam_center.services.people import register_person

from conftest import SYSTEM, csrf_token, login

PERSONS = "/api/v1/persons"
ME = "/api/v1/devices/me"
ITEMS = "/api/v1/catalogue/items"
ID_NUMBER = make_id_number("110105", dt.date(1990, 1, 1), 7)  # 11010519900101007X: male, check char X
BODY = {"id_number": ID_NUMBER.lower(), "name": "王芳", "education": "高中", "phone": "+86 138 0013 8000",
        "email": "wang.fang@example.cn", "address": "北京市朝阳区某路1号", "employer": "某建筑公司"}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def assert_json_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"code", "message", "details"} and body["code"] == code, body
    return body


@pytest.fixture
def admin(login_as):
    client = login_as(Role.EXAM_ADMIN)
    client.csrf = {"X-CSRFToken": csrf_token(client, "/")}
    return client


def events(db, action: str) -> list[AuditEvent]:
    with read_only(), db.sessions() as s:
        return list(s.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


# --- persons ----------------------------------------------------------------------------------------


def test_create_person_returns_201_masked_and_audited(admin, db, world):
    assert ID_NUMBER.endswith("X")
    response = admin.post(PERSONS, json=BODY, headers=admin.csrf)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body == {
        "id": body["id"], "id_number_masked": "110105********007X", "name": "王芳", "sex": "M",
        "birth_date": "1990-01-01", "education": "senior_high", "phone": "13800138000",
        "email": "wang.fang@example.cn", "employer": "某建筑公司", "has_photo": False,
    }
    assert ID_NUMBER not in response.get_data(as_text=True)

    with read_only(), db.sessions() as s:
        person = s.get(Person, body["id"])
        assert person.id_number == ID_NUMBER  # normalised: upper-case X
        assert person.address == "北京市朝阳区某路1号"
        assert person.phone == "13800138000"

    [event] = events(db, "person.register")
    assert event.object_type == "person" and event.object_id == str(body["id"])
    assert event.actor_type == "staff" and event.actor_label == world.usernames[Role.EXAM_ADMIN]
    assert event.after["id_number"] == "110105********007X"
    assert ID_NUMBER not in str(event.after)
    with read_only(), db.sessions() as s:
        assert verify_chain(s).ok


def test_system_admin_may_register_too(login_as):
    client = login_as(Role.SYSTEM_ADMIN)
    response = client.post(PERSONS, json=BODY, headers={"X-CSRFToken": csrf_token(client, "/")})
    assert response.status_code == 201, response.get_data(as_text=True)


def test_read_person(admin):
    created = admin.post(PERSONS, json=BODY, headers=admin.csrf).get_json()
    response = admin.get(f"{PERSONS}/{created['id']}")
    assert response.status_code == 200
    assert response.get_json() == created


def test_read_unknown_person_is_404(admin):
    body = assert_json_error(admin.get(f"{PERSONS}/424242"), 404, "person.not_found")
    assert body["message"] == "人员不存在。"


def test_other_roles_cannot_use_the_person_registry(app, world, db):
    with db.transaction() as s:
        person_id = register_person(s, SYSTEM, **{**BODY, "id_number": ID_NUMBER}).id
    for role in (Role.PROCTOR, Role.EXAMINER, Role.INSTITUTION_STAFF, Role.CERT_OFFICER, Role.REGULATOR):
        client = app.test_client()
        assert login(client, world.usernames[role]).status_code == 302
        body = assert_json_error(client.get(f"{PERSONS}/{person_id}"), 403, "auth.forbidden")
        assert body["message"] == "您无权执行此操作。"
        headers = {"X-CSRFToken": csrf_token(client, "/")}
        assert_json_error(client.post(PERSONS, json=BODY, headers=headers), 403, "auth.forbidden")


def test_persons_need_a_session(client, world):
    assert_json_error(client.get(f"{PERSONS}/1"), 401, "auth.required")


def test_device_token_cannot_use_the_person_registry(client, world):
    token = world.device_tokens[DeviceKind.HALL_AGENT]
    assert_json_error(client.get(f"{PERSONS}/1", headers=bearer(token)), 403, "auth.forbidden")
    assert_json_error(client.post(PERSONS, json=BODY, headers=bearer(token)), 403, "auth.forbidden")


# --- devices ----------------------------------------------------------------------------------------


def test_each_device_token_identifies_its_device(client, world, db):
    seen = set()
    for kind, token in world.device_tokens.items():
        response = client.get(ME, headers=bearer(token))
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert body["kind"] == kind.value
        assert body["name"] == f"test-{kind.value}"
        assert body["organisation_id"] == world.organisations[OrganisationKind.EXAM_CENTRE]
        assert body["organisation_name"] == "测试考点"
        seen.add(body["id"])
    assert len(seen) == len(DeviceKind)
    with read_only(), db.sessions() as s:  # last use is recorded
        assert all(t.last_used_at is not None for t in s.scalars(sa.select(DeviceToken)))


def _token_row(db, secret: str) -> DeviceToken:
    with read_only(), db.sessions() as s:
        return s.scalar(sa.select(DeviceToken).where(DeviceToken.prefix == secret[:12]))


def test_revoked_token_is_401(client, world, db):
    secret = world.device_tokens[DeviceKind.EXAM_TERMINAL]
    assert client.get(ME, headers=bearer(secret)).status_code == 200
    with db.transaction() as s:
        revoke_token(s, SYSTEM, _token_row(db, secret).id)
    body = assert_json_error(client.get(ME, headers=bearer(secret)), 401, "auth.required")
    assert body["message"] == "请先登录。"
    # The other devices are not affected.
    assert client.get(ME, headers=bearer(world.device_tokens[DeviceKind.KIOSK])).status_code == 200


def test_deactivated_device_is_401(client, world, db):
    secret = world.device_tokens[DeviceKind.KIOSK]
    with db.transaction() as s:
        s.get(Device, _token_row(db, secret).device_id).active = False
    assert_json_error(client.get(ME, headers=bearer(secret)), 401, "auth.required")


def test_bad_or_missing_authorization_is_401(client, world):
    secret = world.device_tokens[DeviceKind.HALL_AGENT]
    for authorization in [
        "Bearer garbage",
        "Bearer ecd_" + "A" * 43,                                  # right prefix, unknown secret
        "Bearer " + secret[:-1] + ("A" if secret[-1] != "A" else "B"),  # one character changed
        "Bearer " + secret[:12],                                   # only the displayed prefix
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token " + secret,                                         # right secret, wrong scheme
    ]:
        body = assert_json_error(client.get(ME, headers={"Authorization": authorization}), 401, "auth.required")
        assert body["message"] == "请先登录。", authorization
    assert_json_error(client.get(ME), 401, "auth.required")
    assert_json_error(client.get(ITEMS), 401, "auth.required")


def test_staff_session_on_devices_me_is_403(login_as):
    for role in (Role.SYSTEM_ADMIN, Role.EXAM_ADMIN):
        client = login_as(role)
        assert_json_error(client.get(ME), 403, "auth.forbidden")


# --- catalogue --------------------------------------------------------------------------------------


def _assert_catalogue(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    items = {item["code"]: item for item in response.get_json()}
    assert len(items) > 10
    item = items["1.2"]
    assert item["name_zh"] == "低压电工作业"
    assert [s["weight"] for s in item["subjects"]] == [20, 40, 20, 20]
    assert [s["code"] for s in item["subjects"]] == ["K1", "K2", "K3", "K4"]
    assert sum(s["weight"] for s in item["subjects"]) == 100


def test_catalogue_for_every_staff_role(app, world):
    for role in Role:
        client = app.test_client()
        assert login(client, world.usernames[role]).status_code == 302
        _assert_catalogue(client.get(ITEMS))


def test_catalogue_for_every_device_kind(client, world):
    for kind in DeviceKind:
        _assert_catalogue(client.get(ITEMS, headers=bearer(world.device_tokens[kind])))


# --- health and OpenAPI -----------------------------------------------------------------------------


def test_health_is_public(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert isinstance(body["rule_set"], str) and body["rule_set"]


def _resolve(doc: dict, ref: str) -> dict:
    assert ref.startswith("#/"), ref
    node = doc
    for part in ref[2:].split("/"):
        assert part in node, f"dangling $ref {ref}"
        node = node[part]
    return node


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_openapi_document(client, app):
    response = client.get("/api/v1/openapi.json")  # public: no session
    assert response.status_code == 200
    doc = response.get_json()
    assert re.fullmatch(r"3\.\d+\.\d+", doc["openapi"])
    assert doc["info"]["title"] and doc["info"]["version"]

    expected = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.rule != "/api/v1/openapi.json":
            expected.add(re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule))
    assert "/api/v1/persons/{person_id}" in expected and len(expected) >= 5
    assert expected <= set(doc["paths"]), expected - set(doc["paths"])

    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    for path, item in doc["paths"].items():
        operations = {m: op for m, op in item.items() if m in methods}
        assert operations, path
        for op in operations.values():
            assert op["responses"], path
        for name in re.findall(r"{(\w+)}", path):
            params = item.get("parameters", []) + [p for op in operations.values() for p in op.get("parameters", [])]
            assert any(p["in"] == "path" and p["name"] == name and p["required"] for p in params), (path, name)

    schemes = doc["components"]["securitySchemes"]
    assert schemes["deviceToken"] == {"type": "http", "scheme": "bearer"}
    assert schemes["staffSession"]["type"] == "apiKey" and schemes["staffSession"]["in"] == "cookie"
    for item in doc["paths"].values():
        for op in item.values():
            for requirement in op.get("security", []) if isinstance(op, dict) else []:
                assert set(requirement) <= set(schemes)

    error = doc["components"]["schemas"]["Error"]
    assert {"code", "message", "details"} <= set(error["properties"])
    assert {"code", "message"} <= set(error["required"])
    for ref in _refs(doc):
        _resolve(doc, ref)
