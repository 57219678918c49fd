"""Invoices and annual statements as PDF, in Dutch.

fpdf2 is imported inside the render functions only: the planning API imports this module (for its
data classes and date wording) and must not pay for fpdf on a cold start; only the billing runs render.
Amounts arrive rounded by the caller: this module formats money, it never computes it.
Names can hold any character (Łukasz, Ærø), and the core PDF fonts are latin-1 only, so the bundled
DejaVu Sans (fonts/, licence in fonts/LICENSE) is embedded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from portal_common import i18n

if TYPE_CHECKING:
    from fpdf import FPDF

FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVu"
CORE_FAMILY, CORE_ENCODING = "Helvetica", "windows-1252"
TABLE_WORDS = ("€", "·")  # what the layout itself writes beyond the document's data
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")
BTW_NOTE = "Kinderopvang is vrijgesteld van btw (artikel 11, lid 1, onderdeel f, Wet OB 1968)."
TOESLAG_NOTE = ("Deze jaaropgave heeft u nodig voor de kinderopvangtoeslag. Bewaar hem goed; "
                "de Belastingdienst kan erom vragen.")


@dataclass(frozen=True)
class Issuer:
    name: str
    kvk_number: str
    address_lines: tuple[str, ...]
    iban: str
    email: str


@dataclass(frozen=True)
class Line:
    description: str
    minutes: int
    rate_cents: int
    amount_cents: int


@dataclass(frozen=True)
class InvoicePdf:
    issuer: Issuer
    number: str
    issue_date: date
    period: str
    addressees: tuple[str, ...]
    children: tuple[str, ...]
    lines: tuple[Line, ...]
    total_cents: int
    payment_days: int
    due_date: date


@dataclass(frozen=True)
class StatementRow:
    location_name: str
    registration_number: str
    kind: str
    minutes: int
    rate_cents: int
    amount_cents: int


@dataclass(frozen=True)
class StatementPdf:
    issuer: Issuer
    year: int
    issue_date: date
    child_name: str
    child_birth_date: date
    addressees: tuple[str, ...]
    rows: tuple[StatementRow, ...]
    total_minutes: int
    total_cents: int


# -- Dutch wording -------------------------------------------------------------------------------
def _dutch_number(value: Decimal | int, decimals: int) -> str:
    # Python groups with "," and separates decimals with "."; Dutch is the other way round.
    return f"{value:,.{decimals}f}".translate(str.maketrans(",.", ".,"))


def euros(cents: int) -> str:
    """€ 1.234,56; a credit reads -€ 12,30 (the documents are Dutch)."""
    return i18n.euros(cents, "nl")


def hours_text(minutes: int) -> str:
    """Minutes as decimal hours, 2 decimals, half up: 330 → 5,50; 1 → 0,02. Decimal, so no float drift."""
    hours = (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return _dutch_number(hours, 2)


def dutch_date(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def period_name(period: str) -> str:
    """'2026-10' → 'oktober 2026'. Parsed as a date, so a malformed period raises ValueError."""
    first = date.fromisoformat(f"{period}-01")
    return f"{MONTHS[first.month - 1]} {first.year}"


def _names(names: Sequence[str]) -> str:
    # "Anna", "Anna en Bas", "Anna, Bas en Cem"
    return " en ".join(filter(None, (", ".join(names[:-1]), names[-1]))) if names else ""


# -- layout --------------------------------------------------------------------------------------
def _fits_core_font(texts: Sequence[str]) -> bool:
    try:
        "".join(texts).encode(CORE_ENCODING)
    except UnicodeEncodeError:
        return False
    return True


def _texts(value: object) -> list[str]:
    """Every string in a document's data (names, descriptions): does the core font cover them all?"""
    if isinstance(value, str):
        return [value]
    if is_dataclass(value):
        return [t for f in fields(value) for t in _texts(getattr(value, f.name))]
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in _texts(item)]
    return []


def _new_pdf(title: str, issued: date, texts: Sequence[str]) -> FPDF:
    from fpdf import FPDF  # lazy: see the module docstring

    class _Document(FPDF):
        portal_font = FAMILY

        def footer(self) -> None:  # on every page: which document, which page
            self.set_y(-14)
            self.set_font(self.portal_font, size=8)
            self.cell(0, 5, f"{title} · pagina {self.page_no()} van {{nb}}", align="C")

    pdf = _Document(format="A4")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=20)
    if _fits_core_font((title, *texts)):
        # Helvetica needs no font file parsed and subset: about 25x faster (a month's run renders one
        # PDF per family), and Windows-1252 covers € and the accents of most names.
        pdf.core_fonts_encoding = CORE_ENCODING
        pdf.portal_font = CORE_FAMILY
    else:
        pdf.add_font(FAMILY, "", FONTS / "DejaVuSans.ttf")
        pdf.add_font(FAMILY, "B", FONTS / "DejaVuSans-Bold.ttf")
        pdf.portal_font = FAMILY
    # Title and creator only: no author or other personal data in the metadata.
    pdf.set_title(title)
    pdf.set_creator("Ouderportaal")
    pdf.set_lang("nl")
    # The issue date, not the clock: the same document renders to the same bytes.
    pdf.set_creation_date(datetime(issued.year, issued.month, issued.day, tzinfo=UTC))
    pdf.add_page()
    return pdf


def _header(pdf: FPDF, issuer: Issuer, title: str) -> None:
    pdf.set_font(pdf.portal_font, "B", 11)
    pdf.multi_cell(0, 5.5, issuer.name, align="R", new_x="LMARGIN")
    pdf.set_font(pdf.portal_font, size=9)
    extra = (f"KvK {issuer.kvk_number}" if issuer.kvk_number else "", issuer.email)
    for text in (*issuer.address_lines, *extra):
        if text:
            pdf.multi_cell(0, 4.5, text, align="R", new_x="LMARGIN")
    pdf.ln(8)
    pdf.set_font(pdf.portal_font, "B", 18)
    pdf.multi_cell(0, 9, title, new_x="LMARGIN")
    pdf.ln(3)


def _facts(pdf: FPDF, facts: Sequence[tuple[str, str]]) -> None:
    """Label: value lines; a long value (three guardians) wraps in its own column."""
    for label, value in facts:
        pdf.set_font(pdf.portal_font, "B", 10)
        pdf.cell(48, 5.5, f"{label}:")
        pdf.set_font(pdf.portal_font, size=10)
        pdf.multi_cell(0, 5.5, value, align="L", new_x="LMARGIN")
    pdf.ln(6)


def _table(pdf: FPDF, widths: Sequence[int], head: Sequence[str], rows: Sequence[Sequence[str]],
           total: Sequence[str], numbers_from: int) -> None:
    """Columns from `numbers_from` on hold numbers, aligned right. fpdf repeats the heading row on every
    page the table reaches. `total` is the label, spanning the columns it leaves free, then the last cells."""
    from fpdf.fonts import FontFace

    align = ["LEFT"] * numbers_from + ["RIGHT"] * (len(widths) - numbers_from)
    pdf.set_font(pdf.portal_font, size=9)
    with pdf.table(col_widths=widths, width=pdf.epw, text_align=align, borders_layout="SINGLE_TOP_LINE",
                   headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
                   line_height=5, padding=(1.2, 1.5)) as table:
        table.row(head)
        for cells in rows:
            table.row(cells)
        bold = FontFace(emphasis="BOLD")
        row = table.row()
        row.cell(total[0], colspan=len(widths) - len(total) + 1, style=bold)
        for cell in total[1:]:
            row.cell(cell, style=bold)
    pdf.ln(6)


def _paragraphs(pdf: FPDF, *texts: str) -> None:
    pdf.set_font(pdf.portal_font, size=10)
    for text in texts:
        pdf.multi_cell(0, 5, text, align="L", new_x="LMARGIN")
        pdf.ln(1.5)


# -- documents -----------------------------------------------------------------------------------
def render_invoice(doc: InvoicePdf) -> bytes:
    pdf = _new_pdf(f"Factuur {doc.number}", doc.issue_date, [*_texts(doc), *TABLE_WORDS])
    _header(pdf, doc.issuer, "Factuur")
    _facts(pdf, [("Factuurnummer", doc.number), ("Factuurdatum", dutch_date(doc.issue_date)),
                 ("Periode", period_name(doc.period)), ("Aan", _names(doc.addressees)),
                 ("Kind(eren)", _names(doc.children))])
    _table(pdf, (86, 18, 36, 30), ("Omschrijving", "Uren", "Tarief", "Bedrag"),
           [(line.description, hours_text(line.minutes), f"{euros(line.rate_cents)} per uur",
             euros(line.amount_cents)) for line in doc.lines],
           ("Totaal", euros(doc.total_cents)), numbers_from=1)
    payment = (f"Graag binnen {doc.payment_days} dagen betalen, uiterlijk {dutch_date(doc.due_date)}, "
               f"onder vermelding van factuurnummer {doc.number}.")
    _paragraphs(pdf, BTW_NOTE, payment, *([f"IBAN {doc.issuer.iban}"] if doc.issuer.iban else []))
    return bytes(pdf.output())


def render_statement(doc: StatementPdf) -> bytes:
    pdf = _new_pdf(f"Jaaropgave {doc.year} {doc.child_name}", doc.issue_date, [*_texts(doc), *TABLE_WORDS])
    _header(pdf, doc.issuer, f"Jaaropgave kinderopvang {doc.year}")
    _facts(pdf, [("Kind", doc.child_name), ("Geboortedatum", dutch_date(doc.child_birth_date)),
                 ("Ouder(s)/verzorger(s)", _names(doc.addressees)), ("Datum", dutch_date(doc.issue_date))])
    _table(pdf, (38, 27, 33, 20, 22, 30), ("Locatie", "LRK-nummer", "Soort opvang", "Uren", "Uurtarief", "Bedrag"),
           [(r.location_name, r.registration_number, r.kind, hours_text(r.minutes), euros(r.rate_cents),
             euros(r.amount_cents)) for r in doc.rows],
           ("Totaal", hours_text(doc.total_minutes), "", euros(doc.total_cents)), numbers_from=3)
    _paragraphs(pdf, TOESLAG_NOTE)
    return bytes(pdf.output())
