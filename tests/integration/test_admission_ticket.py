"""Admission tickets (准考证) as PDF: what a person sees on paper, and who may print whose ticket.

Checked as a reader would: the font is embedded, the page rasterised by poppler is not blank, the QR code
on the raster decodes (OpenCV) to exactly the ticket number, and the text layer holds the candidate's data.
"""
from __future__ import annotations

import dataclasses
import shutil
import subprocess
from datetime import UTC, date, datetime

import cv2
import pytest

from exam_center.domain.credit_code import make_credit_code
from exam_center.domain.idcard import make_id_number, mask_id_number
from exam_center.models import (ApplicationKind, ApplicationStatus, ExamApplication, ExamPart, ExamRoom, ExamSession,
                                OrganisationKind, Role, RoomKind, Seat, SessionCandidate, SessionStatus)
from exam_center.reports import admission_ticket
from exam_center.reports.admission_ticket import TicketData, TicketFontMissing, render_ticket, render_tickets
from exam_center.services.organisations import create_organisation
from exam_center.services.people import register_person, set_person_photo
from exam_center.services.staff import create_staff_user

from conftest import FACES, PASSWORD, SYSTEM, login

pytestmark = pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils missing: run scripts/setup")

# 23:30 UTC on 19 May is 07:30 on Wednesday 20 May in Asia/Shanghai: the date and the hour both shift.
STARTS_AT = datetime(2026, 5, 19, 23, 30, tzinfo=UTC)
LOCAL_START = "2026年5月20日（星期三）07:30"
OWN_ID = make_id_number("110105", date(1990, 3, 4), 13)       # odd: male
OTHER_ID = make_id_number("310101", date(1985, 11, 30), 28)   # even: female


@dataclasses.dataclass
class Fixture:
    session_id: int
    empty_session_id: int
    own: int                 # candidate of the world's institution, with a registered photo (seat A02)
    other: int               # candidate of another institution, no photo (seat A01)
    own_ticket: str = "KZ20260520001"
    other_ticket: str = "KZ20260520002"


@pytest.fixture
def data(db, app, world) -> Fixture:
    store = app.extensions["exam_center.evidence"]
    centre_id = world.organisations[OrganisationKind.EXAM_CENTRE]
    institution_id = world.organisations[OrganisationKind.TRAINING_INSTITUTION]
    with db.transaction() as s:
        other_institution = create_organisation(
            s, SYSTEM, kind=OrganisationKind.TRAINING_INSTITUTION, name="另一培训学校",
            credit_code=make_credit_code("12110109MB0000009"), region_code="310101")
        room = ExamRoom(centre_id=centre_id, name="第一理论考场", kind=RoomKind.THEORY)
        s.add(room)
        s.flush()
        seats = {label: Seat(room_id=room.id, label=label) for label in ("A01", "A02", "A03")}
        s.add_all(seats.values())

        def exam_session(**extra):
            row = ExamSession(centre_id=centre_id, room_id=room.id, part=ExamPart.THEORY, operation_item_code="1.1",
                              starts_at=STARTS_AT, duration_minutes=90, capacity=3, status=SessionStatus.OPEN,
                              **extra)
            s.add(row)
            return row
        exam, empty = exam_session(), exam_session()
        s.flush()

        def candidate(id_number, name, institution, seat, ticket, photo=None):
            person = register_person(s, SYSTEM, id_number=id_number, name=name, education="junior_middle",
                                     phone="13800138000")
            if photo:
                set_person_photo(s, SYSTEM, store, person.id, photo)
            application = ExamApplication(
                person_id=person.id, operation_item_code="1.1", kind=ApplicationKind.INITIAL, part=ExamPart.THEORY,
                institution_id=institution, health_declared=True, filed_on=date(2026, 4, 1),
                exam_deadline=date(2026, 5, 31), status=ApplicationStatus.SCHEDULED, gate=[], rule_set="test")
            s.add(application)
            s.flush()
            row = SessionCandidate(session_id=exam.id, application_id=application.id, seat_id=seats[seat].id,
                                   ticket_number=ticket)
            s.add(row)
            s.flush()
            return row.id
        own = candidate(OWN_ID, "欧阳明华", institution_id, "A02", Fixture.own_ticket,
                        photo=(FACES / "obama_1.jpg").read_bytes())
        other = candidate(OTHER_ID, "李娜", other_institution.id, "A01", Fixture.other_ticket)
        return Fixture(exam.id, empty.id, own, other)


def _client(app, world, role: Role):
    client = app.test_client()
    assert login(client, world.usernames[role]).status_code == 302
    return client


def _pdf(response, tmp_path, name="ticket"):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert "no-store" in response.headers["Cache-Control"]
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(response.data)
    return path


def _run(*args) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=30).stdout


def _fonts(path) -> list[list[str]]:
    """pdffonts rows: name, type…, emb, sub, uni, object, generation (name and type have no spaces here)."""
    return [line.split() for line in _run("pdffonts", str(path)).splitlines()[2:]]


def _page_images(path, tmp_path) -> list:
    """Each page rasterised at 100 dpi, as a grey image."""
    prefix = tmp_path / path.stem
    _run("pdftoppm", "-png", "-r", "100", str(path), str(prefix))
    files = sorted(tmp_path.glob(f"{path.stem}-*.png"))
    return [cv2.imread(str(f), cv2.IMREAD_GRAYSCALE) for f in files]


def _dark_share(image) -> float:
    return float((image < 128).mean())


def _qr(image) -> str:
    text, _points, _straight = cv2.QRCodeDetector().detectAndDecode(image)
    return text


def _text(path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return _run("pdftotext", "-layout", *pages, str(path), "-")


def _image_count(path) -> int:
    return len(_run("pdfimages", "-list", str(path)).splitlines()[2:])


def test_exam_admin_gets_a_readable_ticket_with_font_photo_and_qr(app, world, data, tmp_path):
    client = _client(app, world, Role.EXAM_ADMIN)
    path = _pdf(client.get(f"/centre/tickets/{data.own}.pdf"), tmp_path)

    fonts = _fonts(path)
    assert fonts, "no font in the PDF"
    assert all(row[-5] == "yes" for row in fonts), fonts  # every font embedded, no Helvetica fallback
    assert any("WenQuanYi" in row[0] for row in fonts)
    assert "Pages:           1" in _run("pdfinfo", str(path))

    [page] = _page_images(path, tmp_path)
    assert page.shape[0] > page.shape[1]  # portrait
    assert _dark_share(page) > 0.03, "the page is (nearly) blank"
    assert _qr(page) == data.own_ticket

    text = _text(path)
    for expected in ("特种作业操作证考试准考证", "考生须知", "30 分钟", "身份证", data.own_ticket, "欧阳明华", "男",
                     mask_id_number(OWN_ID), "1.1", "高压电工作业", "理论考试", LOCAL_START, "90 分钟", "测试考点",
                     "第一理论考场", "座位号", "A02"):
        assert expected in text, expected
    assert OWN_ID not in text  # only the masked number is printed
    assert "无照片" not in text
    assert _image_count(path) == 1  # the registered photo


def test_ticket_without_photo_shows_the_placeholder(app, world, data, tmp_path):
    client = _client(app, world, Role.EXAM_ADMIN)
    path = _pdf(client.get(f"/centre/tickets/{data.other}.pdf"), tmp_path)
    [page] = _page_images(path, tmp_path)
    assert _dark_share(page) > 0.02
    assert _qr(page) == data.other_ticket
    text = _text(path)
    assert "无照片" in text and "李娜" in text and "女" in text
    assert mask_id_number(OTHER_ID) in text
    assert _image_count(path) == 0


def test_session_tickets_have_one_page_per_candidate_in_seat_order(app, world, data, tmp_path):
    client = _client(app, world, Role.EXAM_ADMIN)
    path = _pdf(client.get(f"/centre/sessions/{data.session_id}/tickets.pdf"), tmp_path, "session")
    pages = _page_images(path, tmp_path)
    assert len(pages) == 2
    assert [_qr(page) for page in pages] == [data.other_ticket, data.own_ticket]  # A01, then A02
    assert "A01" in _text(path, 1) and "李娜" in _text(path, 1)
    assert "A02" in _text(path, 2) and "欧阳明华" in _text(path, 2)


def test_session_without_candidates_or_unknown_is_not_found(app, world, data):
    client = _client(app, world, Role.EXAM_ADMIN)
    response = client.get(f"/centre/sessions/{data.empty_session_id}/tickets.pdf")
    assert response.status_code == 404
    assert "no scheduled candidates" in response.get_data(as_text=True) or \
        "没有" in response.get_data(as_text=True)
    assert client.get(f"/centre/sessions/{data.session_id + 100}/tickets.pdf").status_code == 404
    assert client.get(f"/centre/tickets/{data.other + 100}.pdf").status_code == 404


def test_withdrawn_application_has_no_ticket(app, world, data, db, tmp_path):
    with db.transaction() as s:
        candidate = s.get(SessionCandidate, data.other)
        candidate.application.status = ApplicationStatus.WITHDRAWN
    client = _client(app, world, Role.EXAM_ADMIN)
    assert client.get(f"/centre/tickets/{data.other}.pdf").status_code == 404
    path = _pdf(client.get(f"/centre/sessions/{data.session_id}/tickets.pdf"), tmp_path)
    assert [_qr(page) for page in _page_images(path, tmp_path)] == [data.own_ticket]


def test_exam_admin_of_another_centre_gets_not_found(app, world, data, db):
    with db.transaction() as s:
        centre = create_organisation(s, SYSTEM, kind=OrganisationKind.EXAM_CENTRE, name="另一考点",
                                     credit_code=make_credit_code("12110108MB0000008"), region_code="310101")
        create_staff_user(s, SYSTEM, username="t_other_admin", display_name="另一考务", password=PASSWORD,
                          role=Role.EXAM_ADMIN, organisation_id=centre.id)
    client = app.test_client()
    assert login(client, "t_other_admin").status_code == 302
    assert client.get(f"/centre/tickets/{data.own}.pdf").status_code == 404
    assert client.get(f"/centre/sessions/{data.session_id}/tickets.pdf").status_code == 404


def test_institution_staff_print_only_their_own_candidates(app, world, data, tmp_path):
    client = _client(app, world, Role.INSTITUTION_STAFF)
    path = _pdf(client.get(f"/institution/tickets/{data.own}.pdf"), tmp_path)
    [page] = _page_images(path, tmp_path)
    assert _qr(page) == data.own_ticket
    assert client.get(f"/institution/tickets/{data.other}.pdf").status_code == 404
    assert client.get(f"/institution/tickets/{data.other + 100}.pdf").status_code == 404


def test_other_roles_are_refused(app, world, data):
    routes = {f"/centre/sessions/{data.session_id}/tickets.pdf": Role.EXAM_ADMIN,
              f"/centre/tickets/{data.own}.pdf": Role.EXAM_ADMIN,
              f"/institution/tickets/{data.own}.pdf": Role.INSTITUTION_STAFF}
    for role in Role:
        client = _client(app, world, role)
        for path, allowed in routes.items():
            status = client.get(path).status_code
            assert status == (200 if role is allowed else 403), (role, path, status)
    anonymous = app.test_client().get(f"/centre/tickets/{data.own}.pdf")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_missing_font_gives_a_clear_error(app, world, data, monkeypatch, tmp_path):
    monkeypatch.setattr(admission_ticket, "FONT_NAME", "TicketFontForTestOnly")
    monkeypatch.setenv(admission_ticket.FONT_ENV, str(tmp_path / "no-such-font.ttc"))
    with pytest.raises(TicketFontMissing, match="no-such-font.ttc"):
        admission_ticket.register_font()
    client = _client(app, world, Role.EXAM_ADMIN)
    response = client.get(f"/centre/tickets/{data.own}.pdf")
    assert response.status_code == 503
    assert "scripts/setup" in response.get_data(as_text=True)


def _sample(**changes) -> TicketData:
    values = {"ticket_number": "KZ1", "name": "张三", "id_number_masked": "110105********0012", "sex": "男",
              "operation_item_code": "1.1", "operation_item_name": "高压电工作业", "part": "实操",
              "starts_at": LOCAL_START, "duration_minutes": 30, "centre_name": "测试考点", "hall_name": "实操考场",
              "place_heading": "工位号", "place": None}
    values.update(changes)
    return TicketData(**values)


def test_render_refuses_bad_data_and_prints_unassigned_places(tmp_path):
    with pytest.raises(ValueError):
        _sample(ticket_number=" ")
    with pytest.raises(ValueError):
        _sample(duration_minutes=0)
    with pytest.raises(ValueError):
        render_tickets([])
    # A station not yet assigned and an unreadable photo still give a complete ticket.
    path = tmp_path / "t.pdf"
    path.write_bytes(render_ticket(_sample(photo=b"not an image")))
    text = _text(path)
    assert "工位号" in text and "待分配" in text and "无照片" in text and "实操考试" in text
    [page] = _page_images(path, tmp_path)
    assert _qr(page) == "KZ1"



def test_pages_lead_to_the_tickets(app, world, db, data):
    """Someone new finds the PDFs: from the session page, the roster and the institution's application page."""
    admin = _client(app, world, Role.EXAM_ADMIN)
    session_page = admin.get(f"/centre/sessions/{data.session_id}").get_data(as_text=True)
    assert f"/centre/tickets/{data.own}.pdf" in session_page and f"/centre/tickets/{data.other}.pdf" in session_page
    assert f"/centre/sessions/{data.session_id}/tickets.pdf" in admin.get(
        f"/centre/sessions/{data.session_id}/roster").get_data(as_text=True)
    with db.sessions() as s:
        application_id = s.get(SessionCandidate, data.own).application_id
    staff = _client(app, world, Role.INSTITUTION_STAFF)
    page = staff.get(f"/institution/applications/{application_id}").get_data(as_text=True)
    assert f"/institution/tickets/{data.own}.pdf" in page
