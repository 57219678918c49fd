"""Planning keeps its own copy of group capacities from "auth.group.changed", in order and once."""

from __future__ import annotations

from datetime import timedelta

from portal_common import consumer
from portal_common.events import Envelope
from tests.auth_helpers import demo_login_header


def test_seeded_and_changed_groups_reach_planning_with_their_capacity(world, services, bus):
    api = world
    copy = services["planning"].lib.directory_copy
    assert copy.group("demo", "grp-vlinders").capacity == {"morning": 16, "afternoon": 16}
    admin = demo_login_header(api, "admin@demo.ouderportaal.nl")
    changed = api.put("/auth/admin/groups/grp-vlinders", headers=admin, json={
        "location_id": "loc-zonnebloem", "name": "Vlinders", "age_from_months": 24, "age_to_months": 48,
        "capacity": {"morning": 14, "afternoon": 12}})
    assert changed.status_code == 200
    assert copy.group("demo", "grp-vlinders").capacity == {"morning": 14, "afternoon": 12}
    assert copy.group("other", "grp-vlinders") is None  # tenant-prefixed: no other tenant sees it


def test_an_older_or_redelivered_event_does_not_undo_a_newer_change(services, aws, clock):
    planning = services["planning"]
    copy = planning.lib.directory_copy

    def event(event_id: str, morning: int, minutes_later: int) -> Envelope:
        return Envelope(event_id=event_id, type="auth.group.changed", version=1, tenant="demo",
                        occurred_at=clock.now() + timedelta(minutes=minutes_later), source="auth",
                        payload={"group_id": "grp-x", "location_id": "loc-1", "name": "X",
                                 "capacity": {"morning": morning}})

    newer, older = event("e-2", 9, 10), event("e-1", 12, 0)
    for env in (newer, older, newer):  # out of order, then redelivered
        assert consumer.handle_one(planning.app.inbox, env, planning.app.event_handlers)
    assert copy.group("demo", "grp-x").capacity == {"morning": 9}


def test_children_and_locations_reach_planning_and_a_corrected_name_follows(world, services, bus, clock):
    """`auth.child.placed`, `auth.child.updated` and `auth.location.changed` keep planning's copies."""
    api = world
    copy = services["planning"].lib.directory_copy
    assert copy.child("demo", "child-noor").name == "Noor de Vries"
    assert copy.location("demo", "loc-zonnebloem").name == "Kindcentrum De Zonnebloem"
    assert copy.child_names("demo", {"child-noor", "child-liam", "child-nobody"}) == {
        "child-noor": "Noor de Vries", "child-liam": "Liam Jansen"}
    admin = demo_login_header(api, "admin@demo.ouderportaal.nl")
    clock.advance(timedelta(seconds=1))
    fixed = api.put("/auth/admin/children/child-noor", headers=admin,
                    json={"name": "Noor de Vries-Bakker", "birth_date": "2024-03-14"})
    assert fixed.status_code == 200, fixed.json
    assert copy.child("demo", "child-noor").name == "Noor de Vries-Bakker"
    assert any(e.type == "auth.child.updated" for e in bus.published)
    assert any(e.type == "auth.location.changed" for e in bus.published)
    placed = next(e for e in bus.published if e.type == "auth.child.placed" and e.payload["child_id"] == "child-noor")
    planning = services["planning"]
    assert consumer.handle_one(planning.app.inbox, placed.model_copy(update={"event_id": "late"}),
                               planning.app.event_handlers)
    assert copy.child("demo", "child-noor").name == "Noor de Vries-Bakker"  # the older event changed nothing
    assert copy.child("other", "child-noor") is None
