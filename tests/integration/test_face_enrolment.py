"""The enrolment gate for registered photos: single upload on the person page and bulk ZIP import, on the
shared real photos; templates stored server-side, never in the audit trail, pages only for the registrars."""
from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile

import cv2
import numpy as np
import pytest
import sqlalchemy as sa
from conftest import FACES, SYSTEM, csrf_token

from devices.face import DlibFaceEngine, QualityRules
from exam_center.db import read_only
from exam_center.domain.errors import ValidationError
from exam_center.domain.idcard import make_id_number
from exam_center.models import AuditEvent, FaceTemplate, Person, Role
from exam_center.services import faces
from exam_center.services.people import register_person, set_person_photo

IDS = [make_id_number("110105", dt.date(1990, 1, 1), n) for n in range(1, 5)]
IMPORT = "/centre/faces/import"


@pytest.fixture(scope="module")
def engine():
    return DlibFaceEngine()


@pytest.fixture
def people(db):
    with db.transaction() as s:
        return [register_person(s, SYSTEM, id_number=number, name="考生" + "甲乙丙丁"[n], education="senior_high",
                                phone="13800138000").id for n, number in enumerate(IDS)]


@pytest.fixture
def registrar(login_as):
    client = login_as(Role.EXAM_ADMIN)
    client.token = csrf_token(client, "/centre/people/")
    return client


def photo(name: str) -> bytes:
    return (FACES / name).read_bytes()


def png(image: np.ndarray) -> bytes:
    return cv2.imencode(".png", image)[1].tobytes()


def template_rows(db) -> dict[int, FaceTemplate]:
    with read_only(), db.sessions() as s:
        return {t.person_id: t for t in s.scalars(sa.select(FaceTemplate))}


def upload(client, person_id: int, data: bytes, filename: str = "photo.jpg"):
    return client.post(f"/centre/people/{person_id}", data={"csrf_token": client.token,
                                                            "photo": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def test_a_good_photo_is_enrolled_with_its_template(registrar, db, people):
    response = upload(registrar, people[0], photo("obama_1.jpg"))
    assert response.status_code == 302
    row = template_rows(db)[people[0]]
    assert len(row.template) == 1024 and row.face_width >= 80
    with read_only(), db.sessions() as s:
        person = s.get(Person, people[0])
        assert row.photo_sha256 == person.photo_sha256
        events = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "face.template_set")).all()
    assert len(events) == 1 and "template" not in events[0].after
    # The template never reaches the audit trail, in any form.
    assert row.template.hex()[:32] not in json.dumps(events[0].after)


@pytest.mark.parametrize("name,code", [("two_people.jpg", "several_faces"), ("obama_partial_face.jpg", "cut_off")])
def test_the_partial_face_and_the_two_person_photo_are_refused(engine, name, code, registrar, db, people):
    with pytest.raises(ValidationError) as refused:
        faces.analyse_photo(engine, QualityRules(), photo(name))
    assert refused.value.code == f"photo.face.{code}"
    response = upload(registrar, people[0], photo(name))
    assert response.status_code == 400
    assert 'data-field="photo"' in response.get_data(as_text=True)
    with read_only(), db.sessions() as s:
        assert s.get(Person, people[0]).photo_path is None
    assert template_rows(db) == {}


def test_bad_photos_are_refused_with_the_reason(engine):
    sharp = cv2.imread(str(FACES / "obama_1.jpg"))
    cases = {
        "photo.face.no_face": png(np.full((480, 640, 3), 128, np.uint8)),
        "photo.face.blurred": png(cv2.GaussianBlur(sharp, (0, 0), 6)),
        "photo.face.too_dark": png((sharp * 0.15).astype(np.uint8)),
        "photo.face.too_small": png(cv2.resize(sharp, None, fx=0.3, fy=0.3, interpolation=cv2.INTER_AREA)),
        "photo.format": b"%PDF-1.4 not a photo",
        "photo.empty": b"",
    }
    rules = QualityRules(min_face_width=100)  # the downscaled face (~77 px) is found, and too small
    for code, data in cases.items():
        with pytest.raises(ValidationError) as refused:
            faces.analyse_photo(engine, rules, data)
        assert refused.value.code == code


def test_a_photo_set_elsewhere_gets_its_template_on_first_use(engine, db, tmp_path, people, app):
    store = app.extensions["exam_center.evidence"]
    with db.transaction() as s:
        person = set_person_photo(s, SYSTEM, store, people[1], photo("biden_1.jpg"))
        first = faces.current_template(s, SYSTEM, store, engine, QualityRules(), person)
    with db.transaction() as s:
        again = faces.current_template(s, SYSTEM, store, engine, QualityRules(), s.get(Person, people[1]))
        assert faces.current_template(s, SYSTEM, store, engine, QualityRules(), s.get(Person, people[2])) is None
    assert np.array_equal(first, again)
    assert DlibFaceEngine.compare(first, faces.analyse_photo(engine, QualityRules(), photo("biden_2.jpg")).template) < 0.42


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def corrupt(archive: bytes, name: str) -> bytes:
    """Flip bytes inside one entry's compressed data, so only that entry fails its CRC."""
    info = zipfile.ZipFile(io.BytesIO(archive)).getinfo(name)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 20
    data = bytearray(archive)
    for offset in range(start, start + 16):
        data[offset] ^= 0xFF
    return bytes(data)


def post_zip(client, data: bytes):
    return client.post(IMPORT, data={"csrf_token": client.token, "archive": (io.BytesIO(data), "photos.zip")},
                       content_type="multipart/form-data")


def report(response) -> list[tuple[str, str]]:
    rows = re.findall(r'<tr class="(ok|refused)">\s*<td><code>([^<]+)</code>', response.get_data(as_text=True))
    return [(name, status) for status, name in rows]


def test_bulk_import_enrols_the_good_photos_and_reports_every_file(registrar, db, people):
    archive = zip_of({
        f"{IDS[0]}.jpg": photo("obama_1.jpg"),
        f"照片/{IDS[1]}.jpg": photo("two_people.jpg"),
        f"{IDS[2]}.png": photo("lin_manuel_miranda_1.png"),
        f"{IDS[3]}.jpg": photo("biden_2.jpg"),
        "110105199001019999.jpg": photo("biden_1.jpg"),     # bad check digit
        f"{make_id_number('110105', dt.date(1980, 5, 5), 9)}.jpg": photo("biden_1.jpg"),  # nobody
        "readme.txt": b"hello",
        "__MACOSX/._x.jpg": b"junk",
    })
    archive = corrupt(archive, f"{IDS[3]}.jpg")
    response = post_zip(registrar, archive)
    assert response.status_code == 200
    rows = dict(report(response))
    assert rows.pop(f"{IDS[0]}.jpg") == "ok" and rows.pop(f"{IDS[2]}.png") == "ok"
    assert set(rows.values()) == {"refused"} and len(rows) == 5
    assert set(template_rows(db)) == {people[0], people[2]}
    with read_only(), db.sessions() as s:
        assert s.get(Person, people[1]).photo_path is None and s.get(Person, people[3]).photo_path is None
        bulk = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "face.bulk_enrol")).one()
    assert bulk.after == {"files": 7, "enrolled": 2}


def test_bulk_import_refuses_a_file_that_is_not_a_zip(registrar, db, people):
    response = post_zip(registrar, b"PK\x03\x04 but not really a zip")
    assert response.status_code == 400
    assert template_rows(db) == {}


def test_only_registrars_reach_the_import_page(client, login_as):
    assert client.get(IMPORT).status_code == 302  # to the login page
    assert login_as(Role.INSTITUTION_STAFF).get(IMPORT).status_code == 403


def test_a_missing_face_model_is_a_clear_refusal_not_a_crash(registrar, app, people, tmp_path):
    app.extensions["exam_center.settings"] = type(app.extensions["exam_center.settings"])(
        **{**vars(app.extensions["exam_center.settings"]),
           "face": faces.FaceSettings(model_dir=tmp_path)})
    response = upload(registrar, people[0], photo("obama_1.jpg"))
    assert response.status_code == 400
    assert "face model files missing" in response.get_data(as_text=True)
