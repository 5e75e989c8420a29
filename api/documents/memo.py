"""The scrutiny memo: a PDF made from the case record and one scrutiny review, so a prosecutor never
retypes the facts. Rendered with fpdf2; Urdu (Arabic script) is shaped with HarfBuzz and drawn with
DejaVu Sans (Debian's fonts-dejavu-core) or Noto Naskh Arabic when installed. Without those fonts
the memo still renders, in Helvetica, with the English text only."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos

log = logging.getLogger("cmms.documents")

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/local/share/fonts"),
)
#: extra fonts tried for glyphs DejaVu lacks (Urdu letters, Nastaliq-style Naskh)
FALLBACK_FONTS = (
    Path("/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf"),
    Path("/usr/share/fonts/opentype/noto/NotoNaskhArabic-Regular.ttf"),
)

DECISIONS = {
    "fit": "Fit: the report may be submitted to the court",
    "defective_returned": "Defective: returned to the police to remove the defects below",
    "discharge_recommended": "Discharge of the accused recommended",
}
REPORT_KINDS = {
    "interim": "Interim report (s.173 CrPC)",
    "final": "Final report / challan (s.173 CrPC)",
    "supplementary": "Supplementary report (s.173 CrPC)",
    "cancellation": "Cancellation report (s.173 CrPC)",
}
#: coded defects in words; an unknown code is shown with its underscores as spaces
DEFECTS = {
    "missing_fsl_report": "Forensic science laboratory (FSL) report not attached",
    "missing_medical_report": "Medico-legal certificate / medical report not attached",
    "missing_postmortem_report": "Post-mortem report not attached",
    "missing_chemical_examiner_report": "Chemical examiner's report not attached",
    "missing_ballistics_report": "Ballistics (FSL) report on weapon and empties not attached",
    "missing_witness_statements": "Statements of witnesses under s.161 CrPC not attached",
    "missing_site_plan": "Site plan of the place of occurrence not attached",
    "missing_recovery_memo": "Recovery memo / memo of possession not attached",
    "missing_case_property": "Case property not deposited in the malkhana or not produced",
    "missing_identification_parade": "Identification parade proceedings not attached",
    "missing_absconder_proceedings": "Proceedings under ss.87-88 CrPC against absconding accused not attached",
    "accused_particulars_incomplete": "Particulars of the accused incomplete (CNIC, parentage, address)",
    "wrong_sections": "Sections of law applied do not match the facts alleged",
    "incomplete_investigation": "Investigation incomplete on material points",
    "insufficient_evidence": "No sufficient evidence connecting the accused with the offence",
    "late_submission": "Report submitted after the statutory period without explanation",
    "unsigned_report": "Report not signed by the officer in charge of the police station",
    "illegible_documents": "Documents illegible or incomplete copies",
}


@dataclass
class AccusedLine:
    name: str
    name_ur: str | None
    father_name: str | None
    custody_status: str | None


@dataclass
class MemoData:
    case_number: str
    case_title: str
    district: str
    category: str
    fir_number: str
    fir_year: int
    fir_date: date
    police_station: str
    court: str | None
    decision: str
    defects: list[Any]
    returned_on: date | None
    resubmitted_on: date | None
    returns_count: int
    notes: str | None
    prosecutor: str
    reviewed_on: date
    review_id: int
    report_kind: str | None = None
    report_received_on: date | None = None
    accused: list[AccusedLine] = field(default_factory=list)
    sections: list[tuple[str, str, str]] = field(default_factory=list)
    generated_at: datetime | None = None
    defect_words: dict[str, str] = field(default_factory=dict)
    timezone: str = "Asia/Karachi"


def words(code: str | None) -> str:
    if not code:
        return "-"
    return code.replace("_", " ").strip().capitalize()


def defect_lines(defects: list[Any], vocabulary: dict[str, str] | None = None) -> list[str]:
    """Coded defects in words. A defect is a code, or an object with ``code`` and a note
    (``note``, ``detail`` or ``remarks``)."""
    known = {**DEFECTS, **(vocabulary or {})}
    lines = []
    for d in defects or []:
        if isinstance(d, dict):
            code = str(d.get("code") or "")
            note = d.get("note") or d.get("detail") or d.get("remarks")
        else:
            code, note = str(d), None
        text = known.get(code, words(code)) if code else ""
        if note:
            text = f"{text}: {note}" if text else str(note)
        if text:
            lines.append(text)
    return lines


def _fmt(d: date | None) -> str:
    return d.strftime("%d-%m-%Y") if d else "-"


def _find_font(name: str) -> Path | None:
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    return None


class _Memo(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        self.unicode = False
        regular, bold = _find_font("DejaVuSans.ttf"), _find_font("DejaVuSans-Bold.ttf")
        if regular is not None:
            self.add_font("Memo", "", str(regular))
            self.add_font("Memo", "B", str(bold or regular))
            fallbacks = []
            for i, extra in enumerate(p for p in FALLBACK_FONTS if p.is_file()):
                self.add_font(f"MemoFallback{i}", "", str(extra))
                fallbacks.append(f"MemoFallback{i}")
            if fallbacks:
                self.set_fallback_fonts(fallbacks)
            try:
                self.set_text_shaping(use_shaping_engine=True)
            except Exception as exc:  # no HarfBuzz: Urdu unshaped, Latin text still fine
                log.warning("scrutiny memo without text shaping: %s", exc)
            self.unicode = True
            self.family = "Memo"
        else:
            self.family = "Helvetica"

    def txt(self, text: str | None) -> str:
        text = text or ""
        if self.unicode:
            return text
        return text.encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(self.family, "", 7.5)
        self.set_text_color(110)
        self.cell(0, 5, self.txt(self.footer_text), align="L")
        self.cell(0, 5, f"Page {self.page_no()}/{{nb}}", align="R")
        self.set_text_color(0)


def render(data: MemoData) -> bytes:
    zone = ZoneInfo(data.timezone)
    generated = (data.generated_at or datetime.now(zone)).astimezone(zone)
    pdf = _Memo(
        f"Generated by CMMS on {generated:%d-%m-%Y %H:%M} from case {data.case_number}, "
        f"scrutiny review {data.review_id}."
    )
    pdf.set_title(f"Scrutiny memo {data.case_number}")
    pdf.set_author(data.prosecutor)
    pdf.set_creator("CMMS")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    f, t = pdf.family, pdf.txt
    width = pdf.epw

    pdf.set_font(f, "B", 10)
    pdf.cell(
        width,
        5,
        t(f"OFFICE OF THE DISTRICT PUBLIC PROSECUTOR, {data.district.upper()}"),
        align="C",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(2)
    pdf.set_font(f, "B", 15)
    pdf.cell(width, 8, t("SCRUTINY MEMO"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(f, "", 9.5)
    pdf.cell(
        width,
        5,
        t("Scrutiny of the police report under s.173 CrPC"),
        align="C",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(3)
    pdf.set_font(f, "B", 11)
    pdf.cell(width / 2, 6, t(f"Case No. {data.case_number}"), new_x=XPos.RIGHT, new_y=YPos.TOP)
    pdf.set_font(f, "", 10)
    pdf.cell(
        width / 2, 6, t(f"Date: {_fmt(data.reviewed_on)}"), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_draw_color(120)
    pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.l_margin + width, pdf.get_y() + 1)
    pdf.ln(4)

    days = (data.report_received_on - data.fir_date).days if data.report_received_on else None
    facts = [
        ("Title", data.case_title),
        ("FIR", f"No. {data.fir_number}/{data.fir_year} dated {_fmt(data.fir_date)}"),
        ("Police station", f"{data.police_station} (District {data.district})"),
        (
            "Category",
            {"ata": "ATA-scheduled", "ordinary": "Ordinary", "special": "Special law"}.get(
                data.category, words(data.category)
            ),
        ),
        ("Court", data.court or "Not yet filed"),
        (
            "Police report",
            REPORT_KINDS.get(data.report_kind or "", words(data.report_kind)) if data.report_kind else "-",
        ),
        (
            "Report received",
            f"{_fmt(data.report_received_on)}" + (f" ({days} days from the FIR)" if days is not None else ""),
        ),
    ]
    _section(pdf, "Particulars")
    _pairs(pdf, facts)

    _section(pdf, "Accused")
    if data.accused:
        pdf.set_font(f, "", 9.5)
        pdf.set_fill_color(255)
        with pdf.table(
            col_widths=(8, 62, 52, 40),
            text_align=("RIGHT", "LEFT", "LEFT", "LEFT"),
            line_height=5.5,
            padding=1.2,
            first_row_as_headings=True,
            headings_style=_heading_style(),
        ) as table:
            table.row([t("#"), t("Name"), t("Father's name"), t("Custody")])
            for i, a in enumerate(data.accused, 1):
                name = a.name + (f"\n{a.name_ur}" if a.name_ur and pdf.unicode else "")
                table.row([str(i), t(name), t(a.father_name or "-"), t(words(a.custody_status))])
    else:
        _para(pdf, "No accused recorded.")

    _section(pdf, "Offences")
    if data.sections:
        for statute, section, title in data.sections:
            _para(pdf, f"{statute} s.{section}: {title}", bullet=True)
    else:
        _para(pdf, "No offences recorded.")

    _section(pdf, "Decision")
    pdf.set_font(f, "B", 10.5)
    pdf.multi_cell(
        width, 5.5, t(DECISIONS.get(data.decision, words(data.decision))), new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.ln(1)
    decision_facts = []
    if data.returned_on:
        decision_facts.append(("Returned to police", _fmt(data.returned_on)))
    if data.resubmitted_on:
        decision_facts.append(("Resubmitted", _fmt(data.resubmitted_on)))
    if data.returns_count:
        decision_facts.append(("Times returned", str(data.returns_count)))
    if decision_facts:
        _pairs(pdf, decision_facts)

    defects = defect_lines(data.defects, data.defect_words)
    if defects:
        _section(pdf, "Defects")
        for i, line in enumerate(defects, 1):
            _para(pdf, line, number=i)

    if data.notes:
        _section(pdf, "Remarks")
        _para(pdf, data.notes)

    pdf.ln(6)
    if pdf.get_y() + 21 > pdf.h - pdf.b_margin:  # keep the signature block on one page
        pdf.add_page()
    x = pdf.l_margin + width - 70
    pdf.set_x(x)
    pdf.set_font(f, "B", 10.5)
    pdf.multi_cell(70, 5.5, t(data.prosecutor), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(f, "", 9.5)
    for line in ("Prosecutor", f"District {data.district}", _fmt(data.reviewed_on)):
        pdf.set_x(x)
        pdf.cell(70, 5, t(line), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _heading_style() -> Any:
    from fpdf.fonts import FontFace

    return FontFace(emphasis="BOLD", fill_color=(232, 236, 242))


def _section(pdf: _Memo, title: str) -> None:
    pdf.ln(3)
    if pdf.get_y() > pdf.h - 40:
        pdf.add_page()
    pdf.set_font(pdf.family, "B", 11)
    pdf.set_fill_color(232, 236, 242)
    pdf.cell(pdf.epw, 6.5, pdf.txt(title), fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1.5)


def _pairs(pdf: _Memo, rows: list[tuple[str, str]]) -> None:
    label_w = 42
    for label, value in rows:
        pdf.set_font(pdf.family, "B", 9.5)
        y = pdf.get_y()
        pdf.cell(label_w, 5.5, pdf.txt(label), new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.set_font(pdf.family, "", 9.5)
        pdf.multi_cell(pdf.epw - label_w, 5.5, pdf.txt(value or "-"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_y(max(pdf.get_y(), y + 5.5))


def _para(pdf: _Memo, text: str, *, bullet: bool = False, number: int | None = None) -> None:
    pdf.set_font(pdf.family, "", 9.5)
    if bullet or number is not None:
        mark = f"{number}." if number is not None else "-"
        pdf.cell(7, 5.5, mark, align="R", new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.set_x(pdf.get_x() + 1.5)
        pdf.multi_cell(pdf.epw - 8.5, 5.5, pdf.txt(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        pdf.multi_cell(pdf.epw, 5.5, pdf.txt(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
