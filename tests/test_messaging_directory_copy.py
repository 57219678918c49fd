"""Messaging's copy of auth's directory: children, placements, families, groups and their staff.

Who takes part in a conversation comes from here: the guardians who still have access and the staff
of the group. Events arrive late, twice or out of order; the copy keeps the newest fact.
Demo: Sanne (user-parent1) and Mark (user-parent2) are Noor's and Daan's parents; Noor is in Rupsen
(staff1, Ilse), Daan in Vlinders (staff2, Joost). The clock stands on Tuesday 24 November 2026.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

import portal_common.contracts.auth
from portal_common import clock as business_clock
from portal_common.events import make_event
from tests.auth_helpers import demo_login_header

TODAY = date(2026, 11, 24)


@pytest.fixture
def copy(services):
    return services["messaging"].lib.directory_copy


@pytest.fixture
def admin(world):
    return demo_login_header(world, "admin@demo.ouderportaal.nl")


def auth_event(services, name, **payload):
    return make_event(getattr(portal_common.contracts.auth, name)(**payload), tenant="demo", source="auth")


def test_children_placements_and_groups_are_copied_from_auth(world, copy, bus, admin, clock):
    assert {e.payload["child_id"] for e in bus.of_type("auth.child.placed")} >= {"child-noor", "child-daan"}
    assert {e.payload["group_id"] for e in bus.of_type("auth.group.changed")} == {"grp-rupsen", "grp-vlinders",
                                                                               "grp-bijen"}
    assert (copy.group("demo", "grp-rupsen").name, copy.group("demo", "grp-rupsen").location_id) == (
        "Rupsen", "loc-zonnebloem")
    assert copy.group("other", "grp-rupsen") is None
    assert copy.child_name("demo", "child-noor") == "Noor de Vries" and copy.child_name("other", "child-noor") is None
    assert copy.current_group("demo", "child-noor") == "grp-rupsen"
    assert copy.children_in_group("demo", "grp-rupsen", TODAY) == ["child-luuk", "child-noor", "child-yara",
                                                                  "child-zeynep"]
    assert len(copy.children_at_location("demo", "loc-zonnebloem", TODAY)) == 12
    assert copy.children_at_location("demo", "loc-zonnebloem", date(2025, 8, 31)) == []  # before any placement
    moved = world.post("/auth/admin/children/child-noor/placements", headers=admin,
                       json={"group_id": "grp-bijen", "start": "2026-12-01"})
    assert moved.status_code == 201, moved.json
    assert bus.of_type("auth.placement.changed")[-1].payload["end"] == "2026-11-30"
    assert copy.groups_on("demo", "child-noor", date(2026, 11, 30)) == {"grp-rupsen"}
    assert copy.groups_on("demo", "child-noor", date(2026, 12, 1)) == {"grp-bijen"}
    assert copy.current_group("demo", "child-noor") == "grp-rupsen"
    clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=business_clock.AMSTERDAM))
    assert copy.current_group("demo", "child-noor") == "grp-bijen"
    assert "child-noor" in copy.children_in_group("demo", "grp-bijen", date(2026, 12, 1))
    assert "child-noor" not in copy.children_in_group("demo", "grp-rupsen", date(2026, 12, 1))
    admin = demo_login_header(world, "admin@demo.ouderportaal.nl")
    renamed = world.put("/auth/admin/children/child-noor", headers=admin,
                        json={"name": "Noor de Vries-Bakker", "birth_date": "2024-03-14"})
    assert renamed.status_code == 200 and bus.of_type("auth.child.updated")
    assert copy.child_name("demo", "child-noor") == "Noor de Vries-Bakker"


def test_a_moved_placement_start_leaves_no_old_placement_behind(world, copy, bus, admin):
    changed = world.put("/auth/admin/children/child-noor/placements/2025-09-01", headers=admin,
                        json={"start": "2025-10-01", "end": None})
    assert changed.status_code == 200, changed.json
    assert bus.of_type("auth.placement.changed")[-1].payload["previous_start"] == "2025-09-01"
    assert copy.groups_on("demo", "child-noor", date(2025, 9, 15)) == set()
    assert copy.groups_on("demo", "child-noor", date(2025, 10, 1)) == {"grp-rupsen"}
    assert "child-noor" not in copy.children_at_location("demo", "loc-zonnebloem", date(2025, 9, 15))


def test_families_follow_links_unlinks_and_ended_access_newest_event_winning(world, copy, bus, admin, services,
                                                                             clock):
    assert [e.payload["user_name"] for e in bus.of_type("auth.guardian.linked")
            if e.payload["child_id"] == "child-noor"] == ["Sanne de Vries", "Mark de Vries"]
    assert copy.guardians_of("demo", "child-noor") == {"user-parent1": "Sanne de Vries",
                                                       "user-parent2": "Mark de Vries"}
    assert copy.families_of("demo", ["child-daan", "child-yara", "child-unknown"]) == {
        "child-daan": {"user-parent1": "Sanne de Vries", "user-parent2": "Mark de Vries"},
        "child-yara": {"user-parent4": "Fatima El Amrani"}, "child-unknown": {}}
    assert copy.guardians_of("other", "child-noor") == {}
    clock.advance(timedelta(seconds=1))
    assert world.delete("/auth/admin/children/child-noor/guardians/user-parent2", headers=admin).status_code == 204
    assert bus.of_type("auth.guardian.unlinked")
    assert copy.guardians_of("demo", "child-noor") == {"user-parent1": "Sanne de Vries"}
    assert copy.guardians_of("demo", "child-daan") == {"user-parent1": "Sanne de Vries",
                                                       "user-parent2": "Mark de Vries"}
    # A redelivered, older link event does not bring Mark back.
    older = next(e for e in bus.of_type("auth.guardian.linked") if e.payload["user_id"] == "user-parent2"
                 and e.payload["child_id"] == "child-noor")
    copy.HANDLERS["auth.guardian.linked"](older)
    assert "user-parent2" not in copy.guardians_of("demo", "child-noor")
    clock.advance(timedelta(seconds=1))
    ended = auth_event(services, "GuardianAccessEnded", child_id="child-daan", user_id="user-parent1",
                       access_until="2026-11-23")
    bus.publish([ended])
    assert bus.of_type("auth.guardian.access_ended")
    assert copy.guardians_of("demo", "child-daan") == {"user-parent2": "Mark de Vries"}
    bus.publish([ended])  # redelivered: the same outcome
    assert copy.guardians_of("demo", "child-daan") == {"user-parent2": "Mark de Vries"}
    clock.advance(timedelta(seconds=1))
    assert world.put("/auth/admin/children/child-noor/guardians/user-parent2", headers=admin).status_code == 204
    assert copy.guardians_of("demo", "child-noor")["user-parent2"] == "Mark de Vries"  # linked again, name kept


def test_staff_of_a_group_follow_assignments_that_replace_the_whole_set(world, copy, bus, admin, services, clock):
    assigned = [e for e in bus.of_type("auth.staff.assigned") if e.payload["user_id"] == "user-staff1"]
    assert assigned[0].payload["user_name"] == "Ilse van Dam"
    assert copy.staff_of("demo", "grp-rupsen") == {"user-staff1": "Ilse van Dam"}
    assert copy.staff_of("demo", "grp-vlinders") == {"user-staff2": "Joost Kramer"}
    assert copy.staff_member("demo", "grp-rupsen", "user-staff2") is None
    assert "user-manager" not in {u for g in ("grp-rupsen", "grp-vlinders", "grp-bijen")
                                  for u in copy.staff_of("demo", g)}  # a manager reads; not group staff
    clock.advance(timedelta(seconds=1))
    moved = world.put("/auth/admin/staff/user-staff1/groups", headers=admin,
                      json={"group_ids": ["grp-bijen", "grp-vlinders"]})
    assert moved.status_code == 204, moved.json
    assert copy.staff_of("demo", "grp-rupsen") == {}
    assert copy.staff_of("demo", "grp-vlinders") == {"user-staff1": "Ilse van Dam", "user-staff2": "Joost Kramer"}
    assert copy.staff_groups("demo", "user-staff1").group_ids == ["grp-bijen", "grp-vlinders"]
    copy.HANDLERS["auth.staff.assigned"](assigned[0])  # the first assignment, redelivered late: ignored
    assert copy.staff_of("demo", "grp-rupsen") == {}
    assert "user-staff1" in copy.staff_of("demo", "grp-bijen")
