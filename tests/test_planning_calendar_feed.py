"""The secret iCalendar feed: valid RFC 5545 with a VTIMEZONE, follows every change, rotates, and shows
only the owner's children (also after a child leaves them)."""

from __future__ import annotations

from datetime import datetime

import pytest
from icalendar import Calendar

from portal_common import clock as business_clock
from tests.auth_helpers import demo_login_header


def feed_path(world, headers) -> str:
    answer = world.post("/planning/calendar-feed", headers=headers)
    assert answer.status_code == 201, answer.json
    assert answer.json["webcal_url"].startswith("webcal://")
    return answer.json["url"].split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def events(world, path) -> dict[str, dict]:
    answer = world.get(path)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/calendar")
    assert answer.headers["Cache-Control"] == "no-store"
    cal = Calendar.from_ical(answer.data)
    found = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    timed = [e for e in found.values() if "TZID" in e["DTSTART"].params]
    # Every timed event names Europe/Amsterdam, and the feed carries that zone's definition.
    assert {e["DTSTART"].params["TZID"] for e in timed} <= {"Europe/Amsterdam"}
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == (["Europe/Amsterdam"] if timed else [])
    return found


def test_the_feed_is_valid_icalendar_with_care_closed_days_and_requests_as_they_change(world, parent):
    path = feed_path(world, parent)
    found = events(world, path)
    monday = found["care-child-noor-2026-11-30-contract@ouderportaal"]
    assert str(monday["SUMMARY"]) == "Opvang Noor de Vries"
    assert monday.decoded("DTSTART") == datetime(2026, 11, 30, 7, 30, tzinfo=business_clock.AMSTERDAM)
    assert monday["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    christmas = found["closed-loc-zonnebloem-2026-12-25@ouderportaal"]
    assert str(christmas["SUMMARY"]) == "Gesloten: Eerste kerstdag"
    assert not any("child-liam" in uid for uid in found)  # another family's child
    # An absence and a request show up at the next fetch; the approval changes the request's event.
    world.post("/planning/absences", headers=parent, json={
        "child_ids": ["child-noor"], "from": "2026-11-30", "to": "2026-11-30", "reason": "sick"})
    request = world.post("/planning/requests", headers=parent, json={
        "child_id": "child-noor", "days": [{"date": "2026-12-01", "start": "07:30", "end": "13:00"}],
        "payment": "swap_hours"}).json
    found = events(world, path)
    assert str(found["cancelled-child-noor-2026-11-30-contract@ouderportaal"]["STATUS"]) == "CANCELLED"
    extra = found[f"extra-child-noor-2026-12-01-{request['id']}@ouderportaal"]
    assert str(extra["SUMMARY"]) == "Extra dag Noor de Vries (aangevraagd)" and str(extra["STATUS"]) == "TENTATIVE"
    staff = demo_login_header(world, "staff1@demo.ouderportaal.nl")
    world.post(f"/planning/requests/{request['id']}/decision", headers=staff, json={"decision": "approve"})
    extra = events(world, path)[f"extra-child-noor-2026-12-01-{request['id']}@ouderportaal"]
    assert str(extra["SUMMARY"]) == "Extra dag Noor de Vries" and str(extra["STATUS"]) == "CONFIRMED"


def test_an_english_reader_gets_english(world):
    english = demo_login_header(world, "parent3@demo.ouderportaal.nl")
    found = events(world, feed_path(world, english))
    assert str(found["care-child-liam-2026-12-01-contract@ouderportaal"]["SUMMARY"]) == "Care Liam Jansen"
    assert str(found["closed-loc-zonnebloem-2026-12-25@ouderportaal"]["SUMMARY"]) == "Closed: Christmas Day"


def test_a_feed_shows_only_its_owners_children_and_dies_with_rotation(world, parent, tokens):
    old = feed_path(world, parent)
    new = feed_path(world, parent)
    assert old != new and world.get(old).status_code == 404 and world.get(new).status_code == 200
    for guess in ("/planning/calendar-feed/" + "A" * 43, "/planning/calendar-feed/x", "/planning/calendar-feed/%23"):
        assert world.get(guess).status_code == 404
    # Another family's feed is their own; rotating it leaves this one alone.
    other = demo_login_header(world, "parent4@demo.ouderportaal.nl")
    theirs = events(world, feed_path(world, other))
    care = [uid for uid in theirs if uid.startswith("care")]
    assert care and all(uid.startswith("care-child-yara-") for uid in care)
    assert world.get(new).status_code == 200
    # Another tenant's parent with the same ids gets a feed of their own tenant: no demo child in it.
    foreign = tokens.header(tenant="other", role="parent", user_id="user-parent1", children=("child-noor",))
    assert not [uid for uid in events(world, feed_path(world, foreign)) if uid.startswith("care")]
    # Staff have no feed of their own (their app shows the group day).
    staff = demo_login_header(world, "staff1@demo.ouderportaal.nl")
    assert world.post("/planning/calendar-feed", headers=staff).status_code == 403


def test_a_child_that_leaves_the_guardian_leaves_the_feed(world, parent, bus):
    path = feed_path(world, parent)
    admin = demo_login_header(world, "admin@demo.ouderportaal.nl")
    gone = world.delete("/auth/admin/children/child-noor/guardians/user-parent1", headers=admin)
    assert gone.status_code == 204, gone.json
    assert any(e.type == "auth.guardian.unlinked" for e in bus.published)
    found = events(world, path)
    assert not [uid for uid in found if "child-noor" in uid] and [uid for uid in found if "child-daan" in uid]
    world.put("/auth/admin/children/child-noor/guardians/user-parent1", headers=admin)
    assert any(e.type == "auth.guardian.linked" for e in bus.published)
    assert [uid for uid in events(world, path) if "child-noor" in uid]


def test_when_access_ends_the_child_leaves_the_feed_once_however_often_told(world, parent, services, clock):
    from portal_common import consumer
    from portal_common.events import Envelope

    path = feed_path(world, parent)
    planning = services["planning"]
    ended = Envelope(event_id="ended-1", type="auth.guardian.access_ended", version=1, tenant="demo",
                     occurred_at=clock.now(), source="auth",
                     payload={"child_id": "child-daan", "user_id": "user-parent1", "access_until": "2026-11-23"})
    for env in (ended, ended.model_copy(update={"event_id": "ended-2"})):
        assert consumer.handle_one(planning.app.inbox, env, planning.app.event_handlers)
    found = events(world, path)
    assert not [uid for uid in found if "child-daan" in uid] and [uid for uid in found if "child-noor" in uid]


def _reset(world, headers, email: str, password: str) -> None:
    from tests.auth_helpers import DOMAIN, link_token, sent_mail

    world.post("/auth/password/forgot", json={"organisation": DOMAIN, "email": email})
    token = link_token(sent_mail()[-1].body, "reset")
    assert world.post("/auth/password/reset", json={"token": token, "password": password}).status_code == 204


def _change(world, headers, email: str, password: str) -> None:
    from tests.auth_helpers import PASSWORD

    changed = world.post("/auth/password/change", headers=headers,
                         json={"current_password": PASSWORD, "new_password": password})
    assert changed.status_code == 204


def _logout_all(world, headers, email: str, password: str) -> None:
    assert world.post("/auth/logout-all", headers=headers).status_code == 204


@pytest.mark.parametrize("revoke", [_reset, _change, _logout_all], ids=["reset", "change", "logout_all"])
def test_the_feed_url_dies_with_a_password_reset_change_or_logout_everywhere(world, bus, revoke):
    """Auth tells planning with "auth.credentials.revoked"; the old URL answers 404, a new one works."""
    from tests.auth_helpers import PASSWORD, login

    email = "parent1@demo.ouderportaal.nl"
    headers = demo_login_header(world, email)
    old = feed_path(world, headers)
    assert world.get(old).status_code == 200
    other_family = feed_path(world, demo_login_header(world, "parent4@demo.ouderportaal.nl"))
    new_password = "een-nieuwe-lange-zin"
    before = len(bus.of_type("auth.credentials.revoked"))
    revoke(world, headers, email, new_password)
    assert world.get(old).status_code == 404
    [revoked] = bus.of_type("auth.credentials.revoked")[before:]
    assert revoked.payload["user_id"] == "user-parent1"
    assert world.get(other_family).status_code == 200  # another family's feed is left alone
    password = PASSWORD if revoke is _logout_all else new_password
    fresh = login(world, email, password).json["access_token"]
    new = feed_path(world, {"Authorization": f"Bearer {fresh}"})
    assert new != old and world.get(new).status_code == 200 and world.get(old).status_code == 404


def test_a_late_revocation_leaves_a_feed_made_after_it_alone(world, parent, services, clock):
    from datetime import timedelta

    from portal_common import consumer
    from portal_common.events import Envelope

    feed_path(world, parent)
    revoked = Envelope(event_id="revoked-1", type="auth.credentials.revoked", version=1, tenant="demo",
                       occurred_at=clock.now(), source="auth",
                       payload={"user_id": "user-parent1", "reason": "password_change"})
    clock.advance(timedelta(minutes=1))
    new = feed_path(world, parent)  # made in the app after the change, before the event arrived
    planning = services["planning"]
    assert consumer.handle_one(planning.app.inbox, revoked, planning.app.event_handlers)
    assert world.get(new).status_code == 200
