"""The directory's people through HTTP: from inviting a parent to their first sign-in; staff, managers, admins."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from portal_common import errors
from portal_common import tokens as token_lib
from tests.auth_helpers import (
    bearer,
    callers,
    demo_login_header,
    link_token,
    login,
    run_schedule,
    seed_other_tenant,
    seed_second_location,
    sent_mail,
)


@pytest.fixture
def world(world, seeded, services):
    directory = services["auth"].module.directory
    seeded("another organisation and a second location",
           lambda: (seed_other_tenant(directory), seed_second_location(directory)))
    return world


@pytest.fixture
def who(world, tokens):
    return callers(tokens)


def test_an_admin_invites_a_parent_who_activates_from_the_e_mail_and_signs_in(world, who, services, clock, bus):
    child = world.post("/auth/admin/children", headers=who["admin"], json={
        "name": "Olivia Peters", "birth_date": "2025-02-01", "group_id": "grp-rupsen", "start": "2027-03-01"})
    assert child.status_code == 201, child.json
    child_id = child.json["id"]
    invited = world.post("/auth/admin/guardians", headers=who["admin"], json={
        "name": "Sophie Peters", "email": "sophie@example.nl", "language": "nl", "child_ids": [child_id]})
    assert invited.status_code == 201 and invited.json["status"] == "invited"
    user_id = invited.json["id"]

    def contact_events():  # messaging's copy of whom to notify, where and in which language
        return [e.payload for e in bus.of_type("auth.user.changed") if e.payload["user_id"] == user_id]

    assert contact_events() == [{"user_id": user_id, "name": "Sophie Peters", "email": "sophie@example.nl",
                                 "language": "nl", "role": "parent", "status": "invited"}]
    due = datetime.fromisoformat(invited.json["activation_due"])
    assert due.date().isoformat() == "2027-01-18"  # six weeks before the contract starts
    # Invited, not active: no sign-in yet, and no e-mail before it is due.
    assert login(world, "sophie@example.nl", "olivia-gaat-naar-de-rupsen").status_code == 401
    auth = services["auth"]
    assert run_schedule(auth.module.send_due_activations) == 0 and sent_mail() == []
    clock.set(due + timedelta(minutes=1))
    assert run_schedule(auth.module.send_due_activations) == 1  # the scheduled handler itself
    assert run_schedule(auth.module.send_due_activations) == 0  # sent once
    [message] = sent_mail()
    assert message.destinations["ToAddresses"] == ["sophie@example.nl"] and "Activeer" in message.subject
    token = link_token(message.body, "activate")
    activated = world.post("/auth/activate", json={"token": token, "password": "olivia-gaat-naar-de-rupsen"})
    assert activated.status_code == 200
    assert world.post("/auth/activate", json={"token": token, "password": "nog-een-keer-proberen"}).status_code == 422
    assert [e["status"] for e in contact_events()] == ["invited", "active"]  # activated: once
    pair = login(world, "sophie@example.nl", "olivia-gaat-naar-de-rupsen").json
    principal = token_lib.get_verifier().verify(pair["access_token"])
    assert principal.children == {child_id} and principal.groups == {"grp-rupsen"}
    me = world.get("/auth/me", headers=bearer(pair["access_token"])).json
    assert [c["name"] for c in me["children"]] == ["Olivia Peters"] and me["children"][0]["group"]["name"] == "Rupsen"
    assert me["children"][0]["consents_needed"] is True


def test_a_partner_whose_contract_start_passed_gets_the_e_mail_at_once_in_their_language(world, who, services):
    invited = world.post("/auth/admin/guardians", headers=who["manager"], json={
        "name": "Partner Jansen", "email": "partner@example.nl", "language": "en", "child_ids": ["child-liam"]})
    assert invited.status_code == 201
    assert services["auth"].lib.activation.send_due() == 1
    assert "Activate your account" in sent_mail()[-1].subject
    child = world.get("/auth/admin/children/child-liam", headers=who["manager"]).json
    assert [g["name"] for g in child["guardians"]] == ["Emma Jansen", "Partner Jansen"]
    # An admin sends it again on request (a fresh link); an active account has nothing to resend.
    user_id = invited.json["id"]
    assert world.post(f"/auth/admin/users/{user_id}/activation", headers=who["admin"]).status_code == 202
    assert len(sent_mail()) == 2
    assert world.post("/auth/admin/users/user-parent1/activation", headers=who["admin"]).status_code == 409
    assert world.post("/auth/admin/users/user-nobody/activation", headers=who["admin"]).status_code == 404


@pytest.mark.parametrize("email", ["Parent1@demo.ouderportaal.nl", "parent1@DEMO.ouderportaal.nl"])
def test_an_address_in_use_in_the_tenant_is_a_conflict(world, who, email):
    answer = world.post("/auth/admin/guardians", headers=who["admin"], json={
        "name": "Dubbel", "email": email, "child_ids": ["child-noor"]})
    assert answer.status_code == 409 and answer.json["code"] == "email_in_use"


def test_two_invitations_for_one_address_at_once_make_one_account(world, services):
    directory = services["auth"].module.directory
    directory.create_user("demo", "user-first", email="same@example.nl", name="Een", role="parent")
    with pytest.raises(errors.Conflict):  # what a second request gets when it passed the check at the same time
        directory.create_user("demo", "user-second", email="SAME@example.nl", name="Twee", role="parent")
    assert directory.user_by_email("demo", "same@example.nl").user_id == "user-first"
    directory.create_user("other", "user-third", email="same@example.nl", name="Drie", role="parent")  # other tenant


@pytest.mark.parametrize("body, status", [
    ({"name": "X", "email": "x@example.nl", "child_ids": []}, 422),
    ({"name": "X", "email": "x@example.nl", "child_ids": ["child-nope"]}, 404),
    ({"name": "X", "email": "x#y@example.nl", "child_ids": ["child-noor"]}, 422),
    ({"name": "X", "email": "x@localhost", "child_ids": ["child-noor"]}, 422),
    ({"name": "X", "email": "x" * 250 + "@example.nl", "child_ids": ["child-noor"]}, 422),
    ({"name": "X", "email": "x@example.nl", "child_ids": ["child-noor"] * 11}, 422),
    ({"name": "X", "email": "x@example.nl", "language": "de", "child_ids": ["child-noor"]}, 400),
    ({"name": "X", "email": "x@example.nl", "child_ids": "child-noor"}, 400),
    ({"name": "X", "email": "x@example.nl", "child_ids": ["child-noor"], "role": "admin"}, 400),
])
def test_impossible_guardians_are_refused(world, who, body, status):
    assert world.post("/auth/admin/guardians", headers=who["admin"], json=body).status_code == status


def test_an_address_that_cannot_exist_signs_in_as_nobody(world):
    assert login(world, "x#y@example.nl", "whatever-it-is").status_code == 401  # not a 500


def test_unlinking_a_guardian_removes_the_child_from_their_next_token(world, who, bus):
    path = "/auth/admin/children/child-noor/guardians/user-parent2"
    assert world.delete(path, headers=who["manager"]).status_code == 204
    token = login(world, "parent2@demo.ouderportaal.nl").json["access_token"]
    assert token_lib.get_verifier().verify(token).children == {"child-daan"}
    assert bus.of_type("auth.guardian.unlinked")[0].payload == {"child_id": "child-noor", "user_id": "user-parent2"}
    assert world.delete(path, headers=who["manager"]).status_code == 404


def test_an_existing_parent_is_linked_to_another_child(world, who, bus):
    assert world.put("/auth/admin/children/child-liam/guardians/user-parent4", headers=who["admin"]).status_code == 204
    token = login(world, "parent4@demo.ouderportaal.nl").json["access_token"]
    assert token_lib.get_verifier().verify(token).children == {"child-yara", "child-liam"}
    assert bus.of_type("auth.guardian.linked")[-1].payload == {"child_id": "child-liam", "user_id": "user-parent4",
                                                               "user_name": "Fatima El Amrani"}
    assert world.put("/auth/admin/children/child-liam/guardians/user-staff1", headers=who["admin"]).status_code == 422
    assert world.put("/auth/admin/children/child-liam/guardians/user-nobody", headers=who["admin"]).status_code == 404


def test_staff_are_invited_with_their_groups_and_change_groups(world, who, services, bus):
    answer = world.post("/auth/admin/staff", headers=who["manager"], json={
        "name": "Nieuwe Collega", "email": "collega@example.nl", "role": "staff", "group_ids": ["grp-bijen"]})
    assert answer.status_code == 201
    assert services["auth"].lib.activation.send_due() == 1
    token = link_token(sent_mail()[-1].body, "activate")
    assert world.post("/auth/activate", json={"token": token, "password": "bijen-zijn-druk-bezig"}).status_code == 200
    principal = token_lib.get_verifier().verify(login(world, "collega@example.nl", "bijen-zijn-druk-bezig").json[
        "access_token"])
    assert principal.groups == {"grp-bijen"} and principal.locations == {"loc-zonnebloem"}
    moved = world.put("/auth/admin/staff/user-staff1/groups", headers=who["manager"], json={"group_ids": ["grp-bijen"]})
    assert moved.status_code == 204
    staff = token_lib.get_verifier().verify(login(world, "staff1@demo.ouderportaal.nl").json["access_token"])
    assert staff.groups == {"grp-bijen"}
    assert bus.of_type("auth.staff.assigned")[-1].payload["group_ids"] == ["grp-bijen"]
    assert world.put("/auth/admin/staff/user-parent1/groups", headers=who["admin"],
                     json={"group_ids": []}).status_code == 404
    assert world.put("/auth/admin/staff/user-staff1/groups", headers=who["admin"],
                     json={"group_ids": ["grp-nope"]}).status_code == 422
    assert world.put("/auth/admin/staff/user-staff1/groups", headers=who["admin"],
                     json={"groups": ["grp-bijen"]}).status_code == 400


def test_admins_invite_managers_and_admins_and_set_a_managers_locations(world, who, bus):
    manager = world.post("/auth/admin/staff", headers=who["admin"], json={
        "name": "Derde Manager", "email": "m3@example.nl", "role": "manager", "location_ids": ["loc-elders"]})
    assert manager.status_code == 201
    admin = world.post("/auth/admin/staff", headers=who["admin"], json={
        "name": "Tweede Admin", "email": "a2@example.nl", "role": "admin"})
    assert admin.status_code == 201
    user_id = manager.json["id"]
    path = f"/auth/admin/managers/{user_id}/locations"
    assert world.put(path, headers=who["admin"], json={"location_ids": ["loc-elders", "loc-zonnebloem"]}
                     ).status_code == 204
    assert bus.of_type("auth.staff.assigned")[-1].payload["location_ids"] == ["loc-elders", "loc-zonnebloem"]
    users = world.get("/auth/admin/users?role=manager", headers=who["admin"]).json["items"]
    assert {u["id"]: u["location_ids"] for u in users}[user_id] == ["loc-elders", "loc-zonnebloem"]
    assert world.put(path, headers=who["admin"], json={"location_ids": ["loc-nope"]}).status_code == 422
    assert world.put("/auth/admin/managers/user-staff1/locations", headers=who["admin"],
                     json={"location_ids": []}).status_code == 404
    # A manager cannot create managers or admins; bodies that mix roles up break a rule.
    for role in ("manager", "admin"):
        assert world.post("/auth/admin/staff", headers=who["manager"], json={
            "name": "X", "email": "x@example.nl", "role": role}).status_code == 403
    for body in ({"role": "admin", "group_ids": ["grp-bijen"]}, {"role": "staff", "location_ids": ["loc-elders"]},
                 {"role": "manager", "location_ids": ["loc-nope"]}):
        assert world.post("/auth/admin/staff", headers=who["admin"],
                          json={"name": "X", "email": "x@example.nl", **body}).status_code == 422
    assert world.post("/auth/admin/staff", headers=who["admin"], json={
        "name": "X", "email": "x@example.nl", "role": "director"}).status_code == 400


def test_people_are_listed_by_role_in_pages_and_a_manager_sees_their_locations_staff(world, who):
    parents = world.get("/auth/admin/users?role=parent&limit=5", headers=who["admin"]).json
    assert len(parents["items"]) == 5 and parents["next_cursor"]
    rest = world.get(f"/auth/admin/users?role=parent&limit=20&cursor={parents['next_cursor']}",
                     headers=who["admin"]).json
    assert len(parents["items"]) + len(rest["items"]) == 12 and rest["next_cursor"] is None
    assert {u["role"] for u in rest["items"]} == {"parent"} and rest["items"][0]["status"] == "active"
    seen = world.get("/auth/admin/users?limit=100", headers=who["manager"]).json["items"]
    assert {u["id"] for u in seen} == {"user-staff1", "user-staff2", "user-staff3", "user-manager"}
    assert world.get("/auth/admin/users?role=parent", headers=who["manager"]).json["items"] == []
    assert [u["id"] for u in world.get("/auth/admin/users", headers=who["other_manager"]).json["items"]] == [
        "user-manager2"]
    assert world.get("/auth/admin/users?role=owner", headers=who["admin"]).status_code == 400
    assert world.get("/auth/admin/users?limit=0", headers=who["admin"]).status_code == 422


# The refusal matrix of the people routes (see test_auth_directory.py for the objects' whereabouts).
ROUTES = [  # method, path, body, expected for parent, staff, other manager, other tenant's admin
    ("POST", "/auth/admin/guardians", {"name": "X", "email": "x@example.nl", "child_ids": ["child-daan"]},
     403, 403, 404, 404),
    ("PUT", "/auth/admin/children/child-daan/guardians/user-parent3", None, 403, 403, 404, 404),
    ("DELETE", "/auth/admin/children/child-daan/guardians/user-parent1", None, 403, 403, 404, 404),
    ("POST", "/auth/admin/staff", {"name": "X", "email": "x@example.nl", "role": "staff", "group_ids": ["grp-bijen"]},
     403, 403, 404, 422),
    ("PUT", "/auth/admin/staff/user-staff2/groups", {"group_ids": ["grp-bijen"]}, 403, 403, 404, 404),
    ("PUT", "/auth/admin/managers/user-manager/locations", {"location_ids": ["loc-elders"]}, 403, 403, 403, 404),
    ("GET", "/auth/admin/users", None, 403, 403, "own", "own"),
    ("POST", "/auth/admin/users/user-parent1/activation", None, 403, 403, 403, 404),
]


def test_people_routes_refuse_parents_staff_other_locations_and_other_tenants(world, who, bus):
    published = len(bus.published)
    for method, path, body, *expected in ROUTES:
        for caller, status in zip(("parent", "staff", "other_manager", "other_tenant"), expected, strict=True):
            answer = world.open(path, method=method, headers=who[caller], json=body)
            if status == "own":
                assert answer.status_code == 200, (path, caller)
                assert not {u["id"] for u in answer.json["items"]} & {"user-parent1", "user-staff1", "user-admin"}
            else:
                assert answer.status_code == status, (method, path, caller, answer.json)
    assert len(bus.published) == published and sent_mail() == []
    assert sorted(world.get("/auth/admin/children/child-daan", headers=who["admin"]).json["guardians"],
                  key=lambda g: g["id"]) == [{"id": "user-parent1", "name": "Sanne de Vries"},
                                             {"id": "user-parent2", "name": "Mark de Vries"}]
    # With a real sign-in too: a parent of this tenant is refused the admin API.
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    assert world.post("/auth/admin/guardians", headers=parent, json=ROUTES[0][2]).status_code == 403
