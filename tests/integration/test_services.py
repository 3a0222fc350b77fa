"""Use cases called directly (no HTTP): every refusal has its code, and a refused call changes nothing."""
from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from exam_center.domain import catalogue as domain_catalogue
from exam_center.domain.credit_code import make_credit_code
from exam_center.domain.errors import Conflict, DomainError, NotFound, ValidationError
from exam_center.models import AuditEvent, DeviceKind, ExamRoom, OperationItem, OrganisationKind, Role, RoomKind
from exam_center.services import devices, organisations, rooms, staff
from exam_center.services.audit import Actor
from exam_center.services.catalogue import sync_catalogue

from conftest import SYSTEM

CENTRE_CODE = make_credit_code("12110105MB0000009")


def _events(db) -> int:
    with db.sessions() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


def _refused(db, call, error_type, code):
    before = _events(db)
    with pytest.raises(error_type) as caught:
        with db.transaction() as s:
            call(s)
    assert caught.value.code == code
    assert _events(db) == before  # rolled back: no record of a change that did not happen
    return caught.value


def _centre(db) -> int:
    with db.transaction() as s:
        return organisations.create_organisation(s, SYSTEM, kind=OrganisationKind.EXAM_CENTRE, name="服务考点",
                                                 credit_code=CENTRE_CODE, region_code="110105").id


def test_organisation_duplicates_and_bad_values(db):
    _centre(db)
    create = organisations.create_organisation
    _refused(db, lambda s: create(s, SYSTEM, kind=OrganisationKind.EXAM_CENTRE, name="服务考点",
                                  credit_code=make_credit_code("12110105MB0000008"), region_code="110105"),
             Conflict, "organisation.duplicate_name")
    error = _refused(db, lambda s: create(s, SYSTEM, kind=OrganisationKind.EXAM_CENTRE, name="另一考点",
                                          credit_code=CENTRE_CODE.lower(), region_code="110105"),
                     Conflict, "organisation.duplicate_credit_code")
    assert CENTRE_CODE in error.render()
    _refused(db, lambda s: create(s, SYSTEM, kind=OrganisationKind.EXAM_CENTRE, name="另一考点",
                                  credit_code=CENTRE_CODE[:-1] + ("0" if CENTRE_CODE[-1] != "0" else "1"),
                                  region_code="110105"), ValidationError, "credit_code.check_character")
    _refused(db, lambda s: create(s, SYSTEM, kind=OrganisationKind.EXAM_CENTRE, name="另一考点",
                                  credit_code=make_credit_code("12110105MB0000007"), region_code="11010"),
             ValidationError, "region_code.format")


def test_staff_rules(db):
    centre = _centre(db)
    create = staff.create_staff_user
    args = dict(display_name="张三", password="Strong2026pw", organisation_id=centre)
    _refused(db, lambda s: create(s, SYSTEM, username="Bad Name", role=Role.PROCTOR, **args),
             ValidationError, "username.format")
    _refused(db, lambda s: create(s, SYSTEM, username="teacher", role=Role.INSTITUTION_STAFF, **args),
             Conflict, "staff.role_organisation")
    _refused(db, lambda s: create(s, SYSTEM, username="proctor9", role=Role.PROCTOR,
                                  **{**args, "password": "short1"}), ValidationError, "password.too_short")
    _refused(db, lambda s: create(s, SYSTEM, username="proctor9", role=Role.PROCTOR,
                                  **{**args, "password": "onlyletterslong"}), ValidationError, "password.too_simple")
    _refused(db, lambda s: create(s, SYSTEM, username="proctor9", role=Role.PROCTOR,
                                  **{**args, "organisation_id": 424242}), NotFound, "organisation.not_found")
    with db.transaction() as s:
        user = create(s, SYSTEM, username="Proctor9", role=Role.PROCTOR, **args)
        assert user.username == "proctor9" and user.password_hash != args["password"]
    _refused(db, lambda s: create(s, SYSTEM, username="proctor9", role=Role.PROCTOR, **args),
             Conflict, "staff.duplicate_username")
    me = Actor("staff", str(user.id), "proctor9")
    _refused(db, lambda s: staff.set_staff_active(s, me, user.id, False), Conflict, "staff.self_deactivate")
    with db.transaction() as s:
        assert staff.set_staff_active(s, SYSTEM, user.id, False).active is False


def test_device_tokens(db):
    centre = _centre(db)
    with db.transaction() as s:
        device = devices.register_device(s, SYSTEM, kind=DeviceKind.KIOSK, name="一号机", organisation_id=centre)
        token, secret = devices.issue_token(s, SYSTEM, device.id)
    assert secret.startswith("ecd_") and len(secret) > 40
    with db.sessions() as s:
        stored = s.get(type(token), token.id)
        assert secret not in (stored.token_sha256, stored.prefix) and stored.prefix == secret[:12]
    with db.transaction() as s:
        assert devices.authenticate_device(s, secret).id == device.id
        assert devices.authenticate_device(s, secret + "x") is None
        assert devices.authenticate_device(s, "not-even-prefixed") is None
    _refused(db, lambda s: devices.register_device(s, SYSTEM, kind=DeviceKind.KIOSK, name="一号机",
                                                   organisation_id=centre), Conflict, "device.duplicate_name")
    with db.transaction() as s:
        devices.revoke_token(s, SYSTEM, token.id)
    with db.transaction() as s:
        assert devices.authenticate_device(s, secret) is None
    _refused(db, lambda s: devices.revoke_token(s, SYSTEM, token.id), Conflict, "device_token.already_revoked")
    _refused(db, lambda s: devices.revoke_token(s, SYSTEM, 987654), NotFound, "device_token.not_found")


def test_devices_and_rooms_belong_to_exam_centres(db):
    with db.transaction() as s:
        school = organisations.create_organisation(s, SYSTEM, kind=OrganisationKind.TRAINING_INSTITUTION,
                                                   name="某培训学校", credit_code=make_credit_code("52110105MJ0000001"),
                                                   region_code="110105").id
    _refused(db, lambda s: devices.register_device(s, SYSTEM, kind=DeviceKind.KIOSK, name="x", organisation_id=school),
             Conflict, "device.organisation_kind")
    _refused(db, lambda s: rooms.create_room(s, SYSTEM, centre_id=school, name="考场", kind=RoomKind.THEORY),
             Conflict, "room.organisation_kind")


def test_rooms_and_places_are_idempotent(db):
    centre = _centre(db)
    with db.transaction() as s:
        room = rooms.create_room(s, SYSTEM, centre_id=centre, name="理论考场二", kind=RoomKind.THEORY)
        assert rooms.add_places(s, SYSTEM, room, [("01", None), ("02", None)]) == 2
        assert rooms.add_places(s, SYSTEM, room, [("02", None), ("03", None)]) == 1
    with db.sessions() as s:
        assert [seat.label for seat in s.get(ExamRoom, room.id).seats] == ["01", "02", "03"]
    _refused(db, lambda s: rooms.create_room(s, SYSTEM, centre_id=centre, name="理论考场二", kind=RoomKind.THEORY),
             Conflict, "room.duplicate_name")


def test_catalogue_sync_is_idempotent_and_applies_changes(db):
    with db.transaction() as s:
        first = sync_catalogue(s, SYSTEM)
    assert first["categories"] == 11 and first["items"] > 40
    with db.transaction() as s:
        assert sync_catalogue(s, SYSTEM) == {"categories": 0, "items": 0, "subjects": 0}
    original = domain_catalogue.load_catalogue()
    renamed = dataclasses.replace(original.item("1.2"), name_zh="低压电工作业（新）")
    changed = domain_catalogue.Catalogue(original.categories,
                                         tuple(renamed if i.code == "1.2" else i for i in original.items))
    with db.transaction() as s:
        assert sync_catalogue(s, SYSTEM, changed)["items"] == 1
    with db.sessions() as s:
        assert s.get(OperationItem, "1.2").name_zh == "低压电工作业（新）"
        assert [sub.weight for sub in s.get(OperationItem, "1.2").subjects] == [20, 40, 20, 20]


def test_domain_errors_carry_their_http_status():
    assert ValidationError("x", "m").http_status == 422
    assert NotFound("x", "m").http_status == 404
    assert Conflict("x", "m").http_status == 409
    assert isinstance(Conflict("x", "m"), DomainError)
