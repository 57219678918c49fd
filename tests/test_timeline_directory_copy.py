"""The timeline's copy of consents, placements and names, kept from auth's events.

The privacy rule it carries: a withdrawn photo consent counts at once, and giving it again only lets
photos published from that moment on be shown (`photos_from`), never silently the ones it hid.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from portal_common import clock as business_clock
from portal_common.events import Envelope
from tests.auth_helpers import demo_login_header


@pytest.fixture
def copy(services):
    return services["timeline"].lib.directory_copy


def consent(world, parent, **values):
    body = {"photos": True, "diary": True, "outings": True, **values}
    answer = world.put("/auth/children/child-noor/consents", headers=parent, json=body)
    assert answer.status_code == 200, answer.json


def test_consents_reach_the_timeline_and_a_regiven_photo_consent_starts_afresh(world, parent, copy, clock):
    assert copy.consents("demo", "child-noor") is None  # never asked: nothing may be shown
    consent(world, parent)
    given = copy.consents("demo", "child-noor")
    assert (given.photos, given.diary, given.photos_from) == (True, True, None)
    clock.advance(timedelta(minutes=5))
    consent(world, parent, photos=False)
    withdrawn = copy.consents("demo", "child-noor")
    assert (withdrawn.photos, withdrawn.diary, withdrawn.photos_from) == (False, True, None)
    clock.advance(timedelta(minutes=5))
    consent(world, parent)
    again = copy.consents("demo", "child-noor")
    assert again.photos and again.photos_from == business_clock.now().isoformat()


def test_an_older_consent_event_never_overwrites_a_newer_one(world, parent, copy, bus, clock):
    consent(world, parent, photos=False)
    [latest] = bus.of_type("auth.consents.changed")
    older = {**latest.payload, "photos": True,
             "changed_at": (datetime.fromisoformat(latest.payload["changed_at"]) - timedelta(minutes=5)).isoformat()}
    handle = copy.HANDLERS["auth.consents.changed"]
    handle(Envelope(event_id="01OLDER", type="auth.consents.changed", version=1, tenant="demo",
                    occurred_at=latest.occurred_at - timedelta(minutes=5), source="auth", payload=older))
    assert copy.consents("demo", "child-noor").photos is False  # the withdrawal stands


def test_placements_say_which_group_a_child_was_in_on_a_day(world, copy, services, bus):
    assert [e.payload["child_id"] for e in bus.of_type("auth.child.placed")].count("child-noor") == 1
    assert copy.groups_on("demo", "child-noor", date(2026, 11, 24)) == {"grp-rupsen"}
    assert copy.groups_on("demo", "child-noor", date(2025, 8, 31)) == set()  # before the placement
    admin = demo_login_header(world, "admin@demo.ouderportaal.nl")
    moved = world.post("/auth/admin/children/child-noor/placements", headers=admin,
                       json={"group_id": "grp-bijen", "start": "2027-01-04"})
    assert moved.status_code == 201, moved.json
    assert copy.groups_on("demo", "child-noor", date(2027, 1, 3)) == {"grp-rupsen"}
    assert copy.groups_on("demo", "child-noor", date(2027, 1, 4)) == {"grp-bijen"}
    assert bus.of_type("auth.placement.changed")[-1].payload["end"] == "2027-01-03"  # the move ended Rupsen
    names = services["timeline"].lib.store.ChildCopyItem
    assert names.get("demo#CHILD#child-noor", "CHILD").name == "Noor de Vries"
    renamed = world.put("/auth/admin/children/child-noor", headers=admin,
                        json={"name": "Noor de Vries-Bakker", "birth_date": "2024-03-14"})
    assert renamed.status_code == 200 and bus.of_type("auth.child.updated")
    assert names.get("demo#CHILD#child-noor", "CHILD").name == "Noor de Vries-Bakker"


def test_groups_are_known_with_their_location(world, copy, bus):
    assert {e.payload["group_id"] for e in bus.of_type("auth.group.changed")} == {"grp-rupsen", "grp-vlinders",
                                                                               "grp-bijen"}
    assert copy.group("demo", "grp-rupsen").location_id == "loc-zonnebloem"
    assert copy.group("demo", "grp-nowhere") is None and copy.group("other", "grp-rupsen") is None
