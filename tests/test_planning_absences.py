"""POST /planning/absences and GET /planning/swap-hours through HTTP, with the demo organisation.

The clock starts on Tuesday 24 November 2026, 09:00 (Amsterdam). Noor (Rupsen) comes on Mondays and
Wednesdays 07:30-18:30; Daan (Vlinders), her brother, also on Friday mornings.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from portal_common import clock as business_clock
from portal_common import consumer
from tests.auth_helpers import demo_login_header


def swap(world, headers, child_id="child-noor", **params):
    query = "&".join(f"{k}={v}" for k, v in {"child_id": child_id, **params}.items())
    answer = world.get(f"/planning/swap-hours?{query}", headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json


def absent(world, headers, child_ids, first, last, reason="sick", **extra):
    return world.post("/planning/absences", headers=headers,
                      json={"child_ids": child_ids, "from": first, "to": last, "reason": reason, **extra})


def test_an_absence_in_time_earns_the_days_hours_and_cancels_the_care(world, parent):
    answer = absent(world, parent, ["child-noor"], "2026-11-30", "2026-12-04", reason="holiday")
    assert answer.status_code == 201, answer.json
    body = answer.json
    assert body["hours_deregistered"] == 22.0 and body["swap_hours_earned"] == 22.0
    [child] = body["children"]
    assert [(d["date"], d["outcome"], d["valid_until"]) for d in child["days"]] == [
        ("2026-11-30", "earned", "2027-11-30"), ("2026-12-02", "earned", "2027-12-02")]
    # Noor comes on Mondays and Wednesdays: the other weekdays are named, the weekend is not.
    assert body["skipped"] == [{"child_id": "child-noor", "date": day, "reason": "not_contracted"}
                               for day in ("2026-12-01", "2026-12-03", "2026-12-04")]
    hours = swap(world, parent)
    assert hours["balance_hours"] == 22.0 and hours["available_hours"] == 22.0 and hours["held_hours"] == 0
    assert [e["kind"] for e in hours["entries"]] == ["earned", "earned"]
    # After the first lot's validity only the second is available.
    assert swap(world, parent, date="2027-12-01")["available_hours"] == 11.0
    day = world.get("/planning/calendar?from=2026-11-30&to=2026-11-30&child_id=child-noor", headers=parent).json
    items = {(i["kind"], i["status"]) for i in day["days"][0]["children"][0]["items"]}
    assert items == {("care", "cancelled"), ("absence", "reported")}


def test_the_notice_boundary_is_exactly_24_hours_before_care_starts(world, clock):
    clock.set(datetime(2026, 11, 29, 7, 30, tzinfo=business_clock.AMSTERDAM))  # Monday's care: 07:30
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    in_time = absent(world, parent, ["child-noor"], "2026-11-30", "2026-11-30").json
    assert in_time["swap_hours_earned"] == 11.0
    clock.set(datetime(2026, 12, 6, 7, 30, 1, tzinfo=business_clock.AMSTERDAM))  # one second late
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    late = absent(world, parent, ["child-noor"], "2026-12-07", "2026-12-07")
    assert late.status_code == 201  # accepted, earns nothing
    assert late.json["hours_deregistered"] == 11.0 and late.json["swap_hours_earned"] == 0
    assert late.json["children"][0]["days"][0]["outcome"] == "late"
    assert swap(world, parent)["balance_hours"] == 11.0


def test_tomorrow_is_late_and_holidays_are_skipped_for_every_child_at_once(world, parent):
    tomorrow = absent(world, parent, ["child-noor"], "2026-11-25", "2026-11-25").json  # 22.5 h before care
    assert tomorrow["hours_deregistered"] == 11.0 and tomorrow["swap_hours_earned"] == 0
    both = absent(world, parent, ["child-noor", "child-daan"], "2026-12-21", "2026-12-27", reason="holiday")
    assert both.status_code == 201, both.json
    per_child = {c["child_id"]: [d["date"] for d in c["days"]] for c in both.json["children"]}
    assert per_child == {"child-noor": ["2026-12-21", "2026-12-23"], "child-daan": ["2026-12-21", "2026-12-23"]}
    # Christmas is a Friday: Daan would have come (closed), Noor would not (not contracted).
    skipped = {(s["child_id"], s["date"]): s["reason"] for s in both.json["skipped"]}
    assert skipped == {("child-daan", "2026-12-25"): "closed", ("child-noor", "2026-12-25"): "not_contracted",
                       **{(child, day): "not_contracted" for child in ("child-noor", "child-daan")
                          for day in ("2026-12-22", "2026-12-24")}}
    assert both.json["swap_hours_earned"] == 44.0
    ids = {c["request_id"] for c in both.json["children"]}
    assert len(ids) == 2 and all(i.endswith(both.json["id"]) for i in ids)


def test_reporting_the_same_days_again_changes_nothing(world, parent):
    assert absent(world, parent, ["child-noor"], "2026-11-30", "2026-11-30").status_code == 201
    again = absent(world, parent, ["child-noor"], "2026-11-30", "2026-11-30")
    assert again.status_code == 422 and again.json["code"] == "no_care_days"
    wider = absent(world, parent, ["child-noor"], "2026-11-30", "2026-12-02").json
    assert [d["date"] for d in wider["children"][0]["days"]] == ["2026-12-02"]
    assert wider["skipped"] == [{"child_id": "child-noor", "date": "2026-11-30", "reason": "already_reported"},
                                {"child_id": "child-noor", "date": "2026-12-01", "reason": "not_contracted"}]
    assert swap(world, parent)["balance_hours"] == 22.0


def test_a_redelivered_event_or_a_crash_after_the_commit_earns_exactly_once(world, parent, services, bus,
                                                                             monkeypatch):
    planning = services["planning"]
    absent(world, parent, ["child-noor"], "2026-11-30", "2026-11-30")
    [event] = [e for e in bus.published if e.type == "planning.absence.reported"]
    assert consumer.handle_one(planning.app.inbox, event.model_copy(update={"event_id": "again"}),
                               planning.app.event_handlers)
    assert swap(world, parent)["balance_hours"] == 11.0
    # The process stops right after the commit: neither the inline earning nor publishing happens.
    # The outbox keeps the event; its relay publishes it later and the consumer earns the hours.
    def stopped(*args, **kwargs):
        raise RuntimeError("lambda stopped")

    monkeypatch.setattr(planning.lib.absences, "earn_hours", stopped)
    monkeypatch.setattr(planning.app.outbox, "flush", lambda envelopes, bus=None: None)
    assert absent(world, parent, ["child-noor"], "2026-12-02", "2026-12-02").status_code == 500  # the crash
    monkeypatch.undo()
    assert swap(world, parent)["balance_hours"] == 11.0  # not earned yet
    assert planning.app.outbox.relay(older_than_seconds=0) == 1
    assert swap(world, parent)["balance_hours"] == 22.0
    assert planning.app.outbox.relay(older_than_seconds=0) == 0


@pytest.mark.parametrize("body, status, code", [
    ({"child_ids": ["child-noor"], "from": "2026-11-20", "to": "2026-11-30", "reason": "sick"}, 422, "in_the_past"),
    ({"child_ids": ["child-noor"], "from": "2026-12-01", "to": "2026-12-01", "reason": "sick"}, 422, "no_care_days"),
    ({"child_ids": ["child-noor"], "from": "2026-12-25", "to": "2026-12-25", "reason": "sick"}, 422, "no_care_days"),
    ({"child_ids": ["child-noor"], "from": "2026-12-01", "to": "2027-03-01", "reason": "sick"}, 422, "range_too_long"),
    ({"child_ids": ["child-noor"], "from": "2026-12-02", "to": "2026-12-01", "reason": "sick"}, 422, None),
    ({"child_ids": ["child-noor", "child-noor"], "from": "2026-12-02", "to": "2026-12-02", "reason": "sick"},
     422, None),
    ({"child_ids": [f"c{n}" for n in range(11)], "from": "2026-12-02", "to": "2026-12-02", "reason": "sick"},
     422, None),
    ({"child_ids": [], "from": "2026-12-02", "to": "2026-12-02", "reason": "sick"}, 422, None),
    ({"child_ids": ["child-noor"], "from": "2026-12-02", "to": "2026-12-02", "reason": "bored"}, 422, None),
    ({"child_ids": ["child-noor"], "from": "2026-12-02", "to": "2026-12-02", "reason": "sick", "x": 1}, 400, None),
    ({"child_ids": "child-noor", "from": "2026-12-02", "to": "2026-12-02", "reason": "sick"}, 422, None),
    ({"child_ids": ["child#noor"], "from": "2026-12-02", "to": "2026-12-02", "reason": "sick"}, 422, None),
    ({"child_ids": ["child-noor"], "from": "2 december", "to": "2026-12-02", "reason": "sick"}, 422, None),
    ({"child_ids": ["child-noor"], "from": "2026-12-02", "to": "2026-12-02", "reason": "sick",
      "comment": "x" * 501}, 422, None),
])
def test_impossible_absences_are_refused_and_nothing_is_written(world, parent, body, status, code):
    answer = world.post("/planning/absences", headers=parent, json=body)
    assert answer.status_code in (status, 400) if status == 422 and code is None else answer.status_code == status
    assert answer.status_code < 500 and answer.json.get("code") != "internal"
    if code:
        assert answer.json["code"] == code
    assert swap(world, parent)["entries"] == []
    calendar = world.get("/planning/calendar?from=2026-11-24&to=2027-03-01&child_id=child-noor", headers=parent).json
    assert not [i for d in calendar["days"] for c in d["children"] for i in c["items"] if i["kind"] == "absence"]


def test_absences_and_swap_hours_refuse_other_families_other_groups_and_other_tenants(world, parent, tokens, bus):
    other_family = demo_login_header(world, "parent4@demo.ouderportaal.nl")
    other_group = demo_login_header(world, "staff2@demo.ouderportaal.nl")
    other_tenant = tokens.header(tenant="other", role="parent", user_id="user-parent1", children=("child-noor",))
    for headers in (other_family, other_group, other_tenant):
        answer = absent(world, headers, ["child-noor"], "2026-11-30", "2026-11-30")
        assert answer.status_code == 404, answer.json
        # One foreign child among the caller's own: the whole report is refused.
        assert world.get("/planning/swap-hours?child_id=child-noor", headers=headers).status_code == 404
    mixed = absent(world, other_family, ["child-yara", "child-noor"], "2026-11-30", "2026-12-04")
    assert mixed.status_code == 404
    assert world.get("/planning/swap-hours?child_id=child%23noor", headers=parent).status_code in (400, 404, 422)
    assert not [e for e in bus.published if e.type == "planning.absence.reported"]
    assert swap(world, parent)["entries"] == []
    # Staff of the child's own group may report and read (a parent phoned in).
    staff = demo_login_header(world, "staff1@demo.ouderportaal.nl")
    assert absent(world, staff, ["child-noor"], "2026-11-30", "2026-11-30").status_code == 201
    assert swap(world, staff)["balance_hours"] == 11.0


def test_the_notice_counts_real_hours_across_the_daylight_saving_weekend(world, clock):
    """With 48 hours' notice, Monday 1 November 2027 07:30 (CET, after the clocks went back) must be
    reported by Saturday 30 October 08:30 (CEST): 48 real hours, not the wall clock's 07:30."""
    admin = demo_login_header(world, "admin@demo.ouderportaal.nl")
    rules = world.get("/planning/admin/settings", headers=admin).json
    assert world.put("/planning/admin/settings", headers=admin,
                     json={**rules, "swap_hours_notice_hours": 48}).status_code == 200
    clock.set(datetime(2027, 10, 30, 8, 15, tzinfo=business_clock.AMSTERDAM))
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    in_time = absent(world, parent, ["child-noor"], "2027-11-01", "2027-11-01").json
    assert in_time["swap_hours_earned"] == 11.0 and in_time["hours_deregistered"] == 11.0
    clock.set(datetime(2027, 10, 30, 8, 30, 1, tzinfo=business_clock.AMSTERDAM))
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    late = absent(world, parent, ["child-daan"], "2027-11-01", "2027-11-01").json
    assert late["swap_hours_earned"] == 0 and late["children"][0]["days"][0]["outcome"] == "late"


def test_today_can_be_reported_but_earns_nothing_and_yesterday_cannot(world, clock):
    clock.set(datetime(2026, 11, 30, 6, 0, tzinfo=business_clock.AMSTERDAM))  # Monday, care at 07:30
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    today = absent(world, parent, ["child-noor"], "2026-11-30", "2026-11-30")
    assert today.status_code == 201, today.json
    [day] = today.json["children"][0]["days"]
    assert day["outcome"] == "late" and day["hours_deregistered"] == 11.0 and day["swap_hours_earned"] == 0
    assert day["valid_until"] is None
    yesterday = absent(world, parent, ["child-daan"], "2026-11-29", "2026-11-30")
    assert yesterday.status_code == 422 and yesterday.json["code"] == "in_the_past"
    assert swap(world, parent, "child-daan")["entries"] == []


def test_a_location_closing_day_is_skipped_and_the_comment_is_kept(world, parent):
    manager = demo_login_header(world, "manager@demo.ouderportaal.nl")
    closing = world.put("/planning/admin/locations/loc-zonnebloem/closures/2026-12-09", headers=manager,
                        json={"description": "Studiedag"})
    assert closing.status_code == 201, closing.json
    answer = absent(world, parent, ["child-noor"], "2026-12-07", "2026-12-09", reason="other",
                    comment="Naar oma in Groningen")
    assert answer.status_code == 201, answer.json
    assert [d["date"] for d in answer.json["children"][0]["days"]] == ["2026-12-07"]
    assert {s["date"]: s["reason"] for s in answer.json["skipped"]} == {"2026-12-08": "not_contracted",
                                                                          "2026-12-09": "closed"}
    assert answer.json["swap_hours_earned"] == 11.0
    overview = world.get("/planning/requests?child_id=child-noor", headers=parent)
    assert overview.status_code == 200, overview.json
    [item] = overview.json["items"]
    assert (item["kind"], item["status"], item["comment"]) == ("absence", "reported", "Naar oma in Groningen")
    assert item["id"] == answer.json["children"][0]["request_id"]


def test_only_days_within_a_contract_are_absences(world):
    tess = demo_login_header(world, "parent9@demo.ouderportaal.nl")  # Mondays and Fridays until 31 July 2027
    answer = absent(world, tess, ["child-tess"], "2027-07-30", "2027-08-06", reason="holiday")
    assert answer.status_code == 201, answer.json
    assert [d["date"] for d in answer.json["children"][0]["days"]] == ["2027-07-30"]
    assert {s["date"] for s in answer.json["skipped"] if s["reason"] == "not_contracted"} == {
        "2027-08-02", "2027-08-03", "2027-08-04", "2027-08-05", "2027-08-06"}
    flex = demo_login_header(world, "parent6@demo.ouderportaal.nl")  # Mila: flex, no fixed weekdays
    refused = absent(world, flex, ["child-mila"], "2026-11-30", "2026-12-04")
    assert refused.status_code == 422 and refused.json["code"] == "no_care_days"


def test_a_child_planning_has_no_contract_for_is_not_found(world, tokens, bus):
    ghost = tokens.header(role="parent", user_id="user-parent1", children=("child-noor", "child-ghost"))
    answer = absent(world, ghost, ["child-noor", "child-ghost"], "2026-11-30", "2026-11-30")
    assert answer.status_code == 404
    assert world.get("/planning/swap-hours?child_id=child-ghost", headers=ghost).status_code == 404
    assert not [e for e in bus.published if e.type == "planning.absence.reported"]
    assert swap(world, ghost)["entries"] == []
