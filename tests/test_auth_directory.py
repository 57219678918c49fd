"""The directory's admin API through HTTP: from inviting a parent to their first sign-in, and who may do what."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from infra.local.demo import seed_demo
from portal_common import clock as business_clock
from portal_common import tokens as token_lib
from tests.auth_helpers import bearer, demo_login_header, link_token, login, seed_other_tenant, sent_mail

GROUP = {"location_id": "loc-zonnebloem", "name": "Kikkers", "age_from_months": 12, "age_to_months": 48,
         "capacity": {"morning": 12, "afternoon": 10}}


@pytest.fixture
def world(api, services):
    seed_demo()
    seed_other_tenant(services["auth"].module.directory)
    return api


@pytest.fixture
def admin(world):
    return demo_login_header(world, "admin@demo.ouderportaal.nl")


@pytest.fixture
def manager(world):
    return demo_login_header(world, "manager@demo.ouderportaal.nl")


def test_an_admin_invites_a_parent_who_activates_from_the_e_mail_and_signs_in(world, admin, services, clock):
    child = world.post("/auth/admin/children", headers=admin, json={
        "name": "Olivia Peters", "birth_date": "2025-02-01", "group_id": "grp-rupsen", "start": "2027-03-01"})
    assert child.status_code == 201, child.json
    child_id = child.json["id"]
    invited = world.post("/auth/admin/guardians", headers=admin, json={
        "name": "Sophie Peters", "email": "sophie@example.nl", "language": "nl", "child_ids": [child_id]})
    assert invited.status_code == 201 and invited.json["status"] == "invited"
    due = datetime.fromisoformat(invited.json["activation_due"])
    assert due.date().isoformat() == "2027-01-18"  # six weeks before the contract starts
    auth = services["auth"]
    assert auth.lib.activation.send_due() == 0 and sent_mail() == []
    clock.set(due + timedelta(minutes=1))
    assert auth.lib.activation.send_due() == 1
    [message] = sent_mail()
    assert message.destinations["ToAddresses"] == ["sophie@example.nl"] and "Activeer" in message.subject
    token = link_token(message.body, "activate")
    activated = world.post("/auth/activate", json={"token": token, "password": "olivia-gaat-naar-de-rupsen"})
    assert activated.status_code == 200
    pair = login(world, "sophie@example.nl", "olivia-gaat-naar-de-rupsen").json
    me = world.get("/auth/me", headers=bearer(pair["access_token"])).json
    assert [c["name"] for c in me["children"]] == ["Olivia Peters"] and me["children"][0]["group"]["name"] == "Rupsen"


def test_a_guardian_whose_contract_start_passed_gets_the_e_mail_at_once(world, admin, services):
    invited = world.post("/auth/admin/guardians", headers=admin, json={
        "name": "Partner", "email": "partner@example.nl", "child_ids": ["child-liam"]})
    assert invited.status_code == 201
    assert services["auth"].lib.activation.send_due() == 1


def test_a_used_e_mail_address_is_a_conflict(world, admin):
    answer = world.post("/auth/admin/guardians", headers=admin, json={
        "name": "Dubbel", "email": "Parent1@demo.ouderportaal.nl", "child_ids": ["child-noor"]})
    assert answer.status_code == 409 and answer.json["code"] == "email_in_use"


def test_groups_are_created_and_changed_with_an_event_for_capacity(world, manager, bus):
    created = world.post("/auth/admin/groups", headers=manager, json=GROUP)
    assert created.status_code == 201
    group_id = created.json["id"]
    changed = world.put(f"/auth/admin/groups/{group_id}", headers=manager, json={**GROUP, "capacity": {"morning": 8}})
    assert changed.status_code == 200
    capacities = [e.payload["capacity"] for e in bus.of_type("auth.group.changed") if e.payload["group_id"] == group_id]
    assert capacities == [{"morning": 12, "afternoon": 10}, {"morning": 8}]


def test_a_move_ends_the_current_placement_and_guardians_follow_the_child(world, admin, bus):
    moved = world.post("/auth/admin/children/child-noor/placements", headers=admin,
                       json={"group_id": "grp-bijen", "start": "2026-12-01"})
    assert moved.status_code == 201
    child = world.get("/auth/admin/children/child-noor", headers=admin).json
    assert [(p["group_id"], p["start"], p["end"]) for p in child["placements"]] == [
        ("grp-rupsen", "2025-09-01", "2026-11-30"), ("grp-bijen", "2026-12-01", None)]
    assert [g["name"] for g in child["guardians"]] == ["Mark de Vries", "Sanne de Vries"]
    assert bus.of_type("auth.placement.changed")[0].payload["end"] == "2026-11-30"
    assert bus.of_type("auth.child.placed")[-1].payload["group_id"] == "grp-bijen"


@pytest.mark.parametrize("body", [
    {"name": "X", "birth_date": "2025-13-01", "group_id": "grp-rupsen", "start": "2026-01-01"},
    {"name": "X", "birth_date": "2025-01-01", "group_id": "grp-rupsen", "start": "2026-02-01", "end": "2026-01-01"},
    {"name": "", "birth_date": "2025-01-01", "group_id": "grp-rupsen", "start": "2026-01-01"},
    {"name": "X", "birth_date": "2025-01-01", "group_id": "grp-nope", "start": "2026-01-01"},
])
def test_children_with_impossible_data_are_refused_with_422(world, admin, body):
    assert world.post("/auth/admin/children", headers=admin, json=body).status_code == 422


@pytest.mark.parametrize("body", [
    {"name": "X", "birth_date": "2025-01-01", "group_id": "grp-rupsen"},
    {"name": "X", "birth_date": 20250101, "group_id": "grp-rupsen", "start": "2026-01-01"},
    {"name": "X", "birth_date": "2025-01-01", "group_id": "grp-rupsen", "start": "2026-01-01", "ssn": "1"},
])
def test_malformed_children_are_refused_with_400(world, admin, body):
    assert world.post("/auth/admin/children", headers=admin, json=body).status_code == 400


def test_admin_routes_refuse_parents_staff_other_locations_and_other_tenants(world, tokens):
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    staff = demo_login_header(world, "staff1@demo.ouderportaal.nl")
    other_manager = tokens.header(role="manager", user_id="user-m2", locations=("loc-elders",))
    other_tenant_admin = tokens.header(tenant="other", role="admin", user_id="user-a2")
    # grp-vlinders exists only in the demo tenant (the other tenant mirrors grp-rupsen on purpose).
    child = {"name": "X", "birth_date": "2025-01-01", "group_id": "grp-vlinders", "start": "2026-01-01"}
    guardian = {"name": "X", "email": "x@example.nl", "child_ids": ["child-daan"]}
    staff_body = {"name": "X", "email": "x2@example.nl", "role": "staff", "group_ids": ["grp-vlinders"]}
    for headers in (parent, staff):  # roles without the action: 403
        assert world.post("/auth/admin/children", headers=headers, json=child).status_code == 403
        assert world.post("/auth/admin/locations", headers=headers, json={"name": "X"}).status_code == 403
        assert world.get("/auth/admin/locations", headers=headers).status_code == 403
    assert world.get("/auth/admin/children/child-noor", headers=parent).status_code == 403
    assert world.get("/auth/admin/children/child-daan", headers=staff).status_code == 404  # not their group
    for headers in (other_manager, other_tenant_admin):  # unrelated: 404, nothing leaks
        assert world.post("/auth/admin/children", headers=headers, json=child).status_code in (404, 422)
        assert world.post("/auth/admin/guardians", headers=headers, json=guardian).status_code == 404
        assert world.get("/auth/admin/children/child-daan", headers=headers).status_code == 404
        assert world.post("/auth/admin/children/child-daan/placements", headers=headers,
                          json={"group_id": "grp-rupsen", "start": "2027-01-01"}).status_code in (404, 422)
        assert world.put("/auth/admin/children/child-daan/placements/2025-09-01", headers=headers,
                         json={"end": "2027-01-01"}).status_code == 404
        unlink = world.delete("/auth/admin/children/child-daan/guardians/user-parent1", headers=headers)
        assert unlink.status_code == 404
        assert world.put("/auth/admin/groups/grp-vlinders", headers=headers, json=GROUP).status_code == 404
        assert world.post("/auth/admin/staff", headers=headers, json=staff_body).status_code in (404, 422)
    assert world.post("/auth/admin/groups", headers=other_manager, json=GROUP).status_code == 404
    assert world.post("/auth/admin/users/user-parent1/activation", headers=other_tenant_admin).status_code == 409
    # The other tenant's admin sees only their own locations.
    names = [loc["name"] for loc in world.get("/auth/admin/locations", headers=other_tenant_admin).json["items"]]
    assert names == ["Andere locatie"]
    # A manager cannot create admins.
    manager = demo_login_header(world, "manager@demo.ouderportaal.nl")
    assert world.post("/auth/admin/staff", headers=manager,
                      json={**staff_body, "role": "admin", "group_ids": []}).status_code == 403


def test_unlinking_a_guardian_removes_the_child_from_their_next_token(world, admin, bus):
    assert world.delete("/auth/admin/children/child-noor/guardians/user-parent2", headers=admin).status_code == 204
    token = login(world, "parent2@demo.ouderportaal.nl").json["access_token"]
    assert token_lib.get_verifier().verify(token).children == {"child-daan"}
    assert bus.of_type("auth.guardian.unlinked")[0].payload == {"child_id": "child-noor", "user_id": "user-parent2"}
    assert world.delete("/auth/admin/children/child-noor/guardians/user-parent2", headers=admin).status_code == 404


def test_staff_are_invited_with_their_groups_and_locations(world, admin, services):
    answer = world.post("/auth/admin/staff", headers=admin, json={
        "name": "Nieuwe Collega", "email": "collega@example.nl", "role": "staff", "group_ids": ["grp-bijen"]})
    assert answer.status_code == 201
    assert services["auth"].lib.activation.send_due() == 1
    token = link_token(sent_mail()[-1].body, "activate")
    assert world.post("/auth/activate", json={"token": token, "password": "bijen-zijn-druk-bezig"}).status_code == 200
    principal = token_lib.get_verifier().verify(login(world, "collega@example.nl", "bijen-zijn-druk-bezig").json[
        "access_token"])
    assert principal.groups == {"grp-bijen"} and principal.locations == {"loc-zonnebloem"}
    assert world.post("/auth/admin/users/user-parent1/activation", headers=admin).status_code == 409


def test_access_ends_eight_weeks_after_the_contract_and_the_job_publishes_once(world, admin, services, bus, clock):
    ended = world.put("/auth/admin/children/child-liam/placements/2025-09-01", headers=admin,
                      json={"end": "2026-11-27"})
    assert ended.status_code == 200
    parent = login(world, "parent3@demo.ouderportaal.nl").json
    me = world.get("/auth/me", headers=bearer(parent["access_token"])).json
    assert me["children"][0]["access_until"] == "2027-01-22"  # 27 Nov + 8 weeks
    retention = services["auth"].lib.retention
    outbox = services["auth"].module.outbox
    clock.set(datetime(2027, 1, 22, 23, 0, tzinfo=business_clock.AMSTERDAM))
    assert retention.close_due(outbox) == 0  # the last day of access is not over yet
    assert token_lib.get_verifier().verify(login(world, "parent3@demo.ouderportaal.nl").json[
        "access_token"]).children == {"child-liam"}
    clock.set(datetime(2027, 1, 23, 0, 30, tzinfo=business_clock.AMSTERDAM))
    assert retention.close_due(outbox) == 1
    assert retention.close_due(outbox) == 0  # a second run publishes nothing again
    assert [e.payload["user_id"] for e in bus.of_type("auth.guardian.access_ended")] == ["user-parent3"]
    assert [e.payload["child_id"] for e in bus.of_type("auth.child.retention_due")] == ["child-liam"]
    # The parent can still sign in, and sees that nothing remains.
    token = login(world, "parent3@demo.ouderportaal.nl").json["access_token"]
    assert token_lib.get_verifier().verify(token).children == frozenset()
    assert world.get("/auth/me", headers=bearer(token)).json["children"] == []


def test_an_existing_parent_is_linked_to_another_child_and_staff_change_groups(world, admin, manager, bus):
    assert world.put("/auth/admin/children/child-liam/guardians/user-parent4", headers=admin).status_code == 204
    token = login(world, "parent4@demo.ouderportaal.nl").json["access_token"]
    assert token_lib.get_verifier().verify(token).children == {"child-yara", "child-liam"}
    assert world.put("/auth/admin/children/child-liam/guardians/user-staff1", headers=admin).status_code == 422
    assert world.put("/auth/admin/children/child-liam/guardians/user-nobody", headers=admin).status_code == 404
    moved = world.put("/auth/admin/staff/user-staff1/groups", headers=manager, json={"group_ids": ["grp-bijen"]})
    assert moved.status_code == 204
    staff = token_lib.get_verifier().verify(login(world, "staff1@demo.ouderportaal.nl").json["access_token"])
    assert staff.groups == {"grp-bijen"}
    assert bus.of_type("auth.staff.assigned")[-1].payload["group_ids"] == ["grp-bijen"]
    assert world.put("/auth/admin/staff/user-parent1/groups", headers=admin, json={"group_ids": []}).status_code == 404


def test_linking_and_staff_groups_refuse_other_locations_and_tenants(world, tokens):
    other_manager = tokens.header(role="manager", user_id="user-m2", locations=("loc-elders",))
    other_tenant_admin = tokens.header(tenant="other", role="admin", user_id="user-a2")
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    for headers in (other_manager, other_tenant_admin):
        assert world.put("/auth/admin/children/child-liam/guardians/user-parent4", headers=headers).status_code == 404
        assert world.put("/auth/admin/staff/user-staff1/groups", headers=headers,
                         json={"group_ids": ["grp-bijen"]}).status_code in (404, 422)
    assert world.put("/auth/admin/children/child-liam/guardians/user-parent1", headers=parent).status_code == 403
    assert world.put("/auth/admin/staff/user-staff1/groups", headers=parent, json={"group_ids": []}).status_code == 403


def test_children_are_listed_alphabetically_in_pages_with_a_cursor_bound_to_the_caller(world, admin, manager, tokens):
    first = world.get("/auth/admin/children?limit=5", headers=admin).json
    assert [c["name"] for c in first["items"]] == ["Bram de Groot", "Daan de Vries", "Finn Smit", "Liam Jansen",
                                                   "Luuk de Boer"]
    names = [c["name"] for c in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = world.get(f"/auth/admin/children?limit=5&cursor={cursor}", headers=admin).json
        names += [c["name"] for c in page["items"]]
        cursor = page["next_cursor"]
    assert len(names) == 12 and names == sorted(names, key=str.lower)
    # Another user cannot replay the admin's cursor; another tenant sees its own children only.
    replayed = world.get(f"/auth/admin/children?limit=5&cursor={first['next_cursor']}", headers=manager)
    assert replayed.status_code == 400 and replayed.json["code"] == "invalid_cursor"
    other = world.get("/auth/admin/children", headers=tokens.header(tenant="other", role="admin", user_id="a")).json
    assert [c["name"] for c in other["items"]] == ["Noor Anders"]
    assert world.get("/auth/admin/children?limit=500", headers=admin).status_code == 422
    assert world.get("/auth/admin/children?sort=name", headers=admin).status_code == 400
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    assert world.get("/auth/admin/children", headers=parent).status_code == 403
