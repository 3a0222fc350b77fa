"""Exporting items (Excel and the JSON content format) and the import templates.

The export uses the import template's columns with Chinese values, so an exported file can be edited
and imported again; 题目编号, 版本 and 状态 come first and are ignored on import.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .importing import (
    COLUMNS,
    EXPORT_COLUMNS,
    FORMAT,
    MAX_ROWS,
    PROVINCE_CODES,
    SHEET_NAME,
)
from .items import (
    JUDGE_OPTIONS,
    LETTERS,
    CognitiveLevel,
    ItemContent,
    ItemStatus,
    ItemType,
    Scope,
    Use,
    build_content,
)

TYPE_ZH = {ItemType.JUDGE: "判断", ItemType.SINGLE: "单选", ItemType.MULTI: "多选"}
SCOPE_ZH = {Scope.NATIONAL: "国家", Scope.PROVINCIAL: "省级"}
USE_ZH = {Use.EXAM: "考试", Use.PRACTICE: "练习"}
STATUS_ZH = {ItemStatus.DRAFT: "草稿", ItemStatus.IN_REVIEW: "待审核", ItemStatus.ACTIVE: "启用",
             ItemStatus.RETIRED: "停用"}
INSTRUCTIONS_SHEET = "填写说明"
TEXT_FIELDS = ("operation_item", "province")   # codes: kept as text so Excel does not turn 5.10 into 5.1
WIDTHS = {"stem": 50, "explanation": 40, "knowledge_point": 18, "source": 28, "answer": 8,
          **{f"option_{letter}": 22 for letter in LETTERS}}


@dataclass(frozen=True)
class ExportRow:
    item_id: int
    version: int
    status: ItemStatus
    operation_item: str
    scope: Scope
    province_code: str | None
    use: Use
    content: ItemContent


def _answer_zh(content: ItemContent) -> str:
    if content.type is ItemType.JUDGE:
        return JUDGE_OPTIONS[content.answer[0]]
    return content.answer_letters


def _sheet_values(operation_item: str, scope: Scope, province_code: str | None, use: Use,
                  content: ItemContent) -> dict[str, Any]:
    options = () if content.type is ItemType.JUDGE else content.options
    values: dict[str, Any] = {
        "type": TYPE_ZH[content.type],
        "stem": content.stem,
        "answer": _answer_zh(content),
        "explanation": content.explanation,
        "operation_item": operation_item,
        "knowledge_point": content.knowledge_point,
        "cognitive_level": content.cognitive_level.label_zh,
        "difficulty": content.difficulty,
        "source": content.source,
        "scope": SCOPE_ZH[scope],
        "use": USE_ZH[use],
        "province": province_code or "",
    }
    for letter, option in zip(LETTERS, options):
        values[f"option_{letter}"] = option
    return values


def _new_workbook():
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    return workbook, sheet


def _write_table(sheet, columns, rows: Iterable[dict[str, Any]]) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    sheet.append([column.heading for column in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = WIDTHS.get(column.field, 10)
        if column.field in TEXT_FIELDS:
            sheet.column_dimensions[letter].number_format = "@"
    wrap = Alignment(wrap_text=True, vertical="top")
    for row_number, values in enumerate(rows, start=2):
        for index, column in enumerate(columns, start=1):
            value = values.get(column.field)
            if value is None or value == "":
                continue
            cell = sheet.cell(row=row_number, column=index, value=value)
            if isinstance(value, str):
                cell.data_type = "s"   # text stays text, even "=…" (no formulas from item content)
                if column.field in TEXT_FIELDS:
                    cell.number_format = "@"
                if column.field in ("stem", "explanation"):
                    cell.alignment = wrap


def _workbook_bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_xlsx(rows: Iterable[ExportRow]) -> bytes:
    """An Excel workbook with sheet 题目: 题目编号, 版本, 状态 and then the import template's columns."""
    workbook, sheet = _new_workbook()

    def values():
        for row in rows:
            result = _sheet_values(row.operation_item, row.scope, row.province_code, row.use, row.content)
            result.update(id=row.item_id, version=row.version, status=STATUS_ZH[row.status])
            yield result

    _write_table(sheet, EXPORT_COLUMNS + COLUMNS, values())
    return _workbook_bytes(workbook)


def _json_item(row: ExportRow) -> dict[str, Any]:
    content = row.content
    item: dict[str, Any] = {"id": row.item_id, "version": row.version, "status": row.status.value,
                            "type": content.type.value, "stem": content.stem}
    if content.type is not ItemType.JUDGE:
        item["options"] = list(content.options)
    item.update({
        "answer": content.answer_letters,
        "explanation": content.explanation,
        "operation_item": row.operation_item,
        "knowledge_point": content.knowledge_point,
        "cognitive_level": content.cognitive_level.label_zh,
        "difficulty": content.difficulty,
        "source": content.source,
        "scope": row.scope.value,
        "use": row.use.value,
    })
    if row.province_code:
        item["province"] = row.province_code
    return item


def export_json(rows: Iterable[ExportRow]) -> bytes:
    """The content format (exam-center-bank/1) with each item's id, version and status added."""
    document = {"format": FORMAT, "items": [_json_item(row) for row in rows]}
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# --------------------------------------------------------------------------------------------------
# Templates


@dataclass(frozen=True)
class _Example:
    type: ItemType
    stem: str
    options: tuple[str, ...]
    answer: str
    explanation: str
    knowledge_point: str
    cognitive_level: CognitiveLevel
    difficulty: int
    source: str


# Real 低压电工作业 (1.2) items, one per type.
EXAMPLES = (
    _Example(
        ItemType.JUDGE,
        "发现有人触电时，应立即用手将触电者拉离带电体。",
        (), "错误",
        "触电者身体带电，用手直接拉会使施救者也触电。应先断开电源，或用干燥的木棒、绝缘物等使触电者脱离电源。",
        "触电急救", CognitiveLevel.MASTER, 2, "低压电工作业安全技术培训大纲"),
    _Example(
        ItemType.SINGLE,
        "在低压线路上停电检修时，应在一经合闸即可送电到工作地点的开关操作手柄上悬挂（　）标示牌。",
        ("禁止合闸，有人工作！", "止步，高压危险！", "在此工作！", "从此上下！"), "A",
        "一经合闸即可送电到工作地点的开关操作手柄上，应悬挂“禁止合闸，有人工作！”标示牌，防止误合闸。",
        "安全标示牌", CognitiveLevel.PROFICIENT, 2, "低压电工作业安全技术培训大纲"),
    _Example(
        ItemType.MULTI,
        "在全部停电或部分停电的电气设备上工作，保证安全的技术措施包括（　）。",
        ("停电", "验电", "装设接地线", "执行工作票制度", "悬挂标示牌和装设遮栏"), "ABCE",
        "保证安全的技术措施是停电、验电、装设接地线、悬挂标示牌和装设遮栏；工作票制度属于保证安全的组织措施。",
        "保证安全的技术措施", CognitiveLevel.MASTER, 3, "低压电工作业安全技术培训大纲"),
)
EXAMPLE_OPERATION_ITEM = "1.2"


def _example_rows() -> list[dict[str, Any]]:
    rows = []
    for example in EXAMPLES:
        content, problems = build_content(
            type=example.type, stem=example.stem, options=example.options, answer=example.answer,
            explanation=example.explanation, knowledge_point=example.knowledge_point,
            cognitive_level=example.cognitive_level, difficulty=example.difficulty, source=example.source)
        assert content is not None, problems
        rows.append(_sheet_values(EXAMPLE_OPERATION_ITEM, Scope.NATIONAL, None, Use.PRACTICE, content))
    return rows


COLUMN_HELP: dict[str, tuple[str, str]] = {
    # field: (必填/选填, 说明)
    "type": ("必填", "判断、单选 或 多选（也可写 判断题、单选题、多选题）。"),
    "stem": ("必填", "题目正文，不超过 500 字。"),
    "options": ("单选、多选必填",
                ("选项内容，至少 2 个、最多 6 个，从“选项A”起依次填写，中间不能空列；只写选项文字，不要加“A.”“B、”等前缀；"
                 "每个选项不超过 200 字。判断题不填，其选项固定为“正确”“错误”。")),
    "answer": ("必填",
               ("判断题填 正确 或 错误（也可写 对/错、T/F、√/×）；单选题填一个选项字母，如 B；多选题填两个及以上字母，如 ACD 或 "
                "A,C,D，且至少有一个选项不是正确答案。答案字母必须是已填写的选项。")),
    "explanation": ("必填", "说明答案为什么正确（判断题答案为“错误”时写出正确的说法），不超过 1000 字。"),
    "operation_item": ("必填",
                       ("特种作业操作项目代码，如 1.1（高压电工作业）、1.2（低压电工作业）、2.1（熔化焊接与热切割作业）。"
                        "本列已设为文本格式，请保持，以免 Excel 把 5.10 变成 5.1。")),
    "knowledge_point": ("必填", "该题考查的知识点，不超过 40 字。"),
    "cognitive_level": ("必填", "了解、掌握 或 熟练掌握（与培训大纲的要求一致）。"),
    "difficulty": ("必填", "1～5 的整数，1 最容易，5 最难。"),
    "source": ("选填", "依据的标准、法规或培训大纲名称，如“GB/T 13869—2017 用电安全导则”，不超过 200 字。"),
    "scope": ("必填", "国家（国家题库）或 省级（省级题库）。"),
    "use": ("必填", "考试（考试题，须保密）或 练习（练习题，可提供给培训机构）。"),
    "province": ("范围为省级时必填",
                 "两位省级行政区划代码，如 11（北京）、31（上海）、44（广东）；范围为“国家”时不填。"),
}

GENERAL_NOTES = (
    "每行填写一道题。第 1 行是列标题，请不要修改、删除或调换；英文列名（如 type、stem、answer）也可以识别。",
    "第 2～4 行是正确填写的示例题目（低压电工作业），填写时请删除或替换为您的题目。",
    f"空行会被跳过。一个文件最多 {MAX_ROWS} 道题，题目更多时请分成几个文件导入。",
    "导入前系统会检查所有行，并按行号和列名列出发现的全部问题。",
    "与题库中已有题目相同（题干和选项相同）的行不会重复导入，会在检查结果中列出；同一文件中重复的题目会作为问题报告。",
    "也可以另存为 CSV 文件（UTF-8 或 GBK 编码）导入，但建议直接使用本 Excel 模板。",
    "导出文件中的“题目编号”“版本”“状态”三列由系统生成，导入时会被忽略。",
)


def _instructions(workbook) -> None:
    from openpyxl.styles import Alignment, Font

    sheet = workbook.create_sheet(INSTRUCTIONS_SHEET)
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 24
    sheet.column_dimensions["C"].width = 18
    sheet.column_dimensions["D"].width = 90
    sheet.append(["填写说明"])
    sheet["A1"].font = Font(bold=True, size=14)
    for number, note in enumerate(GENERAL_NOTES, start=1):
        sheet.append([f"{number}.", note])
    sheet.append([])
    sheet.append(["列名", "英文列名", "是否必填", "填写要求和可填的值"])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    options_done = False
    for column in COLUMNS:
        if column.field.startswith("option_"):
            if options_done:
                continue
            options_done = True
            required, text = COLUMN_HELP["options"]
            sheet.append(["选项A～选项F", "option_a～option_f", required, text])
        else:
            required, text = COLUMN_HELP[column.field]
            sheet.append([column.heading, column.aliases[0], required, text])
        sheet.cell(row=sheet.max_row, column=4).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.append(["题目编号、版本、状态", "id、version、status", "不填", "仅出现在导出文件中，导入时忽略。"])
    codes = "、".join(sorted(PROVINCE_CODES))
    sheet.append([])
    sheet.append(["省份代码", "", "", f"可用的代码：{codes}。"])
    sheet.cell(row=sheet.max_row, column=4).alignment = Alignment(wrap_text=True, vertical="top")


def _validations(sheet, columns) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    lists = {"type": "判断,单选,多选", "cognitive_level": "了解,掌握,熟练掌握", "scope": "国家,省级", "use": "考试,练习"}
    last_row = MAX_ROWS + 1
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        if column.field in lists:
            validation = DataValidation(type="list", formula1=f'"{lists[column.field]}"', allow_blank=True)
        elif column.field == "difficulty":
            validation = DataValidation(type="whole", operator="between", formula1="1", formula2="5",
                                        allow_blank=True)
        else:
            continue
        validation.error = f"“{column.heading}”列的值不正确，请查看“{INSTRUCTIONS_SHEET}”。"
        validation.errorTitle = "输入有误"
        validation.showErrorMessage = True
        sheet.add_data_validation(validation)
        validation.add(f"{letter}2:{letter}{last_row}")


def template_xlsx() -> bytes:
    """The import template: sheet 题目 (header and one example per type) and sheet 填写说明."""
    workbook, sheet = _new_workbook()
    _write_table(sheet, COLUMNS, _example_rows())
    _validations(sheet, COLUMNS)
    _instructions(workbook)
    return _workbook_bytes(workbook)


def template_csv() -> bytes:
    """The same header and examples as CSV, UTF-8 with a byte-order mark (so Excel shows the Chinese)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([column.heading for column in COLUMNS])
    for values in _example_rows():
        writer.writerow(["" if values.get(column.field) is None else values[column.field] for column in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")
