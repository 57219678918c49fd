"""The diary: one staff report per child and day (editable that day), parents' own entries, diary consent
checked at every write and read, and nobody outside the child's family and group reading it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.auth_helpers import demo_login_header
from tests.test_timeline_feed import consent, publish


@pytest.fixture
def timeline(services):
    return services["timeline"]


REPORT = {"child_id": "child-noor", "date": "2026-11-24", "text": "Noor heeft heerlijk buiten gespeeld.",
          "rhythm": [{"kind": "bottle", "time": "09:30", "note": "150 ml"}, {"kind": "sleep", "time": "12:15"}]}


def test_staff_write_the_days_report_and_edit_it_that_day(world, staff, parent, timeline):
    refused = world.post("/timeline/diary", headers=staff, json=REPORT)
    assert refused.status_code == 422 and refused.json["code"] == "no_diary_consent"
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    created = world.post("/timeline/diary", headers=staff, json=REPORT)
    assert created.status_code == 201, created.json
    report = created.json
    assert report["id"] == "child-noor.2026-11-24.staff" and report["kind"] == "report"
    assert report["rhythm"] == [{"kind": "bottle", "time": "09:30", "note": "150 ml"},
                                {"kind": "sleep", "time": "12:15", "note": ""}]
    edited = world.post("/timeline/diary", headers=staff, json={**REPORT, "text": "Ook nog geschilderd."})
    assert edited.status_code == 200 and edited.json["id"] == report["id"]
    assert edited.json["created_at"] == report["created_at"] and edited.json["text"] == "Ook nog geschilderd."
    read = world.get(f"/timeline/diary/{report['id']}", headers=parent)
    assert read.status_code == 200 and read.json["text"] == "Ook nog geschilderd."
    yesterday = world.post("/timeline/diary", headers=staff, json={**REPORT, "date": "2026-11-23"})
    assert yesterday.status_code == 422 and yesterday.json["code"] == "report_day_closed"


def test_parents_add_their_own_entries_that_the_group_staff_read(world, staff, parent):
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    entry = world.post("/timeline/diary", headers=parent, json={**REPORT, "date": "2026-11-22",
                                                                 "text": "Weekend bij opa en oma."})
    assert entry.status_code == 201 and entry.json["kind"] == "parent_entry"
    assert world.get(f"/timeline/diary/{entry.json['id']}", headers=staff).json["text"] == "Weekend bij opa en oma."
    too_old = world.post("/timeline/diary", headers=parent, json={**REPORT, "date": "2026-11-10"})
    assert too_old.status_code == 422 and too_old.json["code"] == "date_out_of_range"


def test_withdrawn_diary_consent_hides_the_diary(world, staff, parent, clock):
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    report = world.post("/timeline/diary", headers=staff, json=REPORT).json
    clock.advance(timedelta(minutes=1))
    mark = demo_login_header(world, "parent2@demo.ouderportaal.nl")
    assert world.put("/auth/children/child-noor/consents", headers=mark,
                     json={"photos": True, "diary": False, "outings": True}).status_code == 200
    assert world.get(f"/timeline/diary/{report['id']}", headers=parent).status_code == 404
    assert world.post("/timeline/diary", headers=staff, json=REPORT).json["code"] == "no_diary_consent"


@pytest.mark.parametrize("change", [
    {"rhythm": [{"kind": "bottle", "time": "25:00"}]}, {"rhythm": [{"kind": "party", "time": "10:00"}]},
    {"text": ""}, {"text": "x" * 5001}, {"date": "24-11-2026"}, {"child_id": "a#b"}, {"mood": "happy"},
    {"photo_ids": ["p"] * 11},
])
def test_diary_input_the_rules_refuse(world, staff, change):
    answer = world.post("/timeline/diary", headers=staff, json={**REPORT, **change})
    assert answer.status_code in (400, 422) and answer.json["errors"], answer.json


def test_a_report_may_only_hold_photos_of_its_child(world, staff, timeline):
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    consent(world, "parent4@demo.ouderportaal.nl", "child-yara")
    noor, yara = publish(world, staff, timeline, ["child-noor"]), publish(world, staff, timeline, ["child-yara"])
    ok = world.post("/timeline/diary", headers=staff, json={**REPORT, "photo_ids": [noor]})
    assert ok.status_code == 201 and ok.json["photo_ids"] == [noor]
    wrong = world.post("/timeline/diary", headers=staff, json={**REPORT, "photo_ids": [yara]})
    assert wrong.status_code == 422 and wrong.json["code"] == "unknown_photo"


def test_diary_routes_refuse_other_families_other_groups_and_other_tenants(world, staff, parent, tokens, timeline):
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    report = world.post("/timeline/diary", headers=staff, json=REPORT).json
    emma = demo_login_header(world, "parent3@demo.ouderportaal.nl")
    staff2 = demo_login_header(world, "staff2@demo.ouderportaal.nl")
    twin = tokens.header(tenant="other", user_id="user-parent1", children=("child-noor",))
    for caller in (emma, staff2, twin):
        assert world.get(f"/timeline/diary/{report['id']}", headers=caller).status_code == 404
        assert world.post("/timeline/diary", headers=caller, json=REPORT).status_code in (403, 404)
    for bad in ("child-noor.2026-11-24.nothing", "nonsense", "a%23b.2026-11-24.staff"):
        assert world.get(f"/timeline/diary/{bad}", headers=parent).status_code == 404
    assert world.get(f"/timeline/diary/{report['id']}", headers=parent).status_code == 200
    # Retention takes the diary too.
    timeline.lib.purge.purge_child("demo", "child-noor")
    assert world.get(f"/timeline/diary/{report['id']}", headers=parent).status_code == 404
