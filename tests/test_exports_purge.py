"""The exports service's tracking of retention purges: confirmations from every service, a verification
round, re-asking the silent, the stuck, and the audit record that names nobody.

Here the bus only records (the other services do not answer): each test plays the services' confirmations
("auth.child.purged", "timeline.child.purged", "messaging.child.purged", "planning.child.purged",
"exports.child.purged") in the order it needs, after "auth.child.retention_due"; re-asks are
"exports.purge.requested". The whole flow across the real services is in
test_retention_purge.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal_common import ids
from portal_common.events import Envelope
from portal_common.retention import SERVICES
from tests.auth_helpers import callers, run_schedule
from tests.bus_helpers import bus_where, nobody

CHILD, UNTIL = "child-yara", "2027-01-22"


@pytest.fixture
def exports(services):
    return services["exports"]


@pytest.fixture
def quiet(services, aws, clock):
    """A bus that records and delivers nothing: the other services stay silent. (Listed after `world` when
    both are used, so that it replaces the delivering bus.)"""
    with bus_where(services, nobody) as recording:
        yield recording


def envelope(kind: str, payload: dict, *, source: str | None = None, tenant: str = "demo") -> Envelope:
    from portal_common import clock

    return Envelope(event_id=ids.new_id(), type=kind, version=1, tenant=tenant, occurred_at=clock.now(),
                    source=source or kind.split(".", 1)[0], payload=payload)


def deliver(exports, env: Envelope) -> None:
    app = exports.app
    assert env.type in app.consumed_event_types
    app.event_handlers[env.type](env)


def due(exports, child=CHILD, guardians=("user-parent4",), tenant="demo") -> None:
    deliver(exports, envelope("auth.child.retention_due", {"child_id": child, "access_until": UNTIL,
                                                           "guardian_ids": list(guardians)}, tenant=tenant))


def confirm(exports, service: str, round_: int, *, left: int = 0, deleted: dict | None = None, child=CHILD,
            kept: list | None = None, tenant="demo") -> None:
    deliver(exports, envelope(f"{service}.child.purged", {
        "child_id": child, "access_until": UNTIL, "deleted": deleted or {"rows": 3}, "left": left, "round": round_,
        "kept": kept or []}, tenant=tenant))


def asked(quiet) -> list[tuple[int, list[str]]]:
    return [(e.payload["round"], e.payload["services"]) for e in quiet.of_type("exports.purge.requested")]


def audits(exports, tenant="demo"):
    return list(exports.lib.purges.store.PurgeAuditItem.query(f"{tenant}#PURGEAUDIT"))


def others(service: str) -> list[str]:
    return [s for s in SERVICES if s != service]


def test_every_confirmation_then_a_verification_round_then_an_audit_without_personal_data(exports, world, quiet,
                                                                                         tokens):
    due(exports)
    # The exports service purged its own part at once and confirmed round 0 like everyone must.
    own = quiet.of_type("exports.child.purged")
    assert [(e.payload["child_id"], e.payload["round"], e.payload["left"]) for e in own] == [(CHILD, 0, 0)]
    confirm(exports, "exports", 0)
    for service in ("auth", "timeline", "messaging"):
        confirm(exports, service, 0)
    assert asked(quiet) == []  # planning has not answered yet
    confirm(exports, "planning", 0, kept=[{"kind": "invoice", "count": 14, "until": "2034-01-01",
                                           "reason": "fiscal retention (AWR art. 52)"}])
    assert asked(quiet) == [(1, list(SERVICES))]  # the verification round: everyone again
    for service in SERVICES:
        confirm(exports, service, 1, deleted={"rows": 0})
    [audit] = audits(exports)
    assert audit.rounds == 2 and audit.guardians_removed == 1 and audit.access_until == UNTIL
    assert audit.services["planning"]["kept"][0]["until"] == "2034-01-01"
    assert audit.services["auth"]["deleted"] == {"rows": 3}  # both rounds summed
    assert audit.ref == exports.lib.purges.rules.audit_ref("demo", CHILD, UNTIL)
    text = str(audit.serialize())
    assert CHILD not in text and "parent4" not in text and "Yara" not in text
    assert list(exports.lib.purges.store.PurgeItem.query(f"demo#PURGE#{CHILD}")) == []  # the tracking rows went
    # An administrator reads the audit; nobody else does.
    people = callers(tokens)
    listed = world.get("/exports/purges", headers=people["admin"])
    assert listed.status_code == 200, listed.get_data(as_text=True)
    assert [i["ref"] for i in listed.json["items"]] == [audit.ref]
    assert listed.json["items"][0]["services"]["planning"]["kept"][0]["kind"] == "invoice"
    for role in ("parent", "staff", "manager"):
        assert world.get("/exports/purges", headers=people[role]).status_code == 403
    assert world.get("/exports/purges", headers=people["other_tenant"]).json["items"] == []
    # A retention event delivered again after the end opens nothing: no second purge, no second audit.
    due(exports)
    assert len(audits(exports)) == 1 and asked(quiet) == [(1, list(SERVICES))]


def test_confirmations_before_the_request_and_twice_count_once(exports, quiet):
    for service in SERVICES:
        confirm(exports, service, 0)
        confirm(exports, service, 0)  # redelivered
    assert asked(quiet) == []  # nothing to advance without the request
    due(exports)
    assert asked(quiet) == [(1, list(SERVICES))]
    due(exports)  # the request redelivered: the purge is open already, nothing asked twice
    assert asked(quiet) == [(1, list(SERVICES))]
    for service in SERVICES:
        confirm(exports, service, 1)
    assert len(audits(exports)) == 1


def test_a_confirmation_missing_for_an_hour_is_asked_for_again_from_that_service_only(exports, quiet, clock):
    chase = exports.module.chase_purges
    due(exports)
    for service in others("messaging"):
        confirm(exports, service, 0)
    assert run_schedule(chase) == 0  # not an hour yet
    clock.advance(timedelta(minutes=61))
    assert run_schedule(chase) == 1
    assert asked(quiet) == [(0, ["messaging"])]
    assert quiet.of_type("exports.purge.requested")[0].payload["guardian_ids"] == ["user-parent4"]
    assert run_schedule(chase) == 0  # asked just now
    clock.advance(timedelta(minutes=61))
    assert run_schedule(chase) == 1 and asked(quiet)[-1] == (0, ["messaging"])
    confirm(exports, "messaging", 0)
    assert asked(quiet)[-1] == (1, list(SERVICES))
    # A whole verification round unanswered is asked for again as a whole.
    clock.advance(timedelta(minutes=61))
    assert run_schedule(chase) == 1 and asked(quiet)[-1] == (1, list(SERVICES))


def test_data_left_behind_means_another_round_and_a_purge_that_keeps_failing_is_stuck_and_retried_hourly(
        exports, quiet, clock):
    due(exports)
    for service in SERVICES:
        confirm(exports, service, 0, left=2 if service == "timeline" else 0)
    assert asked(quiet) == [(1, list(SERVICES))]
    for service in SERVICES:  # round 1 finds something left again: no audit, round 2
        confirm(exports, service, 1, left=1 if service == "timeline" else 0)
    assert asked(quiet)[-1] == (2, list(SERVICES)) and audits(exports) == []
    for number in (2, 3):
        for service in SERVICES:
            confirm(exports, service, number, left=1 if service == "timeline" else 0)
    purge = exports.lib.purges.store.PurgeItem.get(f"demo#PURGE#{CHILD}", "PURGE")
    assert purge.status == "stuck" and purge.round == 3
    assert asked(quiet)[-1] == (3, list(SERVICES))  # no fourth round at once: it waits for the hour
    clock.advance(timedelta(minutes=61))
    assert run_schedule(exports.module.chase_purges) == 1
    assert asked(quiet)[-1] == (4, list(SERVICES))
    for service in SERVICES:  # the operator fixed the cause: the round is clean, the purge ends
        confirm(exports, service, 4)
    assert len(audits(exports)) == 1 and audits(exports)[0].rounds == 5


def test_confirmations_of_an_unknown_service_or_a_forged_source_and_other_tenants_are_kept_apart(exports, quiet):
    due(exports)
    deliver(exports, envelope("timeline.child.purged", {"child_id": CHILD, "access_until": UNTIL, "round": 0},
                              source="messaging"))  # not the timeline speaking
    for service in others("timeline"):
        confirm(exports, service, 0)
    for service in SERVICES:  # the same child id in another tenant is another child
        confirm(exports, service, 0, tenant="other")
    assert asked(quiet) == []
    confirm(exports, "timeline", 0)
    assert asked(quiet) == [(1, list(SERVICES))]
    assert quiet.of_type("exports.purge.requested")[0].tenant == "demo"
