"""HTML forms on bad input: status 400, Chinese messages next to the fields, entered values kept, nothing stored.

Covers the person registry (/centre/people/) with photo upload, and system administration
(/admin/organisations, /admin/staff, /admin/devices and device tokens).
"""
from __future__ import annotations

import datetime as dt
import html
import io
import re

import pytest
import sqlalchemy as sa

from exam_center.db import read_only
from exam_center.domain.credit_code import make_credit_code
from exam_center.domain.idcard import make_id_number
from exam_center.models import (AuditEvent, Device, DeviceKind, DeviceToken, Organisation, OrganisationKind, Person,
                                Role, StaffUser)

from conftest import FACES, csrf_token, login

PEOPLE = "/centre/people/"
GOOD_ID = make_id_number("110105", dt.date(1990, 1, 1), 7)  # 11010519900101007X
WRONG_CHECK = GOOD_ID[:17] + "5"
GOOD_CREDIT = make_credit_code("91110105MA0000001")
BAD_CREDIT = GOOD_CREDIT[:17] + ("0" if GOOD_CREDIT[17] != "0" else "1")

# From exam_center/translations/zh_Hans_CN/LC_MESSAGES/messages.po
ZH_CSRF = "表单已过期或缺少安全令牌，请刷新页面后重试。"
ZH_ROLE_ORG = "该角色不能隶属于此类单位（培考分离）。"


# --- helpers ----------------------------------------------------------------------------------------


def text(response) -> str:
    return response.get_data(as_text=True)


def field_errors(response) -> dict[str, list[str]]:
    """Messages shown under the fields (macros.html: <small class="error" data-field=...>)."""
    found: dict[str, list[str]] = {}
    for field, message in re.findall(r'<small class="error" data-field="([^"]+)">(.*?)</small>', text(response), re.S):
        found.setdefault(field, []).append(html.unescape(message))
    return found


def flashes(response, category: str = "error") -> list[str]:
    return [html.unescape(m) for m in re.findall(rf'<p class="flash {category}"[^>]*>(.*?)</p>', text(response), re.S)]


def input_value(response, name: str) -> str | None:
    for tag in re.findall(r"<input\b[^>]*>", text(response)):
        if re.search(rf'\bname="{re.escape(name)}"', tag):
            value = re.search(r'\bvalue="([^"]*)"', tag)
            return html.unescape(value.group(1)) if value else ""
    return None


def selected_option(response, name: str) -> str | None:
    select = re.search(rf'<select\b[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', text(response), re.S)
    assert select, f"no select {name}"
    option = re.search(r'<option\b[^>]*\bselected\b[^>]*value="([^"]*)"|<option\b[^>]*value="([^"]*)"[^>]*\bselected\b',
                       select.group(1))
    return option and (option.group(1) or option.group(2))


def count(db, model) -> int:
    with read_only(), db.sessions() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model))


def audit_actions(db) -> list[str]:
    with read_only(), db.sessions() as s:
        return list(s.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def person_by_number(db, number: str) -> Person | None:
    with read_only(), db.sessions() as s:
        return s.scalar(sa.select(Person).where(Person.id_number == number))


@pytest.fixture
def registrar(login_as):
    client = login_as(Role.EXAM_ADMIN)
    client.token = csrf_token(client, PEOPLE)
    return client


@pytest.fixture
def sysadmin(login_as):
    client = login_as(Role.SYSTEM_ADMIN)
    client.token = csrf_token(client, "/admin/staff")
    return client


def person_form(token: str, **changes) -> dict:
    data = {"csrf_token": token, "id_number": GOOD_ID, "name": "王芳", "education": "senior_high",
            "phone": "13800138000", "email": "wang.fang@example.cn", "address": "北京市朝阳区某路1号",
            "employer": "某建筑公司"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- person registry --------------------------------------------------------------------------------


def test_wrong_check_character_keeps_the_form(registrar, db):
    before = count(db, Person), audit_actions(db)
    response = registrar.post(PEOPLE, data=person_form(registrar.token, id_number=WRONG_CHECK))
    assert response.status_code == 400
    assert field_errors(response) == {
        "id_number": ["身份证号码校验未通过：第18位校验码应为X，而不是5。请检查是否有数字输错。"]}
    assert input_value(response, "id_number") == WRONG_CHECK
    assert input_value(response, "name") == "王芳"
    assert input_value(response, "phone") == "13800138000"
    assert input_value(response, "email") == "wang.fang@example.cn"
    assert input_value(response, "address") == "北京市朝阳区某路1号"
    assert input_value(response, "employer") == "某建筑公司"
    assert selected_option(response, "education") == "senior_high"
    assert 'aria-invalid="true"' in text(response)
    assert (count(db, Person), audit_actions(db)) == before


def test_several_bad_fields_are_all_shown(registrar, db):
    response = registrar.post(PEOPLE, data=person_form(
        registrar.token, id_number="11010519900101", name="王芳2", education="幼儿园", phone="12345",
        email="wang@", address="a\x01b"))
    assert response.status_code == 400
    errors = field_errors(response)
    assert errors == {
        "id_number": ["身份证号码应为18位（旧版为15位），当前输入了14位。"],
        "name": ["姓名只能由汉字或拉丁字母组成，字母之间可以有空格、“·”或“-”。"],
        "education": ["无法识别的文化程度：幼儿园。"],
        "phone": ["“12345”不是有效的电话号码：请填写 11 位手机号码或带区号的固定电话。"],
        "email": ["“wang@”不是有效的电子邮箱地址。"],
        "address": ["文本包含控制字符。"],
    }, errors
    assert input_value(response, "name") == "王芳2"
    assert input_value(response, "phone") == "12345"
    assert count(db, Person) == 0


def test_empty_submission_shows_required_messages(registrar, db):
    response = registrar.post(PEOPLE, data=person_form(registrar.token, id_number="", name="", education="",
                                                       phone="", email="", address="", employer=""))
    assert response.status_code == 400
    assert field_errors(response) == {"id_number": ["请输入身份证号码。"], "name": ["请填写姓名。"],
                                      "education": ["请选择文化程度。"], "phone": ["请填写电话号码。"]}
    assert count(db, Person) == 0


def test_good_submission_stores_the_normalised_person(registrar, db):
    response = registrar.post(PEOPLE, data=person_form(registrar.token, id_number=f"  {GOOD_ID.lower()} ",
                                                       education="中专", phone="010-12345678"))
    person = person_by_number(db, GOOD_ID)
    assert person is not None, text(response)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/centre/people/{person.id}"
    assert person.id_number == "11010519900101007X"
    assert person.sex == "M" and person.birth_date == dt.date(1990, 1, 1)
    assert person.education.value == "senior_high" and person.phone == "010-12345678"
    assert "person.register" in audit_actions(db)
    page = registrar.get(response.headers["Location"])
    assert page.status_code == 200
    assert "王芳 已登记。" in flashes(page, "success")
    assert "110105********007X" in text(page) and GOOD_ID not in text(page)


def test_duplicate_is_400_with_message(registrar, db):
    assert registrar.post(PEOPLE, data=person_form(registrar.token)).status_code == 302
    response = registrar.post(PEOPLE, data=person_form(registrar.token, id_number=GOOD_ID.lower(), name="李四"))
    assert response.status_code == 400
    assert field_errors(response) == {"id_number": ["身份证号码为 110105********007X 的人员已经登记过。"]}
    assert input_value(response, "name") == "李四"
    assert count(db, Person) == 1


def test_missing_form_field_is_a_400(registrar, db):
    response = registrar.post(PEOPLE, data=person_form(registrar.token, education=None))
    assert response.status_code == 400
    assert field_errors(response) == {"education": ["请选择文化程度。"]}
    assert count(db, Person) == 0


NUL_REFUSED = "请求中含有 NUL 字符，任何字段都不接受该字符。"


def test_email_with_nul_is_refused(registrar, db):
    response = registrar.post(PEOPLE, data=person_form(registrar.token, email="a\x00b@example.cn"))
    assert response.status_code == 422 and NUL_REFUSED in text(response)
    with db.sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Person)) == 0


def test_search_with_nul_byte_is_refused_clearly(registrar):
    response = registrar.get(PEOPLE, query_string={"q": "王\x00"})
    assert response.status_code == 422 and NUL_REFUSED in text(response)


def test_search_finds_by_name_and_id_prefix(registrar):
    assert registrar.post(PEOPLE, data=person_form(registrar.token)).status_code == 302
    for q in ("王", "110105199001", "110105199001010"):
        assert "王芳" in text(registrar.get(PEOPLE, query_string={"q": q})), q
    assert "王芳" not in text(registrar.get(PEOPLE, query_string={"q": "李"}))


def test_form_without_csrf_is_400(registrar, db):
    data = person_form(registrar.token)
    del data["csrf_token"]
    response = registrar.post(PEOPLE, data=data)
    assert response.status_code == 400
    assert 'data-code="csrf.invalid"' in text(response) and ZH_CSRF in text(response)
    response = registrar.post(PEOPLE, data={**data, "csrf_token": "forged"})
    assert response.status_code == 400 and 'data-code="csrf.invalid"' in text(response)
    assert count(db, Person) == 0


# --- photos -----------------------------------------------------------------------------------------


@pytest.fixture
def person_page(registrar, db) -> str:
    assert registrar.post(PEOPLE, data=person_form(registrar.token)).status_code == 302
    return f"/centre/people/{person_by_number(db, GOOD_ID).id}"


def upload(client, page: str, data: bytes, filename: str):
    return client.post(page, data={"csrf_token": client.token, "photo": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def test_bad_uploads_are_refused_with_messages(registrar, db, person_page):
    events = audit_actions(db)
    for data, filename in [(b"%PDF-1.4 not a photo", "scan.pdf"),
                           (b"\xff\xd8\xff" + b"\x00" * 200, "broken.jpg"),   # JPEG magic, no image
                           (b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "broken.png"),
                           (b"GIF89a" + b"\x00" * 50, "anim.gif")]:
        response = upload(registrar, person_page, data, filename)
        assert response.status_code == 400, filename
        assert field_errors(response) == {"photo": ["照片必须是可读取的 JPEG 或 PNG 图像。"]}, filename
    response = upload(registrar, person_page, b"", "empty.jpg")
    assert response.status_code == 400
    assert field_errors(response) == {"photo": ["照片文件为空。"]}
    response = registrar.post(person_page, data={"csrf_token": registrar.token}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert field_errors(response) == {"photo": ["请选择照片文件。"]}
    response = upload(registrar, person_page, b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024), "huge.jpg")
    assert response.status_code == 400
    assert field_errors(response) == {"photo": ["照片大于 5 MB。"]}

    assert person_by_number(db, GOOD_ID).photo_sha256 is None
    assert audit_actions(db) == events
    assert registrar.get(f"{person_page}/photo").status_code == 404


def test_real_photo_is_stored_and_served(registrar, db, person_page):
    import hashlib
    data = (FACES / "obama_1.jpg").read_bytes()
    response = upload(registrar, person_page, data, "obama_1.jpg")
    assert response.status_code == 302 and response.headers["Location"] == person_page
    person = person_by_number(db, GOOD_ID)
    assert person.photo_sha256 == hashlib.sha256(data).hexdigest()
    assert person.photo_path.endswith(".jpg")
    assert "person.photo_set" in audit_actions(db)
    photo = registrar.get(f"{person_page}/photo")
    assert photo.status_code == 200 and photo.data == data
    assert photo.mimetype == "image/jpeg"
    assert "照片已保存。" in flashes(registrar.get(person_page), "success")


def test_out_of_range_numbers_in_urls_are_not_500(registrar):
    statuses = {path: registrar.get(path).status_code for path in (
        f"/centre/people/{10 ** 20}", f"/centre/people/{10 ** 20}/photo", f"/centre/people/?page={10 ** 20}")}
    assert all(status in (200, 404) for status in statuses.values()), statuses


def test_unknown_person_page_is_404(registrar):
    response = registrar.get("/centre/people/999999")
    assert response.status_code == 404
    assert 'data-code="person.not_found"' in text(response) and "人员不存在。" in text(response)


# --- organisations ----------------------------------------------------------------------------------


def org_form(token: str, **changes) -> dict:
    return {"csrf_token": token, "kind": "training_institution", "name": "北京某安全培训学校",
            "credit_code": GOOD_CREDIT, "region_code": "110105", "address": "", "contact_phone": "", **changes}


def test_bad_credit_code_is_400_with_message(sysadmin, db):
    before = count(db, Organisation), audit_actions(db)
    response = sysadmin.post("/admin/organisations", data=org_form(sysadmin.token, credit_code=BAD_CREDIT))
    assert response.status_code == 400
    assert field_errors(response) == {"credit_code": [
        f"统一社会信用代码校验未通过：第18位校验码应为{GOOD_CREDIT[17]}，而不是{BAD_CREDIT[17]}。请检查是否有字符输错。"]}
    assert input_value(response, "credit_code") == BAD_CREDIT
    assert input_value(response, "name") == "北京某安全培训学校"
    assert (count(db, Organisation), audit_actions(db)) == before


def test_required_organisation_fields(sysadmin, db):
    response = sysadmin.post("/admin/organisations", data=org_form(sysadmin.token, name="", credit_code="",
                                                                   region_code=""))
    assert response.status_code == 400
    assert field_errors(response) == {f: ["此项为必填项。"] for f in ("name", "credit_code", "region_code")}
    response = sysadmin.post("/admin/organisations", data=org_form(sysadmin.token, kind="bank"))
    assert response.status_code == 400 and "kind" in field_errors(response)
    assert count(db, Organisation) == 3


def test_good_organisation_is_created_and_audited(sysadmin, db):
    response = sysadmin.post("/admin/organisations", data=org_form(sysadmin.token, credit_code=GOOD_CREDIT.lower(),
                                                                   contact_phone="010-12345678"))
    assert response.status_code == 302 and response.headers["Location"] == "/admin/organisations"
    with read_only(), db.sessions() as s:
        org = s.scalar(sa.select(Organisation).where(Organisation.name == "北京某安全培训学校"))
        assert org.credit_code == GOOD_CREDIT and org.kind is OrganisationKind.TRAINING_INSTITUTION
        event = s.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (event.action, event.object_type, event.object_id) == ("organisation.create", "organisation",
                                                                     str(org.id))
    page = sysadmin.get("/admin/organisations")
    assert "单位 北京某安全培训学校 已创建。" in flashes(page, "success")
    # The same code again is refused.
    again = sysadmin.post("/admin/organisations", data=org_form(sysadmin.token, name="另一个学校"))
    assert again.status_code == 400 and list(field_errors(again)) == ["credit_code"]


# --- staff accounts ---------------------------------------------------------------------------------


def staff_form(token: str, organisation_id: int, **changes) -> dict:
    return {"csrf_token": token, "username": "new.proctor", "display_name": "赵六", "password": "Strong2026pw",
            "role": "proctor", "organisation_id": str(organisation_id), **changes}


def test_role_outside_its_organisation_kind_is_refused(sysadmin, world, db):
    centre = world.organisations[OrganisationKind.EXAM_CENTRE]
    before = count(db, StaffUser)
    response = sysadmin.post("/admin/staff", data=staff_form(sysadmin.token, centre, role="institution_staff"))
    assert response.status_code == 400
    assert field_errors(response) == {"role": [ZH_ROLE_ORG]}
    assert input_value(response, "username") == "new.proctor"
    assert input_value(response, "password") in ("", None)  # a password is never echoed back
    institution = world.organisations[OrganisationKind.TRAINING_INSTITUTION]
    response = sysadmin.post("/admin/staff", data=staff_form(sysadmin.token, institution, role="examiner"))
    assert response.status_code == 400 and field_errors(response) == {"role": [ZH_ROLE_ORG]}
    assert count(db, StaffUser) == before


def test_weak_password_is_refused(sysadmin, world, db):
    centre = world.organisations[OrganisationKind.EXAM_CENTRE]
    before = count(db, StaffUser)
    for password, message in [("Short1", "密码至少需要 10 个字符。"),
                              ("onlyletterspassword", "密码必须同时包含字母和数字。"),
                              ("12345678901234", "密码必须同时包含字母和数字。")]:
        response = sysadmin.post("/admin/staff", data=staff_form(sysadmin.token, centre, password=password))
        assert response.status_code == 400, password
        assert field_errors(response) == {"password": [message]}, password
        assert input_value(response, "username") == "new.proctor"
    response = sysadmin.post("/admin/staff", data=staff_form(sysadmin.token, centre, password=""))
    assert response.status_code == 400 and field_errors(response) == {"password": ["此项为必填项。"]}
    assert count(db, StaffUser) == before


def test_bad_username_and_duplicate_username(sysadmin, world, db):
    centre = world.organisations[OrganisationKind.EXAM_CENTRE]
    response = sysadmin.post("/admin/staff", data=staff_form(sysadmin.token, centre, username="9lives"))
    assert response.status_code == 400
    assert field_errors(response) == {"username": [
        "用户名须为 3–40 个字符，只能包含小写字母、数字、“_”、“.”、“-”，并以字母开头。"]}
    taken = world.usernames[Role.PROCTOR]
    response = sysadmin.post("/admin/staff", data=staff_form(sysadmin.token, centre, username=taken.upper()))
    assert response.status_code == 400 and list(field_errors(response)) == ["username"]


def test_good_staff_account_can_sign_in(sysadmin, world, db, app):
    centre = world.organisations[OrganisationKind.EXAM_CENTRE]
    response = sysadmin.post("/admin/staff", data=staff_form(sysadmin.token, centre))
    assert response.status_code == 302, field_errors(response)
    assert "staff.create" in audit_actions(db)
    other = app.test_client()
    assert login(other, "new.proctor", "Strong2026pw").status_code == 302


def _user_id(db, username: str) -> int:
    with read_only(), db.sessions() as s:
        return s.scalar(sa.select(StaffUser.id).where(StaffUser.username == username))


def _is_active(db, username: str) -> bool:
    with read_only(), db.sessions() as s:
        return s.scalar(sa.select(StaffUser.active).where(StaffUser.username == username))


def test_deactivated_user_loses_their_session(sysadmin, world, db, app):
    proctor = app.test_client()
    assert login(proctor, world.usernames[Role.PROCTOR]).status_code == 302
    assert proctor.get("/").status_code == 200

    uid = _user_id(db, world.usernames[Role.PROCTOR])
    response = sysadmin.post(f"/admin/staff/{uid}/active", data={"csrf_token": sysadmin.token, "active": "0"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/staff"
    assert not _is_active(db, world.usernames[Role.PROCTOR])
    assert "staff.deactivate" in audit_actions(db)

    refused = proctor.get("/catalogue/")
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("/login")
    assert proctor.get("/api/v1/catalogue/items").status_code == 401
    # And they cannot sign in again.
    again = login(proctor, world.usernames[Role.PROCTOR])
    assert again.status_code == 400 and "该账户已停用。" in text(again)

    # Re-activation lets them back in.
    sysadmin.post(f"/admin/staff/{uid}/active", data={"csrf_token": sysadmin.token, "active": "1"})
    assert login(proctor, world.usernames[Role.PROCTOR]).status_code == 302


def test_system_admin_cannot_deactivate_themself(sysadmin, world, db):
    me = world.usernames[Role.SYSTEM_ADMIN]
    response = sysadmin.post(f"/admin/staff/{_user_id(db, me)}/active",
                             data={"csrf_token": sysadmin.token, "active": "0"})
    assert response.status_code == 302
    assert _is_active(db, me)
    assert "staff.deactivate" not in audit_actions(db)
    page = sysadmin.get("/admin/staff")
    assert page.status_code == 200  # still signed in
    assert "不能停用自己的账户。" in flashes(page)


def test_admin_forms_without_csrf_are_400(sysadmin, world, db):
    before = audit_actions(db)
    centre = str(world.organisations[OrganisationKind.EXAM_CENTRE])
    uid = _user_id(db, world.usernames[Role.PROCTOR])
    for path, form in [
        ("/admin/organisations", {"kind": "exam_centre", "name": "某考点", "credit_code": GOOD_CREDIT,
                                  "region_code": "110105"}),
        ("/admin/staff", {"username": "abc", "display_name": "李四", "password": "Strong2026pw", "role": "proctor",
                          "organisation_id": centre}),
        ("/admin/devices", {"kind": "kiosk", "name": "k1", "organisation_id": centre}),
        (f"/admin/staff/{uid}/active", {"active": "0"}),
    ]:
        for data in (form, {**form, "csrf_token": "forged"}):
            response = sysadmin.post(path, data=data)
            assert response.status_code == 400, path
            assert 'data-code="csrf.invalid"' in text(response) and ZH_CSRF in text(response), path
    assert audit_actions(db) == before
    assert _is_active(db, world.usernames[Role.PROCTOR])


def test_admin_forms_are_for_system_admins_only(login_as):
    client = login_as(Role.EXAM_ADMIN)
    token = csrf_token(client, PEOPLE)
    assert client.post("/admin/organisations", data=org_form(token)).status_code == 403
    assert client.get("/admin/staff").status_code == 403


def test_out_of_range_ids_in_admin_forms_are_not_500(sysadmin, world):
    response = sysadmin.post("/admin/staff", data=staff_form(sysadmin.token, 10 ** 20))
    assert response.status_code == 400
    response = sysadmin.post(f"/admin/staff/{10 ** 20}/active", data={"csrf_token": sysadmin.token, "active": "0"})
    assert response.status_code in (302, 404)


def test_login_with_nul_in_username_is_refused_clearly(client, world):
    response = login(client, "t_proctor\x00")
    assert response.status_code == 422 and NUL_REFUSED in text(response)


# --- devices and tokens -----------------------------------------------------------------------------


def _device_id(db, kind: DeviceKind) -> int:
    with read_only(), db.sessions() as s:
        return s.scalar(sa.select(Device.id).where(Device.name == f"test-{kind.value}"))


def test_issue_and_revoke_token_through_the_admin_pages(sysadmin, world, db, app):
    device_id = _device_id(db, DeviceKind.HALL_AGENT)
    devices_page = sysadmin.get("/admin/devices")
    form_re = r'action="/admin/devices/%d/tokens"[^>]*>\s*<input[^>]*name="csrf_token"[^>]*value="([^"]+)"'
    action_token = re.search(form_re % device_id, text(devices_page))
    assert action_token, "no issue-token form for the device"

    issued = sysadmin.post(f"/admin/devices/{device_id}/tokens", data={"csrf_token": action_token.group(1)})
    assert issued.status_code == 200
    match = re.search(r'<code class="secret" id="token">([^<]+)</code>', text(issued))
    assert match, text(issued)
    secret = match.group(1)
    assert secret.startswith("ecd_") and len(secret) > 30
    assert "test-hall_agent" in text(issued)
    assert "device.token_issue" in audit_actions(db)

    # Shown once: the list only has the prefix; the database only the hash.
    listing = text(sysadmin.get("/admin/devices"))
    assert secret not in listing and secret[:12] in listing
    with read_only(), db.sessions() as s:
        row = s.scalar(sa.select(DeviceToken).where(DeviceToken.prefix == secret[:12]))
        assert row.device_id == device_id and secret not in (row.token_sha256, row.prefix)

    device = app.test_client()
    me = device.get("/api/v1/devices/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.get_json()["id"] == device_id

    revoked = sysadmin.post(f"/admin/tokens/{row.id}/revoke", data={"csrf_token": sysadmin.token})
    assert revoked.status_code == 302 and revoked.headers["Location"] == "/admin/devices"
    assert "令牌已吊销。" in flashes(sysadmin.get("/admin/devices"), "success")
    assert "device.token_revoke" in audit_actions(db)
    refused = device.get("/api/v1/devices/me", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 401 and refused.get_json()["code"] == "auth.required"
    # The world's own token for the same device still works.
    own = world.device_tokens[DeviceKind.HALL_AGENT]
    ok = device.get("/api/v1/devices/me", headers={"Authorization": f"Bearer {own}"})
    assert ok.status_code == 200

    # Revoking again is refused with a message, not an error page.
    again = sysadmin.post(f"/admin/tokens/{row.id}/revoke", data={"csrf_token": sysadmin.token})
    assert again.status_code == 302
    assert "该令牌已被吊销。" in flashes(sysadmin.get("/admin/devices"))


def test_token_actions_without_csrf_are_400(sysadmin, db):
    device_id = _device_id(db, DeviceKind.KIOSK)
    tokens = count(db, DeviceToken)
    response = sysadmin.post(f"/admin/devices/{device_id}/tokens")
    assert response.status_code == 400 and 'data-code="csrf.invalid"' in text(response)
    assert count(db, DeviceToken) == tokens
    response = sysadmin.post("/admin/tokens/1/revoke")
    assert response.status_code == 400
    with read_only(), db.sessions() as s:
        assert s.get(DeviceToken, 1).revoked_at is None


def test_issue_token_for_unknown_device_is_refused(sysadmin, db):
    tokens = count(db, DeviceToken)
    response = sysadmin.post("/admin/devices/999999/tokens", data={"csrf_token": sysadmin.token})
    assert response.status_code == 302
    assert "设备不存在。" in flashes(sysadmin.get("/admin/devices"))
    assert count(db, DeviceToken) == tokens
