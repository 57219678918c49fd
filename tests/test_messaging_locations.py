"""The location page: auth's facts (name, address, contact details, team) kept from "auth.location.changed",
opening hours and versioned policies written by the location's manager and the admins.

Demo: loc-zonnebloem, managed by Marieke; Sanne (parent1) and Ilse (staff1) belong to it. The clock
stands on Tuesday 24 November 2026, 09:00.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import portal_common.contracts.auth
from portal_common.events import make_event
from tests.auth_helpers import demo_login_header, seed_second_location
from tests.test_messaging_attachments import PDF, _png, fetch, upload

PAGE = "/messaging/locations/loc-zonnebloem"
HOURS = [{"weekday": 1, "open": "07:30", "close": "18:30"}, {"weekday": 5, "open": "07:30", "close": "13:00"}]


def login(world, who: str) -> dict[str, str]:
    return demo_login_header(world, f"{who}@demo.ouderportaal.nl")


def add_policy(world, headers, kind, version, valid_from, attachment_id, title="Beleid"):
    return world.post(f"{PAGE}/policies", headers=headers, json={
        "kind": kind, "title": title, "version": version, "valid_from": valid_from, "attachment_id": attachment_id})


def test_the_page_shows_auths_facts_the_opening_hours_and_the_team(world, parent, staff):
    admin, manager = login(world, "admin"), login(world, "manager")
    changed = world.put("/auth/admin/locations/loc-zonnebloem", headers=admin, json={
        "name": "Kindcentrum De Zonnebloem", "address": {"street": "Zonnebloemlaan 12", "postcode": "3521 AB",
                                                          "city": "Utrecht"},
        "contact": {"phone": "030 123 45 67", "email": "zonnebloem@demo.ouderportaal.nl"},
        "team": [{"name": "Marieke Hoekstra", "role": "locatiemanager"},
                 {"name": "Ilse van Dam", "role": "pedagogisch medewerker"}]})
    assert changed.status_code == 200, changed.json
    put = world.put(f"{PAGE}/opening-hours", headers=manager, json={"opening_hours": list(reversed(HOURS))})
    assert put.status_code == 200 and put.json["opening_hours"] == HOURS
    page = world.get(PAGE, headers=parent)
    assert page.status_code == 200, page.json
    assert page.json == {
        "id": "loc-zonnebloem", "name": "Kindcentrum De Zonnebloem",
        "address": {"street": "Zonnebloemlaan 12", "postcode": "3521 AB", "city": "Utrecht"},
        "contact": {"phone": "030 123 45 67", "email": "zonnebloem@demo.ouderportaal.nl"},
        "opening_hours": HOURS,
        "team": [{"name": "Marieke Hoekstra", "role": "locatiemanager"},
                 {"name": "Ilse van Dam", "role": "pedagogisch medewerker"}],
        "policies": {"safety_health": [], "pedagogical": []}}
    for reader in (staff, manager, admin):
        assert world.get(PAGE, headers=reader).json == page.json


def test_policies_keep_their_versions_and_the_current_one_is_the_newest_in_force(world, parent, clock):
    manager = login(world, "manager")
    old, now, next_year = (upload(world, manager, file_name=f"veiligheid-{y}.pdf") for y in (2025, 2026, 2027))
    assert add_policy(world, manager, "safety_health", "2025.1", "2025-01-01", old).status_code == 201
    future = add_policy(world, manager, "safety_health", "2027.1", "2027-01-01", next_year)
    assert future.status_code == 201 and future.json["current"] is False
    created = add_policy(world, manager, "safety_health", "2026.1", "2026-09-01", now, title="Veiligheid 2026")
    assert created.status_code == 201, created.json
    assert created.json == {"version": "2026.1", "title": "Veiligheid 2026", "valid_from": "2026-09-01",
                            "attachment": {"id": now, "file_name": "veiligheid-2026.pdf"}, "current": True}
    versions = world.get(PAGE, headers=parent).json["policies"]["safety_health"]
    assert [(v["version"], v["current"]) for v in versions] == [("2027.1", False), ("2026.1", True),
                                                                 ("2025.1", False)]
    assert fetch(world, parent, now).content == PDF  # the parent downloads the policy
    # The same version again is a conflict, and nothing of it is stored (its PDF stays unused).
    spare = upload(world, manager)
    duplicate = add_policy(world, manager, "safety_health", "2026.1", "2026-10-01", spare)
    assert duplicate.status_code == 409
    assert add_policy(world, manager, "pedagogical", "2026.1", "2026-10-01", spare).status_code == 201
    image = upload(world, manager, data=_png(), file_name="beleid.png", content_type="image/png")
    not_pdf = add_policy(world, manager, "pedagogical", "2026.2", "2026-10-01", image)
    assert not_pdf.status_code == 422 and not_pdf.json["code"] == "not_a_pdf"
    used = add_policy(world, manager, "pedagogical", "2026.3", "2026-10-01", old)
    assert used.status_code == 422 and used.json["code"] == "unknown_attachment"
    assert used.json["errors"][0]["loc"] == ["body", "attachment_id"]
    assert [v["version"] for v in world.get(PAGE, headers=parent).json["policies"]["pedagogical"]] == ["2026.1"]


def test_location_copies_keep_the_newest_event(world, services, parent):
    handler = services["messaging"].app.event_handlers["auth.location.changed"]
    changed = portal_common.contracts.auth.LocationChanged

    def event(name: str, day: int):
        payload = changed(location_id="loc-zonnebloem", name=name, address={}, contact={}, team=[])
        return make_event(payload, tenant="demo", source="auth").model_copy(
            update={"occurred_at": datetime(2030, 1, day, tzinfo=UTC)})

    handler(event("Nieuwe naam", 2))
    handler(event("Oude naam", 1))  # late and out of order: ignored
    handler(event("Nieuwe naam", 2))  # redelivered: the same
    assert world.get(PAGE, headers=parent).json["name"] == "Nieuwe naam"


def test_location_page_routes_refuse_parents_staff_other_locations_and_other_tenants(world, parent, staff,
                                                                                    services, tokens):
    seed_second_location(services["auth"].module.directory)
    manager = login(world, "manager")
    pdf = upload(world, manager)
    others = {
        "parent of another location": tokens.header(role="parent", user_id="user-eef-parent",
                                                    children=("child-elders",), locations=("loc-elders",)),
        "manager of another location": tokens.header(role="manager", user_id="user-manager2",
                                                     locations=("loc-elders",)),
        "admin of another tenant": tokens.header(tenant="other", role="admin", user_id="user-admin"),
        "parent of another tenant": tokens.header(tenant="other", role="parent", user_id="user-parent1",
                                                  children=("child-noor",), locations=("loc-zonnebloem",)),
    }
    policy = {"kind": "pedagogical", "title": "x", "version": "1", "valid_from": "2026-01-01", "attachment_id": pdf}
    # Editing: a parent's role may not (403); a manager or admin finds no such location of theirs (404).
    edit_refusal = {"parent of another location": 403, "manager of another location": 404,
                    "admin of another tenant": 404, "parent of another tenant": 403}
    for who, headers in others.items():
        assert world.get(PAGE, headers=headers).status_code == 404, who
        assert world.put(f"{PAGE}/opening-hours", headers=headers,
                         json={"opening_hours": HOURS}).status_code == edit_refusal[who], who
        assert world.post(f"{PAGE}/policies", headers=headers, json=policy).status_code == edit_refusal[who], who
    for headers in (parent, staff):
        assert world.put(f"{PAGE}/opening-hours", headers=headers, json={"opening_hours": HOURS}).status_code == 403
        assert world.post(f"{PAGE}/policies", headers=headers, json=policy).status_code == 403
    assert world.get("/messaging/locations/loc-elders", headers=parent).status_code == 404
    assert world.get("/messaging/locations/loc-nowhere", headers=login(world, "admin")).status_code == 404
    assert world.get("/messaging/locations/a%23b", headers=parent).status_code == 404
    assert world.get(PAGE, headers=parent).json["opening_hours"] == []  # nothing was written
    assert add_policy(world, manager, **{k: policy[k] for k in ("kind", "version", "valid_from",
                                                                 "attachment_id")}).status_code == 201


@pytest.mark.parametrize("body, status", [  # each refused as `validation_error`: 400 its shape, 422 a rule
    ({"opening_hours": [{"weekday": 8, "open": "07:30", "close": "18:30"}]}, 422),
    ({"opening_hours": [{"weekday": 1, "open": "18:30", "close": "07:30"}]}, 422),
    ({"opening_hours": [{"weekday": 1, "open": "7:30", "close": "18:30"}]}, 422),
    ({"opening_hours": [{"weekday": 1, "open": "07:30", "close": "12:30"},
                        {"weekday": 1, "open": "12:00", "close": "18:30"}]}, 422),
    ({"opening_hours": [{"weekday": "1", "open": "07:30", "close": "18:30"}]}, 400),
    ({"opening_hours": [{"weekday": 1, "open": "07:30", "close": "18:30", "note": "x"}]}, 400),
    ({"hours": []}, 400), ({"opening_hours": HOURS, "extra": 1}, 400),
])
def test_bad_opening_hours_are_refused(world, body, status):
    manager = login(world, "manager")
    answer = world.put(f"{PAGE}/opening-hours", headers=manager, json=body)
    assert answer.status_code == status and answer.json["errors"], answer.json
    assert answer.json["code"] == "validation_error", answer.json


@pytest.mark.parametrize("overrides, status, code", [
    ({"kind": "financial"}, 400, "validation_error"), ({"version": "1/2"}, 422, "validation_error"),
    ({"version": ""}, 422, "validation_error"), ({"valid_from": "01-01-2026"}, 400, "validation_error"),
    ({"valid_from": "1999-12-31"}, 422, "valid_from_out_of_range"),
    ({"valid_from": "2030-01-01"}, 422, "valid_from_out_of_range"), ({"title": "x" * 201}, 422, "validation_error"),
    ({"attachment_id": "att-x"}, 422, "validation_error"), ({"extra": True}, 400, "validation_error"),
])
def test_bad_policies_are_refused(world, parent, overrides, status, code):
    manager = login(world, "manager")
    pdf = upload(world, manager)
    body = {"kind": "pedagogical", "title": "Pedagogisch beleid", "version": "2026.1", "valid_from": "2026-01-01",
            "attachment_id": pdf, **overrides}
    answer = world.post(f"{PAGE}/policies", headers=manager, json=body)
    assert answer.status_code == status and answer.json["errors"], answer.json
    assert answer.json["code"] == code, answer.json
    assert world.get(PAGE, headers=parent).json["policies"]["pedagogical"] == []
