"""Auth keeps planning's contract periods (`planning.contract.started`, `planning.contract.changed`,
`planning.contract.ended`) and ends guardians' access 8 weeks after the last contract ends."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from portal_common import clock as business_clock
from portal_common import consumer
from tests.auth_helpers import bearer, demo_login_header, login, run_schedule


@pytest.fixture
def admin(world):
    return demo_login_header(world, "admin@demo.ouderportaal.nl")


def children_of(world, email):
    me = world.get("/auth/me", headers=bearer(login(world, email).json["access_token"]))
    return [c["id"] for c in me.json["children"]]


def test_ending_a_contract_ends_the_guardians_access_eight_weeks_later(world, admin, services, clock):
    ended = world.put("/planning/admin/children/child-noor/contracts/contract-noor", headers=admin, json={
        "group_id": "grp-rupsen", "hourly_rate_cents": 1052, "end": "2026-12-31",
        "days": {"1": {"part": "whole_day"}, "3": {"part": "whole_day"}}})
    assert ended.status_code == 200, ended.json
    close = services["auth"].module.close_access_windows
    clock.set(datetime(2027, 2, 25, 12, 0, tzinfo=business_clock.AMSTERDAM))  # the last day of access
    run_schedule(close)
    assert "child-noor" in children_of(world, "parent1@demo.ouderportaal.nl")
    clock.set(datetime(2027, 2, 26, 0, 30, tzinfo=business_clock.AMSTERDAM))
    run_schedule(close)
    assert children_of(world, "parent1@demo.ouderportaal.nl") == ["child-daan"]


def test_an_older_contract_event_never_undoes_a_newer_one(world, admin, services, bus, clock):
    for end in ("2026-12-31", "2027-03-31"):
        clock.advance(timedelta(seconds=1))
        world.put("/planning/admin/children/child-noor/contracts/contract-noor", headers=admin, json={
            "group_id": "grp-rupsen", "hourly_rate_cents": 1052, "end": end, "days": {"1": {"part": "whole_day"}}})
    first = next(e for e in bus.published if e.type == "planning.contract.changed")
    assert consumer.handle_one(services["auth"].app.inbox, first.model_copy(update={"event_id": "late-copy"}),
                               services["auth"].app.event_handlers)
    [copy] = services["auth"].lib.directory.Directory(None).contract_periods("demo", "child-noor")
    assert copy.end == "2027-03-31"


def test_a_contract_registered_with_an_end_sets_the_window_and_an_open_one_lifts_it(world, admin, services, clock,
                                                                                   bus):
    child = world.post("/auth/admin/children", headers=admin, json={
        "name": "Olivia Bos", "birth_date": "2024-10-01", "group_id": "grp-bijen", "start": "2026-09-01"}).json["id"]
    terms = {"product": "regular", "group_id": "grp-bijen", "start": "2026-09-01", "hourly_rate_cents": 1052,
             "days": {"2": {"part": "whole_day"}}}
    created = world.post(f"/planning/admin/children/{child}/contracts", headers=admin,
                         json={**terms, "end": "2026-11-30"}).json
    assert [e.type for e in bus.published if e.payload.get("child_id") == child and e.source == "planning"] == [
        "planning.contract.started", "planning.contract.ended"]
    windows = services["auth"].lib.store.AccessEndItem

    def window():
        return list(windows.query(f"demo#CHILD#{child}", windows.sk == "ACCESS_END"))

    [row] = window()
    assert row.access_until == "2027-01-25"  # 30 November + 8 weeks
    clock.advance(timedelta(seconds=1))
    world.put(f"/planning/admin/children/{child}/contracts/{created['id']}", headers=admin,
              json={k: v for k, v in terms.items() if k not in ("product", "start")})
    assert window() == []  # open-ended again
