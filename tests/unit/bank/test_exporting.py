"""Exporting items and the import templates; exports import back unchanged."""
from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from question_bank.exporting import (
    ExportRow,
    export_json,
    export_xlsx,
    template_csv,
    template_xlsx,
)
from question_bank.importing import read_import
from question_bank.items import (
    CognitiveLevel,
    ItemStatus,
    ItemType,
    Scope,
    Use,
    build_content,
)

TEMPLATE_HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "选项E", "选项F", "答案", "解析", "操作项目",
                   "知识点", "认知层次", "难度", "出处", "范围", "用途", "省份代码"]
EXPORT_HEADER = ["题目编号", "版本", "状态"] + TEMPLATE_HEADER


def content(type, stem, options, answer, **changes):
    values = {"explanation": "解析说明。", "knowledge_point": "知识点", "cognitive_level": CognitiveLevel.MASTER,
              "difficulty": 3, "source": ""}
    values.update(changes)
    built, problems = build_content(type=type, stem=stem, options=options, answer=answer, **values)
    assert built is not None, problems
    return built


ROWS = [
    ExportRow(1, 1, ItemStatus.ACTIVE, "1.2", Scope.NATIONAL, None, Use.EXAM,
              content(ItemType.JUDGE, "电气设备发生火灾时，应首先切断电源再灭火。", [], "T",
                      cognitive_level=CognitiveLevel.UNDERSTAND, difficulty=1, source="《安全生产法》")),
    ExportRow(2, 3, ItemStatus.DRAFT, "5.10", Scope.PROVINCIAL, "44", Use.PRACTICE,
              content(ItemType.JUDGE, "判断题二", [], "F", explanation="多行\n解析")),
    ExportRow(3, 1, ItemStatus.IN_REVIEW, "1.2", Scope.NATIONAL, None, Use.EXAM,
              content(ItemType.SINGLE, "=SUM(A1:A2) 这样的文字不是公式", ["=1+1", "36", "0.5", "+12", "-3"], "B",
                      cognitive_level=CognitiveLevel.PROFICIENT, difficulty=5)),
    ExportRow(4, 2, ItemStatus.RETIRED, "9.1", Scope.PROVINCIAL, "11", Use.EXAM,
              content(ItemType.MULTI, "多选题", ["甲", "乙", "丙", "丁", "戊", "己"], "ACDF", source="GB/T 13869—2017")),
]
KNOWN = {"1.2", "5.10", "9.1"}


def sheet_rows(data, sheet="题目"):
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return workbook, [list(row) for row in workbook[sheet].iter_rows(values_only=True)]


def imported(data, filename):
    report = read_import(data, filename, known_operation_items=KNOWN, existing_keys={})
    assert report.ok, report.problems
    return report


def test_xlsx_export_layout_and_chinese_values():
    workbook, rows = sheet_rows(export_xlsx(ROWS))
    assert workbook.sheetnames == ["题目"]
    assert rows[0] == EXPORT_HEADER
    by_heading = [dict(zip(EXPORT_HEADER, row)) for row in rows[1:]]
    first, second, third, fourth = by_heading
    assert (first["题目编号"], first["版本"], first["状态"]) == (1, 1, "启用")
    assert (first["题型"], first["答案"], first["认知层次"], first["难度"]) == ("判断", "正确", "了解", 1)
    assert first["选项A"] is None and first["省份代码"] is None
    assert (first["范围"], first["用途"], first["出处"]) == ("国家", "考试", "《安全生产法》")
    assert (second["状态"], second["答案"], second["操作项目"], second["省份代码"]) == ("草稿", "错误", "5.10", "44")
    assert (second["范围"], second["用途"], second["解析"]) == ("省级", "练习", "多行\n解析")
    assert (third["状态"], third["题型"], third["答案"], third["认知层次"]) == ("待审核", "单选", "B", "熟练掌握")
    assert third["题干"].startswith("=SUM") and third["选项A"] == "=1+1" and third["选项B"] == "36"
    assert (fourth["状态"], fourth["题型"], fourth["答案"], fourth["选项F"]) == ("停用", "多选", "ACDF", "己")
    sheet = workbook["题目"]
    assert sheet["E4"].data_type == sheet["F4"].data_type == "s"   # no formulas from item text
    assert sheet["N3"].number_format == "@"       # codes are text


def test_json_export_is_the_content_format_with_ids():
    data = export_json(ROWS)
    assert "判断题二".encode() in data            # not \\u escapes
    document = json.loads(data)
    assert document["format"] == "exam-center-bank/1"
    judge, _, single, multi = document["items"]
    assert judge == {"id": 1, "version": 1, "status": "active", "type": "judge",
                     "stem": "电气设备发生火灾时，应首先切断电源再灭火。", "answer": "T", "explanation": "解析说明。",
                     "operation_item": "1.2", "knowledge_point": "知识点", "cognitive_level": "了解", "difficulty": 1,
                     "source": "《安全生产法》", "scope": "national", "use": "exam"}
    assert single["options"] == ["=1+1", "36", "0.5", "+12", "-3"] and single["answer"] == "B"
    assert multi["answer"] == "ACDF" and multi["province"] == "11" and multi["status"] == "retired"
    assert document["items"][1]["answer"] == "F" and document["items"][1]["scope"] == "provincial"


@pytest.mark.parametrize("export, filename", [(export_xlsx, "export.xlsx"), (export_json, "export.json")])
def test_exports_import_back_unchanged(export, filename):
    report = imported(export(ROWS), filename)
    assert report.rows_read == len(ROWS)
    assert [item.content for item in report.items] == [row.content for row in ROWS]
    assert [(item.operation_item, item.scope, item.province_code, item.use) for item in report.items] == [
        (row.operation_item, row.scope, row.province_code, row.use) for row in ROWS]


def test_reimporting_an_export_finds_the_items_already_in_the_bank():
    existing = {row.content.content_key(): row.item_id for row in ROWS}
    report = read_import(export_xlsx(ROWS), "export.xlsx", known_operation_items=KNOWN, existing_keys=existing)
    assert report.ok and report.items == ()
    assert report.existing_duplicates == ((2, 1), (3, 2), (4, 3), (5, 4))


def test_empty_exports():
    _, rows = sheet_rows(export_xlsx([]))
    assert rows == [EXPORT_HEADER]
    assert json.loads(export_json(iter([]))) == {"format": "exam-center-bank/1", "items": []}


def test_xlsx_template_has_the_columns_examples_and_instructions():
    workbook, rows = sheet_rows(template_xlsx())
    assert workbook.sheetnames == ["题目", "填写说明"]
    assert rows[0] == TEMPLATE_HEADER
    examples = [dict(zip(TEMPLATE_HEADER, row)) for row in rows[1:]]
    assert [example["题型"] for example in examples] == ["判断", "单选", "多选"]
    assert all(example["操作项目"] == "1.2" for example in examples)
    instructions = "\n".join(str(cell) for row in workbook["填写说明"].iter_rows(values_only=True)
                             for cell in row if cell)
    for heading in TEMPLATE_HEADER:
        if not heading.startswith("选项"):
            assert heading in instructions, heading
    for value in ("选项A～选项F", "判断", "单选", "多选", "了解", "熟练掌握", "国家", "省级", "考试", "练习", "1～5",
                  "正确", "错误", "44"):
        assert value in instructions, value


def test_the_xlsx_template_imports_cleanly():
    report = imported(template_xlsx(), "模板.xlsx")
    assert [item.content.type for item in report.items] == [ItemType.JUDGE, ItemType.SINGLE, ItemType.MULTI]
    assert [item.row for item in report.items] == [2, 3, 4]
    assert report.items[0].content.answer == (1,)


def test_the_csv_template_has_the_same_header_and_examples_and_imports_cleanly():
    data = template_csv()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == TEMPLATE_HEADER
    _, sheet = sheet_rows(template_xlsx())
    assert [[("" if value is None else str(value)) for value in row] for row in sheet[1:]] == rows[1:]
    report = imported(data, "模板.csv")
    assert [item.content for item in report.items] == [item.content for item in imported(template_xlsx(),
                                                                                         "t.xlsx").items]
