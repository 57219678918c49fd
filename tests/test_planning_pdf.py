"""Invoice and annual statement PDFs (services/planning/chalicelib/pdf.py), read back as a parent's PDF
reader would: text extracted with pypdf, page by page."""

from __future__ import annotations

import dataclasses
import io
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pdf():
    """planning's PDF rendering, imported by itself: the rule needs no app, no AWS."""
    from planning_service import pdf

    return pdf


def pages(data: bytes) -> list[str]:
    """Each page's text, whitespace folded: wrapped table cells read as one line."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def text(data: bytes) -> str:
    return " ".join(pages(data))


@pytest.fixture
def issuer(pdf):
    return pdf.Issuer(name="Kinderopvang De Zonnebloem B.V.", kvk_number="12345678",
                      address_lines=("Bloemstraat 1", "3512 AB Utrecht"), iban="NL91ABNA0417164300",
                      email="facturen@zonnebloem.example")


LONG = ("Extra dag Łukasz Øberg-Çelik, 14 oktober 2026, aangevraagd via het ouderportaal en goedgekeurd "
        "door de locatiemanager, met verlengde opvang tot 18:30 vanwege een late dienst")


@pytest.fixture
def invoice(pdf, issuer):
    lines = (pdf.Line("Opvang Noor (contract, oktober 2026)", 330, 912, 5016),
             pdf.Line(LONG, 600, 1052, 10520),
             pdf.Line("Correctie extra dag Noor, 7 oktober 2026", -60, 912, -912))
    return pdf.InvoicePdf(issuer=issuer, number="2026-10-00017", issue_date=date(2026, 11, 2), period="2026-10",
                          addressees=("Łukasz Øberg-Çelik", "Ærø Jansen"), children=("Noor", "Zoë"), lines=lines,
                          total_cents=14624, payment_days=14, due_date=date(2026, 11, 16))


@pytest.fixture
def statement(pdf, issuer):
    rows = (pdf.StatementRow("Kindcentrum De Zonnebloem", "123456789", "Dagopvang", 110000, 1052, 1928667),
            pdf.StatementRow("BSO De Regenboog", "", "Flexibele dagopvang", 600, 1100, 11000))
    return pdf.StatementPdf(issuer=issuer, year=2026, issue_date=date(2027, 1, 15), child_name="Łukasz Øberg-Çelik",
                            child_birth_date=date(2023, 5, 4), addressees=("Anna de Vries", "Bas de Vries"),
                            rows=rows, total_minutes=110600, total_cents=1939667)


# -- the invoice ---------------------------------------------------------------------------------
def test_an_invoice_shows_what_a_parent_checks(pdf, invoice):
    data = pdf.render_invoice(invoice)
    assert data.startswith(b"%PDF-")
    [page] = pages(data)
    for expected in ("Kinderopvang De Zonnebloem B.V.", "Bloemstraat 1", "3512 AB Utrecht", "KvK 12345678",
                     "facturen@zonnebloem.example", "Factuur", "Factuurnummer: 2026-10-00017",
                     "Factuurdatum: 2 november 2026", "Periode: oktober 2026", "Aan: Łukasz Øberg-Çelik en Ærø Jansen",
                     "Kind(eren): Noor en Zoë", "Omschrijving", "Uren", "Tarief", "Bedrag",
                     "Opvang Noor (contract, oktober 2026)", "Correctie extra dag Noor, 7 oktober 2026",
                     "5,50", "€ 9,12 per uur", "€ 50,16", "10,00", "€ 10,52 per uur", "€ 105,20", "-1,00", "-€ 9,12",
                     "Totaal € 146,24", pdf.BTW_NOTE, "IBAN NL91ABNA0417164300",
                     "Graag binnen 14 dagen betalen, uiterlijk 16 november 2026, onder vermelding van "
                     "factuurnummer 2026-10-00017."):
        assert expected in page, expected
    assert " ".join(LONG.split()) in page  # wrapped inside its column, nothing cut off


def test_a_long_invoice_flows_onto_more_pages_with_the_header_repeated(pdf, invoice):
    lines = tuple(pdf.Line(f"Extra dag Noor, regel {i:02d}", 330, 912, 5016) for i in range(1, 81))
    data = pdf.render_invoice(replace(invoice, lines=lines, total_cents=80 * 5016))
    texts = pages(data)
    assert len(texts) > 1
    assert "Omschrijving" in texts[1]
    assert all("Omschrijving" in t for t in texts if "regel" in t)
    whole = " ".join(texts)
    assert all(whole.count(f"regel {i:02d}") == 1 for i in range(1, 81))
    assert whole.count("€ 4.012,80") == 1 and whole.count("Totaal") == 1
    assert "Totaal € 4.012,80" in texts[-1] and "uiterlijk 16 november 2026" in texts[-1]
    assert f"pagina {len(texts)} van {len(texts)}" in texts[-1]


def test_an_invoice_without_optional_details_leaves_them_out(pdf, invoice):
    bare = pdf.Issuer(name="Gastouder Ærø", kvk_number="", address_lines=(), iban="", email="")
    data = pdf.render_invoice(replace(invoice, issuer=bare, lines=(), total_cents=0,
                                      addressees=("Anna", "Bas", "Cem")))
    page = text(data)
    assert "Gastouder Ærø" in page and "Totaal € 0,00" in page and "Aan: Anna, Bas en Cem" in page
    assert "KvK" not in page and "IBAN" not in page


def test_the_same_invoice_renders_to_the_same_bytes(pdf, invoice):
    # The issue date stands in the metadata, not the clock: a re-run stores an identical file.
    assert pdf.render_invoice(invoice) == pdf.render_invoice(invoice)


# -- the annual statement ------------------------------------------------------------------------
def test_an_annual_statement_shows_what_the_toeslag_application_needs(pdf, statement):
    data = pdf.render_statement(statement)
    assert data.startswith(b"%PDF-")
    page = text(data)
    for expected in ("Jaaropgave kinderopvang 2026", "Kinderopvang De Zonnebloem B.V.", "KvK 12345678",
                     "Kind: Łukasz Øberg-Çelik", "Geboortedatum: 4 mei 2023",
                     "Ouder(s)/verzorger(s): Anna de Vries en Bas de Vries", "Locatie", "LRK-nummer", "Soort opvang",
                     "Uurtarief", "Kindcentrum De Zonnebloem", "123456789", "Dagopvang", "1.833,33", "€ 10,52",
                     "€ 19.286,67", "BSO De Regenboog", "Flexibele dagopvang", "10,00", "€ 11,00", "€ 110,00",
                     "Totaal 1.843,33 € 19.396,67", pdf.TOESLAG_NOTE):
        assert expected in page, expected


# -- metadata ------------------------------------------------------------------------------------
def test_metadata_holds_a_title_and_no_author(pdf, invoice, statement):
    for data, title in ((pdf.render_invoice(invoice), "Factuur 2026-10-00017"),
                        (pdf.render_statement(statement), "Jaaropgave 2026 Łukasz Øberg-Çelik")):
        meta = PdfReader(io.BytesIO(data)).metadata
        assert meta is not None and meta.title == title and meta.creator == "Ouderportaal"
        assert meta.author is None
        assert set(meta) <= {"/Title", "/Creator", "/Producer", "/CreationDate", "/ModDate"}


# -- Dutch wording -------------------------------------------------------------------------------
@pytest.mark.parametrize(("cents", "expected"), [
    (0, "€ 0,00"), (1, "€ 0,01"), (5016, "€ 50,16"), (100000, "€ 1.000,00"), (123456, "€ 1.234,56"),
    (123456789, "€ 1.234.567,89"), (-1230, "-€ 12,30"), (-1, "-€ 0,01"), (-123456, "-€ 1.234,56"),
])
def test_euros(pdf, cents, expected):
    assert pdf.euros(cents) == expected


@pytest.mark.parametrize(("minutes", "expected"), [
    (0, "0,00"), (1, "0,02"), (3, "0,05"), (31, "0,52"), (59, "0,98"), (60, "1,00"), (330, "5,50"),
    (110000, "1.833,33"), (-60, "-1,00"),
])
def test_hours_text_rounds_minutes_to_hundredths_of_an_hour(pdf, minutes, expected):
    assert pdf.hours_text(minutes) == expected


@pytest.mark.parametrize(("period", "expected"), [
    ("2026-10", "oktober 2026"), ("2027-01", "januari 2027"), ("2026-12", "december 2026"),
])
def test_period_name(pdf, period, expected):
    assert pdf.period_name(period) == expected


@pytest.mark.parametrize("period", ["2026-13", "2026-00", "oktober", "2026"])
def test_period_name_refuses_what_is_not_a_month(pdf, period):
    with pytest.raises(ValueError):
        pdf.period_name(period)


@pytest.mark.parametrize(("day", "expected"), [
    (date(2026, 10, 14), "14 oktober 2026"), (date(2027, 3, 1), "1 maart 2027"), (date(2026, 5, 31), "31 mei 2026"),
])
def test_dutch_date(pdf, day, expected):
    assert pdf.dutch_date(day) == expected


# -- cold start ----------------------------------------------------------------------------------
LAZY = """
import sys
from datetime import date
import planning_service.pdf as pdf
assert "fpdf" not in sys.modules, "importing planning_service.pdf imported fpdf"
issuer = pdf.Issuer("Zonnebloem", "", (), "", "")
pdf.render_invoice(pdf.InvoicePdf(issuer, "1", date(2026, 11, 2), "2026-10", (), (), (), 0, 14, date(2026, 11, 16)))
assert "fpdf" in sys.modules
print("ok")
"""


def test_importing_the_module_leaves_fpdf_for_the_first_render():
    """The planning API imports planning_service.pdf; only the billing runs should pay for fpdf."""
    done = subprocess.run([sys.executable, "-c", LAZY], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def _fonts(data: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(data))
    return {str(font["/BaseFont"]) for page in reader.pages for font in page["/Resources"]["/Font"].values()}


def test_names_windows_1252_covers_use_the_core_font_and_others_embed_dejavu(pdf, invoice):
    plain = dataclasses.replace(invoice, addressees=("Zoë Çelik", "Mark de Vries"), lines=invoice.lines[:1])
    assert _fonts(pdf.render_invoice(plain)) <= {"/Helvetica", "/Helvetica-Bold"}  # nothing embedded: fast
    assert "Zoë Çelik en Mark de Vries" in text(pdf.render_invoice(plain)) and "€ 50,16" in text(
        pdf.render_invoice(plain))
    name = "Ayşe Y\u0131lmaz"  # ş and the dotless i are outside Windows-1252
    turkish = dataclasses.replace(plain, addressees=(name,))
    assert all("DejaVu" in font for font in _fonts(pdf.render_invoice(turkish)))
    assert name in text(pdf.render_invoice(turkish))
