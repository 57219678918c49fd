"""Issue 5's "done when", on the real local stack over HTTP: a flex parent requests the days of the first
open month and sees the pot move; the demo families have last month's invoice and last year's annual
statement as PDFs that open (downloaded through their five-minute links); and a parent's feed shows a
newly approved extra day."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
import requests
from icalendar import Calendar
from pypdf import PdfReader

from tests.e2e.test_local_stack_planning import _eventually, _headers, _open_day

pytestmark = pytest.mark.e2e


def _pdf_text(base: str, headers: dict[str, str], route: str) -> str:
    link = requests.get(f"{base}{route}/download", headers=headers, timeout=10)
    assert link.status_code == 200, link.text
    pdf = requests.get(link.json()["url"], timeout=10)  # straight from S3 (moto), no token
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["Content-Disposition"].startswith("attachment;")
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages).split())


def test_flex_days_move_the_pot_and_the_demo_has_its_invoices_and_statements(stack):
    base = stack.base_url
    today = datetime.fromisoformat(requests.get(f"{base}/dev/clock", timeout=5).json()["now"]).date()

    # A flex parent asks for two days in the first month still open and sees the pot move.
    lotte = _headers(base, "parent6@demo.ouderportaal.nl")
    pot = requests.get(f"{base}/planning/flex-pot?child_id=child-mila", headers=lotte, timeout=10).json()
    month = date.fromisoformat(pot["first_open_month"] + "-01")
    pot = requests.get(f"{base}/planning/flex-pot?child_id=child-mila&year={month.year}", headers=lotte,
                       timeout=10).json()
    calendar = requests.get(f"{base}/planning/calendar?from={month}&to={month + timedelta(days=30)}"
                            "&child_id=child-mila", headers=lotte, timeout=10).json()
    closed = {d["date"] for d in calendar["days"] if d["closed"]}
    first = _open_day(2, month - timedelta(days=1), closed)
    second = _open_day(4, first, closed)
    asked = requests.post(f"{base}/planning/flex-requests", headers=lotte, timeout=10, json={
        "child_id": "child-mila", "days": [{"date": first.isoformat(), "start": "07:30", "end": "18:30"},
                                           {"date": second.isoformat(), "start": "07:30", "end": "13:00"}]})
    assert asked.status_code == 201, asked.text
    moved = requests.get(f"{base}/planning/flex-pot?child_id=child-mila&year={month.year}", headers=lotte,
                         timeout=10).json()
    assert moved["held_hours"] == pot["held_hours"] + 16.5
    assert moved["available_hours"] == pot["available_hours"] - 16.5

    # Last month's invoice and last year's statement: listed, and PDFs that open and say what they should.
    sanne = _headers(base, "parent1@demo.ouderportaal.nl")
    last_month = (today.replace(day=1) - timedelta(days=1)).isoformat()[:7]

    def billed() -> list[dict]:  # the stack makes the demo's invoices in the background as it starts
        found = requests.get(f"{base}/planning/invoices", headers=sanne, timeout=10).json()["items"]
        assert found and found[0]["period"] == last_month, found
        statements = requests.get(f"{base}/planning/annual-statements", headers=sanne, timeout=10).json()["items"]
        assert statements, "no annual statements yet"
        return found

    invoices = _eventually(billed, seconds=60)
    assert invoices[0]["amount_cents"] > 0
    text = _pdf_text(base, sanne, f"/planning/invoices/{invoices[0]['id']}")
    assert "Factuur" in text and "Noor de Vries" in text and "Kinderopvang Demo B.V." in text
    statements = requests.get(f"{base}/planning/annual-statements", headers=sanne, timeout=10).json()["items"]
    last_year = str(today.year - 1)
    assert {s["period"] for s in statements} >= {last_year}
    statement = next(s for s in statements if s["period"] == last_year)
    text = _pdf_text(base, sanne, f"/planning/annual-statements/{statement['id']}")
    assert f"Jaaropgave kinderopvang {last_year}" in text and "123456789" in text  # the location's LRK number

    # Another family's invoice is not found.
    emma = _headers(base, "parent3@demo.ouderportaal.nl")
    assert requests.get(f"{base}/planning/invoices/{invoices[0]['id']}/download", headers=emma,
                        timeout=10).status_code == 404

    # The feed shows an extra day on invoice as soon as staff approve it.
    staff = _headers(base, "staff1@demo.ouderportaal.nl")
    noor = requests.get(f"{base}/planning/calendar?from={today}&to={today + timedelta(days=40)}"
                        "&child_id=child-noor", headers=sanne, timeout=10).json()
    busy = {d["date"] for d in noor["days"] if d["closed"] or any(
        i["kind"] != "care" or i["status"] != "planned" for c in d["children"] for i in c["items"])}
    day = _open_day(4, today + timedelta(days=7), busy)  # a Thursday: not one of Noor's days
    extra = requests.post(f"{base}/planning/requests", headers=sanne, timeout=10, json={
        "child_id": "child-noor", "days": [{"date": day.isoformat(), "start": "13:00", "end": "18:30"}],
        "payment": "invoice"})
    assert extra.status_code == 201, extra.text
    feed_url = requests.post(f"{base}/planning/calendar-feed", headers=sanne, timeout=10).json()["url"]
    uid = f"extra-child-noor-{day.isoformat()}-{extra.json()['id']}@ouderportaal"
    events = {str(e["UID"]): e for e in Calendar.from_ical(requests.get(feed_url, timeout=10).content).walk("VEVENT")}
    assert str(events[uid]["STATUS"]) == "TENTATIVE"
    assert requests.post(f"{base}/planning/requests/{extra.json()['id']}/decision", headers=staff, timeout=10,
                         json={"decision": "approve"}).status_code == 200
    events = {str(e["UID"]): e for e in Calendar.from_ical(requests.get(feed_url, timeout=10).content).walk("VEVENT")}
    assert str(events[uid]["STATUS"]) == "CONFIRMED"
