"""Importing items from the bank administrators' files: Excel (.xlsx), CSV and the JSON content format.

``read_import`` never changes anything and never raises on bad input: it returns the items it could
read, the rows that repeat items already in the bank, and every problem of every row, each placed at
the row and column the user sees (spreadsheets: the header is row 1, so the first item is row 2;
JSON: the 1-based position in ``items``; the column is the heading or key as written in the file).
Problems about the file as a whole (unreadable, unsupported type) have no row.
"""
from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .items import (
    LETTERS,
    MAX_EXPLANATION,
    MAX_KNOWLEDGE_POINT,
    MAX_SOURCE,
    MAX_STEM,
    CognitiveLevel,
    ItemContent,
    ItemType,
    Scope,
    Use,
    build_content,
    check_text,
)
from .problems import N_, Problem

FORMAT = "exam-center-bank/1"
MAX_ROWS = 20_000
MAX_OPERATION_ITEM = 20
SHEET_NAME = "题目"

# Mainland provincial-level divisions (GB/T 2260). Certificates are issued by the mainland provinces only.
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
})

OPTION_FIELDS = tuple(f"option_{letter}" for letter in LETTERS)


@dataclass(frozen=True)
class Column:
    field: str
    heading: str                  # the Chinese heading written by the template and the export
    aliases: tuple[str, ...]      # English (and other) headings accepted on import
    required: bool = False
    ignored: bool = False         # written by the export, not imported


COLUMNS: tuple[Column, ...] = (
    Column("type", "题型", ("type",), required=True),
    Column("stem", "题干", ("stem",), required=True),
    *(Column(f"option_{letter}", f"选项{letter}", (f"option_{letter}", f"option {letter}")) for letter in LETTERS),
    Column("answer", "答案", ("answer",), required=True),
    Column("explanation", "解析", ("explanation",), required=True),
    Column("operation_item", "操作项目", ("operation_item",), required=True),
    Column("knowledge_point", "知识点", ("knowledge_point",), required=True),
    Column("cognitive_level", "认知层次", ("cognitive_level",), required=True),
    Column("difficulty", "难度", ("difficulty",), required=True),
    Column("source", "出处", ("source",)),
    Column("scope", "范围", ("scope",), required=True),
    Column("use", "用途", ("use",), required=True),
    Column("province", "省份代码", ("province", "province_code")),
)
EXPORT_COLUMNS: tuple[Column, ...] = (
    Column("id", "题目编号", ("id", "item_id"), ignored=True),
    Column("version", "版本", ("version",), ignored=True),
    Column("status", "状态", ("status",), ignored=True),
)
HEADINGS = {column.field: column.heading for column in COLUMNS + EXPORT_COLUMNS}

_FIELD_ORDER = {column.field: index for index, column in enumerate(COLUMNS)}
_FIELD_ORDER["options"] = _FIELD_ORDER["option_A"]

# JSON keys: one per field, options as a list.
JSON_KEYS = ("type", "stem", "options", "answer", "explanation", "operation_item", "knowledge_point",
             "cognitive_level", "difficulty", "source", "scope", "use", "province")
JSON_IGNORED_KEYS = ("id", "version", "status")

TYPE_LABELS: dict[str, ItemType] = {
    "判断": ItemType.JUDGE, "判断题": ItemType.JUDGE, "judge": ItemType.JUDGE,
    "单选": ItemType.SINGLE, "单选题": ItemType.SINGLE, "单项选择": ItemType.SINGLE, "单项选择题": ItemType.SINGLE,
    "single": ItemType.SINGLE,
    "多选": ItemType.MULTI, "多选题": ItemType.MULTI, "多项选择": ItemType.MULTI, "多项选择题": ItemType.MULTI,
    "multi": ItemType.MULTI, "multiple": ItemType.MULTI,
}
LEVEL_LABELS: dict[str, CognitiveLevel] = {
    "了解": CognitiveLevel.UNDERSTAND, "understand": CognitiveLevel.UNDERSTAND,
    "掌握": CognitiveLevel.MASTER, "master": CognitiveLevel.MASTER,
    "熟练掌握": CognitiveLevel.PROFICIENT, "proficient": CognitiveLevel.PROFICIENT,
}
SCOPE_LABELS: dict[str, Scope] = {
    "国家": Scope.NATIONAL, "国家题库": Scope.NATIONAL, "全国": Scope.NATIONAL, "national": Scope.NATIONAL,
    "省级": Scope.PROVINCIAL, "省级题库": Scope.PROVINCIAL, "省": Scope.PROVINCIAL, "provincial": Scope.PROVINCIAL,
}
USE_LABELS: dict[str, Use] = {
    "考试": Use.EXAM, "考试题": Use.EXAM, "exam": Use.EXAM,
    "练习": Use.PRACTICE, "练习题": Use.PRACTICE, "practice": Use.PRACTICE,
}


@dataclass(frozen=True)
class ImportedItem:
    row: int
    operation_item: str
    scope: Scope
    province_code: str | None
    use: Use
    content: ItemContent


@dataclass(frozen=True)
class ImportReport:
    items: tuple[ImportedItem, ...]
    existing_duplicates: tuple[tuple[int, int], ...]   # (row, id of the item already in the bank)
    problems: tuple[Problem, ...]
    rows_read: int                                      # data rows read, blank rows not counted

    @property
    def ok(self) -> bool:
        return not self.problems


def read_import(
    data: bytes,
    filename: str,
    *,
    known_operation_items: Collection[str],
    existing_keys: Mapping[str, int],
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Read an import file (by its extension: .xlsx, .csv or .json) and check every row."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension == "xlsx":
        table = _read_xlsx(data)
    elif extension == "csv":
        table = _read_csv(data)
    elif extension == "json":
        table = _read_json(data)
    else:
        table = _Table(problems=[Problem(
            "import.unsupported_file_type",
            N_("“%(name)s” cannot be imported: use an Excel workbook (.xlsx), a CSV file (.csv) or a JSON file "
               "(.json)."),
            params={"name": filename})])
    checker = _Checker(set(known_operation_items), existing_keys)
    return checker.run(table, progress)


# --------------------------------------------------------------------------------------------------
# Records: every format is turned into rows of raw values per field, with the column label to report.


@dataclass
class _Record:
    row: int
    values: dict[str, Any]                 # field → raw value (None when absent)
    labels: dict[str, str]                 # field → column heading / JSON key as the user wrote it
    problems: list[Problem]                # problems found while reading (wrong JSON types, stray cells)
    bad_fields: set[str]                   # fields already reported as unreadable
    unusable: bool = False                 # not an item at all (a JSON entry that is not an object)


@dataclass
class _Table:
    records: list[_Record] | None = None
    problems: list[Problem] | None = None  # file- and header-level problems
    fatal: bool = False                    # the rows cannot be checked (missing columns …)

    def __post_init__(self) -> None:
        self.records = self.records or []
        self.problems = self.problems or []


def _too_many_rows(row: int) -> Problem:
    return Problem("import.too_many_rows",
                   N_("A file can hold at most %(max)s items; please split it into several files."),
                   params={"max": MAX_ROWS}).at(row, None)


def _no_items() -> Problem:
    return Problem("import.no_items", N_("The file contains no items."))


# ---- spreadsheets (xlsx and csv share the header logic)


def _heading_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().rstrip("*").lower()
    return re.sub(r"[\s_\-]+", "", text)


_HEADING_KEYS: dict[str, Column] = {}
for _column in COLUMNS + EXPORT_COLUMNS:
    for _name in (_column.heading, *_column.aliases):
        _HEADING_KEYS[_heading_key(_name)] = _column


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_sheet(rows: Iterator[tuple | list]) -> _Table:
    """Rows of cell values, the first being the header row."""
    header = next(rows, None)
    if header is None or all(_blank(cell) for cell in header):
        if any(not all(_blank(cell) for cell in row) for row in rows):
            return _Table(problems=[Problem("import.no_header",
                                            N_("The first row must hold the column headings of the import template "
                                               "(题型, 题干, 选项A …).")).at(1, None)], fatal=True)
        return _Table(problems=[_no_items()], fatal=True)
    problems: list[Problem] = []
    fields: list[str | None] = []          # per position: the field, or None (ignored / unknown / blank)
    labels: dict[str, str] = {}
    seen: dict[str, str] = {}
    for index, cell in enumerate(header):
        if _blank(cell):
            fields.append(None)
            continue
        text = str(cell).strip()
        column = _HEADING_KEYS.get(_heading_key(text))
        if column is None:
            problems.append(Problem("import.unknown_column",
                                    N_("Unknown column “%(column)s”. Use the column headings of the import template."),
                                    params={"column": text}).at(1, text))
            fields.append(None)
        elif column.field in seen:
            problems.append(Problem("import.duplicate_column",
                                    N_("Column “%(column)s” appears twice (the first time as “%(first)s”)."),
                                    params={"column": text, "first": seen[column.field]}).at(1, text))
            fields.append(None)
        else:
            seen[column.field] = text
            fields.append(None if column.ignored else column.field)
            labels[column.field] = text
    fatal = any(p.code == "import.duplicate_column" for p in problems)
    for column in COLUMNS:
        if column.required and column.field not in seen:
            problems.append(Problem("import.missing_column", N_("The required column “%(column)s” is missing."),
                                    params={"column": column.heading}).at(1, None))
            fatal = True
    known_positions = {index for index, cell in enumerate(header) if not _blank(cell)}
    for column in COLUMNS:
        labels.setdefault(column.field, column.heading)

    records: list[_Record] = []
    for row_number, cells in enumerate(rows, start=2):
        cells = list(cells)
        if all(_blank(cell) for cell in cells):
            continue
        if len(records) == MAX_ROWS:
            problems.append(_too_many_rows(row_number))
            break
        values: dict[str, Any] = {}
        record_problems = []
        for index, cell in enumerate(cells):
            field = fields[index] if index < len(fields) else None
            if field is not None:
                values[field] = cell
            elif index not in known_positions and not _blank(cell):
                record_problems.append(Problem(
                    "import.value_without_heading",
                    N_("Column %(letter)s has a value but no column heading; add the heading or delete the value."),
                    params={"letter": _column_letter(index)}).at(row_number, None))
        records.append(_Record(row_number, values, labels, record_problems, set()))
    return _Table(records, problems, fatal)


def _read_xlsx(data: bytes) -> _Table:
    unreadable = Problem("import.unreadable_xlsx",
                         N_("The file cannot be read as an Excel workbook (.xlsx). Open it in Excel or WPS and save "
                            "it again as .xlsx."))
    try:
        import openpyxl

        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any failure to open means "not a readable workbook"
        return _Table(problems=[unreadable], fatal=True)
    try:
        names = workbook.sheetnames
        if not names:
            return _Table(problems=[_no_items()], fatal=True)
        sheet = workbook[SHEET_NAME] if SHEET_NAME in names else workbook[names[0]]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()   # some programs write a wrong sheet size; read what is there
        return _read_sheet(iter(sheet.iter_rows(values_only=True)))
    except Exception:  # noqa: BLE001 - a damaged sheet part
        return _Table(problems=[unreadable], fatal=True)
    finally:
        workbook.close()


def _decode_text(data: bytes) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ("utf-8-sig",)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)        # Excel's "Unicode text"
    else:
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _read_csv(data: bytes) -> _Table:
    text = _decode_text(data)
    if text is None:
        return _Table(problems=[Problem(
            "import.csv_encoding",
            N_("The CSV file's text encoding cannot be recognised. Save it as “CSV UTF-8” (or GBK) and try again."))],
            fatal=True)
    first_line = text.split("\n", 1)[0]

    def recognised(delimiter: str) -> int:
        try:
            cells = next(csv.reader([first_line], delimiter=delimiter), [])
        except csv.Error:
            return 0
        return sum(_heading_key(cell) in _HEADING_KEYS for cell in cells)

    delimiter = max((",", "\t", ";"), key=recognised)  # ties keep the comma
    try:
        return _read_sheet(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error:
        return _Table(problems=[Problem(
            "import.unreadable_csv",
            N_("The CSV file is damaged (for example a quotation mark is not closed) and cannot be read."))],
            fatal=True)


# ---- JSON


def _read_json(data: bytes) -> _Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _Table(problems=[Problem("import.json_encoding", N_("A JSON file must be saved as UTF-8 text."))],
                      fatal=True)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return _Table(problems=[Problem("import.json_invalid",
                                        N_("The file is not valid JSON: there is an error at line %(line)s, "
                                           "character %(column)s."),
                                        params={"line": error.lineno, "column": error.colno})], fatal=True)
    except (RecursionError, ValueError):
        return _Table(problems=[Problem("import.json_invalid_nesting",
                                        N_("The file is not valid JSON or is nested too deeply."))], fatal=True)
    if not (isinstance(document, dict) and document.get("format") == FORMAT
            and isinstance(document.get("items"), list)):
        return _Table(problems=[Problem(
            "import.json_structure",
            N_("The JSON file must be an object with \"format\": \"%(format)s\" and an \"items\" list."),
            params={"format": FORMAT})], fatal=True)
    items = document["items"]
    problems: list[Problem] = []
    if len(items) > MAX_ROWS:
        problems.append(_too_many_rows(MAX_ROWS + 1))
        items = items[:MAX_ROWS]
    records = []
    for number, item in enumerate(items, start=1):
        records.append(_json_record(number, item))
    return _Table(records, problems)


_JSON_LABELS = {**{key: key for key in JSON_KEYS}, **{field: "options" for field in OPTION_FIELDS}}


def _json_record(number: int, item: Any) -> _Record:
    record = _Record(number, {}, _JSON_LABELS, [], set())
    if not isinstance(item, dict):
        record.problems.append(Problem("import.json_item_not_object",
                                       N_("Each entry of \"items\" must be an object with keys such as \"type\" and "
                                          "\"stem\".")).at(number, None))
        record.unusable = True
        return record
    for key in item:
        if key not in JSON_KEYS and key not in JSON_IGNORED_KEYS:
            record.problems.append(Problem("import.unknown_key", N_("Unknown key “%(key)s”."),
                                           params={"key": str(key)}).at(number, str(key)))
    for key in JSON_KEYS:
        if key == "options":
            continue
        value = item.get(key)
        if isinstance(value, (dict, list)) or (isinstance(value, bool) and key not in ("answer",)):
            record.problems.append(_not_text(key, value).at(number, key))
            record.bad_fields.add(key)
        else:
            record.values[key] = value
    options = item.get("options")
    if options is not None:
        if not isinstance(options, list):
            record.problems.append(Problem("import.options_not_a_list",
                                           N_("\"options\" must be a list of option texts, such as "
                                              "[\"……\", \"……\", \"……\", \"……\"].")).at(number, "options"))
            record.bad_fields.add("options")
        elif any(isinstance(option, (dict, list, bool)) for option in options):
            record.problems.append(Problem("import.option_not_text",
                                           N_("Every option must be text.")).at(number, "options"))
            record.bad_fields.add("options")
        else:
            if len(options) > len(LETTERS):
                record.problems.append(Problem(
                    "import.too_many_options",
                    N_("A choice item has at most %(max)s options (A–F); %(count)s were given."),
                    params={"max": len(LETTERS), "count": len(options)}).at(number, "options"))
            for field, option in zip(OPTION_FIELDS, options):
                record.values[field] = option
    return record


def _not_text(key: str, value: Any) -> Problem:
    if key == "difficulty":
        return _difficulty_problem(json.dumps(value, ensure_ascii=False)[:20])
    return Problem("import.not_text", N_("This value must be text (in quotation marks)."), key)


# --------------------------------------------------------------------------------------------------
# Checking a record.


def _difficulty_problem(value: str) -> Problem:
    return Problem("import.difficulty", N_("Difficulty must be a whole number from 1 to 5, not “%(value)s”."),
                   "difficulty", {"value": value})


def _text(value: Any) -> str:
    """A cell as text: numbers as written (3.0 → 3), line breaks normalised, surrounding blanks removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _label_key(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().lower()


class _Checker:
    def __init__(self, known_operation_items: set[str], existing_keys: Mapping[str, int]) -> None:
        self.known_operation_items = known_operation_items
        self.existing_keys = existing_keys
        self.seen: dict[str, int] = {}

    def run(self, table: _Table, progress: Callable[[int, int], None] | None) -> ImportReport:
        problems = list(table.problems)
        items: list[ImportedItem] = []
        duplicates: list[tuple[int, int]] = []
        records = table.records
        if not table.fatal:
            if not records and not problems:
                problems.append(_no_items())
            for done, record in enumerate(records, start=1):
                item, record_problems = self.check(record)
                problems += record_problems
                if item is not None:
                    key = item.content.content_key()
                    if key in self.existing_keys:
                        duplicates.append((record.row, self.existing_keys[key]))
                    elif key in self.seen:
                        problems.append(Problem("import.duplicate_in_file",
                                                N_("This item is the same as the one in row %(row)s of this file."),
                                                "stem", {"row": self.seen[key]}).at(record.row, record.labels["stem"]))
                    else:
                        self.seen[key] = record.row
                        items.append(item)
                if progress is not None:
                    progress(done, len(records))
        return ImportReport(tuple(items), tuple(duplicates), tuple(problems), len(records))

    def check(self, record: _Record) -> tuple[ImportedItem | None, list[Problem]]:
        if record.unusable:
            return None, record.problems
        found: list[Problem] = []   # problems with a field, placed in a column at the end
        values = record.values

        def choice(field: str, labels: dict[str, Any], code: str, message: str):
            if field in record.bad_fields:
                return None
            text = _text(values.get(field))
            if not text:
                found.extend(check_text(text, field=field, limit=1))
                return None
            member = labels.get(_label_key(text))
            if member is None:
                found.append(Problem(code, message, field, {"value": text}))
            return member

        item_type = choice("type", TYPE_LABELS, "import.type",
                           N_("Unknown question type “%(value)s”: use 判断, 单选 or 多选 (judge, single, multi)."))
        level = choice("cognitive_level", LEVEL_LABELS, "import.cognitive_level",
                       N_("Unknown cognitive level “%(value)s”: use 了解, 掌握 or 熟练掌握."))
        scope = choice("scope", SCOPE_LABELS, "import.scope",
                       N_("Unknown scope “%(value)s”: use 国家 (national bank) or 省级 (provincial bank)."))
        use = choice("use", USE_LABELS, "import.use",
                     N_("Unknown intended use “%(value)s”: use 考试 (exam items) or 练习 (practice items)."))
        difficulty = self.difficulty(record, found)
        operation_item = self.operation_item(record, found)
        province = self.province(record, scope, found)

        texts = {field: _text(values.get(field)) for field in ("stem", "explanation", "knowledge_point", "source")}
        answer = values.get("answer")
        if isinstance(answer, bool):
            answer_text = "T" if answer else "F"
        else:
            answer_text = unicodedata.normalize("NFKC", _text(answer))
        options = [_text(values.get(field)) for field in OPTION_FIELDS]
        content = None
        if item_type is None:
            found += check_text(texts["stem"], field="stem", limit=MAX_STEM)
            found += check_text(texts["explanation"], field="explanation", limit=MAX_EXPLANATION)
            found += check_text(texts["knowledge_point"], field="knowledge_point", limit=MAX_KNOWLEDGE_POINT)
            found += check_text(texts["source"], field="source", limit=MAX_SOURCE, required=False)
        else:
            content, content_problems = build_content(
                type=item_type, stem=texts["stem"], options=options, answer=answer_text,
                explanation=texts["explanation"], knowledge_point=texts["knowledge_point"],
                cognitive_level=level or CognitiveLevel.UNDERSTAND, difficulty=difficulty or 3,
                source=texts["source"])
            found += content_problems
        problems = list(record.problems)
        found.sort(key=lambda problem: _FIELD_ORDER.get(problem.field or "", len(_FIELD_ORDER)))
        for problem in found:
            field = problem.field or ""
            if field in record.bad_fields:
                continue
            if "options" in record.bad_fields and (field.startswith("option")
                                                   or problem.code == "item.answer_not_an_option"):
                continue   # the options could not be read: already reported
            problems.append(problem.at(record.row, self.column(record, problem)))
        if problems or None in (content, level, scope, use, difficulty, operation_item):
            return None, problems
        return ImportedItem(record.row, operation_item, scope, province, use, content), []

    def difficulty(self, record: _Record, found: list[Problem]) -> int | None:
        if "difficulty" in record.bad_fields:
            return None
        raw = record.values.get("difficulty")
        text = unicodedata.normalize("NFKC", _text(raw))
        if not text:
            found.extend(check_text(text, field="difficulty", limit=1))
            return None
        number: int | None = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            number = raw
        elif isinstance(raw, float) and raw.is_integer():
            number = int(raw)
        elif isinstance(raw, str) and re.fullmatch(r"[+-]?\d{1,3}(\.0*)?", text):
            number = int(float(text))
        if number is None or not 1 <= number <= 5:
            found.append(_difficulty_problem(text))
            return None
        return number

    def operation_item(self, record: _Record, found: list[Problem]) -> str | None:
        if "operation_item" in record.bad_fields:
            return None
        raw = record.values.get("operation_item")
        code = unicodedata.normalize("NFKC", _text(raw)).replace("。", ".")
        if not code or len(code) > MAX_OPERATION_ITEM:
            found.extend(check_text(code, field="operation_item", limit=MAX_OPERATION_ITEM))
            return None
        if isinstance(raw, float) and code + "0" in self.known_operation_items:
            # Excel turned "5.10" into the number 5.1: the code cannot be told apart from 5.1.
            found.append(Problem("import.operation_item_number",
                                 N_("The operation item was stored as the number %(value)s, so it is unclear whether "
                                    "%(value)s or %(other)s is meant. Format the column as text and type the code "
                                    "again."),
                                 "operation_item", {"value": code, "other": code + "0"}))
            return None
        if code not in self.known_operation_items:
            found.append(Problem("import.unknown_operation_item",
                                 N_("There is no operation item “%(value)s” in the special-operations catalogue; "
                                    "write its code, such as 1.2 for 低压电工作业."),
                                 "operation_item", {"value": code}))
            return None
        return code

    def province(self, record: _Record, scope: Scope | None, found: list[Problem]) -> str | None:
        if "province" in record.bad_fields:
            return None
        code = unicodedata.normalize("NFKC", _text(record.values.get("province")))
        if re.fullmatch(r"\d{2}0000", code):
            code = code[:2]
        if scope is Scope.PROVINCIAL:
            if not code:
                found.append(Problem("import.province_required",
                                     N_("A provincial item needs the two-digit code of its province, such as 11 "
                                        "(Beijing) or 44 (Guangdong)."), "province"))
            elif code not in PROVINCE_CODES:
                found.append(Problem("import.province_invalid",
                                     N_("“%(value)s” is not a province code; use the two-digit code, such as 11 "
                                        "(Beijing) or 44 (Guangdong)."), "province", {"value": code}))
            else:
                return code
        elif scope is Scope.NATIONAL and code:
            found.append(Problem("import.province_not_allowed",
                                 N_("Only provincial items have a province code; this item belongs to the national "
                                    "bank. Leave the province code empty or change the scope to 省级."),
                                 "province"))
        return None

    @staticmethod
    def column(record: _Record, problem: Problem) -> str | None:
        field = problem.field or ""
        if field in record.labels:
            return record.labels[field]
        if field == "options":
            if "options" in record.labels:
                return record.labels["options"]
            values = [_text(record.values.get(f)) for f in OPTION_FIELDS]
            if problem.code == "item.option_gap":
                last = max(i for i, value in enumerate(values) if value)
                target = next(i for i, value in enumerate(values) if not value and i < last)
            else:
                target = next((i for i, value in enumerate(values) if value), 0)
            return record.labels[OPTION_FIELDS[target]]
        return None

