"""Issue 4's "done when", on the real local stack over HTTP: a parent sees the calendar, reports an
absence and earns swap hours (and gets the confirmation e-mail), requests an extra day paid with those
hours, sees it pending in the overview; staff approve it and the ledger is exact at every step; a
second request lapses at its expiry moment when the dev clock moves past it, and its hours come back."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

import pytest
import requests
from icalendar import Calendar

from tests.e2e.helpers import WHOLE_DAY, Client, new_family

pytestmark = pytest.mark.e2e
DOMAIN = "demo.ouderportaal.nl"
PASSWORD = "Demo-Ouderportaal-2026"


def _headers(base: str, email: str) -> dict[str, str]:
    answer = requests.post(f"{base}/auth/login", json={"organisation": DOMAIN, "email": email, "password": PASSWORD},
                           timeout=10)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _next(weekday: int, after: date) -> date:
    """The first ISO `weekday` strictly after `after`."""
    ahead = (weekday - after.isoweekday()) % 7 or 7
    return after + timedelta(days=ahead)


def _open_day(weekday: int, after: date, closed: set[str]) -> date:
    day = _next(weekday, after)
    while day.isoformat() in closed:
        day = _next(weekday, day)
    return day


def _swap(base: str, headers: dict[str, str], child: str) -> dict:
    answer = requests.get(f"{base}/planning/swap-hours?child_id={child}", headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _eventually(check, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_absence_earns_hours_that_pay_an_approved_extra_day_and_an_unanswered_request_lapses(stack):
    base = stack.base_url
    with Client(base) as client:  # a family of the test's own (Rupsen, Monday and Wednesday 07:30-18:30)
        family = new_family(client, client.bearer("admin@demo.ouderportaal.nl"),
                            days={"1": WHOLE_DAY, "3": WHOLE_DAY})
    child, email = family["child_id"], family["email"]
    now = datetime.fromisoformat(requests.get(f"{base}/dev/clock", timeout=5).json()["now"])
    today = now.date()
    parent = _headers(base, email)
    staff = _headers(base, "staff1@demo.ouderportaal.nl")

    calendar = requests.get(f"{base}/planning/calendar?from={today}&to={today + timedelta(days=30)}",
                            headers=parent, timeout=10)
    assert calendar.status_code == 200, calendar.text
    closed = {d["date"] for d in calendar.json()["days"] if d["closed"]}
    absent_day = _open_day(1, today + timedelta(days=2), closed)  # a Monday more than 24 hours away
    start_balance = _swap(base, parent, child)["available_hours"]

    absence = requests.post(f"{base}/planning/absences", headers=parent, timeout=10, json={
        "child_ids": [child], "from": absent_day.isoformat(), "to": absent_day.isoformat(), "reason": "holiday"})
    assert absence.status_code == 201, absence.text
    assert absence.json()["hours_deregistered"] == 11.0 and absence.json()["swap_hours_earned"] == 11.0
    assert _swap(base, parent, child)["available_hours"] == start_balance + 11.0

    def confirmation_mailed() -> None:
        mails = requests.get(f"{base}/dev/mail.json", timeout=5).json()
        assert any(email in m["to"] and absent_day.strftime("%d") in m["text"]
                   for m in mails), "no absence confirmation yet"

    _eventually(confirmation_mailed)
    day_view = requests.get(f"{base}/planning/calendar?from={absent_day}&to={absent_day}&child_id={child}",
                            headers=parent, timeout=10).json()
    kinds = {(i["kind"], i["status"]) for i in day_view["days"][0]["children"][0]["items"]}
    assert ("care", "cancelled") in kinds and ("absence", "reported") in kinds

    extra_day = _open_day(2, today + timedelta(days=1), closed)  # a Tuesday: not one of the child's days
    submitted = requests.post(f"{base}/planning/requests", headers=parent, timeout=10, json={
        "child_id": child, "days": [{"date": extra_day.isoformat(), "start": "07:30", "end": "13:00"}],
        "payment": "swap_hours", "comment": "Opa is jarig"})
    assert submitted.status_code == 201, submitted.text
    request_id = submitted.json()["id"]
    held = _swap(base, parent, child)
    assert held["available_hours"] == start_balance + 11.0 - 5.5 and held["held_hours"] == 5.5
    overview = requests.get(f"{base}/planning/requests", headers=parent, timeout=10).json()["items"]
    assert overview[0]["id"] == request_id and overview[0]["status"] == "pending"

    decided = requests.post(f"{base}/planning/requests/{request_id}/decision", headers=staff, timeout=10,
                            json={"decision": "approve"})
    assert decided.status_code == 200, decided.text
    after = _swap(base, parent, child)
    assert after["balance_hours"] == start_balance + 11.0 - 5.5 and after["held_hours"] == 0
    overview = requests.get(f"{base}/planning/requests", headers=parent, timeout=10).json()["items"]
    assert overview[0]["status"] == "approved"

    # The parent's secret calendar feed is valid iCalendar and shows the approved day.
    feed_url = requests.post(f"{base}/planning/calendar-feed", headers=parent, timeout=10).json()["url"]
    feed = requests.get(feed_url, timeout=10)  # no token: the secret is the credential
    assert feed.status_code == 200 and feed.headers["Content-Type"].startswith("text/calendar")
    uids = {str(e["UID"]): e for e in Calendar.from_ical(feed.content).walk("VEVENT")}
    approved = uids[f"extra-{child}-{extra_day.isoformat()}-{request_id}@ouderportaal"]
    assert str(approved["STATUS"]) == "CONFIRMED"

    # A second request with an expiry moment an hour from now lapses when the clock passes it.
    second_day = _open_day(4, extra_day, closed)  # a Thursday
    lapsing = requests.post(f"{base}/planning/requests", headers=parent, timeout=10, json={
        "child_id": child, "days": [{"date": second_day.isoformat(), "start": "13:00", "end": "18:30"}],
        "payment": "swap_hours", "expires_at": (now + timedelta(hours=1)).isoformat()})
    assert lapsing.status_code == 201, lapsing.text
    assert _swap(base, parent, child)["held_hours"] == 5.5
    moved = requests.post(f"{base}/dev/clock", json={"now": (now + timedelta(hours=1, minutes=10)).isoformat()},
                          timeout=60)
    assert "expire_requests" in str(moved.json()["fired"])
    parent = _headers(base, email)  # the clock moved past the old token's lifetime
    statuses = {i["id"]: i["status"] for i in
                requests.get(f"{base}/planning/requests", headers=parent, timeout=10).json()["items"]}
    assert statuses[lapsing.json()["id"]] == "expired"
    final = _swap(base, parent, child)
    assert final["held_hours"] == 0 and final["available_hours"] == start_balance + 11.0 - 5.5
