"""The office-made copy: an A4 PDF of the card's data and photo, overprinted with its purpose
("ใช้สำหรับ … เท่านั้น"), the date and the office, rendered in memory (never a file).

fpdf2 with uharfbuzz shaping: Thai needs real text shaping (tone marks and upper/lower vowels
stacked and positioned, SARA AM), which plain PDF text output gets wrong; fpdf2 is maintained,
pure Python, writes the PDF to memory, and embeds a subset of a Debian Thai font (TLWG Loma,
``fonts-tlwg-loma-otf``) so the page prints the same everywhere. WeasyPrint would do it too but
pulls in Pango/Cairo for one page.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from agent.card.details import CardDetails
from agent.officer_view.display import be_date, card_fields
from agent.officer_view.i18n import t

FONT_CANDIDATES = (
    Path("/usr/share/fonts/opentype/tlwg/Loma.otf"),
    Path("/usr/share/fonts/truetype/tlwg/Loma.ttf"),
    Path("/usr/share/fonts/opentype/tlwg/Garuda.otf"),
    Path("/usr/share/fonts/truetype/tlwg/Garuda.ttf"),
)


class CopyRenderError(Exception):
    """The copy could not be rendered (no Thai font, fpdf2 missing)."""


def thai_font() -> Path:
    for path in FONT_CANDIDATES:
        if path.exists():
            return path
    raise CopyRenderError("no Thai font: install fonts-tlwg-loma-otf")


def purpose_line(service_th: str) -> str:
    return f"ใช้สำหรับ{service_th}เท่านั้น"


def render_copy(
    details: CardDetails,
    *,
    service_th: str,
    office_th: str,
    today: date,
) -> bytes:
    """One A4 page; returns the PDF bytes."""
    try:
        from fpdf import FPDF  # noqa: PLC0415 - the officer view is off by default
    except ImportError as exc:
        raise CopyRenderError(f"fpdf2 is not installed: {exc}") from None
    f = card_fields(details, "th")
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_creator("citizen-feedback counter")
    pdf.set_title("สำเนาบัตรประจำตัวประชาชน")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.add_font("thai", fname=str(thai_font()))
    pdf.set_text_shaping(True)
    # The card, as on the front: a framed box with the photo on the right.
    x0, y0, w, h = 20.0, 25.0, 170.0, 105.0
    pdf.set_draw_color(60, 60, 60)
    pdf.rect(x0, y0, w, h)
    pdf.set_font("thai", size=15)
    pdf.set_xy(x0 + 4, y0 + 3)
    pdf.cell(text="บัตรประจำตัวประชาชน  Thai National ID Card")
    rows = (
        ("เลขประจำตัวประชาชน", f["citizen_id"]),
        ("ชื่อตัวและชื่อสกุล", f["name_th"]),
        ("Name", f["name_en"]),
        ("เกิดวันที่", f["birth_date"]),
        ("ที่อยู่", f["address"]),
        ("วันออกบัตร", f["issue_date"]),
        ("วันบัตรหมดอายุ", f["expiry_date"]),
        ("ออกโดย", f["issuer"]),
    )
    pdf.set_font("thai", size=11)
    y = y0 + 14
    for label, value in rows:
        pdf.set_xy(x0 + 4, y)
        pdf.cell(w=42, text=label)
        pdf.set_xy(x0 + 47, y)
        pdf.multi_cell(w=82, h=6, text=value or "-")
        y = max(y + 8, pdf.get_y() + 1.5)
    if details.photo is not None:
        try:
            pdf.image(io.BytesIO(details.photo), x=x0 + w - 36, y=y0 + 16, w=30)
        except Exception:  # a damaged photo must not stop the copy: the box says so
            pdf.set_xy(x0 + w - 36, y0 + 30)
            pdf.cell(w=30, text="(รูปเสียหาย)", align="C")
    # The endorsement, as offices write it across a copy: purpose, office, date.
    line = purpose_line(service_th)
    pdf.set_text_color(170, 0, 0)
    pdf.set_font("thai", size=26)
    with pdf.rotation(angle=25, x=105, y=80):
        pdf.set_xy(20, 75)
        pdf.cell(w=170, text=line, align="C")
    pdf.set_font("thai", size=16)
    pdf.set_xy(x0, y0 + h + 12)
    pdf.cell(w=w, text=line, align="C")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("thai", size=13)
    pdf.set_xy(x0, y0 + h + 24)
    pdf.cell(
        w=w, text=f"สำเนาจัดทำโดย {office_th}" if office_th else "สำเนาจัดทำโดยสำนักงาน", align="C"
    )
    pdf.set_xy(x0, y0 + h + 32)
    pdf.cell(w=w, text=f"วันที่ {be_date(today_be(today), 'th')}", align="C")
    pdf.set_xy(x0, y0 + h + 40)
    pdf.cell(w=w, text=t("copy_title", "th") + " - ไม่ต้องเรียกสำเนาจากประชาชน", align="C")
    return bytes(pdf.output())


def today_be(today: date) -> str:
    return f"{today.year + 543:04d}{today.month:02d}{today.day:02d}"
