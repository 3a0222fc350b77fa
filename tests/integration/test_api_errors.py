"""The JSON API on bad input: never a 500, always {"code", "message", "details"}, and nothing stored.

Real HTTP through the Flask test client against a real database (SQLite or PostgreSQL, see conftest).
"""
from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import sqlalchemy as sa

from exam_center.db import read_only
from exam_center.domain.idcard import make_id_number
from exam_center.models import Person, Role

from conftest import csrf_token

PERSONS = "/api/v1/persons"
GOOD_ID = make_id_number("110105", dt.date(1990, 1, 1), 123)  # 110105199001011232
WRONG_CHECK = GOOD_ID[:17] + ("0" if GOOD_ID[17] != "0" else "1")
GOOD_BODY = {"id_number": GOOD_ID, "name": "张三", "education": "senior_high", "phone": "13800138000"}
REQUIRED = {"id_number", "name", "education", "phone"}

# From exam_center/translations/zh_Hans_CN/LC_MESSAGES/messages.po
ZH_SOME_FIELDS_INVALID = "部分字段填写有误。"
EN_SOME_FIELDS_INVALID = "Some fields are invalid."
ZH_NOT_JSON = "请求体不是有效的 JSON。"
ZH_TOO_LARGE = "请求体过大。"
ZH_SEND_JSON = "请求体须为 JSON 格式（Content-Type: application/json）。"
ZH_CSRF = "表单已过期或缺少安全令牌，请刷新页面后重试。"
ZH_NOT_FOUND = "页面或对象不存在。"
ZH_METHOD = "此处不允许该请求方法。"


def person_count(db) -> int:
    with read_only(), db.sessions() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(Person))


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is the API's error document with this status (and code); returns the body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json", response.headers
    body = response.get_json()
    assert isinstance(body, dict)
    assert set(body) == {"code", "message", "details"}, body
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    for field, messages in body["details"].items():
        assert isinstance(field, str)
        assert isinstance(messages, list) and messages and all(isinstance(m, str) and m for m in messages), body
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
def api(login_as, db):
    """An exam administrator's cookie session that sends the CSRF header; checks the registry is untouched."""
    client = login_as(Role.EXAM_ADMIN)
    token = csrf_token(client, "/")

    def post(*, headers=None, **kwargs):
        return client.post(PERSONS, headers={"X-CSRFToken": token, **(headers or {})}, **kwargs)

    client.post_person = post
    before = person_count(db)
    yield client
    if not getattr(client, "changes_expected", False):
        assert person_count(db) == before, "a refused request changed the person registry"


# --- malformed and mistyped bodies ------------------------------------------------------------------


def test_malformed_json_is_400_invalid_json(api):
    body = assert_error(api.post_person(data='{"id_number": ', content_type="application/json"), 400,
                        "request.invalid_json")
    assert body["message"] == ZH_NOT_JSON
    assert body["details"] == {"_": [ZH_NOT_JSON]}
    # Bytes that are not UTF-8 are not JSON either.
    assert_error(api.post_person(data=b'{"name": "\xff\xfe"}', content_type="application/json"), 400,
                 "request.invalid_json")


def test_json_that_is_not_an_object_is_422(api):
    for payload in (["id_number", "name"], "just a string", 42, None, True):
        body = assert_error(api.post_person(data=json.dumps(payload), content_type="application/json"), 422,
                            "request.invalid")
        assert body["message"] == ZH_SOME_FIELDS_INVALID
        assert body["details"] == {"_": ["输入类型无效。"]}, (payload, body)


def test_wrong_types_are_each_reported(api):
    payload = {**GOOD_BODY, "id_number": 123, "name": ["x"], "email": 5}
    body = assert_error(api.post_person(json=payload), 422, "request.invalid")
    assert set(body["details"]) == {"id_number", "name", "email"}, body
    assert body["details"]["id_number"] == ["不是有效的字符串。"]  # marshmallow's message, translated
    # NaN (which Python's json accepts) is not a string either.
    body = assert_error(api.post_person(data='{"id_number": NaN, "name": "张三", "education": "bachelor",'
                                             ' "phone": "13800138000"}', content_type="application/json"),
                        422, "request.invalid")
    assert set(body["details"]) == {"id_number"}, body
    body = assert_error(api.post_person(json={**GOOD_BODY, "phone": {"number": "13800138000"}, "education": None}),
                        422, "request.invalid")
    assert set(body["details"]) == {"phone", "education"}, body


def test_missing_required_fields_are_listed(api):
    for missing in sorted(REQUIRED):
        payload = {k: v for k, v in GOOD_BODY.items() if k != missing}
        body = assert_error(api.post_person(json=payload), 422, "request.invalid")
        assert set(body["details"]) == {missing}, body
    body = assert_error(api.post_person(json={}), 422, "request.invalid")
    assert set(body["details"]) == REQUIRED, body
    # An empty body that claims to be JSON is treated as "nothing given".
    body = assert_error(api.post_person(data="", content_type="application/json"), 422, "request.invalid")
    assert set(body["details"]) == REQUIRED, body


def test_unknown_extra_field_and_overlong_strings_are_refused(api):
    body = assert_error(api.post_person(json={**GOOD_BODY, "is_admin": True}), 422, "request.invalid")
    assert set(body["details"]) == {"is_admin"}, body
    body = assert_error(api.post_person(json={**GOOD_BODY, "id_number": "1" * 41}), 422, "request.invalid")
    assert set(body["details"]) == {"id_number"}, body


def test_deeply_nested_json_is_a_client_error(api):
    response = api.post_person(data="[" * 100_000, content_type="application/json")
    assert_error(response, 400, "request.invalid_json")


# --- content type and size --------------------------------------------------------------------------


def test_non_json_content_type_is_415(api):
    data = json.dumps(GOOD_BODY)
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        body = assert_error(api.post_person(data=data, content_type=content_type), 415,
                            "request.unsupported_media_type")
        assert body["message"] == ZH_SEND_JSON
    assert_error(api.post_person(data=data), 415, "request.unsupported_media_type")  # no Content-Type at all


def test_body_larger_than_the_api_limit_is_413(api, app):
    limit = app.extensions["exam_center.settings"].api_max_json_bytes
    assert limit == 1024 * 1024
    padded = json.dumps(GOOD_BODY)[:-1] + " " * limit + "}"
    body = assert_error(api.post_person(data=padded, content_type="application/json"), 413, "request.too_large")
    assert body["message"] == ZH_TOO_LARGE
    # Larger than the whole-request limit too (16 MiB): still the JSON error document.
    huge = b'{"name": "' + b"x" * (17 * 1024 * 1024) + b'"}'
    assert_error(api.post_person(data=huge, content_type="application/json"), 413, "request.too_large")


def test_body_just_under_the_limit_is_read(api, app):
    limit = app.extensions["exam_center.settings"].api_max_json_bytes
    payload = json.dumps({**GOOD_BODY, "id_number": WRONG_CHECK})
    padded = payload[:-1] + " " * (limit - len(payload.encode())) + "}"
    assert len(padded.encode()) == limit
    assert_error(api.post_person(data=padded, content_type="application/json"), 422, "id_number.check_character")


def test_huge_content_length_header_is_413_before_reading(api):
    # The test client recomputes Content-Length from the data, so claim the size in the WSGI environ;
    # only the claim is checked, the two bytes sent are never read.
    response = api.post_person(data=b"{}", content_type="application/json",
                               environ_overrides={"CONTENT_LENGTH": str(10 ** 12)})
    assert_error(response, 413, "request.too_large")
    response = api.post_person(data=b"{}", content_type="text/plain",
                               environ_overrides={"CONTENT_LENGTH": str(10 ** 12)})
    assert_error(response, 413, "request.too_large")


def test_chunked_body_over_the_limit_is_413(api, app):
    limit = app.extensions["exam_center.settings"].api_max_json_bytes
    padded = json.dumps(GOOD_BODY)[:-1] + " " * (2 * limit) + "}"
    response = api.post_person(input_stream=io.BytesIO(padded.encode()), content_type="application/json",
                               headers={"Transfer-Encoding": "chunked"},
                               environ_overrides={"wsgi.input_terminated": True})
    assert_error(response, 413, "request.too_large")


# --- domain validation ------------------------------------------------------------------------------


def test_wrong_check_character_is_422_with_field_message(api):
    body = assert_error(api.post_person(json={**GOOD_BODY, "id_number": WRONG_CHECK}), 422,
                        "id_number.check_character")
    expected = f"身份证号码校验未通过：第18位校验码应为{GOOD_ID[17]}，而不是{WRONG_CHECK[17]}。请检查是否有数字输错。"
    assert body["details"] == {"id_number": [expected]}
    assert body["message"] == expected


def test_several_invalid_fields_are_all_reported(api):
    payload = {"id_number": WRONG_CHECK, "name": "1abc", "education": "kindergarten", "phone": "123",
               "email": "not-an-address"}
    body = assert_error(api.post_person(json=payload), 422)
    assert set(body["details"]) == {"id_number", "name", "education", "phone", "email"}, body
    assert body["details"]["phone"] == ["“123”不是有效的电话号码：请填写 11 位手机号码或带区号的固定电话。"]
    assert body["details"]["email"] == ["“not-an-address”不是有效的电子邮箱地址。"]
    assert body["details"]["education"] == ["无法识别的文化程度：kindergarten。"]


def test_nul_byte_anywhere_in_the_body_is_refused(api):
    for payload in ({**GOOD_BODY, "email": "a\x00b@example.cn"}, {**GOOD_BODY, "name\x00": "x"}):
        body = assert_error(api.post_person(json=payload), 422, "request.nul_character")
        assert body["message"] == "请求中含有 NUL 字符，任何字段都不接受该字符。"


def test_duplicate_person_is_409(api, db):
    created = api.post_person(json=GOOD_BODY)
    assert created.status_code == 201, created.get_data(as_text=True)
    count = person_count(db)
    api.changes_expected = True
    # Same number typed differently (spaces) is still the same person.
    body = assert_error(api.post_person(json={**GOOD_BODY, "id_number": f" {GOOD_ID} ", "name": "李四"}), 409,
                        "person.duplicate")
    assert body["message"] == "身份证号码为 110105********1232 的人员已经登记过。"
    assert body["details"] == {"id_number": [body["message"]]}
    assert person_count(db) == count


def test_missing_csrf_header_on_cookie_session_is_400(login_as, db):
    client = login_as(Role.EXAM_ADMIN)
    before = person_count(db)
    body = assert_error(client.post(PERSONS, json=GOOD_BODY), 400, "csrf.invalid")
    assert body["message"] == ZH_CSRF
    wrong = client.post(PERSONS, json=GOOD_BODY, headers={"X-CSRFToken": "not-the-token"})
    assert_error(wrong, 400, "csrf.invalid")
    assert person_count(db) == before


@pytest.mark.parametrize("person_id", [2 ** 31, 10 ** 20])
def test_ids_no_integer_column_can_hold_are_404(api, person_id):
    """Beyond INTEGER range the route itself does not match: a plain 404, never an overflow 500."""
    body = assert_error(api.get(f"{PERSONS}/{person_id}"), 404, "not_found")
    assert body["details"] == {}


# --- language ---------------------------------------------------------------------------------------


def test_accept_language_en_gives_english(api):
    body = assert_error(api.post_person(json={}, headers={"Accept-Language": "en"}), 422, "request.invalid")
    assert body["message"] == EN_SOME_FIELDS_INVALID
    body = assert_error(api.post_person(json={**GOOD_BODY, "id_number": WRONG_CHECK},
                                        headers={"Accept-Language": "en-GB,en;q=0.9"}), 422)
    assert body["details"]["id_number"] == [
        f"The ID number does not check out: the 18th character should be {GOOD_ID[17]}, not {WRONG_CHECK[17]}."
        " Please look for a mistyped digit."]


def test_default_language_is_chinese(api):
    body = assert_error(api.post_person(json={}), 422, "request.invalid")
    assert body["message"] == ZH_SOME_FIELDS_INVALID
    body = assert_error(api.post_person(json={}, headers={"Accept-Language": "zh-CN,zh;q=0.9"}), 422)
    assert body["message"] == ZH_SOME_FIELDS_INVALID


# --- routing ----------------------------------------------------------------------------------------


def test_unknown_api_path_is_json_404(api):
    for path in ("/api/v1/nope", "/api/v1/persons/abc", "/api/v1/persons/-1", "/api/v2/persons", "/api/v1/",
                 "/api/v1/persons/1/photo"):
        body = assert_error(api.get(path), 404, "not_found")
        assert body["message"] == ZH_NOT_FOUND
    with api.session_transaction() as cookie_session:
        cookie_session.clear()
    assert_error(api.get("/api/v1/nope"), 404, "not_found")  # signed out too


def test_wrong_method_is_json_405_with_allow(api):
    for method, path, allowed in [
        ("delete", PERSONS, {"POST", "OPTIONS"}),
        ("get", PERSONS, {"POST", "OPTIONS"}),
        ("put", "/api/v1/health", {"GET", "HEAD", "OPTIONS"}),
        ("post", "/api/v1/devices/me", {"GET", "HEAD", "OPTIONS"}),
        ("patch", "/api/v1/persons/1", {"GET", "HEAD", "OPTIONS"}),
        ("delete", "/api/v1/openapi.json", {"GET", "HEAD", "OPTIONS"}),
    ]:
        response = getattr(api, method)(path, headers={"X-CSRFToken": "irrelevant"})
        body = assert_error(response, 405, "method_not_allowed")
        assert body["message"] == ZH_METHOD
        assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed, (method, path)


def test_unauthenticated_post_is_json_401_and_stores_nothing(client, world, db):
    before = person_count(db)
    body = assert_error(client.post(PERSONS, json=GOOD_BODY), 401, "auth.required")
    assert body["message"] == "请先登录。"
    assert person_count(db) == before


def test_role_without_registry_access_is_json_403(login_as, db):
    client = login_as(Role.PROCTOR)
    before = person_count(db)
    body = assert_error(client.post(PERSONS, json=GOOD_BODY, headers={"X-CSRFToken": csrf_token(client, "/")}),
                        403, "auth.forbidden")
    assert body["message"] == "您无权执行此操作。"
    assert person_count(db) == before
