"""Planning keeps its own copy of group capacities from "auth.group.changed", in order and once."""

from __future__ import annotations

from datetime import timedelta

from infra.local.demo import seed_demo
from portal_common import consumer
from portal_common.events import Envelope
from tests.auth_helpers import demo_login_header


def test_seeded_and_changed_groups_reach_planning_with_their_capacity(api, services, bus):
    seed_demo()
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
