"""The question bank through the web, as bank administrators (题库管理员): real HTTP, real database.

Covers the item form (bad input refused with Chinese messages, nothing stored), four-eyes review,
versions, import (xlsx / GBK CSV / JSON, all or nothing, duplicates), templates, export (audited),
blueprints with preview against the bank, and item statistics.

Messages are checked against the application's own catalog (``zh``): the page must show the message
as translated for zh_CN, and that text must really be Chinese (``assert_chinese``).
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import html
import io
import json
import re

import openpyxl
import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext
from markupsafe import escape

from exam_center.db import read_only
from exam_center.models import (AuditEvent, BankItem, Blueprint, ItemVersion, OrganisationKind, Paper, Role,
                                ScoredResponse, StaffUser)
from exam_center.services import bank_items, item_stats
from exam_center.services.audit import Actor
from exam_center.services.blueprints import ensure_default_blueprint
from exam_center.services.staff import create_staff_user
from question_bank.importing import COLUMNS, FORMAT
from question_bank.items import CognitiveLevel, ItemStatus, ItemType, Scope, Use, build_content
from question_bank.statistics import NEGATIVE_DISCRIMINATION

from conftest import PASSWORD, SYSTEM, csrf_token, login

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SECOND_ADMIN = "t_bank_admin2"

# --- Chinese messages -------------------------------------------------------------------------------

HAN = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_SENTENCE = re.compile(r"[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}")


def assert_chinese(text: str) -> None:
    """Chinese, not an English msgid that the catalog failed to translate."""
    assert HAN.search(text) and not ENGLISH_SENTENCE.search(text), f"not Chinese: {text!r}"


def zh(app, msgid: str, **params) -> str:
    """The message as the zh_CN page shows it."""
    with app.test_request_context(), force_locale("zh_CN"):
        translated = gettext(msgid)
    return translated % params if params else translated


def shows(response, message: str) -> bool:
    return str(escape(message)) in text(response)


# --- page helpers -----------------------------------------------------------------------------------


def text(response) -> str:
    return response.get_data(as_text=True)


def field_errors(response) -> dict[str, list[str]]:
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


def table_rows(fragment: str) -> list[list[str]]:
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", fragment, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows.append([html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return [r for r in rows if r]


# --- data helpers -----------------------------------------------------------------------------------


@contextlib.contextmanager
def reading(db):
    """A read-only session (on SQLite it takes no write lock, so reads may nest)."""
    with read_only(), db.sessions() as session:
        yield session


def counts(db) -> tuple[int, int]:
    with reading(db) as s:
        return s.scalar(sa.select(sa.func.count(BankItem.id))), s.scalar(sa.select(sa.func.count(ItemVersion.id)))


def versions_of(db, item_id: int) -> list[tuple[int, ItemStatus, str, str | None]]:
    with reading(db) as s:
        return [(v.number, v.status, v.stem, v.review_note) for v in
                s.scalars(sa.select(ItemVersion).where(ItemVersion.item_id == item_id).order_by(ItemVersion.number))]


def audit(db, action: str) -> list[AuditEvent]:
    with reading(db) as s:
        rows = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()
        s.expunge_all()
        return rows


def staff_id(db, username: str) -> int:
    with reading(db) as s:
        return s.scalar(sa.select(StaffUser.id).where(StaffUser.username == username))


def content(stem: str, *, type=ItemType.SINGLE, options=("甲", "乙", "丙", "丁"), answer="A",
            level=CognitiveLevel.MASTER, difficulty=3, knowledge_point="安全用电"):
    built, problems = build_content(type=type, stem=stem, options=list(options) if type is not ItemType.JUDGE else [],
                                    answer=answer, explanation="解析：" + stem, knowledge_point=knowledge_point,
                                    cognitive_level=level, difficulty=difficulty)
    assert built is not None, problems
    return built


def add_item(s, stem: str, *, status=ItemStatus.ACTIVE, use=Use.EXAM, operation_item="1.2", actor: Actor = SYSTEM,
             **kwargs) -> ItemVersion:
    return bank_items.create_item(s, actor, operation_item=operation_item, scope=Scope.NATIONAL, use=use,
                                  province_code=None, content=content(stem, **kwargs), status=status)


def second_admin(app, db, world):
    """A second bank administrator (four-eyes review), signed in on a client of its own."""
    with db.transaction() as s:
        create_staff_user(s, SYSTEM, username=SECOND_ADMIN, display_name="复核员乙", password=PASSWORD,
                          role=Role.BANK_ADMIN, organisation_id=world.organisations[OrganisationKind.EXAM_CENTRE])
    client = app.test_client()
    assert login(client, SECOND_ADMIN).status_code == 302
    return client


@pytest.fixture
def admin(login_as):
    return login_as(Role.BANK_ADMIN)


def item_fields(token: str, **overrides) -> dict:
    fields = {"csrf_token": token, "operation_item": "1.2", "scope": "national", "province_code": "", "use": "exam",
              "type": "single", "stem": "在低压线路上停电检修时，应在开关操作手柄上悬挂什么标示牌？",
              "option_A": "禁止合闸，有人工作！", "option_B": "止步，高压危险！", "option_C": "在此工作！",
              "option_D": "从此上下！", "option_E": "", "option_F": "", "answer": "A",
              "explanation": "一经合闸即可送电到工作地点的开关操作手柄上，应悬挂“禁止合闸，有人工作！”。",
              "knowledge_point": "安全标示牌", "cognitive_level": "proficient", "difficulty": "2",
              "source": "低压电工作业安全技术培训大纲"}
    fields.update(overrides)
    return fields


def create_via_web(client, **overrides) -> int:
    response = client.post("/bank/items/new", data=item_fields(csrf_token(client, "/bank/items/new"), **overrides))
    assert response.status_code == 302, text(response)
    match = re.fullmatch(r"/bank/items/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def version_ids(db, item_id: int) -> dict[int, int]:
    with reading(db) as s:
        return {n: vid for n, vid in s.execute(sa.select(ItemVersion.number, ItemVersion.id)
                                                 .where(ItemVersion.item_id == item_id))}


# --- the item form ----------------------------------------------------------------------------------

MSG_REQUIRED = "This field is required."
MSG_NOT_AN_OPTION = "The answer %(letters)s is not among the options (there are %(count)s)."
MSG_DUPLICATE_OPTIONS = "Options %(letters)s say the same thing."
MSG_SINGLE = "A single-choice item has exactly one correct option."


@pytest.mark.parametrize("overrides, field, msgid, params", [
    pytest.param({"stem": "   "}, "stem", MSG_REQUIRED, {}, id="empty-stem"),
    pytest.param({"answer": "E"}, "answer", MSG_NOT_AN_OPTION, {"letters": "E", "count": 4},
                 id="answer-not-an-option"),
    pytest.param({"option_C": " 禁止合闸，有人工作 "}, None, MSG_DUPLICATE_OPTIONS, {"letters": "A、C"},
                 id="duplicate-options"),
    pytest.param({"answer": "AB"}, "answer", MSG_SINGLE, {}, id="single-with-two-answers"),
    pytest.param({"difficulty": "9"}, "difficulty", None, {}, id="forged-difficulty"),
    pytest.param({"use": "both"}, "use", None, {}, id="forged-use"),
    pytest.param({"operation_item": "99.9"}, "operation_item", "There is no special-operation item %(item_code)s.",
                 {"item_code": "99.9"}, id="unknown-operation-item"),
    pytest.param({"scope": "provincial", "province_code": ""}, "province_code",
                 "A provincial item needs its 2-digit province code.", {}, id="provincial-without-province"),
    pytest.param({"scope": "provincial", "province_code": "99"}, "province_code", None, {},
                 id="provincial-with-unknown-province"),
])
def test_new_item_refuses_bad_input(app, db, admin, overrides, field, msgid, params):
    before = counts(db)
    fields = item_fields(csrf_token(admin, "/bank/items/new"), **overrides)
    response = admin.post("/bank/items/new", data=fields)
    assert response.status_code == 400
    assert counts(db) == before == (0, 0)
    assert audit(db, "bank.item_create") == []
    # What was typed stays in the form.
    assert input_value(response, "option_A") == fields["option_A"]
    if field is None:  # not a field of the form: shown above it
        shown = flashes(response)
    else:
        shown = field_errors(response).get(field, [])
    assert len(shown) == 1, (field_errors(response), flashes(response))
    if msgid is not None:
        assert shown[0] == zh(app, msgid, **params)
    assert_chinese(shown[0])


def test_new_single_choice_item_is_saved_as_draft(app, db, world, admin):
    response = admin.post("/bank/items/new", data=item_fields(csrf_token(admin, "/bank/items/new")))
    assert response.status_code == 302
    item_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert counts(db) == (1, 1)
    with reading(db) as s:
        item = s.get(BankItem, item_id)
        assert (item.operation_item_code, item.use, item.scope) == ("1.2", Use.EXAM, Scope.NATIONAL)
        version = item.versions[0]
        assert (version.number, version.status, version.type) == (1, ItemStatus.DRAFT, ItemType.SINGLE)
        assert version.options == ["禁止合闸，有人工作！", "止步，高压危险！", "在此工作！", "从此上下！"]
        assert version.answer == [0] and version.difficulty == 2
        assert version.cognitive_level is CognitiveLevel.PROFICIENT
        assert version.author_id == staff_id(db, world.usernames[Role.BANK_ADMIN])
    [event] = audit(db, "bank.item_create")
    assert event.object_id == str(item_id) and event.actor_label == world.usernames[Role.BANK_ADMIN]
    page = admin.get(f"/bank/items/{item_id}")
    assert page.status_code == 200
    assert flashes(page, "success") == [zh(app, "Item %(id)s saved.", id=item_id)]
    assert_chinese(flashes(page, "success")[0])
    assert "在低压线路上停电检修时" in text(page)
    assert f'action="/bank/versions/{version.id}/submit"' in text(page)  # a draft can be submitted


def test_submit_for_review_now(db, admin):
    item_id = create_via_web(admin, submit_now="y")
    [(number, status, _stem, _note)] = versions_of(db, item_id)
    assert (number, status) == (1, ItemStatus.IN_REVIEW)
    assert [e.object_id for e in audit(db, "bank.item_submit")] == [str(item_id)]


def test_duplicate_question_is_refused(db, admin):
    create_via_web(admin)
    fields = item_fields(csrf_token(admin, "/bank/items/new"), stem="在低压线路上停电检修时,应在开关操作手柄上悬挂什么标示牌?")
    response = admin.post("/bank/items/new", data=fields)  # same stem but for punctuation
    assert response.status_code == 400
    assert field_errors(response).get("stem")
    assert counts(db) == (1, 1)


# --- four-eyes review -------------------------------------------------------------------------------

MSG_FOUR_EYES = "A second person must review an item: its author cannot approve or reject it."
MSG_NOTE = "Say why the item is sent back."


def test_author_cannot_review_own_version(app, db, admin):
    item_id = create_via_web(admin, submit_now="y")
    version_id = version_ids(db, item_id)[1]
    page = admin.get(f"/bank/items/{item_id}")
    assert page.status_code == 200
    assert f"/bank/versions/{version_id}/review" not in text(page)  # no approve form for the author
    for decision, note in (("approve", ""), ("reject", "我自己退回")):
        response = admin.post(f"/bank/versions/{version_id}/review",
                              data={"csrf_token": csrf_token(admin, f"/bank/items/{item_id}"), "decision": decision,
                                    "note": note})
        assert response.status_code == 302 and response.headers["Location"] == f"/bank/items/{item_id}"
        assert [s for _n, s, _t, _r in versions_of(db, item_id)] == [ItemStatus.IN_REVIEW]
        shown = flashes(admin.get(response.headers["Location"]))
        assert set(shown) == {zh(app, MSG_FOUR_EYES)}  # shown once: see the test below
        assert_chinese(shown[0])
    assert audit(db, "bank.item_approve") == [] and audit(db, "bank.item_reject") == []


def test_refusal_is_flashed_once(app, db, admin):
    item_id = create_via_web(admin, submit_now="y")
    version_id = version_ids(db, item_id)[1]
    response = admin.post(f"/bank/versions/{version_id}/review",
                          data={"csrf_token": csrf_token(admin, f"/bank/items/{item_id}"), "decision": "approve"},
                          follow_redirects=True)
    assert flashes(response) == [zh(app, MSG_FOUR_EYES)]


def test_second_admin_approves(app, db, world, admin):
    item_id = create_via_web(admin, submit_now="y")
    version_id = version_ids(db, item_id)[1]
    reviewer = second_admin(app, db, world)
    page = reviewer.get(f"/bank/items/{item_id}")
    assert f'action="/bank/versions/{version_id}/review"' in text(page)
    response = reviewer.post(f"/bank/versions/{version_id}/review",
                             data={"csrf_token": csrf_token(reviewer, f"/bank/items/{item_id}"), "decision": "approve",
                                   "note": ""})
    assert response.status_code == 302
    assert [s for _n, s, _t, _r in versions_of(db, item_id)] == [ItemStatus.ACTIVE]
    with reading(db) as s:
        version = s.get(ItemVersion, version_id)
        assert version.reviewer_id == staff_id(db, SECOND_ADMIN) and version.reviewed_at is not None
    [event] = audit(db, "bank.item_approve")
    assert event.actor_label == SECOND_ADMIN
    # Approving again: nothing waits for review any more.
    again = reviewer.post(f"/bank/versions/{version_id}/review",
                          data={"csrf_token": csrf_token(reviewer, f"/bank/items/{item_id}"), "decision": "approve"})
    assert again.status_code == 302 and len(audit(db, "bank.item_approve")) == 1


def test_reject_needs_a_note_and_sends_back_to_draft(app, db, world, admin):
    item_id = create_via_web(admin, submit_now="y")
    version_id = version_ids(db, item_id)[1]
    reviewer = second_admin(app, db, world)
    token = csrf_token(reviewer, f"/bank/items/{item_id}")
    refused = reviewer.post(f"/bank/versions/{version_id}/review",
                            data={"csrf_token": token, "decision": "reject", "note": "   "}, follow_redirects=True)
    assert refused.status_code == 200
    assert flashes(refused) == [zh(app, MSG_NOTE)]
    assert_chinese(flashes(refused)[0])
    assert [s for _n, s, _t, _r in versions_of(db, item_id)] == [ItemStatus.IN_REVIEW]
    assert audit(db, "bank.item_reject") == []

    note = "选项B的表述不严谨，请修改后重新提交。"
    response = reviewer.post(f"/bank/versions/{version_id}/review",
                             data={"csrf_token": token, "decision": "reject", "note": note})
    assert response.status_code == 302
    assert versions_of(db, item_id) == [(1, ItemStatus.DRAFT, item_fields("")["stem"], note)]
    [event] = audit(db, "bank.item_reject")
    assert event.after["note"] == note
    page = admin.get(f"/bank/items/{item_id}")
    assert note in text(page)
    assert f'action="/bank/versions/{version_id}/submit"' in text(page)  # the author can resubmit


def test_review_queue_marks_own_versions(app, db, world, admin):
    item_id = create_via_web(admin, submit_now="y")
    queue = admin.get("/bank/review")
    assert queue.status_code == 200 and f'href="/bank/items/{item_id}"' in text(queue)
    reviewer = second_admin(app, db, world)
    assert f'href="/bank/items/{item_id}"' in text(reviewer.get("/bank/review"))


# --- versions through the web ------------------------------------------------------------------------


def test_editing_an_active_item_makes_a_new_version(app, db, world, admin):
    with db.transaction() as s:
        item_id = add_item(s, "低压验电器可以区分相线和零线吗？（原题）", answer="B").item_id
    form = admin.get(f"/bank/items/{item_id}/edit")
    assert form.status_code == 200
    assert input_value(form, "option_A") == "甲" and input_value(form, "answer") == "B"

    fields = item_fields(csrf_token(admin, f"/bank/items/{item_id}/edit"), stem="低压验电器能否区分相线和零线？（修订）",
                         option_A="甲", option_B="乙", option_C="丙", option_D="丁", answer="B")
    response = admin.post(f"/bank/items/{item_id}/edit", data=fields)
    assert response.status_code == 302 and response.headers["Location"] == f"/bank/items/{item_id}"
    assert [(n, s) for n, s, _t, _r in versions_of(db, item_id)] == [(1, ItemStatus.ACTIVE), (2, ItemStatus.DRAFT)]
    assert [e.object_id for e in audit(db, "bank.item_edit")] == [str(item_id)]

    # Editing the draft again changes it in place (still two versions).
    fields["stem"] = "低压验电器能否区分相线和零线？（再修订）"
    fields["submit_now"] = "y"
    assert admin.post(f"/bank/items/{item_id}/edit", data=fields).status_code == 302
    assert [(n, s) for n, s, _t, _r in versions_of(db, item_id)] == [(1, ItemStatus.ACTIVE), (2, ItemStatus.IN_REVIEW)]

    # While v2 waits for review, editing is refused and nothing changes.
    fields["stem"] = "不应保存的第三稿"
    refused = admin.post(f"/bank/items/{item_id}/edit", data=fields)
    assert refused.status_code == 400
    assert len(versions_of(db, item_id)) == 2

    reviewer = second_admin(app, db, world)
    v2 = version_ids(db, item_id)[2]
    response = reviewer.post(f"/bank/versions/{v2}/review",
                             data={"csrf_token": csrf_token(reviewer, f"/bank/items/{item_id}"), "decision": "approve"})
    assert response.status_code == 302
    assert [(n, s) for n, s, _t, _r in versions_of(db, item_id)] == [(1, ItemStatus.RETIRED), (2, ItemStatus.ACTIVE)]

    page = admin.get(f"/bank/items/{item_id}")
    assert 'id="v1"' in text(page) and 'id="v2"' in text(page)
    assert "（原题）" in text(page) and "（再修订）" in text(page)
    assert text(page).index('id="v2"') < text(page).index('id="v1"')  # newest first


def test_retire_item(db, admin):
    with db.transaction() as s:
        item_id = add_item(s, "停用测试题").item_id
    token = csrf_token(admin, f"/bank/items/{item_id}")
    assert admin.post(f"/bank/items/{item_id}/retire", data={"csrf_token": token, "reason": ""}).status_code == 302
    assert [s for _n, s, _t, _r in versions_of(db, item_id)] == [ItemStatus.ACTIVE]
    assert admin.post(f"/bank/items/{item_id}/retire",
                      data={"csrf_token": token, "reason": "大纲修订"}).status_code == 302
    assert [s for _n, s, _t, _r in versions_of(db, item_id)] == [ItemStatus.RETIRED]


def test_preview_seed_values(admin):
    blueprint_id = open_default_blueprint(admin)
    for seed in ("", "12345", "abc", "١٢", "999999999999999999"):
        assert preview(admin, blueprint_id, seed=seed).status_code == 422, seed  # the empty bank's shortage


def test_preview_seed_with_superscript_digit(admin):
    assert preview(admin, open_default_blueprint(admin), seed="²").status_code == 422


@pytest.mark.parametrize("path", ["/bank/items/999999", "/bank/items/999999/edit", "/bank/blueprints/999999"])
def test_unknown_objects_are_404(admin, path):
    assert admin.get(path).status_code == 404


# --- import -----------------------------------------------------------------------------------------

HEADINGS = [c.heading for c in COLUMNS]


def sheet_row(**values) -> list:
    base = {"type": "单选", "stem": "", "option_A": "", "option_B": "", "option_C": "", "option_D": "",
            "answer": "", "explanation": "解析。", "operation_item": "1.2", "knowledge_point": "电气安全",
            "cognitive_level": "掌握", "difficulty": 3, "source": "", "scope": "国家", "use": "考试", "province": ""}
    base.update(values)
    return [base.get(c.field, "") for c in COLUMNS]


def good_rows(tag: str = "") -> list[list]:
    return [
        sheet_row(type="判断", stem=f"电气设备着火时，可以直接用水扑救。{tag}", answer="错误",
                  explanation="带电设备着火应先断电，并使用干粉等不导电的灭火器。", knowledge_point="电气防火",
                  cognitive_level="了解", difficulty=1),
        sheet_row(type="单选", stem=f"我国安全电压额定值的等级中不包括（　）。{tag}", option_A="42V", option_B="36V",
                  option_C="24V", option_D="50V", answer="D", explanation="安全电压额定值为42、36、24、12、6V。",
                  knowledge_point="安全电压", cognitive_level="熟练掌握", difficulty=2),
        sheet_row(type="多选", stem=f"保证安全的组织措施包括（　）。{tag}", option_A="工作票制度", option_B="工作许可制度",
                  option_C="验电", option_D="工作监护制度", answer="ABD", explanation="验电属于技术措施。",
                  knowledge_point="组织措施", difficulty=4),
    ]


def xlsx_bytes(rows, headings=HEADINGS) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "题目"
    sheet.append(headings)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, encoding: str) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADINGS)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def upload(client, data: bytes, filename: str, *, submit_now: bool = True):
    fields = {"csrf_token": csrf_token(client, "/bank/import"), "file": (io.BytesIO(data), filename)}
    if submit_now:
        fields["submit_now"] = "y"
    return client.post("/bank/import", data=fields, content_type="multipart/form-data")


def import_result(response) -> str:
    match = re.search(r'<p class="flash success" id="import-result">(.*?)</p>', text(response), re.S)
    assert match, text(response)[-3000:]
    return html.unescape(match.group(1))


MSG_IMPORTED = ("%(created)s items imported from %(rows)s rows; %(duplicates)s rows were already in the bank and "
                "were skipped.")


def assert_imported(app, response, created: int, rows: int, duplicates: int) -> str:
    assert response.status_code == 200, text(response)[-3000:]
    message = import_result(response)
    assert message == zh(app, MSG_IMPORTED, created=created, rows=rows, duplicates=duplicates)
    assert_chinese(message)
    return message


def test_import_xlsx(app, db, world, admin):
    response = upload(admin, xlsx_bytes(good_rows()), "题目.xlsx")
    assert_imported(app, response, 3, 3, 0)
    with reading(db) as s:
        versions = s.scalars(sa.select(ItemVersion).order_by(ItemVersion.item_id)).all()
        assert [(v.type, v.status) for v in versions] == [(ItemType.JUDGE, ItemStatus.IN_REVIEW),
                                                          (ItemType.SINGLE, ItemStatus.IN_REVIEW),
                                                          (ItemType.MULTI, ItemStatus.IN_REVIEW)]
        assert [v.answer for v in versions] == [[1], [3], [0, 1, 3]]
        assert {v.author_id for v in versions} == {staff_id(db, world.usernames[Role.BANK_ADMIN])}
        assert {v.item.use for v in versions} == {Use.EXAM}
    [event] = audit(db, "bank.import")
    assert event.after["created"] == 3 and event.after["rows"] == 3

    # The same file again: every row is already in the bank, nothing new.
    again = upload(admin, xlsx_bytes(good_rows()), "题目.xlsx")
    assert_imported(app, again, 0, 3, 3)
    assert counts(db) == (3, 3)
    duplicates = re.search(r'id="import-result">.*?<tbody>(.*?)</tbody>', text(again), re.S).group(1)
    assert [row[0] for row in table_rows(duplicates)] == ["2", "3", "4"]
    assert [row[1] for row in table_rows(duplicates)] == ["#1", "#2", "#3"]


def test_import_as_drafts(db, admin):
    response = upload(admin, xlsx_bytes(good_rows()), "items.xlsx", submit_now=False)
    assert response.status_code == 200
    with reading(db) as s:
        assert set(s.scalars(sa.select(ItemVersion.status))) == {ItemStatus.DRAFT}


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig"])
def test_import_csv(app, db, admin, encoding):
    data = csv_bytes(good_rows(), encoding)
    if encoding == "gbk":
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")  # really GBK, not UTF-8 in disguise
    assert_imported(app, upload(admin, data, "题目.csv"), 3, 3, 0)
    with reading(db) as s:
        stems = set(s.scalars(sa.select(ItemVersion.stem)))
    assert "我国安全电压额定值的等级中不包括（　）。" in stems


MSG_ANSWER_NOT_OPTION = MSG_NOT_AN_OPTION
MSG_LEVEL = "Unknown cognitive level “%(value)s”: use 了解, 掌握 or 熟练掌握."
MSG_DIFFICULTY = "Difficulty must be a whole number from 1 to 5, not “%(value)s”."
MSG_REFUSED = "Nothing was imported: the file has %(count)s problems. Correct them and import the file again."


def bad_file_rows() -> list[list]:
    rows = good_rows()
    rows[1][HEADINGS.index("答案")] = "E"                 # row 3: not among the four options
    rows[2][HEADINGS.index("认知层次")] = "精通"            # row 4: two problems
    rows[2][HEADINGS.index("难度")] = 9
    return rows


def problems_table(response) -> list[list[str]]:
    match = re.search(r'<table class="problems">.*?<tbody>(.*?)</tbody>', text(response), re.S)
    assert match, text(response)[-3000:]
    return table_rows(match.group(1))


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_import_with_errors_imports_nothing(app, db, admin, fmt):
    data = xlsx_bytes(bad_file_rows()) if fmt == "xlsx" else csv_bytes(bad_file_rows(), "gbk")
    response = upload(admin, data, f"有错误.{fmt}")
    assert response.status_code == 400
    assert counts(db) == (0, 0)  # the good row 2 was not imported either
    assert audit(db, "bank.import") == [] and audit(db, "bank.item_create") == []
    assert 'id="import-result"' not in text(response)
    assert flashes(response) == [zh(app, MSG_REFUSED, count=3)]
    assert problems_table(response) == [
        ["3", "答案", zh(app, MSG_ANSWER_NOT_OPTION, letters="E", count=4)],
        ["4", "认知层次", zh(app, MSG_LEVEL, value="精通")],
        ["4", "难度", zh(app, MSG_DIFFICULTY, value="9")],
    ]
    assert_chinese(flashes(response)[0])
    for _row, _column, message in problems_table(response):
        assert_chinese(message)


def test_import_refuses_other_files(db, admin):
    response = upload(admin, b"%PDF-1.4", "items.pdf")
    assert response.status_code == 400
    rows = problems_table(response)
    assert len(rows) == 1 and rows[0][:2] == ["—", "—"] and "items.pdf" in rows[0][2]
    no_file = admin.post("/bank/import", data={"csrf_token": csrf_token(admin, "/bank/import")},
                         content_type="multipart/form-data")
    assert no_file.status_code == 400 and field_errors(no_file).get("file")
    assert counts(db) == (0, 0)


# --- templates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt, mimetype", [("xlsx", XLSX), ("csv", "text/csv")])
def test_templates_download_and_import_cleanly(app, db, admin, fmt, mimetype):
    response = admin.get(f"/bank/template.{fmt}")
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert f"question-bank-template.{fmt}" in response.headers["Content-Disposition"]
    data = response.get_data()
    if fmt == "xlsx":
        workbook = openpyxl.load_workbook(io.BytesIO(data))
        assert workbook.sheetnames[:2] == ["题目", "填写说明"]
        assert [c.value for c in workbook["题目"][1]] == HEADINGS
    else:
        assert data.startswith(b"\xef\xbb\xbf")
    assert_imported(app, upload(admin, data, f"template.{fmt}"), 3, 3, 0)
    with reading(db) as s:
        assert sorted(t.value for t in s.scalars(sa.select(ItemVersion.type))) == ["judge", "multi", "single"]
        assert set(s.scalars(sa.select(BankItem.use))) == {Use.PRACTICE}


def test_unknown_template_format_is_404(admin):
    assert admin.get("/bank/template.pdf").status_code == 404


# --- export -------------------------------------------------------------------------------------------


def seed_export_items(db):
    with db.transaction() as s:
        add_item(s, "导出题一：单选", difficulty=1)
        add_item(s, "导出题二：判断", type=ItemType.JUDGE, answer="正确", level=CognitiveLevel.UNDERSTAND)
        add_item(s, "导出题三：练习", use=Use.PRACTICE, status=ItemStatus.DRAFT)
        edited = add_item(s, "导出题四：原稿").item_id
        bank_items.edit_item(s, SYSTEM, edited, content("导出题四：修订稿"))


def test_export_json_and_reimport(app, db, world, admin):
    seed_export_items(db)
    response = admin.get("/bank/export?format=json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "question-bank-all-all.json" in response.headers["Content-Disposition"]
    document = json.loads(response.get_data(as_text=True))
    assert document["format"] == FORMAT
    items = document["items"]
    assert [(i["id"], i["version"], i["status"]) for i in items] == [(1, 1, "active"), (2, 1, "active"),
                                                                     (3, 1, "draft"), (4, 2, "draft")]
    assert [i["stem"] for i in items] == ["导出题一：单选", "导出题二：判断", "导出题三：练习", "导出题四：修订稿"]
    assert items[1]["answer"] == "T" and "options" not in items[1]
    assert [i["use"] for i in items] == ["exam", "exam", "practice", "exam"]
    [event] = audit(db, "bank.export")
    assert event.actor_label == world.usernames[Role.BANK_ADMIN]
    assert event.after["format"] == "json" and event.after["items"] == 4

    # Filters.
    practice = json.loads(admin.get("/bank/export?format=json&use=practice&item=1.2").get_data(as_text=True))
    assert [i["id"] for i in practice["items"]] == [3]
    assert json.loads(admin.get("/bank/export?format=json&item=1.1").get_data(as_text=True))["items"] == []
    assert len(audit(db, "bank.export")) == 3

    before = counts(db)
    assert_imported(app, upload(admin, response.get_data(), "export.json"), 0, 4, 4)
    assert counts(db) == before


def test_export_xlsx_and_reimport(app, db, admin):
    seed_export_items(db)
    response = admin.get("/bank/export?format=xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data()))["题目"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0][:3]) == ["题目编号", "版本", "状态"]
    assert [r[:3] for r in rows[1:]] == [(1, 1, "启用"), (2, 1, "启用"), (3, 1, "草稿"), (4, 2, "草稿")]
    assert audit(db, "bank.export")[0].after["format"] == "xlsx"
    before = counts(db)
    assert_imported(app, upload(admin, response.get_data(), "export.xlsx"), 0, 4, 4)
    assert counts(db) == before


def test_export_unknown_format_is_refused(db, admin):
    response = admin.get("/bank/export?format=pdf")
    assert response.status_code == 422
    assert audit(db, "bank.export") == []


# --- blueprints ---------------------------------------------------------------------------------------


def blueprint_form(token: str, **values) -> dict:
    fields = {"csrf_token": token, "name": "", "duration_minutes": "", "pass_mark": ""}
    for t in ("judge", "single", "multi"):
        fields.update({f"{t}_count": "", f"{t}_points": "", f"{t}_kp": ""})
        for level in ("understand", "master", "proficient"):
            fields[f"{t}_level_{level}"] = ""
        for band in ("easy", "medium", "hard"):
            fields[f"{t}_band_{band}"] = ""
    fields.update({k: str(v) for k, v in values.items()})
    return fields


def open_default_blueprint(client) -> int:
    response = client.post("/bank/blueprints", data={"csrf_token": csrf_token(client, "/bank/blueprints"),
                                                     "operation_item": "1.2"})
    assert response.status_code == 302, text(response)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_default_blueprint(app, db, admin):
    assert "1.2" in text(admin.get("/bank/blueprints"))
    blueprint_id = open_default_blueprint(admin)
    assert open_default_blueprint(admin) == blueprint_id  # opened again, not created twice
    with reading(db) as s:
        assert s.scalar(sa.select(sa.func.count(Blueprint.id))) == 1
    assert len(audit(db, "bank.blueprint_save")) == 1
    page = admin.get(f"/bank/blueprints/{blueprint_id}")
    assert page.status_code == 200
    assert input_value(page, "judge_count") == "70" and input_value(page, "single_count") == "30"
    assert input_value(page, "multi_count") == ""
    assert input_value(page, "duration_minutes") == "120" and input_value(page, "pass_mark") == "80"
    assert input_value(page, "judge_points") == "1" and input_value(page, "single_points") == "1"
    levels = ("understand", "master", "proficient")
    assert [input_value(page, f"judge_level_{lv}") for lv in levels] == ["14", "21", "35"]  # 20 / 30 / 50 %
    assert [input_value(page, f"single_level_{lv}") for lv in levels] == ["6", "9", "15"]
    listing = text(admin.get("/bank/blueprints"))
    assert "70 + 30" in listing and "<td>120</td><td>80</td>" in listing


def test_unknown_operation_item_blueprint_is_refused(db, admin):
    response = admin.post("/bank/blueprints", data={"csrf_token": csrf_token(admin, "/bank/blueprints"),
                                                    "operation_item": "99.9"})
    assert response.status_code == 400
    with reading(db) as s:
        assert s.scalar(sa.select(sa.func.count(Blueprint.id))) == 0


MSG_QUOTA_SUM = "%(type)s: the %(kind)s quotas add up to %(sum)s, not %(count)s."
MSG_PASS_MARK = "The pass mark must be above 0 and at most the total of %(total)s points."

CUSTOM = {"name": "小测验", "duration_minutes": 60, "pass_mark": 48, "judge_count": 20, "judge_points": 2,
          "judge_level_understand": 4, "judge_level_master": 6, "judge_level_proficient": 10,
          "single_count": 10, "single_points": 2, "single_band_easy": 3, "single_band_medium": 3, "single_band_hard": 4}


def test_saving_a_blueprint(app, db, admin):
    blueprint_id = open_default_blueprint(admin)
    path = f"/bank/blueprints/{blueprint_id}"
    bad = dict(CUSTOM, judge_level_proficient=5, pass_mark=70)
    response = admin.post(path, data=blueprint_form(csrf_token(admin, path), **bad))
    assert response.status_code == 400
    shown = flashes(response)
    assert shown == [zh(app, MSG_QUOTA_SUM, type="判断题", kind="认知层次", sum=15, count=20)]
    assert field_errors(response)["pass_mark"] == [zh(app, MSG_PASS_MARK, total="60")]
    for message in shown + field_errors(response)["pass_mark"]:
        assert_chinese(message)
    assert input_value(response, "judge_level_proficient") == "5"  # kept for correction
    with reading(db) as s:
        assert s.get(Blueprint, blueprint_id).definition["sections"][0]["count"] == 70  # unchanged

    response = admin.post(path, data=blueprint_form(csrf_token(admin, path), **CUSTOM))
    assert response.status_code == 302
    with reading(db) as s:
        row = s.get(Blueprint, blueprint_id)
        assert row.name == "小测验"
        definition = row.definition
    assert (definition["duration_minutes"], definition["pass_mark"]) == (60, 48)
    assert [(sct["type"], sct["count"], sct["points"]) for sct in definition["sections"]] == [("judge", 20, 2),
                                                                                              ("single", 10, 2)]
    assert definition["sections"][1]["difficulty_quotas"] == {"easy": 3, "medium": 3, "hard": 4}
    assert len(audit(db, "bank.blueprint_save")) == 2


def post_blueprint_change(db, admin, field: str, value: str) -> None:
    blueprint_id = open_default_blueprint(admin)
    path = f"/bank/blueprints/{blueprint_id}"
    response = admin.post(path, data=blueprint_form(csrf_token(admin, path), **dict(CUSTOM, **{field: value})))
    assert response.status_code == 400, (field, value)
    assert flashes(response) or field_errors(response), (field, value)
    with reading(db) as s:
        assert s.get(Blueprint, blueprint_id).definition["sections"][0]["count"] == 70


def test_blueprint_form_refuses_bad_numbers(db, admin):
    for field, value in [("judge_count", "abc"), ("judge_count", "2.5"), ("judge_count", "-3"),
                         ("judge_level_master", "x"), ("duration_minutes", "1e30"), ("pass_mark", "inf"),
                         ("judge_points", "0.3"), ("single_kp", "安全电压 = many")]:
        post_blueprint_change(db, admin, field, value)


@pytest.mark.parametrize("field, value", [("judge_count", "nan"), ("judge_count", "inf"), ("duration_minutes", "nan"),
                                          ("judge_level_master", "nan"), ("judge_kp", "电气 = nan"),
                                          ("judge_points", "nan")])
def test_blueprint_form_refuses_non_finite_numbers(db, admin, field, value):
    post_blueprint_change(db, admin, field, value)


MSG_SHORT_TYPE = ("%(type)s: the blueprint needs %(needed)s, but the bank has only %(available)s active items of this "
                  "type for operation item %(item)s.")
MSG_SHORT_QUOTA = ("%(type)s · %(quota)s: the blueprint needs %(needed)s, but the bank has only %(available)s active "
                   "items.")


def preview(client, blueprint_id: int, seed: str = "20260101"):
    path = f"/bank/blueprints/{blueprint_id}"
    return client.post(f"{path}/preview", data={"csrf_token": csrf_token(client, path), "seed": seed})


def shortage(response) -> list[str]:
    match = re.search(r'id="shortage">.*?<ul class="flags">(.*?)</ul>', text(response), re.S)
    assert match, text(response)[-2000:]
    return [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)]


def fill_bank(db, *, judges: dict[CognitiveLevel, int], singles: dict[CognitiveLevel, int], use=Use.EXAM,
              status=ItemStatus.ACTIVE, tag="") -> None:
    with db.transaction() as s:
        n = 0
        for item_type, by_level in ((ItemType.JUDGE, judges), (ItemType.SINGLE, singles)):
            for level, count in by_level.items():
                for _ in range(count):
                    n += 1
                    add_item(s, f"组卷测试题{tag}第{n}题", type=item_type, level=level, difficulty=n % 5 + 1,
                             answer="正确" if item_type is ItemType.JUDGE and n % 2 else
                             ("错误" if item_type is ItemType.JUDGE else "ABCD"[n % 4]), use=use, status=status)


U, M, P = CognitiveLevel.UNDERSTAND, CognitiveLevel.MASTER, CognitiveLevel.PROFICIENT


def test_preview_against_the_bank(app, db, admin):
    blueprint_id = open_default_blueprint(admin)
    # Empty bank.
    response = preview(admin, blueprint_id)
    assert response.status_code == 422
    assert shortage(response) == [zh(app, MSG_SHORT_TYPE, type="判断题", needed=70, available=0, item="1.2"),
                                  zh(app, MSG_SHORT_TYPE, type="单选题", needed=30, available=0, item="1.2")]
    assert_chinese(flashes(response)[0])
    for message in shortage(response):
        assert_chinese(message)
    # Enough judge items in total but too few 熟练掌握 ones; practice and draft items never count.
    fill_bank(db, judges={U: 30, M: 30, P: 20}, singles={U: 6, M: 9, P: 15}, tag="甲")
    fill_bank(db, judges={P: 40}, singles={U: 10}, use=Use.PRACTICE, tag="乙")
    fill_bank(db, judges={P: 40}, singles={U: 10}, status=ItemStatus.DRAFT, tag="丙")
    response = preview(admin, blueprint_id)
    assert response.status_code == 422
    assert shortage(response) == [zh(app, MSG_SHORT_QUOTA, type="判断题", quota="熟练掌握", needed=35, available=20)]
    assert "判断题" in shortage(response)[0] and "35" in shortage(response)[0] and "20" in shortage(response)[0]

    fill_bank(db, judges={P: 20}, singles={}, tag="丁")
    response = preview(admin, blueprint_id, seed="42")
    assert response.status_code == 200, text(response)[-2000:]
    questions = re.findall(r"\[(?:[^\]·]+) · #(\d+) v(\d+)\]", text(response))
    assert len(questions) == 100 and len({q for q, _v in questions}) == 100
    with reading(db) as s:
        exam_active = set(s.scalars(sa.select(BankItem.id).join(ItemVersion).where(
            BankItem.use == Use.EXAM, ItemVersion.status == ItemStatus.ACTIVE)))
        papers = s.scalar(sa.select(sa.func.count(Paper.id)))
        exposure = s.scalar(sa.select(sa.func.sum(BankItem.exposure_count)))
    assert {int(q) for q, _v in questions} <= exam_active
    assert papers == 0 and exposure == 0  # a preview is not stored and counts no exposure
    # Same seed, same paper.
    again = preview(admin, blueprint_id, seed="42")
    assert re.findall(r"\[(?:[^\]·]+) · #(\d+) v(\d+)\]", text(again)) == questions


def test_preview_of_a_custom_blueprint_saved_through_the_form(app, db, admin):
    blueprint_id = open_default_blueprint(admin)
    path = f"/bank/blueprints/{blueprint_id}"
    assert admin.post(path, data=blueprint_form(csrf_token(admin, path), **CUSTOM)).status_code == 302
    fill_bank(db, judges={U: 8, M: 8, P: 12}, singles={U: 5, M: 5, P: 5})
    response = preview(admin, blueprint_id, seed="7")
    assert response.status_code == 200, text(response)[-2000:]
    assert len(re.findall(r" · #(\d+) v1\]", text(response))) == 30
    assert "60" in text(response)


# --- statistics ---------------------------------------------------------------------------------------

MSG_NO_RESPONSES = "No scored responses yet: statistics appear once exams are scored."


def stats_rows(response) -> dict[int, str]:
    body = re.search(r"<tbody>(.*?)</tbody>", text(response), re.S).group(1)
    return {int(m.group(1)): m.group(0) for m in
            re.finditer(r'<tr><td><a href="/bank/items/(\d+)">.*?</tr>', body, re.S)}


def test_statistics_without_responses(app, admin):
    response = admin.get("/bank/statistics")
    assert response.status_code == 200
    assert stats_rows(response) == {}
    assert shows(response, zh(app, MSG_NO_RESPONSES))
    assert_chinese(zh(app, MSG_NO_RESPONSES))


def seed_responses(db) -> tuple[list[int], int]:
    """60 papers over five items; item ``miskeyed`` is keyed A although strong candidates rightly choose B."""
    with db.transaction() as s:
        blueprint = ensure_default_blueprint(s, SYSTEM, "1.2", dt.date(2026, 1, 1))
        versions = [add_item(s, f"统计测试题{n}", answer="A") for n in range(5)]
        s.flush()
        thresholds = [0.1, 0.3, 0.5, 0.7]  # items 0-3: the stronger the candidate, the likelier right
        for n in range(60):
            ability = n / 59
            paper = Paper(blueprint_id=blueprint.id, operation_item_code="1.2", seed=n, question_count=5,
                          total_points=5.0, snapshot={"seed": n, "questions": []})
            s.add(paper)
            s.flush()
            for position, version in enumerate(versions, start=1):
                if position <= 4:
                    right = ability > thresholds[position - 1] or n % 7 == 0
                    chosen = [0] if right else [1 + n % 3]
                else:  # mis-keyed: the strong half answer B (really right, marked wrong)
                    right = ability < 0.5
                    chosen = [0] if right else [1]
                s.add(ScoredResponse(paper_id=paper.id, position=position, item_id=version.item_id,
                                     item_version_id=version.id, chosen=chosen, correct=right,
                                     points=1.0 if right else 0.0))
        return [v.item_id for v in versions], versions[-1].item_id


def test_statistics_flag_a_miskeyed_item(app, db, admin):
    item_ids, miskeyed = seed_responses(db)
    with reading(db) as s:
        stats = {st.item_id: st for st in item_stats.item_statistics(s)}
    assert set(stats) == set(item_ids)
    assert [i for i, st in stats.items() if NEGATIVE_DISCRIMINATION in st.flag_codes] == [miskeyed]
    [flag] = [f for f in stats[miskeyed].flags if f.code == NEGATIVE_DISCRIMINATION]

    response = admin.get("/bank/statistics")
    assert response.status_code == 200
    rows = stats_rows(response)
    assert set(rows) == set(item_ids)
    with app.test_request_context(), force_locale("zh_CN"):
        expected = flag.render(gettext)
    assert str(escape(expected)) in rows[miskeyed]
    assert_chinese(expected)
    assert stats[miskeyed].point_biserial < -0.5 and f"{stats[miskeyed].point_biserial:.2f}" in rows[miskeyed]
    for item_id in set(item_ids) - {miskeyed}:
        assert str(escape(expected)) not in rows[item_id]
    assert "<td>60</td>" in rows[miskeyed]
    assert not shows(response, zh(app, MSG_NO_RESPONSES))

    flagged = stats_rows(admin.get("/bank/statistics?flagged=1"))
    assert miskeyed in flagged and set(flagged) == {i for i, st in stats.items() if st.flags}
    assert set(stats_rows(admin.get("/bank/statistics?item=1.2"))) == set(item_ids)
    other = admin.get("/bank/statistics?item=1.1")
    assert stats_rows(other) == {} and shows(other, zh(app, MSG_NO_RESPONSES))


# --- access -------------------------------------------------------------------------------------------


def test_only_bank_admins_reach_the_bank(app, world):
    for role in Role:
        if role is Role.BANK_ADMIN:
            continue
        client = app.test_client()
        assert login(client, world.usernames[role]).status_code == 302
        for path in ("/bank/", "/bank/items/new", "/bank/export?format=json", "/bank/template.xlsx",
                     "/bank/statistics"):
            assert client.get(path).status_code == 403, (role, path)


def test_bank_index_search_and_filters(db, admin):
    with db.transaction() as s:
        add_item(s, "检索题：漏电保护器")
        add_item(s, "检索题：绝缘手套", use=Use.PRACTICE)
        add_item(s, "检索题：接地电阻", status=ItemStatus.DRAFT, type=ItemType.JUDGE, answer="对")
    page = text(admin.get("/bank/"))
    assert all(word in page for word in ("漏电保护器", "绝缘手套", "接地电阻"))
    assert "漏电保护器" in text(admin.get("/bank/?q=漏电")) and "绝缘手套" not in text(admin.get("/bank/?q=漏电"))
    only_practice = text(admin.get("/bank/?use=practice"))
    assert "绝缘手套" in only_practice and "漏电保护器" not in only_practice
    drafts = text(admin.get("/bank/?status=draft&type=judge&item=1.2"))
    assert "接地电阻" in drafts and "漏电保护器" not in drafts
    assert admin.get("/bank/?page=99999999999&use=nonsense").status_code == 200
