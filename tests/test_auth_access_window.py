"""The access window: 8 weeks after a child's last contract ends its guardians lose access, once and for good.

The hourly job (`close_access_windows`) finds due children through a sparse index, publishes
`auth.guardian.access_ended` per guardian and `auth.child.retention_due` per child exactly once, and
tokens and `me` leave the child out from the day after the last day of access.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from portal_common import clock as business_clock
from portal_common import tokens as token_lib
from tests.auth_helpers import bearer, callers, login, run_schedule


def at(day: str, time: str = "00:30") -> datetime:
    return datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=business_clock.AMSTERDAM)


@pytest.fixture
def admin(tokens):
    return callers(tokens)["admin"]


@pytest.fixture
def job(services):
    """The scheduled handler, called as EventBridge would; returns how many children it closed."""
    return lambda: run_schedule(services["auth"].module.close_access_windows)


def children_in_token(api, email: str) -> frozenset[str]:
    return token_lib.get_verifier().verify(login(api, email).json["access_token"]).children


def events(bus, kind: str) -> list[tuple[str, ...]]:
    return [tuple(e.payload[k] for k in ("child_id", "user_id") if k in e.payload) for e in bus.of_type(kind)]


# -- the rules -----------------------------------------------------------------------------------------
def placement(lib, start: str, end: str | None, group: str = "g1"):
    return lib.store.PlacementItem("t#CHILD#c", f"PLC#{start}#{group}", child_id="c", group_id=group,
                                   location_id="l1", start=start, end=end)


def test_access_lasts_until_the_last_contract_end_plus_the_weeks_and_open_contracts_never_end(services):
    lib = services["auth"].lib
    access_until = lib.directory.access_until
    assert access_until([placement(lib, "2025-01-01", "2026-11-27")], 8) == "2027-01-22"
    assert access_until([placement(lib, "2025-01-01", "2026-11-27")], 2) == "2026-12-11"
    assert access_until([placement(lib, "2025-01-01", "2026-06-30"), placement(lib, "2026-07-01", "2026-11-27")],
                        8) == "2027-01-22"
    assert access_until([placement(lib, "2025-01-01", "2026-06-30"), placement(lib, "2026-07-01", None)], 8) is None
    assert access_until([], 8) is None


def test_the_current_placement_is_the_one_covering_today_else_the_latest_started_else_the_first(services):
    lib = services["auth"].lib
    current = lib.directory.current_placement
    old, now, later = (placement(lib, "2025-01-01", "2025-12-31", "old"), placement(lib, "2026-01-01", None, "now"),
                       placement(lib, "2027-01-01", None, "later"))
    assert current([later, old, now], date(2026, 5, 1)).group_id == "now"
    assert current([old], date(2026, 5, 1)).group_id == "old"  # ended: still the child's last group
    assert current([later], date(2026, 5, 1)).group_id == "later"  # not started yet
    assert current([], date(2026, 5, 1)) is None


@pytest.mark.parametrize("a, b, shared", [
    (("2025-01-01", "2025-12-31"), ("2026-01-01", None), False),
    (("2025-01-01", "2026-01-01"), ("2026-01-01", None), True),
    (("2025-01-01", None), ("2030-01-01", "2030-02-01"), True),
    (("2026-01-01", "2026-01-31"), ("2025-01-01", "2025-12-31"), False),
])
def test_placements_overlap_when_they_share_a_day(services, a, b, shared):
    assert services["auth"].lib.directory.overlaps(*a, *b) is shared


# -- through HTTP and the job --------------------------------------------------------------------------
def test_eight_weeks_and_a_day_after_the_contract_the_child_leaves_token_and_me_and_the_job_publishes_once(
        world, admin, bus, clock, job, tokens):
    ended = world.put("/auth/admin/children/child-liam/placements/2025-09-01", headers=admin,
                      json={"end": "2026-11-27"})
    assert ended.status_code == 200
    parent = bearer(login(world, "parent3@demo.ouderportaal.nl").json["access_token"])
    assert world.get("/auth/me", headers=parent).json["children"][0]["access_until"] == "2027-01-22"
    clock.set(at("2027-01-22", "23:00"))  # the last day of access
    assert job() == 0
    assert children_in_token(world, "parent3@demo.ouderportaal.nl") == {"child-liam"}
    clock.set(at("2027-01-23"))  # 8 weeks and 1 day after the contract ended
    assert children_in_token(world, "parent3@demo.ouderportaal.nl") == frozenset()  # even before the job ran
    assert job() == 1
    assert job() == 0  # a second run publishes nothing again
    assert events(bus, "auth.guardian.access_ended") == [("child-liam", "user-parent3")]
    assert events(bus, "auth.child.retention_due") == [("child-liam",)]
    assert bus.of_type("auth.child.retention_due")[0].payload["access_until"] == "2027-01-22"
    # A guardian with no children left goes with the child's data (auth's own purge of retention_due).
    assert bus.of_type("auth.child.retention_due")[0].payload["guardian_ids"] == ["user-parent3"]
    assert login(world, "parent3@demo.ouderportaal.nl").status_code == 401
    assert world.get("/auth/me", headers=parent).status_code == 401
    # The child is gone from the directory, so nothing can reopen its window and nothing is published twice.
    assert world.put("/auth/admin/children/child-liam/placements/2025-09-01", headers=callers(tokens)["admin"],
                     json={"end": "2026-11-27"}).status_code == 404
    assert job() == 0 and len(bus.of_type("auth.child.retention_due")) == 1


def test_a_guardian_keeps_their_other_children_and_every_guardian_of_the_child_is_told(world, admin, bus, clock, job):
    assert world.put("/auth/admin/children/child-noor/placements/2025-09-01", headers=admin,
                     json={"end": "2026-12-31"}).status_code == 200
    clock.set(at("2027-02-26"))  # 31 Dec + 8 weeks = 25 Feb, the last day
    assert job() == 1
    assert sorted(events(bus, "auth.guardian.access_ended")) == [("child-noor", "user-parent1"),
                                                                 ("child-noor", "user-parent2")]
    assert events(bus, "auth.child.retention_due") == [("child-noor",)]
    assert bus.of_type("auth.child.retention_due")[0].payload["guardian_ids"] == []  # Daan is still in care
    for email in ("parent1@demo.ouderportaal.nl", "parent2@demo.ouderportaal.nl"):
        token = login(world, email).json["access_token"]
        assert token_lib.get_verifier().verify(token).children == {"child-daan"}
        assert [c["id"] for c in world.get("/auth/me", headers=bearer(token)).json["children"]] == ["child-daan"]


def test_an_extended_contract_moves_the_window_and_the_job_waits_for_the_new_end(world, admin, bus, clock, job):
    path = "/auth/admin/children/child-sem/placements/2025-09-01"
    assert world.put(path, headers=admin, json={"end": "2026-11-30"}).status_code == 200
    assert world.put(path, headers=admin, json={"end": "2027-03-31"}).status_code == 200  # extended
    clock.set(at("2027-02-01"))
    assert job() == 0 and children_in_token(world, "parent5@demo.ouderportaal.nl") == {"child-sem"}
    clock.set(at("2027-05-27"))  # 31 Mar + 8 weeks = 26 May
    assert job() == 1 and events(bus, "auth.child.retention_due") == [("child-sem",)]


def test_an_open_ended_placement_after_the_end_means_no_window_at_all(world, admin, clock, job):
    assert world.put("/auth/admin/children/child-finn/placements/2025-09-01", headers=admin,
                     json={"end": "2026-12-31"}).status_code == 200
    assert world.post("/auth/admin/children/child-finn/placements", headers=admin,
                      json={"group_id": "grp-bijen", "start": "2027-01-04"}).status_code == 201
    clock.set(at("2027-06-01"))
    assert job() == 0 and children_in_token(world, "parent8@demo.ouderportaal.nl") == {"child-finn"}


def test_a_contract_with_an_end_from_the_start_is_found_too(world, admin, bus, clock, job):
    child = world.post("/auth/admin/children", headers=admin, json={
        "name": "Kort Verblijf", "birth_date": "2025-01-01", "group_id": "grp-bijen", "start": "2026-12-01",
        "end": "2026-12-31"}).json["id"]
    assert world.put(f"/auth/admin/children/{child}/guardians/user-parent6", headers=admin).status_code == 204
    clock.set(at("2027-02-26"))
    assert job() == 1
    assert events(bus, "auth.guardian.access_ended") == [(child, "user-parent6")]
    assert children_in_token(world, "parent6@demo.ouderportaal.nl") == {"child-mila"}


def test_overlapping_runs_publish_each_event_once(world, admin, bus, clock, services, monkeypatch):
    lib = services["auth"].lib
    assert world.put("/auth/admin/children/child-tess/placements/2025-09-01", headers=admin,
                     json={"end": "2026-12-31"}).status_code == 200
    clock.set(at("2027-03-01"))
    query = lib.store.AccessEndItem.gsi1.query
    seen = []

    def twice(*args, **kwargs):
        # Two runs that both read the index before either claimed the row: each sees it once.
        seen.extend(row for row in query(*args, **kwargs) for _ in range(2))
        return list(seen)

    monkeypatch.setattr(lib.store.AccessEndItem.gsi1, "query", twice)
    assert lib.retention.close_due(services["auth"].module.outbox) == 1
    assert [row.child_id for row in seen] == ["child-tess", "child-tess"]
    assert events(bus, "auth.guardian.access_ended") == [("child-tess", "user-parent9")]
    assert events(bus, "auth.child.retention_due") == [("child-tess",)]


def test_the_number_of_weeks_is_an_organisation_setting(api, services, clock, bus, job):
    directory = services["auth"].module.directory
    directory.create_organisation("kort", "kort.ouderportaal.nl", "Kort", {"access_after_contract_weeks": 2})
    directory.create_location("kort", "loc-k", "K", address={}, contact={})
    directory.create_group("kort", "grp-k", "loc-k", "K", age_from_months=0, age_to_months=48,
                           capacity={"morning": 1})
    directory.create_child("kort", "child-k", "K", "2025-01-01", group_id="grp-k", start="2026-01-01",
                           end="2026-11-27")
    clock.set(at("2026-12-11", "23:59"))
    assert job() == 0
    clock.set(at("2026-12-12"))
    assert job() == 1 and [e.tenant for e in bus.of_type("auth.child.retention_due")] == ["kort"]
