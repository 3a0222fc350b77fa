"""Importing items from Excel, CSV and JSON: every problem placed at the row and column the user sees."""
from __future__ import annotations

import io
import json
import zipfile

import openpyxl
import pytest

from question_bank import importing
from question_bank.importing import ImportReport, read_import
from question_bank.items import CognitiveLevel, ItemType, Scope, Use, build_content

HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "选项E", "选项F", "答案", "解析", "操作项目", "知识点",
          "认知层次", "难度", "出处", "范围", "用途", "省份代码"]
KNOWN = {"1.1", "1.2", "5.1", "5.10", "9.1", "9.10"}


def judge_row(**changes):
    row = {"题型": "判断", "题干": "发现有人触电时，应立即用手将触电者拉离带电体。", "答案": "错误",
           "解析": "应先断开电源，或用干燥的绝缘物使触电者脱离电源。", "操作项目": "1.2", "知识点": "触电急救",
           "认知层次": "掌握", "难度": 2, "出处": "低压电工作业安全技术培训大纲", "范围": "国家", "用途": "考试"}
    row.update(changes)
    return row


def single_row(**changes):
    row = {"题型": "单选", "题干": "停电检修时，在一经合闸即可送电到工作地点的开关操作手柄上应悬挂（　）标示牌。",
           "选项A": "禁止合闸，有人工作！", "选项B": "止步，高压危险！", "选项C": "在此工作！", "选项D": "从此上下！",
           "答案": "A", "解析": "防止误合闸。", "操作项目": "1.2", "知识点": "安全标示牌", "认知层次": "熟练掌握",
           "难度": 2, "范围": "国家", "用途": "练习"}
    row.update(changes)
    return row


def multi_row(**changes):
    row = {"题型": "多选", "题干": "保证安全的技术措施包括（　）。", "选项A": "停电", "选项B": "验电",
           "选项C": "装设接地线", "选项D": "执行工作票制度", "选项E": "悬挂标示牌和装设遮栏", "答案": "ABCE",
           "解析": "工作票制度属于组织措施。", "操作项目": "1.2", "知识点": "保证安全的技术措施", "认知层次": "了解",
           "难度": 3, "范围": "省级", "用途": "考试", "省份代码": "44"}
    row.update(changes)
    return row


def xlsx(rows, header=HEADER, title="题目"):
    """A workbook; ``rows`` are dicts by heading (or lists/None for raw rows, None = blank row)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        if row is None:
            sheet.append([])
        elif isinstance(row, dict):
            sheet.append([row.get(heading) for heading in header])
        else:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_text(rows, header=HEADER, delimiter=","):
    import csv

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    for row in rows:
        writer.writerow([] if row is None else ["" if row.get(h) is None else row[h] for h in header])
    return buffer.getvalue()


JSON_KEYS = {"题型": "type", "题干": "stem", "答案": "answer", "解析": "explanation", "操作项目": "operation_item",
             "知识点": "knowledge_point", "认知层次": "cognitive_level", "难度": "difficulty", "出处": "source",
             "范围": "scope", "用途": "use", "省份代码": "province"}
TYPES = {"判断": "judge", "单选": "single", "多选": "multi"}
SCOPES = {"国家": "national", "省级": "provincial"}
USES = {"考试": "exam", "练习": "practice"}


def as_json_item(row):
    item = {}
    for heading, key in JSON_KEYS.items():
        if heading in row:
            item[key] = row[heading]
    item["type"] = TYPES[item["type"]]
    item["scope"] = SCOPES[item["scope"]]
    item["use"] = USES[item["use"]]
    options = [row[f"选项{letter}"] for letter in "ABCDEF" if row.get(f"选项{letter}")]
    if options:
        item["options"] = options
    if item["type"] == "judge":
        item["answer"] = "T" if item["answer"] == "正确" else "F"
    return item


def json_bytes(items, **document):
    return json.dumps({"format": "exam-center-bank/1", "items": items, **document}, ensure_ascii=False).encode()


def read(data, filename="bank.xlsx", *, known=KNOWN, existing=None, progress=None) -> ImportReport:
    return read_import(data, filename, known_operation_items=known, existing_keys=existing or {}, progress=progress)


def where(report):
    """(code, row, column) of every problem."""
    return [(p.code, p.row, p.column) for p in report.problems]


# ---- good files


def test_a_good_workbook_gives_every_item_with_its_partition():
    report = read(xlsx([judge_row(), single_row(), multi_row()]))
    assert report.ok and report.problems == ()
    assert report.rows_read == 3 and report.existing_duplicates == ()
    judge, single, multi = report.items
    assert [item.row for item in report.items] == [2, 3, 4]
    assert judge.content.type is ItemType.JUDGE and judge.content.answer == (1,)
    assert judge.content.options == ("正确", "错误") and judge.content.cognitive_level is CognitiveLevel.MASTER
    assert (judge.operation_item, judge.scope, judge.province_code, judge.use) == ("1.2", Scope.NATIONAL, None,
                                                                                   Use.EXAM)
    assert judge.content.source == "低压电工作业安全技术培训大纲"
    assert single.content.answer == (0,) and single.use is Use.PRACTICE and len(single.content.options) == 4
    assert multi.content.answer == (0, 1, 2, 4) and multi.content.cognitive_level is CognitiveLevel.UNDERSTAND
    assert (multi.scope, multi.province_code, multi.content.difficulty) == (Scope.PROVINCIAL, "44", 3)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_in_every_encoding_excel_and_wps_write(encoding):
    data = csv_text([judge_row(), single_row(), multi_row()]).encode(encoding)
    report = read(data, "题库.csv")
    assert report.ok, report.problems
    assert [item.content.stem for item in report.items] == [judge_row()["题干"], single_row()["题干"],
                                                             multi_row()["题干"]]


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_csv_delimiters(delimiter):
    report = read(csv_text([single_row(), multi_row()], delimiter=delimiter).encode(), "bank.CSV")
    assert report.ok and len(report.items) == 2


def test_csv_line_breaks_inside_a_cell_are_kept_as_line_breaks():
    text = csv_text([single_row(解析="第一行\r\n第二行")])
    report = read(text.encode(), "bank.csv")
    assert report.ok, report.problems
    assert report.items[0].content.explanation == "第一行\n第二行"


def test_a_good_json_file():
    items = [as_json_item(judge_row()), as_json_item(single_row()), as_json_item(multi_row())]
    items[0]["cognitive_level"] = "master"                   # English values are accepted too
    items[1].update(id=7, version=2, status="active")       # written by the export, ignored
    report = read(json_bytes(items), "bank.json")
    assert report.ok, report.problems
    assert [item.row for item in report.items] == [1, 2, 3]
    assert report.items[0].content.answer == (1,) and report.items[0].content.cognitive_level is CognitiveLevel.MASTER
    assert report.items[2].province_code == "44" and report.items[2].content.answer == (0, 1, 2, 4)


def test_json_with_a_byte_order_mark_and_lenient_scalars():
    item = as_json_item(judge_row())
    item.update(answer=True, difficulty="4", operation_item=1.1)
    multi = as_json_item(multi_row())
    multi["province"] = 44
    report = read(b"\xef\xbb\xbf" + json_bytes([item, multi]), "bank.json")
    assert report.ok, report.problems
    assert report.items[0].content.answer == (0,) and report.items[0].content.difficulty == 4
    assert report.items[0].operation_item == "1.1" and report.items[1].province_code == "44"


def test_english_headings_case_insensitively_and_export_columns_ignored():
    header = ["ID", "Version", "Status", "Type", "STEM", "Option_A", "option b", "Option_C", "Answer", "Explanation",
              "Operation_Item", "knowledge_point", "Cognitive_Level", "Difficulty", "Source", "Scope", "Use",
              "Province"]
    row = [12, 3, "启用", "single", "三相四线制低压系统中，保护接地线（PE线）的颜色应为（　）。", "黄绿双色", "淡蓝色",
           "黑色", "a", "PE 线采用黄绿双色。", "1.2", "电气线路", "understand", 3, "", "national", "exam", None]
    report = read(xlsx([row], header=header))
    assert report.ok, report.problems
    assert report.items[0].content.options == ("黄绿双色", "淡蓝色", "黑色")
    assert report.items[0].content.answer == (0,)


def test_headings_with_blanks_and_required_marks_are_recognised():
    header = [f" {heading}* " if heading == "题干" else heading for heading in HEADER]
    report = read(xlsx([single_row(**{" 题干* ": single_row()["题干"]})], header=header))
    assert report.ok, report.problems


@pytest.mark.parametrize("value, expected", [
    ("判断", ItemType.JUDGE), ("判断题", ItemType.JUDGE), ("judge", ItemType.JUDGE), ("Judge", ItemType.JUDGE),
    ("单选", ItemType.SINGLE), ("单选题", ItemType.SINGLE), ("single", ItemType.SINGLE),
    ("多选", ItemType.MULTI), ("多选题", ItemType.MULTI), ("MULTI", ItemType.MULTI),
])
def test_type_labels(value, expected):
    row = {ItemType.JUDGE: judge_row, ItemType.SINGLE: single_row, ItemType.MULTI: multi_row}[expected](题型=value)
    report = read(xlsx([row]))
    assert report.ok, report.problems
    assert report.items[0].content.type is expected


@pytest.mark.parametrize("answer, expected", [
    ("正确", (0,)), ("错误", (1,)), ("T", (0,)), ("F", (1,)), ("t", (0,)), ("对", (0,)), ("错", (1,)), ("√", (0,)),
    ("×", (1,)), (True, (0,)), (False, (1,)), (" 正确 ", (0,)),
])
def test_judge_answers_including_excel_booleans(answer, expected):
    report = read(xlsx([judge_row(答案=answer)]))
    assert report.ok, report.problems
    assert report.items[0].content.answer == expected


@pytest.mark.parametrize("answer, expected", [("A,C,D", (0, 2, 3)), ("acd", (0, 2, 3)), ("Ａ、Ｃ", (0, 2)),
                                               ("D C", (2, 3))])
def test_choice_answer_spellings(answer, expected):
    report = read(xlsx([multi_row(答案=answer)]))
    assert report.ok, report.problems
    assert report.items[0].content.answer == expected


@pytest.mark.parametrize("level, expected", [("了解", CognitiveLevel.UNDERSTAND), ("master", CognitiveLevel.MASTER),
                                              ("熟练掌握", CognitiveLevel.PROFICIENT),
                                              ("Proficient", CognitiveLevel.PROFICIENT)])
def test_cognitive_levels(level, expected):
    report = read(xlsx([single_row(认知层次=level)]))
    assert report.items[0].content.cognitive_level is expected


@pytest.mark.parametrize("scope, use", [("national", "practice"), ("国家", "练习"), ("National", "Exam")])
def test_scope_and_use_in_english_or_chinese(scope, use):
    report = read(xlsx([single_row(范围=scope, 用途=use)]))
    assert report.ok, report.problems
    assert report.items[0].scope is Scope.NATIONAL


def test_excel_numbers_and_trimmed_text():
    rows = [
        single_row(难度=3.0, 操作项目=1.2, 选项A=220, 选项B=380.0, 选项C=36, 选项D=" 12 ", 答案="C",
                   题干="  我国规定的安全电压额定值中，下列可用于一般场所手持照明的是（　）V。  "),
        multi_row(难度="4", 省份代码=44, 操作项目="１.２"),
        multi_row(题干="另一道题", 难度="5.0", 省份代码=440000),
    ]
    report = read(xlsx(rows))
    assert report.ok, report.problems
    first, second, third = report.items
    assert first.content.difficulty == 3 and first.operation_item == "1.2"
    assert first.content.options == ("220", "380", "36", "12")
    assert first.content.stem.startswith("我国") and first.content.stem.endswith("V。")
    assert (second.content.difficulty, second.province_code, second.operation_item) == (4, "44", "1.2")
    assert (third.content.difficulty, third.province_code) == (5, "44")


def test_blank_rows_are_skipped_and_rows_keep_their_sheet_numbers():
    report = read(xlsx([None, judge_row(), ["", "  ", None], None, single_row()]))
    assert report.ok, report.problems
    assert [item.row for item in report.items] == [3, 6]
    assert report.rows_read == 2


def test_the_sheet_named_题目_is_read_even_when_it_is_not_the_first():
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx([single_row()])))
    workbook.create_sheet("说明", 0).append(["随便写点什么"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = read(buffer.getvalue())
    assert report.ok and len(report.items) == 1


def test_another_sheet_name_reads_the_first_sheet():
    report = read(xlsx([single_row()], title="Sheet1"))
    assert report.ok and len(report.items) == 1


def test_progress_is_reported_per_row():
    calls = []
    read(xlsx([judge_row(), None, single_row(), multi_row(答案="Z")]), progress=lambda done, total: calls.append(
        (done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]


# ---- duplicates


def test_an_item_already_in_the_bank_is_listed_not_a_problem():
    content, _ = build_content(type=ItemType.SINGLE, stem=single_row()["题干"] + " ",
                               options=["禁止合闸,有人工作!", "止步，高压危险！", "在此工作！", "从此上下！"], answer="A",
                               explanation="x", knowledge_point="y", cognitive_level=CognitiveLevel.MASTER,
                               difficulty=1)
    report = read(xlsx([judge_row(), single_row()]), existing={content.content_key(): 17})
    assert report.ok
    assert report.existing_duplicates == ((3, 17),)
    assert [item.row for item in report.items] == [2]
    assert report.rows_read == 2


def test_a_row_repeating_an_earlier_row_is_a_problem():
    report = read(xlsx([single_row(), judge_row(), single_row(答案="B", 选项A="从此上下！", 选项D="禁止合闸，有人工作！")]))
    assert where(report) == [("import.duplicate_in_file", 4, "题干")]
    assert report.problems[0].params == {"row": 2}
    assert [item.row for item in report.items] == [2, 3]
    assert "row 2" in report.problems[0].render()


def test_json_duplicate_names_the_earlier_item_number():
    report = read(json_bytes([as_json_item(judge_row()), as_json_item(judge_row())]), "bank.json")
    assert where(report) == [("import.duplicate_in_file", 2, "stem")]
    assert report.problems[0].params == {"row": 1}


# ---- problems of a row, each at its column


def test_unknown_operation_item_names_it():
    report = read(xlsx([single_row(), single_row(操作项目="7.7", 题干="别的题")]))
    assert where(report) == [("import.unknown_operation_item", 3, "操作项目")]
    assert report.problems[0].params == {"value": "7.7"}
    assert "7.7" in report.problems[0].render()
    assert len(report.items) == 1


def test_excel_number_that_may_mean_x_10_is_not_guessed():
    report = read(xlsx([single_row(操作项目=5.1), single_row(操作项目="5.1", 题干="二"),
                        single_row(操作项目=1.1, 题干="三")]))
    assert where(report) == [("import.operation_item_number", 2, "操作项目")]
    assert report.problems[0].params == {"value": "5.1", "other": "5.10"}
    assert [item.operation_item for item in report.items] == ["5.1", "1.1"]


def test_provincial_items_need_a_valid_province_code_and_national_items_none():
    report = read(xlsx([multi_row(省份代码=None), multi_row(省份代码="99", 题干="二"),
                        multi_row(省份代码="广东", 题干="三"), single_row(省份代码="11")]))
    assert where(report) == [("import.province_required", 2, "省份代码"), ("import.province_invalid", 3, "省份代码"),
                             ("import.province_invalid", 4, "省份代码"), ("import.province_not_allowed", 5, "省份代码")]
    assert report.problems[1].params == {"value": "99"}


def test_provincial_item_without_the_province_column():
    header = [h for h in HEADER if h != "省份代码"]
    report = read(xlsx([multi_row()], header=header))
    assert where(report) == [("import.province_required", 2, "省份代码")]


@pytest.mark.parametrize("changes, expected", [
    ({"题型": "填空"}, [("import.type", "题型")]),
    ({"题型": None}, [("item.required", "题型")]),
    ({"认知层次": "精通"}, [("import.cognitive_level", "认知层次")]),
    ({"范围": "市级"}, [("import.scope", "范围")]),
    ({"用途": "培训"}, [("import.use", "用途")]),
    ({"用途": ""}, [("item.required", "用途")]),
    ({"难度": "难"}, [("import.difficulty", "难度")]),
    ({"难度": 2.5}, [("import.difficulty", "难度")]),
    ({"难度": 6}, [("import.difficulty", "难度")]),
    ({"难度": 0}, [("import.difficulty", "难度")]),
    ({"难度": True}, [("import.difficulty", "难度")]),
    ({"难度": None}, [("item.required", "难度")]),
    ({"题干": "   "}, [("item.required", "题干")]),
    ({"题干": "电" * 501}, [("item.too_long", "题干")]),
    ({"解析": None}, [("item.required", "解析")]),
    ({"知识点": "点" * 41}, [("item.too_long", "知识点")]),
    ({"出处": "出" * 201}, [("item.too_long", "出处")]),
    ({"操作项目": None}, [("item.required", "操作项目")]),
    ({"选项B": None}, [("item.option_gap", "选项B")]),
    ({"选项B": None, "选项C": None, "选项D": None}, [("item.option_count", "选项A")]),
    ({"选项C": "选" * 201}, [("item.too_long", "选项C")]),
    ({"选项D": "禁止合闸、有人工作"}, [("item.duplicate_options", "选项A")]),
    ({"答案": None}, [("item.answer_missing", "答案")]),
    ({"答案": "1"}, [("item.answer_letters", "答案")]),
    ({"答案": "AA"}, [("item.answer_repeated", "答案")]),
    ({"答案": "E"}, [("item.answer_not_an_option", "答案")]),
    ({"答案": "AB"}, [("item.single_answer", "答案")]),
    ({"答案": True}, [("item.answer_letters", "答案")]),
    ({"题型": "多选", "答案": "A"}, [("item.multi_answer", "答案")]),
    ({"题型": "多选", "答案": "ABCD"}, [("item.multi_answer", "答案")]),
    ({"题型": "判断", "答案": "A"}, [("item.judge_options", "选项A"), ("item.judge_answer", "答案")]),
])
def test_each_problem_of_a_row_is_placed_in_its_column(changes, expected):
    report = read(xlsx([judge_row(), single_row(**changes)]))
    assert where(report) == [(code, 3, column) for code, column in expected]
    assert [item.row for item in report.items] == [2]


def test_answer_not_an_option_says_which_letters_and_how_many_options():
    report = read(xlsx([single_row(答案="E")]))
    assert report.problems[0].params == {"letters": "E", "count": 4}
    assert report.problems[0].render() == "The answer E is not among the options (there are 4)."


def test_judge_with_its_own_options_in_the_columns():
    report = read(xlsx([judge_row(选项A="正确", 选项B="错误"), judge_row(选项C="可能", 题干="二")]))
    assert where(report) == [("item.judge_options", 3, "选项C")]


def test_all_problems_of_all_rows_are_reported():
    rows = [single_row(题型="问答", 题干=None, 难度="x"), judge_row(), multi_row(答案="F", 用途=None, 省份代码=None),
            None, single_row(认知层次="", 操作项目="0.0", 题干="另一道")]
    report = read(xlsx(rows))
    assert where(report) == [
        ("import.type", 2, "题型"), ("item.required", 2, "题干"), ("import.difficulty", 2, "难度"),
        ("item.answer_not_an_option", 4, "答案"), ("item.required", 4, "用途"),
        ("import.province_required", 4, "省份代码"),
        ("import.unknown_operation_item", 6, "操作项目"), ("item.required", 6, "认知层次"),
    ]
    assert [item.row for item in report.items] == [3]
    assert not report.ok


# ---- the header row


def test_unknown_column_is_a_problem_on_row_1_but_rows_are_still_checked():
    header = HEADER + ["备注"]
    report = read(xlsx([single_row(备注="随便"), judge_row(答案="也许")], header=header))
    assert where(report) == [("import.unknown_column", 1, "备注"), ("item.judge_answer", 3, "答案")]
    assert report.problems[0].params == {"column": "备注"}


def test_missing_required_columns_are_reported_once_on_row_1():
    header = [h for h in HEADER if h not in ("答案", "用途")]
    report = read(xlsx([single_row(), judge_row()], header=header))
    assert where(report) == [("import.missing_column", 1, None), ("import.missing_column", 1, None)]
    assert [p.params for p in report.problems] == [{"column": "答案"}, {"column": "用途"}]
    assert report.items == () and report.rows_read == 2


def test_optional_columns_may_be_left_out():
    header = [h for h in HEADER if h not in ("出处", "省份代码", "选项E", "选项F")]
    report = read(xlsx([judge_row(), single_row()], header=header))
    assert report.ok, report.problems


def test_a_column_given_twice():
    header = HEADER + ["Stem"]
    report = read(xlsx([single_row()], header=header))
    assert where(report) == [("import.duplicate_column", 1, "Stem")]
    assert report.problems[0].params == {"column": "Stem", "first": "题干"}


def test_a_value_in_a_column_without_heading():
    header = HEADER[:5] + [None] + HEADER[5:]
    rows = [["单选", "题干一", "甲", "乙", "丙", None, "丁", None, None, "A", "解析", "1.2", "kp", "了解", 1, None,
             "国家", "考试", None],
            ["单选", "题干二", "甲", "乙", "丙", "多余", "丁", None, None, "A", "解析", "1.2", "kp", "了解", 1, None,
             "国家", "考试", None, None, "又多余"]]
    report = read(xlsx(rows, header=header))
    assert where(report) == [("import.value_without_heading", 3, None), ("import.value_without_heading", 3, None)]
    assert [p.params for p in report.problems] == [{"letter": "F"}, {"letter": "U"}]
    assert len(report.items) == 1


def test_a_file_with_only_the_header_or_nothing_has_no_items():
    assert where(read(xlsx([]))) == [("import.no_items", None, None)]
    assert where(read(xlsx([None, None]))) == [("import.no_items", None, None)]
    assert where(read(b"", "bank.csv")) == [("import.no_items", None, None)]
    assert where(read(json_bytes([]), "bank.json")) == [("import.no_items", None, None)]
    empty = openpyxl.Workbook()
    buffer = io.BytesIO()
    empty.save(buffer)
    assert where(read(buffer.getvalue())) == [("import.no_items", None, None)]


def test_the_headings_must_be_in_the_first_row():
    workbook = openpyxl.Workbook()
    workbook.active.append([])
    workbook.active.append(HEADER)
    workbook.active.append([single_row()[h] if h in single_row() else None for h in HEADER])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert where(read(buffer.getvalue())) == [("import.no_header", 1, None)]
    assert where(read(("\n" + csv_text([single_row()])).encode(), "bank.csv")) == [("import.no_header", 1, None)]


# ---- files that cannot be read


@pytest.mark.parametrize("data", [
    b"", b"this is not a workbook", "题型,题干\n判断,x".encode(), b"PK\x03\x04garbage",
    xlsx([single_row()])[:300],
])
def test_something_that_is_not_a_workbook_named_xlsx(data):
    report = read(data, "bank.xlsx")
    assert where(report) == [("import.unreadable_xlsx", None, None)]
    assert report.items == () and report.rows_read == 0


def test_a_zip_that_is_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert where(read(buffer.getvalue(), "bank.xlsx")) == [("import.unreadable_xlsx", None, None)]


@pytest.mark.parametrize("filename", ["bank.xls", "bank.txt", "bank", "bank.xlsx.exe", ""])
def test_unsupported_file_types(filename):
    report = read(xlsx([single_row()]), filename)
    assert where(report) == [("import.unsupported_file_type", None, None)]
    assert report.problems[0].params == {"name": filename}


def test_uppercase_extension_is_fine():
    assert read(xlsx([single_row()]), "BANK.XLSX").ok


def test_csv_that_no_encoding_decodes():
    report = read(b"\x80\x81\xff\xfe\x00" * 3 + b"\xff", "bank.csv")
    assert where(report) == [("import.csv_encoding", None, None)]


@pytest.mark.parametrize("tail", ['"未闭合的引号\n', '"引号"后面还有字,x\n', "长" * 200_000 + "\n"])
def test_damaged_csv(tail):
    text = csv_text([single_row()]) + "单选,题干," + tail
    assert where(read(text.encode(), "bank.csv")) == [("import.unreadable_csv", None, None)]


def test_control_characters_in_a_csv_cell():
    text = csv_text([single_row(题干="电压\x07"), single_row(解析="一\t二", 题干="二")])
    report = read(text.encode(), "bank.csv")
    assert where(report) == [("item.control_characters", 2, "题干"), ("item.control_characters", 3, "解析")]


def test_csv_problems_use_the_rows_excel_shows():
    text = csv_text([single_row(), None, single_row(答案="Q", 题干="二")])
    report = read(text.encode("gbk"), "bank.csv")
    assert where(report) == [("item.answer_letters", 4, "答案")]


# ---- JSON problems


@pytest.mark.parametrize("data, code", [
    (b"{not json", "import.json_invalid"),
    (b"[]", "import.json_structure"),
    (b'{"items": []}', "import.json_structure"),
    (b'{"format": "exam-center-bank/2", "items": []}', "import.json_structure"),
    (b'{"format": "exam-center-bank/1", "items": {}}', "import.json_structure"),
    ("{\"format\": \"exam-center-bank/1\", \"items\": []}".encode("utf-16"), "import.json_encoding"),
    (b"[" * 100_000 + b"]" * 100_000, "import.json_invalid_nesting"),
])
def test_json_files_that_cannot_be_read(data, code):
    report = read(data, "bank.json")
    assert where(report) == [(code, None, None)]


def test_invalid_json_says_where():
    report = read(b'{"format": "exam-center-bank/1",\n "items": [,]}', "bank.json")
    assert report.problems[0].params == {"line": 2, "column": 12}


def test_json_wrong_types_are_problems_at_their_keys():
    good = as_json_item(single_row())
    items = [
        "not an object",
        {**good, "options": "甲，乙，丙，丁", "stem": "一"},
        {**good, "options": ["甲", ["乙"], "丙"], "stem": "二"},
        {**good, "stem": ["三"], "difficulty": [3], "note": "x"},
        {**good, "stem": "四", "options": ["甲", "乙", "丙", "丁", "戊", "己", "庚"]},
        {**good, "stem": "五", "scope": True, "answer": 1},
        {**good, "stem": "六"},
    ]
    report = read(json_bytes(items), "bank.json")
    assert where(report) == [
        ("import.json_item_not_object", 1, None),
        ("import.options_not_a_list", 2, "options"),
        ("import.option_not_text", 3, "options"),
        ("import.unknown_key", 4, "note"), ("import.not_text", 4, "stem"), ("import.difficulty", 4, "difficulty"),
        ("import.too_many_options", 5, "options"),
        ("import.not_text", 6, "scope"), ("item.answer_letters", 6, "answer"),
    ]
    assert report.problems[3].params == {"key": "note"}
    assert report.problems[6].params == {"max": 6, "count": 7}
    assert [item.row for item in report.items] == [7]


def test_json_missing_keys_and_field_problems_use_the_keys():
    item = as_json_item(multi_row())
    del item["explanation"], item["province"]
    item["options"] = ["停电", "验电", "停电"]
    item["answer"] = "AB"
    report = read(json_bytes([item]), "bank.json")
    assert where(report) == [("item.duplicate_options", 1, "options"), ("item.required", 1, "explanation"),
                             ("import.province_required", 1, "province")]


def test_json_choice_without_options():
    item = as_json_item(single_row())
    del item["options"]
    assert where(read(json_bytes([item]), "bank.json")) == [("item.option_count", 1, "options"),
                                                            ("item.answer_not_an_option", 1, "answer")]


def test_json_judge_with_options_other_than_true_and_false():
    item = as_json_item(judge_row())
    item["options"] = ["是", "否"]
    assert where(read(json_bytes([item]), "bank.json")) == [("item.judge_options", 1, "options")]


# ---- limits


def test_row_limit_in_a_workbook(monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    rows = [single_row(题干=f"第{n}题") for n in range(5)]
    report = read(xlsx(rows[:3]))
    assert report.ok and len(report.items) == 3
    report = read(xlsx(rows[:3] + [None] + rows[3:]))
    assert where(report) == [("import.too_many_rows", 6, None)]
    assert report.problems[0].params == {"max": 3}
    assert report.rows_read == 3


def test_row_limit_in_json(monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 2)
    items = [as_json_item(single_row(题干=f"第{n}题")) for n in range(3)]
    report = read(json_bytes(items), "bank.json")
    assert where(report) == [("import.too_many_rows", 3, None)]
    assert report.rows_read == 2


def test_the_real_limit_is_20000_rows():
    assert importing.MAX_ROWS == 20_000
    line = "判断,题{n},,,,,,,T,解析,1.2,知识点,了解,1,,国家,练习,\n"
    text = ",".join(HEADER) + "\n" + "".join(line.format(n=n) for n in range(20_001))
    report = read(text.encode(), "bank.csv")
    assert where(report) == [("import.too_many_rows", 20_002, None)]
    assert report.rows_read == 20_000 and len(report.items) == 20_000


def test_a_sheet_with_a_wrong_size_record_is_still_read_completely():
    data = xlsx([single_row()])
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                assert b'<dimension ref="A1:R2" />' in content
                content = content.replace(b'<dimension ref="A1:R2" />', b'<dimension ref="A1" />')
            target.writestr(info, content)
    report = read(buffer.getvalue())
    assert report.ok, report.problems
