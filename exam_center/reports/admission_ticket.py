"""The admission ticket (准考证) as PDF: one A4 portrait page per candidate.

The ticket is an official Chinese document, so its text is Chinese whatever the UI language; it is set
in an embedded TrueType CJK font (WenQuanYi Micro Hei, Debian package fonts-wqy-microhei), so it prints
the same everywhere. The QR code holds exactly the ticket number: the terminals and the entrance check
read it back.
"""
from __future__ import annotations

import io
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

FONT_NAME = "WenQuanYiMicroHei"
# EXAM_CENTER_TICKET_FONT may point at another TrueType collection whose first face has CJK glyphs.
DEFAULT_FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FONT_ENV = "EXAM_CENTER_TICKET_FONT"

TITLE = "特种作业操作证考试准考证"
SEX_LABELS = {"M": "男", "F": "女"}
PART_LABELS = {"theory": "理论", "practical": "实操"}
PLACE_HEADINGS = {"theory": "座位号", "practical": "工位号"}

DEFAULT_RULES: tuple[str, ...] = (
    "请于考试开始前 30 分钟到达考场，凭本准考证和本人居民身份证原件入场；证件不齐者不得参加考试。",
    "入场时须在考场入口刷身份证（身份证阅读器核验）并进行人脸识别比对，人证一致方可入场。",
    "严禁携带手机、智能手表等电子通讯设备以及书籍、笔记、资料进入考场；随身物品按要求存放在指定位置。",
    "按准考证上的座位号（工位号）就座，将准考证和身份证放在桌面左上角，以备查验。",
    "服从监考员、考评员的管理和指挥，遵守考场纪律；不得交头接耳、窥视他人答题或由他人代考。",
    "考试中设备出现故障，请举手示意，由监考员处理，不得自行操作或拆动设备。",
    "考试结束后按监考员指示有序离场，不得带走试卷、草稿纸等考试材料。",
    "违反考场纪律或有作弊行为的，按有关规定严肃处理；以欺骗、贿赂等不正当手段参加考试的，依法承担相应后果。",
)


class TicketFontMissing(RuntimeError):
    """The CJK font file is not installed: tickets cannot be rendered."""


@dataclass(frozen=True)
class TicketData:
    """Everything printed on one ticket, already formatted for display (masked ID, local time)."""

    ticket_number: str
    name: str
    id_number_masked: str
    sex: str                      # 男 / 女
    operation_item_code: str      # e.g. "1.1"
    operation_item_name: str      # e.g. 高压电工作业
    part: str                     # 理论 / 实操
    starts_at: str                # local date and time, e.g. 2026年5月20日（星期三）09:00
    duration_minutes: int
    centre_name: str
    hall_name: str
    place_heading: str            # 座位号 / 工位号
    place: str | None             # the seat or station label; None while not yet assigned
    photo: bytes | None = None    # JPEG or PNG
    rules: Sequence[str] = field(default=DEFAULT_RULES)
    centre_address: str = ""
    centre_phone: str = ""

    def __post_init__(self) -> None:
        if not self.ticket_number or not self.ticket_number.strip():
            raise ValueError("an admission ticket needs a ticket number")
        if self.duration_minutes <= 0:
            raise ValueError(f"duration must be positive, got {self.duration_minutes}")


_font_lock = threading.Lock()


def font_path() -> Path:
    return Path(os.environ.get(FONT_ENV) or DEFAULT_FONT_PATH)


def register_font() -> str:
    """Register the embedded CJK font once per process; return its reportlab name."""
    with _font_lock:
        if FONT_NAME in pdfmetrics.getRegisteredFontNames():
            return FONT_NAME
        path = font_path()
        if not path.is_file():
            raise TicketFontMissing(
                f"The Chinese font for admission tickets is missing: {path} does not exist. "
                "Install it with 'apt-get install fonts-wqy-microhei' (scripts/setup does this) "
                f"or point {FONT_ENV} at a TrueType font with CJK glyphs.")
        try:
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
        except Exception as error:  # reportlab raises TTFError and plain errors for unusable files
            raise TicketFontMissing(f"The font {path} cannot be used for admission tickets: {error}") from error
        return FONT_NAME


def render_ticket(data: TicketData) -> bytes:
    """One ticket as a one-page PDF."""
    return render_tickets([data])


def render_tickets(tickets: Sequence[TicketData]) -> bytes:
    """All tickets in one PDF, one page per candidate, in the order given."""
    if not tickets:
        raise ValueError("no admission tickets to render")
    font = register_font()
    buffer = io.BytesIO()
    # The initial font too: otherwise every page would reference a non-embedded Helvetica.
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, initialFontName=font, initialFontSize=10)
    first = tickets[0]
    canvas.setTitle(TITLE if len(tickets) > 1 else f"{TITLE} {first.ticket_number}")
    canvas.setAuthor(first.centre_name)
    canvas.setSubject(TITLE)
    canvas.setCreator("exam-center")
    for ticket in tickets:
        _Page(canvas, font, ticket).draw()
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# Layout (A4 portrait, 210 × 297 mm).
PAGE_W, PAGE_H = A4
MARGIN = 18 * mm
PHOTO_W, PHOTO_H = 33 * mm, 45 * mm      # a two-inch photo (二寸) proportion
QR_SIZE = 33 * mm
INK = colors.HexColor("#1a1a1a")
GREY = colors.HexColor("#666666")
RULE = colors.HexColor("#999999")
SHADE = colors.HexColor("#f1f3f5")


class _Page:
    def __init__(self, canvas: Canvas, font: str, data: TicketData) -> None:
        self.c = canvas
        self.font = font
        self.data = data

    def draw(self) -> None:
        c, d = self.c, self.data
        c.setFillColor(INK)
        c.setStrokeColor(INK)
        left, right = MARGIN, PAGE_W - MARGIN
        width = right - left

        # Outer frame and heading.
        top = PAGE_H - MARGIN
        c.setLineWidth(1.2)
        c.rect(left - 4 * mm, MARGIN - 4 * mm, width + 8 * mm, top - MARGIN + 8 * mm)
        self.text(PAGE_W / 2, top - 6 * mm, d.centre_name, size=11, colour=GREY, align="centre")
        self.text(PAGE_W / 2, top - 18 * mm, TITLE, size=21, align="centre")
        c.setLineWidth(0.8)
        c.line(left, top - 23 * mm, right, top - 23 * mm)

        # Ticket number: large, for reading aloud at the entrance.
        y = top - 33 * mm
        self.text(left, y, "准考证号", size=11, colour=GREY)
        self.text(left + 22 * mm, y - 0.5 * mm, d.ticket_number, size=17)

        # Photo box and QR code on the right, the candidate's details on the left.
        photo_x = right - PHOTO_W
        photo_top = y + 6 * mm
        self.photo(photo_x, photo_top - PHOTO_H)
        qr_y = photo_top - PHOTO_H - 6 * mm - QR_SIZE
        self.qr(photo_x, qr_y)
        self.text(photo_x + PHOTO_W / 2, qr_y - 4 * mm, "扫码核验准考证号", size=8, colour=GREY, align="centre")

        rows = [
            ("姓名", d.name),
            ("性别", d.sex),
            ("身份证号", d.id_number_masked),
            ("操作项目", f"{d.operation_item_code}　{d.operation_item_name}"),
            ("考试科目", f"{d.part}考试"),
            ("考试时间", d.starts_at),
            ("考试时长", f"{d.duration_minutes} 分钟"),
            ("考点", d.centre_name),
            ("考场", d.hall_name),
            (d.place_heading, d.place or "待分配"),
        ]
        table_right = photo_x - 8 * mm
        row_h = 9.5 * mm
        y = top - 42 * mm
        label_w = 24 * mm
        table_top = y
        c.setFillColor(SHADE)
        c.rect(left, table_top - row_h * len(rows), label_w, row_h * len(rows), stroke=0, fill=1)
        c.setLineWidth(0.4)
        c.setStrokeColor(RULE)
        c.line(left, table_top, table_right, table_top)
        for label, value in rows:
            self.label(left + 3 * mm, y - row_h + 3.2 * mm, label, size=10.5, width=4 * 10.5)
            self.fit_text(left + label_w + 3 * mm, y - row_h + 3.2 * mm, value, size=12,
                          max_width=table_right - left - label_w - 5 * mm)
            c.line(left, y - row_h, table_right, y - row_h)
            y -= row_h

        # Rules (考生须知) across the page.
        y = min(y, qr_y - 8 * mm) - 8 * mm
        c.setStrokeColor(INK)
        c.setLineWidth(0.8)
        c.line(left, y, right, y)
        y -= 9 * mm
        self.text(left, y, "考生须知", size=14)
        y -= 4 * mm
        style = ParagraphStyle("rules", fontName=self.font, fontSize=10.5, leading=16, alignment=TA_LEFT,
                               wordWrap="CJK", textColor=INK, firstLineIndent=0, leftIndent=7 * mm,
                               bulletIndent=0, bulletFontName=self.font, bulletFontSize=10.5)
        for number, line in enumerate(d.rules, start=1):
            paragraph = Paragraph(_escape(line), style, bulletText=f"{number}.")
            _w, h = paragraph.wrap(width, y - MARGIN)
            y -= h + 1.5 * mm
            if y < MARGIN + 14 * mm:
                break  # never run over the footer; a ticket is one page
            paragraph.drawOn(c, left, y)

        # Footer.
        c.setStrokeColor(RULE)
        c.setLineWidth(0.4)
        c.line(left, MARGIN + 9 * mm, right, MARGIN + 9 * mm)
        contact = "　".join(part for part in (d.centre_address and f"地址：{d.centre_address}",
                                               d.centre_phone and f"电话：{d.centre_phone}") if part)
        self.text(left, MARGIN + 3.5 * mm, "请妥善保管本准考证，考试当天与身份证原件一并出示。", size=9, colour=GREY)
        if contact:
            self.fit_text(right, MARGIN + 3.5 * mm, contact, size=9, colour=GREY, align="right",
                          max_width=width / 2)

    def photo(self, x: float, y: float) -> None:
        c = self.c
        c.setStrokeColor(INK)
        c.setLineWidth(0.6)
        c.rect(x, y, PHOTO_W, PHOTO_H)
        image = None
        if self.data.photo:
            try:
                image = ImageReader(io.BytesIO(self.data.photo))
                iw, ih = image.getSize()
            except Exception:  # noqa: BLE001 - an unreadable file prints as a placeholder, not a failed ticket
                image = None
        if image is None:
            self.text(x + PHOTO_W / 2, y + PHOTO_H / 2 - 1.5 * mm, "无照片", size=12, colour=GREY, align="centre")
            return
        # Cover the box (centre crop): a portrait fills it without distortion.
        inner_w, inner_h = PHOTO_W - 1 * mm, PHOTO_H - 1 * mm
        scale = max(inner_w / iw, inner_h / ih)
        dw, dh = iw * scale, ih * scale
        c.saveState()
        clip = c.beginPath()
        clip.rect(x + 0.5 * mm, y + 0.5 * mm, inner_w, inner_h)
        c.clipPath(clip, stroke=0, fill=0)
        c.drawImage(image, x + PHOTO_W / 2 - dw / 2, y + PHOTO_H / 2 - dh / 2, dw, dh)
        c.restoreState()

    def qr(self, x: float, y: float) -> None:
        widget = QrCodeWidget(self.data.ticket_number, barLevel="M")
        bx0, by0, bx1, by1 = widget.getBounds()
        # initialFontName: the renderer would otherwise select (and reference) a non-embedded Helvetica.
        drawing = Drawing(QR_SIZE, QR_SIZE, transform=[QR_SIZE / (bx1 - bx0), 0, 0, QR_SIZE / (by1 - by0), 0, 0],
                          initialFontName=self.font)
        drawing.add(widget)
        renderPDF.draw(drawing, self.c, x, y)

    def text(self, x: float, y: float, value: str, *, size: float, colour=INK, align: str = "left") -> None:
        c = self.c
        c.setFont(self.font, size)
        c.setFillColor(colour)
        {"left": c.drawString, "centre": c.drawCentredString, "right": c.drawRightString}[align](x, y, value)
        c.setFillColor(INK)

    def fit_text(self, x: float, y: float, value: str, *, size: float, max_width: float, colour=INK,
                 align: str = "left") -> None:
        """Shrink a long value (a long centre name) to fit its cell rather than overflow it."""
        while size > 7 and pdfmetrics.stringWidth(value, self.font, size) > max_width:
            size -= 0.5
        self.text(x, y, value, size=size, colour=colour, align=align)

    def label(self, x: float, y: float, value: str, *, size: float, width: float) -> None:
        """A heading spread to the width of four characters (姓　　名), as on printed forms."""
        natural = pdfmetrics.stringWidth(value, self.font, size)
        gaps = len(value) - 1
        char_space = (width - natural) / gaps if gaps and natural < width else 0
        c = self.c
        c.setFont(self.font, size)
        c.setFillColor(GREY)
        c.drawString(x, y, value, charSpace=char_space)
        c.setFillColor(INK)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
