"""The exam-room record (考场记录) of one theory session as PDF: A4 portrait, as many pages as it needs.

An official document, so Chinese whatever the UI language, set in the same embedded CJK font as the admission
ticket (its registration is reused). It lists the session, the proctors, the counts, every candidate with seat
and outcome, every action on the attempts with time, actor and reason, the irregularities, and signature lines.
"""
from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from .admission_ticket import TicketFontMissing, register_font

__all__ = ["TITLE", "RecordData", "TicketFontMissing", "record_data", "render_record"]

TITLE = "考场记录"
OUTCOMES = {
    "scheduled": "未签到", "checked_in": "已签到（未开始作答）", "in_progress": "答题中", "missing": "答题中（终端失联）",
    "paused": "暂停中", "submitted": "已交卷", "timed_out": "到时自动交卷", "terminated": "终止考试（违纪，成绩取消）",
    "absent": "缺考",
}
ACTIONS = {
    "check_in": "确认身份（签到）", "mark_absent": "记为缺考", "start": "开始作答", "pause": "暂停考试",
    "resume": "恢复考试", "extend": "延长考试时间", "move": "调换座位", "warn": "警告", "terminate": "责令离场、取消成绩",
    "submit": "交卷", "time_out": "到时自动交卷", "irregularity": "异常情况记录",
}
CATEGORIES = {"environment": "环境", "candidate": "考生", "staff": "工作人员", "technical": "技术"}
_WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class RecordData:
    """Everything printed, already formatted for display (local times, Chinese labels)."""

    centre_name: str
    session_title: str                       # e.g. 1.2 低压电工作业　理论考试
    hall_name: str
    starts_at: str
    duration_minutes: int
    proctors: Sequence[str]
    counts: Sequence[tuple[str, int]]        # (label, number) in print order
    candidates: Sequence[tuple[str, ...]]    # seat, ticket, name, answered/total, outcome, remark
    events: Sequence[tuple[str, ...]]        # time, seat, name, action, actor, reason
    irregularities: Sequence[tuple[str, ...]]  # time, category, seat, description, recorded by
    printed_at: str = ""
    notes: Sequence[str] = field(default=())


def _local(moment: dt.datetime, zone: ZoneInfo, *, date: bool = False) -> str:
    local = moment.astimezone(zone)
    if date:
        return f"{local.year}年{local.month}月{local.day}日（星期{_WEEKDAYS[local.weekday()]}）{local:%H:%M}"
    return f"{local:%H:%M:%S}"


def _actor(label: str, staff_names: Mapping[str, str]) -> str:
    kind = label.split(":", 1)[0]
    if label in staff_names:
        return staff_names[label]
    return {"system": "系统", "candidate": "考生本人", "device": "考试终端"}.get(kind, label)


def _event_reason(event: Mapping) -> str:
    details, reason = event.get("details") or {}, event.get("reason") or ""
    extra = []
    if event["action"] == "extend" and details.get("minutes"):
        extra.append(f"延长 {details['minutes']} 分钟")
    if event["action"] == "move":
        extra.append(f"{details.get('from_seat') or '—'} → {details.get('to_seat') or '—'} 号座位")
    if event["action"] == "irregularity" and details.get("category"):
        extra.append(f"类别：{CATEGORIES.get(details['category'], details['category'])}")
    return "；".join([*extra, reason] if reason else extra)


def record_data(facts, zone: ZoneInfo, *, printed_at: dt.datetime) -> RecordData:
    """From services.hall.RecordFacts to what the page prints."""
    s, c = facts.exam_session, facts.counts
    counts = [("应考人数", c["scheduled_total"]), ("实到人数", c["present"]), ("缺考人数", c["absent"]),
              ("交卷人数", c["submitted"]), ("到时自动交卷", c["timed_out"]), ("终止考试（违纪）", c["terminated"])]
    if c["scheduled"]:
        counts.append(("未签到", c["scheduled"]))
    unfinished = c["checked_in"] + c["in_progress"] + c["paused"] + c["missing"]
    if unfinished:
        counts.append(("尚未结束", unfinished))
    candidates = []
    for row in facts.rows:
        remark = []
        if row.original_seat:
            remark.append(f"原座位 {row.original_seat}")
        if row.warnings:
            remark.append(f"警告 {row.warnings} 次")
        progress = f"{row.answered}/{row.total}" if row.state not in ("scheduled", "absent") else "—"
        candidates.append((row.label, row.ticket_number or "", row.name or "", progress,
                           OUTCOMES.get(row.state, row.state), "；".join(remark)))
    events = [(_local(e["at"], zone), e["seat"] or "—", e["name"] or "", ACTIONS.get(e["action"], e["action"]),
               _actor(e["actor"], facts.staff_names), _event_reason(e)) for e in facts.events]
    irregular = [(_local(i.at, zone), CATEGORIES.get(i.category, i.category),
                  (f"{i.seat}（{i.name}）" if i.name else i.seat) if i.seat else "全考场",
                  i.description, _actor(i.actor, facts.staff_names)) for i in facts.irregularities]
    title = f"{facts.item_code} {facts.item_name}　理论考试".strip()
    return RecordData(centre_name=facts.centre_name, session_title=title, hall_name=facts.hall_name,
                      starts_at=_local(s.starts_at, zone, date=True), duration_minutes=s.duration_minutes,
                      proctors=facts.proctors, counts=counts, candidates=candidates, events=events,
                      irregularities=irregular, printed_at=_local(printed_at, zone, date=True))


INK = colors.HexColor("#1a1a1a")
GREY = colors.HexColor("#666666")
RULE = colors.HexColor("#999999")
SHADE = colors.HexColor("#f1f3f5")
MARGIN = 16 * mm


def render_record(data: RecordData) -> bytes:
    font = register_font()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN + 4 * mm, title=f"{TITLE} {data.hall_name} {data.starts_at}",
                            author=data.centre_name, subject=TITLE, creator="exam-center", pageCompression=1,
                            initialFontName=font, initialFontSize=10)
    styles = _Styles(font)
    width = A4[0] - 2 * MARGIN
    story: list = [
        Paragraph(_esc(data.centre_name), styles.centre_name),
        Paragraph(TITLE, styles.title),
        _grid([[_p("考试项目", styles.label), _p(data.session_title, styles.cell),
                _p("考场", styles.label), _p(data.hall_name, styles.cell)],
               [_p("考试时间", styles.label), _p(data.starts_at, styles.cell),
                _p("考试时长", styles.label), _p(f"{data.duration_minutes} 分钟", styles.cell)],
               [_p("监考员", styles.label), _p("、".join(data.proctors) or "—", styles.cell),
                _p("打印时间", styles.label), _p(data.printed_at, styles.cell)]],
              [22 * mm, width / 2 - 22 * mm, 22 * mm, width / 2 - 22 * mm], font, label_columns=(0, 2)),
        Spacer(1, 5 * mm),
        Paragraph("考生情况统计", styles.heading),
        _grid([[_p(label, styles.label_centre) for label, _n in data.counts],
               [_p(str(n), styles.number) for _l, n in data.counts]],
              [width / len(data.counts)] * len(data.counts), font, header=True),
        Spacer(1, 5 * mm),
        Paragraph("考生名单及考试情况", styles.heading),
        _table(["座位号", "准考证号", "姓名", "已答/题数", "考试情况", "备注"],
               data.candidates, [14 * mm, 41 * mm, 22 * mm, 19 * mm, 40 * mm, width - 136 * mm], styles, font,
               empty="本场无考生。"),
        Spacer(1, 5 * mm),
        Paragraph("考场处置记录（签到、暂停、延时、调座、警告、终止等）", styles.heading),
        _table(["时间", "座位", "姓名", "事项", "操作人", "原因 / 说明"], data.events,
               [20 * mm, 13 * mm, 20 * mm, 31 * mm, 24 * mm, width - 108 * mm], styles, font,
               empty="无处置记录。"),
        Spacer(1, 5 * mm),
        Paragraph("考场异常情况记录", styles.heading),
        _table(["时间", "类别", "座位", "情况说明", "记录人"], data.irregularities,
               [20 * mm, 18 * mm, 28 * mm, width - 90 * mm, 24 * mm], styles, font, empty="无异常情况。"),
        Spacer(1, 10 * mm),
        KeepTogether([
            Paragraph("本记录如实反映本考场考试情况。", styles.cell),
            Spacer(1, 8 * mm),
            _signatures(width, styles, font),
        ]),
    ]
    for note in data.notes:
        story.append(Paragraph(_esc(note), styles.small))

    def footer(canvas, document):
        canvas.saveState()
        canvas.setFont(font, 8.5)
        canvas.setFillColor(GREY)
        canvas.drawString(MARGIN, MARGIN - 2 * mm, f"{TITLE}　{data.hall_name}　{data.starts_at}")
        canvas.drawRightString(A4[0] - MARGIN, MARGIN - 2 * mm, f"第 {document.page} 页")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


class _Styles:
    def __init__(self, font: str) -> None:
        base = {"fontName": font, "wordWrap": "CJK", "textColor": INK}
        self.centre_name = ParagraphStyle("centre", fontSize=11, leading=15, alignment=TA_CENTER,
                                          **{**base, "textColor": GREY})
        self.title = ParagraphStyle("title", fontSize=21, leading=30, alignment=TA_CENTER, spaceAfter=4 * mm, **base)
        self.heading = ParagraphStyle("heading", fontSize=12.5, leading=18, spaceAfter=2 * mm, **base)
        self.cell = ParagraphStyle("cell", fontSize=9.5, leading=13, **base)
        self.label = ParagraphStyle("label", fontSize=9.5, leading=13, **{**base, "textColor": GREY})
        self.label_centre = ParagraphStyle("label_c", fontSize=9, leading=12, alignment=TA_CENTER,
                                           **{**base, "textColor": GREY})
        self.number = ParagraphStyle("number", fontSize=15, leading=19, alignment=TA_CENTER, **base)
        self.head = ParagraphStyle("head", fontSize=9, leading=12, **{**base, "textColor": GREY})
        self.small = ParagraphStyle("small", fontSize=8.5, leading=11, **{**base, "textColor": GREY})


def _esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(_esc(text), style)


def _grid(rows, widths, font: str, *, label_columns=(), header: bool = False) -> Table:
    table = Table(rows, colWidths=widths)
    commands = [("FONTNAME", (0, 0), (-1, -1), font), ("GRID", (0, 0), (-1, -1), 0.4, RULE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]
    for column in label_columns:
        commands.append(("BACKGROUND", (column, 0), (column, -1), SHADE))
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), SHADE))
    table.setStyle(TableStyle(commands))
    return table


def _table(headings, rows, widths, styles: _Styles, font: str, *, empty: str) -> Table:
    body = [[_p(h, styles.head) for h in headings]]
    body += [[_p(value, styles.cell) for value in row] for row in rows] or [[_p(empty, styles.cell)] +
                                                                          [""] * (len(headings) - 1)]
    table = Table(body, colWidths=widths, repeatRows=1)
    commands = [("FONTNAME", (0, 0), (-1, -1), font), ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                ("LINEABOVE", (0, 0), (-1, 0), 0.8, INK), ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5)]
    if not rows:
        commands.append(("SPAN", (0, 1), (-1, 1)))
    table.setStyle(TableStyle(commands))
    return table


def _signatures(width: float, styles: _Styles, font: str) -> Table:
    line = "＿＿＿＿＿＿＿＿＿＿"
    rows = [[_p("监考员签名：", styles.cell), _p(line, styles.cell), _p("监考员签名：", styles.cell), _p(line, styles.cell)],
            [_p("考务负责人签名：", styles.cell), _p(line, styles.cell), _p("日期：", styles.cell),
             _p("＿＿＿＿年＿＿月＿＿日", styles.cell)]]
    table = Table(rows, colWidths=[32 * mm, width / 2 - 32 * mm, 24 * mm, width / 2 - 24 * mm],
                  rowHeights=[12 * mm, 12 * mm])
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), font), ("VALIGN", (0, 0), (-1, -1), "BOTTOM")]))
    return table
