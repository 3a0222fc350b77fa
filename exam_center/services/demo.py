"""Demo data for the embedded mode: one of everything a demo or a manual test needs. Idempotent."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from exam_center.domain.credit_code import make_credit_code
from exam_center.domain.education import Education
from exam_center.domain.idcard import make_id_number
from exam_center.evidence import EvidenceStore
from exam_center.models import (BankItem, Blueprint, Device, DeviceKind, ExamRoom, ItemVersion, Organisation,
                                OrganisationKind, Person, Role, RoomKind, StaffUser)
import question_bank
from question_bank.items import ItemStatus, Use

from .audit import Actor
from .bank_io import import_items
from .bank_items import review
from .blueprints import ensure_default_blueprint
from .catalogue import sync_catalogue
from .demo_exam_path import seed_exam_path
from .devices import register_device
from .organisations import create_organisation
from .people import register_person, set_person_photo
from .rooms import add_places, create_room
from .staff import create_staff_user

DEMO_PASSWORD = "Demo2026exam"
ACTOR = Actor.system("seed-demo")

_ORGANISATIONS = [
    # key, kind, name, credit-code body, region
    ("authority", OrganisationKind.CERTIFICATION_AUTHORITY, "示范市应急管理局", "11110105MB0000001", "110105"),
    ("centre", OrganisationKind.EXAM_CENTRE, "示范市安全生产考试中心", "12110105MB0000002", "110105"),
    ("school_a", OrganisationKind.TRAINING_INSTITUTION, "朝阳安全技术培训学校", "52110105MJ0000003", "110105"),
    ("school_b", OrganisationKind.TRAINING_INSTITUTION, "海淀职业安全培训中心", "52110108MJ0000004", "110108"),
]
_STAFF = [
    # username, display name, role, organisation key
    ("admin", "系统管理员", Role.SYSTEM_ADMIN, "centre"),
    ("examadmin", "考务王老师", Role.EXAM_ADMIN, "centre"),
    ("proctor", "监考李老师", Role.PROCTOR, "centre"),
    ("examiner", "考评张工", Role.EXAMINER, "centre"),
    ("certofficer", "发证赵科长", Role.CERT_OFFICER, "authority"),
    ("regulator", "监管陈处长", Role.REGULATOR, "authority"),
    ("school_a", "朝阳培训刘老师", Role.INSTITUTION_STAFF, "school_a"),
    ("school_b", "海淀培训周老师", Role.INSTITUTION_STAFF, "school_b"),
    ("bankadmin", "题库孙老师", Role.BANK_ADMIN, "centre"),
    ("bankreviewer", "题库审核吴老师", Role.BANK_ADMIN, "authority"),
]
_PRACTICAL_STATIONS = ["1.2", "1.2", "1.2", "1.2", "1.1", "1.1", "2.1", "2.1"]
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = ["建国", "秀英", "伟", "芳", "志强", "丽", "海涛", "静", "国庆", "桂兰", "小军", "红梅", "永明", "燕", "德华",
          "玉兰", "文斌", "晓燕", "振东", "春梅"]
_REGIONS = ["110105", "110108", "130102", "370203", "410105", "510104", "440305", "320106"]
_EDUCATION = [Education.JUNIOR_MIDDLE, Education.SENIOR_HIGH, Education.JUNIOR_MIDDLE, Education.JUNIOR_COLLEGE,
              Education.SENIOR_HIGH, Education.BACHELOR, Education.PRIMARY, Education.SENIOR_HIGH]
_PHOTOS = ["obama_1.jpg", "biden_1.jpg", "lin_manuel_miranda_1.png"]
CANDIDATES = 40
CONTENT_DIR = Path(question_bank.__file__).resolve().parent / "content"


@dataclass
class SeedResult:
    created: int = 0
    logins: list[tuple[str, str]] = field(default_factory=list)


def demo_candidate(index: int) -> dict:
    """The index-th demo candidate: deterministic, with a valid ID number."""
    sex_male = index % 3 != 1
    birth = date(1968, 3, 1) + timedelta(days=index * 331)
    sequence = 100 + index * 2 + (1 if sex_male else 0)
    return {
        "id_number": make_id_number(_REGIONS[index % len(_REGIONS)], birth, sequence),
        # _GIVEN alternates men's and women's names.
        "name": _SURNAMES[index % len(_SURNAMES)] + _GIVEN[(index * 6 + (0 if sex_male else 1)) % len(_GIVEN)],
        "education": _EDUCATION[index % len(_EDUCATION)].value,
        "phone": f"139{index:04d}{(index * 7919) % 10000:04d}",
        "employer": ["示范电力工程有限公司", "示范化工股份有限公司", "示范建设集团", None][index % 4],
    }


def seed_demo(session: Session, store: EvidenceStore, *, faces_dir: Path, today: date) -> SeedResult:
    result = SeedResult()
    result.created += sum(sync_catalogue(session, ACTOR).values())
    orgs = {key: _organisation(session, result, kind, name, body, region)
            for key, kind, name, body, region in _ORGANISATIONS}
    _rooms(session, result, orgs["centre"])
    for username, display, role, org_key in _STAFF:
        if not session.scalar(sa.select(StaffUser.id).where(StaffUser.username == username)):
            create_staff_user(session, ACTOR, username=username, display_name=display, password=DEMO_PASSWORD,
                              role=role, organisation_id=orgs[org_key].id)
            result.created += 1
        if role.value not in {r for r, _u in result.logins}:
            result.logins.append((role.value, username))
    for kind, name in ((DeviceKind.HALL_AGENT, "理论考场一入口"), (DeviceKind.KIOSK, "自助发证机一号"),
                       (DeviceKind.PRACTICAL_AGENT, "实操考场一代理")):
        if not session.scalar(sa.select(Device.id).where(Device.name == name)):
            register_device(session, ACTOR, kind=kind, name=name, organisation_id=orgs["centre"].id)
            result.created += 1
    for index in range(CANDIDATES):
        values = demo_candidate(index)
        person = session.scalar(sa.select(Person).where(Person.id_number == values["id_number"]))
        if person is None:
            person = register_person(session, ACTOR, **values)
            result.created += 1
        if index < len(_PHOTOS) and person.photo_sha256 is None and (faces_dir / _PHOTOS[index]).exists():
            set_person_photo(session, ACTOR, store, person.id, (faces_dir / _PHOTOS[index]).read_bytes())
            result.created += 1
    result.created += seed_bank(session, today)
    result.created += seed_exam_path(session, today, [demo_candidate(n) for n in range(CANDIDATES)])
    return result


def seed_bank(session: Session, today: date) -> int:
    """The starting bank written by the team: imported by one bank administrator, approved by another
    (four-eyes), and a default blueprint per operation item that has exam items."""
    author, reviewer = (session.scalar(sa.select(StaffUser).where(StaffUser.username == name))
                        for name in ("bankadmin", "bankreviewer"))
    as_author = Actor("staff", str(author.id), author.username)
    as_reviewer = Actor("staff", str(reviewer.id), reviewer.username)
    created = 0
    for path in sorted(CONTENT_DIR.glob("*.json")):
        created += len(import_items(session, as_author, path.read_bytes(), path.name).created)
    waiting = session.scalars(sa.select(ItemVersion.id).where(ItemVersion.status == ItemStatus.IN_REVIEW,
                                                              ItemVersion.author_id == author.id)).all()
    for version_id in waiting:
        review(session, as_reviewer, version_id, approve=True, note="示范题库初审通过")
    codes = session.scalars(sa.select(BankItem.operation_item_code).where(BankItem.use == Use.EXAM).distinct())
    for code in sorted(codes):
        if not session.scalar(sa.select(Blueprint.id).where(Blueprint.operation_item_code == code)):
            ensure_default_blueprint(session, ACTOR, code, today)
            created += 1
    return created


def _organisation(session: Session, result: SeedResult, kind, name, body, region) -> Organisation:
    code = make_credit_code(body)
    org = session.scalar(sa.select(Organisation).where(Organisation.credit_code == code))
    if org is None:
        org = create_organisation(session, ACTOR, kind=kind, name=name, credit_code=code, region_code=region,
                                  address="示范市示范路 1 号", contact_phone="010-12345678")
        result.created += 1
    return org


def _rooms(session: Session, result: SeedResult, centre: Organisation) -> None:
    for name, kind, places in (
        ("理论考场一", RoomKind.THEORY, [(f"{n:02d}", None) for n in range(1, 31)]),
        ("实操考场一", RoomKind.PRACTICAL, [(f"S{n}", code) for n, code in enumerate(_PRACTICAL_STATIONS, start=1)]),
    ):
        room = session.scalar(sa.select(ExamRoom).where(ExamRoom.centre_id == centre.id, ExamRoom.name == name))
        if room is None:
            room = create_room(session, ACTOR, centre_id=centre.id, name=name, kind=kind)
            result.created += 1
        result.created += add_places(session, ACTOR, room, places)
