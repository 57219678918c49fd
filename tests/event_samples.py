"""Realistic events of every type some service consumes, for tests/test_event_redelivery.py.

`record_samples` plays the demo organisation's life through the real services (HTTP and their schedules,
events delivered as SNS → SQS would): consents, a photo, a conversation, news, a diary report, absences
and requests, contracts, a billing run, a diary archive and a personal-data export, devices and
settings, a guardian unlinked, a child renamed, and finally Liam's retention purge. Everything that is
published on the way is kept; a type the walk does not publish can be derived from one it does
(`DERIVED`: the next step of a multi-step job). A consumed type with neither fails the gate, and says
what to add.

`NEWER` says how a newer event about the same object differs from an older one (a changed field of
the payload); a type without an entry is a fact, which nothing edits later: its pair is the same fact
told twice (the same payload and moment under two event ids).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from portal_common import clock as business_clock
from portal_common import events

# type → how a newer event about the same object differs (payload → payload).
NEWER: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "auth.child.placed": lambda p: {**p, "child_name": p["child_name"] + " Jr", "end": "2027-12-31"},
    "auth.child.updated": lambda p: {**p, "child_name": p["child_name"] + " Jr", "birth_date": "2024-01-02"},
    # the placement's start moved (a placement is known by its start): the older event's row must not return
    "auth.placement.changed": lambda p: {**p, "previous_start": p["start"], "start": "2026-01-05", "end": "2027-12-31"},
    "auth.group.changed": lambda p: {**p, "name": p["name"] + " (nieuw)",
                                     "capacity": {k: v + 1 for k, v in p["capacity"].items()}},
    "auth.location.changed": lambda p: {**p, "name": p["name"] + " (nieuw)", "registration_number": "999"},
    "auth.organisation.changed": lambda p: {**p, "name": p["name"] + " (nieuw)"},
    "auth.user.changed": lambda p: {**p, "name": p["name"] + " Jr", "language": "en" if p["language"] == "nl"
                                    else "nl", "status": "deactivated"},
    "auth.consents.changed": lambda p: {**p, "photos": not p["photos"], "diary": not p["diary"]},
    "auth.notification_settings.changed": lambda p: {**p, "settings": {
        kind: {channel: not on for channel, on in channels.items()} for kind, channels in p["settings"].items()}},
    "auth.staff.assigned": lambda p: {**p, "group_ids": [], "user_name": p.get("user_name", "") + " Jr"},
    "auth.guardian.linked": lambda p: {**p, "user_name": p.get("user_name", "") + " Jr"},
    "auth.device.registered": lambda p: {**p, "token": p["token"] + "-new"},
    "planning.contract.started": lambda p: {**p, "end": "2027-12-31"} if "end" in p else p,
    "planning.contract.changed": lambda p: {**p, "end": "2027-12-31"} if "end" in p else p,
    "planning.contract.ended": lambda p: {**p, "end": "2027-12-31"} if "end" in p else p,
    "timeline.archive.progress": lambda p: {**p, **{k: v + 1 for k, v in p.items()
                                                    if isinstance(v, int) and not isinstance(v, bool)}},
    "timeline.archive.continue": lambda p: {**p, "step": p["step"] + 1},
    "exports.personal_data.continue": lambda p: {**p, "step": p["step"] + 1},
}


def _about_export(kind: str, source_type: str, payload: dict[str, Any]) -> Callable[[list[events.Envelope]], Any]:
    """An event about the export a published `source_type` event started (`export_id` and `payload`)."""

    def derive(published: list[events.Envelope]) -> events.Envelope | None:
        start = next((e for e in published if e.type == source_type), None)
        if start is None:
            return None
        return start.model_copy(update={"event_id": f"derived-{start.event_id}", "type": kind, "version": 1,
                                        "source": kind.split(".")[0],
                                        "payload": {"export_id": start.payload["export_id"], **payload}})

    return derive


# Steps of multi-step jobs that the demo's small exports finish without (one step was enough).
DERIVED: dict[str, Callable[[list[events.Envelope]], events.Envelope | None]] = {
    "timeline.archive.continue": _about_export("timeline.archive.continue", "exports.diary.requested", {"step": 1}),
    "timeline.archive.progress": _about_export("timeline.archive.progress", "exports.diary.requested",
                                               {"done": 1, "total": 3}),
    "exports.personal_data.continue": _about_export("exports.personal_data.continue",
                                                    "exports.personal_data.requested", {"step": 1}),
}


def samples_by_type(published: list[events.Envelope], wanted: set[str]) -> tuple[dict[str, events.Envelope], set[str]]:
    """One sample per wanted type (the last published, or derived); and the wanted types without one."""
    found: dict[str, events.Envelope] = {}
    for env in published:
        if env.type in wanted:
            found[env.type] = env
    for kind in wanted - set(found):
        derive = DERIVED.get(kind)
        env = derive(published) if derive else None
        if env is not None:
            found[kind] = env
    return found, wanted - set(found)


def record_samples(world, services, clock) -> None:
    """Play the demo organisation's life through the real services (see the module's docstring)."""
    from infra.local.demo_activity import seed_activity
    from tests.auth_helpers import demo_login_header, run_schedule
    from tests.test_planning_invoices import run as run_billing
    from tests.test_retention_flows import _conversation, _photo
    from tests.test_timeline_feed import consent

    def who(name: str) -> dict[str, str]:
        return demo_login_header(world, f"{name}@demo.ouderportaal.nl")

    def ok(answer, *statuses: int) -> Any:
        assert answer.status_code in (statuses or (200, 201, 202, 204)), (answer.status_code, answer.text)
        return answer.json if answer.data else None

    admin, staff1, sanne, emma = who("admin"), who("staff1"), who("parent1"), who("parent3")
    seed_activity()  # an absence, a pending request, an approved one (planning.absence.reported, .request.decided)
    consent(world, "parent3@demo.ouderportaal.nl", "child-liam")
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    _photo(world, services, "staff3@demo.ouderportaal.nl", "grp-bijen", ["child-liam"])
    _conversation(world, "parent3@demo.ouderportaal.nl", "staff3@demo.ouderportaal.nl", "child-liam", "Verkouden.")
    ok(world.post("/messaging/news", headers=admin, json={"title": "Sint", "body": "Vrijdag komt de Sint."}))
    ok(world.post("/timeline/diary", headers=staff1, json={"child_id": "child-noor", "date": "2026-11-24",
                                                           "text": "Buiten gespeeld."}))
    ok(world.put("/auth/me/notification-settings", headers=sanne,
                 json={"photos": {"push": False, "email": False}, "news": {"push": True, "email": True}}))
    device = ok(world.post("/auth/me/devices", headers=sanne, json={"platform": "fcm", "token": "device-token-1"}))
    ok(world.delete(f"/auth/me/devices/{device['id']}", headers=sanne))
    # account mail off the request path (auth.account_mail.requested) and a confirmed sign-out everywhere
    # (auth.credentials.revoked, which planning and auth's own confirmation mail consume)
    ok(world.post("/auth/password/forgot", json={"organisation": "demo.ouderportaal.nl",
                                                 "email": "parent5@demo.ouderportaal.nl"}))
    ok(world.post("/auth/logout-all", headers=who("parent6")))
    ok(world.put("/auth/admin/children/child-daan", headers=admin,
                 json={"name": "Daan de Vries", "birth_date": "2022-06-03"}))
    child = ok(world.post("/auth/admin/children", headers=admin, json={
        "name": "Olivia Bos", "birth_date": "2024-10-01", "group_id": "grp-bijen", "start": "2027-01-04"}))["id"]
    contract = ok(world.post(f"/planning/admin/children/{child}/contracts", headers=admin, json={
        "product": "regular", "group_id": "grp-bijen", "start": "2027-01-04", "hourly_rate_cents": 1052,
        "days": {"1": {"part": "morning"}}}))
    ok(world.put(f"/planning/admin/children/{child}/contracts/{contract['id']}", headers=admin, json={
        "group_id": "grp-bijen", "hourly_rate_cents": 1100, "days": {"2": {"part": "whole_day"}}, "end": "2027-05-31"}))
    ok(world.delete("/auth/admin/children/child-noor/guardians/user-parent2", headers=admin))
    run_billing(world, admin, "invoices", "2026-10")
    ok(world.post("/exports/diary", headers=emma, json={"child_id": "child-liam", "from": "2026-11-01",
                                                        "to": "2026-11-24"}))
    ok(world.post("/exports/personal-data", headers=emma))
    # Liam's retention purge: his contract ends, 8 weeks and a day later the access windows close.
    ok(world.put("/auth/admin/children/child-liam/placements/2025-09-01", headers=admin, json={"end": "2026-11-27"}))
    clock.set(datetime(2027, 1, 23, 0, 30, tzinfo=business_clock.AMSTERDAM))
    run_schedule(services["auth"].module.close_access_windows)
