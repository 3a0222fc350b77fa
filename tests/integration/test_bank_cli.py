"""The ``exam-center bank`` commands against a real database: template, import, export, stats."""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json

import openpyxl
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from exam_center.cli import main
from exam_center.db import read_only
from exam_center.models import AuditEvent, BankItem, ItemVersion, Paper, Role, ScoredResponse, StaffUser
from exam_center.services import bank_items
from exam_center.services.blueprints import ensure_default_blueprint
from exam_center.services.staff import set_staff_active
from question_bank.importing import COLUMNS, FORMAT
from question_bank.items import CognitiveLevel, ItemStatus, ItemType, Scope, Use, build_content

from conftest import SYSTEM

HEADINGS = [c.heading for c in COLUMNS]


@pytest.fixture
def cli(world, settings, db):
    """Run ``exam-center ARGS`` against this test's database; returns the click Result."""
    runner = CliRunner()
    env = {"EXAM_CENTER_DATABASE_URL": settings.database_url, "EXAM_CENTER_INSTANCE_DIR": str(settings.instance_dir),
           "EXAM_CENTER_SECRET_KEY": "cli-test-secret"}

    def run(*args: str):
        return runner.invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)
    return run


@pytest.fixture
def bank_admin(world) -> str:
    return world.usernames[Role.BANK_ADMIN]


@contextlib.contextmanager
def reading(db):
    with read_only(), db.sessions() as session:
        yield session


def counts(db) -> tuple[int, int]:
    with reading(db) as s:
        return s.scalar(sa.select(sa.func.count(BankItem.id))), s.scalar(sa.select(sa.func.count(ItemVersion.id)))


def audit(db, action: str) -> list[AuditEvent]:
    with reading(db) as s:
        rows = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()
        s.expunge_all()
        return rows


def row(**values) -> list:
    base = {"type": "单选", "explanation": "解析。", "operation_item": "1.2", "knowledge_point": "电气安全",
            "cognitive_level": "掌握", "difficulty": 3, "scope": "国家", "use": "考试"}
    base.update(values)
    return [base.get(c.field, "") for c in COLUMNS]


def good_rows() -> list[list]:
    return [
        row(type="判断", stem="使用万用表测量电阻时，可以带电测量。", answer="错误", cognitive_level="了解", difficulty=1),
        row(stem="漏电保护器的主要作用是防止（　）。", option_A="短路", option_B="过载", option_C="人身触电",
            option_D="欠压", answer="C", cognitive_level="熟练掌握"),
        row(type="多选", stem="下列属于绝缘安全用具的有（　）。", option_A="绝缘手套", option_B="绝缘靴", option_C="扳手",
            option_D="绝缘棒", answer="ABD", difficulty=4),
    ]


def write_xlsx(path, rows) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "题目"
    sheet.append(HEADINGS)
    for r in rows:
        sheet.append(r)
    workbook.save(path)


# --- template -------------------------------------------------------------------------------------------


def test_template_xlsx_and_csv(cli, db, bank_admin, tmp_path):
    xlsx = tmp_path / "x.xlsx"
    result = cli("bank", "template", "-o", xlsx)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"wrote {xlsx}"
    workbook = openpyxl.load_workbook(xlsx)
    assert workbook.sheetnames[:2] == ["题目", "填写说明"]
    assert [c.value for c in workbook["题目"][1]] == HEADINGS
    assert counts(db) == (0, 0)  # writing a template touches no database

    csv_path = tmp_path / "x.csv"
    assert cli("bank", "template", "-o", csv_path).exit_code == 0
    data = csv_path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert next(csv.reader(io.StringIO(data.decode("utf-8-sig")))) == HEADINGS

    result = cli("bank", "import", xlsx, "--as", bank_admin)
    assert result.exit_code == 0, result.output
    assert "imported 3 items from 3 rows; 0 rows already in the bank were skipped" in result.stdout
    result = cli("bank", "import", csv_path, "--as", bank_admin)
    assert result.exit_code == 0, result.output
    assert "imported 0 items from 3 rows; 3 rows already in the bank were skipped" in result.stdout


def test_template_needs_an_output(cli):
    result = cli("bank", "template")
    assert result.exit_code == 2 and "--output" in result.output


# --- import ---------------------------------------------------------------------------------------------


def test_import_good_file(cli, db, bank_admin, tmp_path):
    path = tmp_path / "题目.xlsx"
    write_xlsx(path, good_rows())
    result = cli("bank", "import", path, "--as", bank_admin)
    assert result.exit_code == 0, result.output
    assert "imported 3 items from 3 rows; 0 rows already in the bank were skipped" in result.stdout.splitlines()
    with reading(db) as s:
        admin_id = s.scalar(sa.select(StaffUser.id).where(StaffUser.username == bank_admin))
        versions = s.scalars(sa.select(ItemVersion).order_by(ItemVersion.item_id)).all()
        assert [(v.type, v.status, v.author_id) for v in versions] == [
            (ItemType.JUDGE, ItemStatus.IN_REVIEW, admin_id), (ItemType.SINGLE, ItemStatus.IN_REVIEW, admin_id),
            (ItemType.MULTI, ItemStatus.IN_REVIEW, admin_id)]
        assert [v.answer for v in versions] == [[1], [2], [0, 1, 3]]
    [event] = audit(db, "bank.import")
    assert event.actor_label == bank_admin and event.after["created"] == 3 and event.after["file"] == "题目.xlsx"
    assert len(audit(db, "bank.item_create")) == 3

    again = cli("bank", "import", path, "--as", bank_admin)
    assert again.exit_code == 0, again.output
    lines = again.stdout.splitlines()
    assert "imported 0 items from 3 rows; 3 rows already in the bank were skipped" in lines
    assert [line for line in lines if line.startswith("  row ")] == [
        "  row 2: same as item 1", "  row 3: same as item 2", "  row 4: same as item 3"]
    assert counts(db) == (3, 3)


def test_import_as_drafts_and_without_author(cli, db, tmp_path):
    path = tmp_path / "items.csv"
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADINGS)
    writer.writerows(good_rows())
    path.write_bytes(buffer.getvalue().encode("gbk"))
    result = cli("bank", "import", path, "--draft")
    assert result.exit_code == 0, result.output
    with reading(db) as s:
        assert set(s.execute(sa.select(ItemVersion.status, ItemVersion.author_id))) == {(ItemStatus.DRAFT, None)}
    assert audit(db, "bank.import")[0].actor_label == "cli:bank"


def test_import_bad_file_imports_nothing(cli, db, bank_admin, tmp_path):
    rows = good_rows()
    rows[1][HEADINGS.index("答案")] = "E"
    rows[2][HEADINGS.index("难度")] = "很难"
    rows[2][HEADINGS.index("操作项目")] = "99.9"
    path = tmp_path / "bad.xlsx"
    write_xlsx(path, rows)
    result = cli("bank", "import", path, "--as", bank_admin)
    assert result.exit_code == 1
    problems = [line for line in result.stderr.splitlines() if line.startswith("  row ")]
    assert "NOTHING IMPORTED: 3 problems" in result.stderr
    assert problems == [
        "  row 3  column 答案: 答案 E 不在选项中（共 4 个选项）。",   # Chinese first, as in the UI
        "  row 4  column 操作项目: 特种作业目录中没有操作项目“99.9”；请填写操作项目代码，例如低压电工作业填 1.2。",
        "  row 4  column 难度: 难度必须是 1～5 的整数，不能是“很难”。",
    ]
    assert "imported" not in result.stdout
    assert counts(db) == (0, 0)
    assert audit(db, "bank.import") == [] and audit(db, "bank.item_create") == []


def test_import_unreadable_file(cli, db, bank_admin, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    result = cli("bank", "import", path, "--as", bank_admin)
    assert result.exit_code == 1
    assert "NOTHING IMPORTED: 1 problems" in result.stderr
    assert "  row -  column -: 无法作为 Excel 工作簿（.xlsx）读取此文件。" in result.stderr
    assert counts(db) == (0, 0)


@pytest.mark.parametrize("who", ["t_exam_admin", "t_institution_staff", "t_system_admin", "nobody"])
def test_import_as_someone_else_is_a_usage_error(cli, db, tmp_path, who):
    path = tmp_path / "items.xlsx"
    write_xlsx(path, good_rows())
    result = cli("bank", "import", path, "--as", who)
    assert result.exit_code == 2
    assert f"'{who}' is not an active bank administrator" in result.output
    assert counts(db) == (0, 0) and audit(db, "bank.import") == []


def test_import_as_a_deactivated_bank_admin_is_refused(cli, db, bank_admin, tmp_path):
    with db.transaction() as s:
        user_id = s.scalar(sa.select(StaffUser.id).where(StaffUser.username == bank_admin))
        set_staff_active(s, SYSTEM, user_id, False)
    path = tmp_path / "items.xlsx"
    write_xlsx(path, good_rows())
    result = cli("bank", "import", path, "--as", bank_admin.upper())
    assert result.exit_code == 2 and "not an active bank administrator" in result.output
    assert counts(db) == (0, 0)


def test_import_missing_file(cli, tmp_path):
    result = cli("bank", "import", tmp_path / "missing.xlsx")
    assert result.exit_code == 2 and "does not exist" in result.output


# --- export ---------------------------------------------------------------------------------------------


def content(stem: str, **kwargs):
    fields = dict(type=ItemType.SINGLE, options=["甲", "乙", "丙"], answer="B", explanation="解析。",
                  knowledge_point="电气安全", cognitive_level=CognitiveLevel.MASTER, difficulty=3)
    fields.update(kwargs)
    built, problems = build_content(stem=stem, **fields)
    assert built is not None, problems
    return built


def seed_items(db) -> None:
    with db.transaction() as s:
        for stem, use, status in (("导出考试题", Use.EXAM, ItemStatus.ACTIVE), ("导出练习题", Use.PRACTICE, ItemStatus.ACTIVE),
                                  ("导出草稿题", Use.EXAM, ItemStatus.DRAFT)):
            bank_items.create_item(s, SYSTEM, operation_item="1.2", scope=Scope.NATIONAL, use=use, province_code=None,
                                   content=content(stem), status=status)


def test_export_json(cli, db, bank_admin, tmp_path):
    seed_items(db)
    out = tmp_path / "out.json"
    result = cli("bank", "export", "--as", bank_admin, "--format", "json", "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"wrote {out} (")
    document = json.loads(out.read_text("utf-8"))
    assert document["format"] == FORMAT
    assert [(i["id"], i["stem"], i["use"], i["status"]) for i in document["items"]] == [
        (1, "导出考试题", "exam", "active"), (2, "导出练习题", "practice", "active"), (3, "导出草稿题", "exam", "draft")]
    [event] = audit(db, "bank.export")
    assert event.actor_label == bank_admin and event.after["items"] == 3 and event.after["format"] == "json"

    practice = tmp_path / "practice.json"
    assert cli("bank", "export", "--as", bank_admin, "--format", "json", "--use", "practice", "--item", "1.2",
               "-o", practice).exit_code == 0
    assert [i["id"] for i in json.loads(practice.read_text("utf-8"))["items"]] == [2]

    # Re-importing the export: every row is already in the bank.
    again = cli("bank", "import", out, "--as", bank_admin)
    assert again.exit_code == 0, again.output
    assert "imported 0 items from 3 rows; 3 rows already in the bank were skipped" in again.stdout
    assert counts(db) == (3, 3)


def test_export_xlsx_is_the_default(cli, db, bank_admin, tmp_path):
    seed_items(db)
    out = tmp_path / "out.xlsx"
    assert cli("bank", "export", "--as", bank_admin, "-o", out).exit_code == 0
    rows = list(openpyxl.load_workbook(out)["题目"].iter_rows(values_only=True))
    assert rows[0][:3] == ("题目编号", "版本", "状态") and len(rows) == 4
    assert audit(db, "bank.export")[0].after["format"] == "xlsx"


@pytest.mark.parametrize("args, message", [
    ((), "Missing option '--as'"),
    (("--as", "t_regulator"), "'t_regulator' is not an active bank administrator"),
    (("--as", "t_bank_admin", "--format", "csv"), "Invalid value for '--format'"),
])
def test_export_refusals(cli, db, tmp_path, args, message):
    seed_items(db)
    out = tmp_path / "out.json"
    result = cli("bank", "export", "-o", out, *args)
    assert result.exit_code == 2 and message in result.output
    assert not out.exists()
    assert audit(db, "bank.export") == []


# --- stats ----------------------------------------------------------------------------------------------


def seed_responses(db) -> tuple[list[int], int]:
    """60 papers over four items; the last is keyed A although strong candidates rightly choose B."""
    with db.transaction() as s:
        blueprint = ensure_default_blueprint(s, SYSTEM, "1.2", dt.date(2026, 1, 1))
        versions = [bank_items.create_item(s, SYSTEM, operation_item="1.2", scope=Scope.NATIONAL, use=Use.EXAM,
                                           province_code=None, content=content(f"统计题{n}", answer="A"),
                                           status=ItemStatus.ACTIVE) for n in range(4)]
        for n in range(60):
            ability = n / 59
            paper = Paper(blueprint_id=blueprint.id, operation_item_code="1.2", seed=n, question_count=4,
                          total_points=4.0, snapshot={"seed": n, "questions": []})
            s.add(paper)
            s.flush()
            for position, version in enumerate(versions, start=1):
                if position < 4:
                    right = ability > (0.2, 0.4, 0.6)[position - 1] or n % 9 == 0
                    chosen = [0] if right else [1 + n % 2]
                else:
                    right = ability < 0.5
                    chosen = [0] if right else [1]
                s.add(ScoredResponse(paper_id=paper.id, position=position, item_id=version.item_id,
                                     item_version_id=version.id, chosen=chosen, correct=right,
                                     points=1.0 if right else 0.0))
        return [v.item_id for v in versions], versions[-1].item_id


def test_stats_without_data(cli):
    result = cli("bank", "stats")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "没有可供分析的作答记录。"


def test_stats_with_data(cli, db):
    item_ids, miskeyed = seed_responses(db)
    result = cli("bank", "stats")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:5] == ["试题", "n", "p", "r_pb", "D"]
    table = {int(line.split()[0]): line for line in lines[2:] if line.strip() and line.split()[0].isdigit()
             and ":" not in line.split()[0]}
    assert set(table) == set(item_ids)
    assert all(table[i].split()[1] == "60" for i in item_ids)
    assert "负区分度" in table[miskeyed]
    assert all("负区分度" not in table[i] for i in item_ids if i != miskeyed)
    assert float(table[miskeyed].split()[3]) < -0.5
    assert any(line.startswith(f"{miskeyed}: 负区分度（本题与试卷其余得分的相关系数为 -") for line in lines), lines

    assert cli("bank", "stats", "--item", "1.1").stdout.strip() == "没有可供分析的作答记录。"
    few = cli("bank", "stats", "--item", "1.2", "--min-responses", "100")
    assert few.exit_code == 0
    assert all("作答人数不足" in line for line in few.stdout.splitlines()[2:2 + len(item_ids)])
