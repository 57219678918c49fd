"""The directory's admin API through HTTP: locations, groups, children and placements, and who may do what.

People (guardians, staff, managers) are in `test_auth_directory_people.py`, the access window in
`test_auth_access_window.py`.
"""

from __future__ import annotations

import pytest

from tests.auth_helpers import bearer, callers, demo_login_header, login, seed_other_tenant, seed_second_location

GROUP = {"location_id": "loc-zonnebloem", "name": "Kikkers", "age_from_months": 12, "age_to_months": 48,
         "capacity": {"morning": 12, "afternoon": 10}}
LOCATION = {"name": "Kindcentrum De Regenboog", "address": {"street": "Boogstraat 1", "postcode": "3511 AA",
                                                             "city": "Utrecht"},
            "contact": {"phone": "030 765 43 21", "email": "regenboog@example.nl"},
            "team": [{"name": "Anna de Wit", "role": "locatiemanager"}]}


@pytest.fixture
def world(world, seeded, services):
    directory = services["auth"].module.directory
    seeded("another organisation and a second location",
           lambda: (seed_other_tenant(directory), seed_second_location(directory)))
    return world


@pytest.fixture
def who(world, tokens):
    return callers(tokens)


def test_locations_are_added_listed_read_and_changed_with_an_event(world, who, bus):
    created = world.post("/auth/admin/locations", headers=who["admin"], json=LOCATION)
    assert created.status_code == 201
    location_id = created.json["id"]
    read = world.get(f"/auth/admin/locations/{location_id}", headers=who["admin"]).json
    assert read["team"] == LOCATION["team"] and read["address"]["city"] == "Utrecht"
    listed = world.get("/auth/admin/locations", headers=who["admin"]).json
    assert {i["id"] for i in listed["items"]} == {"loc-zonnebloem", "loc-elders", location_id}
    assert listed["next_cursor"] is None
    # The manager of De Zonnebloem changes its contact details and team; they list only their own location.
    changed = world.put("/auth/admin/locations/loc-zonnebloem", headers=who["manager"],
                        json={**LOCATION, "name": "De Zonnebloem", "team": []})
    assert changed.status_code == 200 and changed.json["name"] == "De Zonnebloem"
    assert [i["id"] for i in world.get("/auth/admin/locations", headers=who["manager"]).json["items"]] == [
        "loc-zonnebloem"]
    [event] = [e for e in bus.of_type("auth.location.changed") if e.payload["location_id"] == "loc-zonnebloem"
               and e.payload["name"] == "De Zonnebloem"]
    assert event.payload["contact"]["phone"] == "030 765 43 21" and event.payload["team"] == []
    # Managers cannot add locations; an unknown location is 404.
    assert world.post("/auth/admin/locations", headers=who["manager"], json=LOCATION).status_code == 403
    assert world.get("/auth/admin/locations/loc-nope", headers=who["admin"]).status_code == 404
    assert world.put("/auth/admin/locations/loc-nope", headers=who["admin"], json=LOCATION).status_code == 404


@pytest.mark.parametrize("body, status", [
    ({"name": "X", "phone": "1"}, 400),                                   # unknown field
    ({"name": 7}, 400),                                                   # wrong type
    ({"name": "X", "address": {"street": "A", "country": "NL"}}, 400),    # unknown address field
    ({"name": "X", "team": [{"name": "A"}]}, 400),                        # team member without a role
    ({"name": ""}, 422),
    ({"name": "X", "contact": {"email": "not-an-address"}}, 422),
    ({"name": "X", "contact": {"website": "http://insecure.example"}}, 422),
    ({"name": "X", "address": {"postcode": "1" * 17}}, 422),
    ({"name": "X", "team": [{"name": "A", "role": "r"}] * 51}, 422),
])
def test_impossible_locations_are_refused(world, who, body, status):
    assert world.post("/auth/admin/locations", headers=who["admin"], json=body).status_code == status
    assert world.put("/auth/admin/locations/loc-zonnebloem", headers=who["admin"], json=body).status_code == status


def test_groups_are_added_listed_read_and_changed_with_an_event_for_capacity(world, who, bus):
    created = world.post("/auth/admin/groups", headers=who["manager"], json=GROUP)
    assert created.status_code == 201
    group_id = created.json["id"]
    changed = world.put(f"/auth/admin/groups/{group_id}", headers=who["manager"],
                        json={**GROUP, "capacity": {"morning": 8}})
    assert changed.status_code == 200 and changed.json["capacity"] == {"morning": 8}
    capacities = [e.payload["capacity"] for e in bus.of_type("auth.group.changed") if e.payload["group_id"] == group_id]
    assert capacities == [{"morning": 12, "afternoon": 10}, {"morning": 8}]
    rupsen = world.get("/auth/admin/groups/grp-rupsen", headers=who["manager"]).json
    assert [c["name"] for c in rupsen["children"]] == ["Luuk de Boer", "Noor de Vries", "Yara El Amrani",
                                                       "Zeynep Yilmaz"]
    everything = world.get("/auth/admin/groups", headers=who["admin"]).json["items"]
    assert {g["id"] for g in everything} == {"grp-rupsen", "grp-vlinders", "grp-bijen", "grp-elders", group_id}
    mine = world.get("/auth/admin/groups?limit=2", headers=who["manager"]).json
    ids = [g["id"] for g in mine["items"]]
    page = world.get(f"/auth/admin/groups?limit=2&cursor={mine['next_cursor']}", headers=who["manager"]).json
    ids += [g["id"] for g in page["items"]]
    while page["next_cursor"]:
        page = world.get(f"/auth/admin/groups?limit=2&cursor={page['next_cursor']}", headers=who["manager"]).json
        ids += [g["id"] for g in page["items"]]
    assert sorted(ids) == sorted({"grp-rupsen", "grp-vlinders", "grp-bijen", group_id})  # not grp-elders
    elders = world.get("/auth/admin/groups?location_id=loc-elders", headers=who["other_manager"]).json["items"]
    assert [g["id"] for g in elders] == ["grp-elders"]
    assert world.get("/auth/admin/groups/grp-nope", headers=who["admin"]).status_code == 404
    moved = world.put(f"/auth/admin/groups/{group_id}", headers=who["admin"],
                      json={**GROUP, "location_id": "loc-elders"})
    assert moved.status_code == 422 and moved.json["code"] == "group_location_fixed"


@pytest.mark.parametrize("change, status", [
    ({"age_to_months": 6}, 422),                       # the range ends before it starts
    ({"capacity": {"morning": 500}}, 422),
    ({"capacity": {}}, 422),
    ({"capacity": {"evening": 4}}, 400),               # no such part of day
    ({"capacity": {"morning": "12"}}, 400),
    ({"location_id": "loc#x"}, 422),
    ({"colour": "green"}, 400),
])
def test_impossible_groups_are_refused(world, who, change, status):
    assert world.post("/auth/admin/groups", headers=who["admin"], json={**GROUP, **change}).status_code == status


def test_children_are_registered_read_and_corrected_and_guardians_see_the_new_name(world, who, bus):
    created = world.post("/auth/admin/children", headers=who["manager"], json={
        "name": "Olivia Peters", "birth_date": "2025-02-01", "group_id": "grp-rupsen", "start": "2027-03-01"})
    assert created.status_code == 201
    child = world.get(f"/auth/admin/children/{created.json['id']}", headers=who["manager"]).json
    assert child["placements"] == [{"id": "2027-03-01", "group_id": "grp-rupsen", "location_id": "loc-zonnebloem",
                                    "start": "2027-03-01", "end": None}]
    corrected = world.put("/auth/admin/children/child-noor", headers=who["manager"],
                          json={"name": "Noor van Vries", "birth_date": "2024-03-15"})
    assert corrected.status_code == 200 and corrected.json["birth_date"] == "2024-03-15"
    assert bus.of_type("auth.child.updated")[0].payload == {"child_id": "child-noor", "child_name": "Noor van Vries",
                                                            "birth_date": "2024-03-15"}
    me = world.get("/auth/me", headers=demo_login_header(world, "parent1@demo.ouderportaal.nl")).json
    assert "Noor van Vries" in [c["name"] for c in me["children"]]
    # Staff of the child's group read its entry; staff of another group do not.
    assert world.get("/auth/admin/children/child-noor", headers=who["staff"]).status_code == 200
    assert world.put("/auth/admin/children/child-noor", headers=who["admin"],
                     json={"name": "X", "birth_date": "2024-02-30"}).status_code == 422
    assert world.put("/auth/admin/children/child-noor", headers=who["admin"],
                     json={"name": "X"}).status_code == 400


def test_a_manager_cannot_tell_another_locations_groups_from_made_up_ones(world, who):
    """Admins learn that a group does not exist (422 `unknown_group`); a manager gets the same 404 for a group
    of another location as for one that does not exist, so group ids cannot be probed."""
    child = {"name": "X", "birth_date": "2025-01-01", "start": "2026-01-01"}
    answers = [world.post("/auth/admin/children", headers=who["other_manager"], json={**child, "group_id": group})
               for group in ("grp-rupsen", "grp-nope")]
    assert [(a.status_code, a.json["code"]) for a in answers] == [(404, "not_found")] * 2
    admin = world.post("/auth/admin/children", headers=who["admin"], json={**child, "group_id": "grp-nope"})
    assert (admin.status_code, admin.json["code"]) == (422, "unknown_group")


@pytest.mark.parametrize("body", [
    {"name": "X", "birth_date": "2025-13-01", "group_id": "grp-rupsen", "start": "2026-01-01"},
    {"name": "X", "birth_date": "2025-01-01", "group_id": "grp-rupsen", "start": "2026-02-01", "end": "2026-01-01"},
    {"name": "", "birth_date": "2025-01-01", "group_id": "grp-rupsen", "start": "2026-01-01"},
    {"name": "X", "birth_date": "2025-01-01", "group_id": "grp-nope", "start": "2026-01-01"},
    {"name": "X" * 201, "birth_date": "2025-01-01", "group_id": "grp-rupsen", "start": "2026-01-01"},
])
def test_children_with_impossible_data_are_refused_with_422(world, who, body):
    assert world.post("/auth/admin/children", headers=who["admin"], json=body).status_code == 422


@pytest.mark.parametrize("body", [
    {"name": "X", "birth_date": "2025-01-01", "group_id": "grp-rupsen"},
    {"name": "X", "birth_date": 20250101, "group_id": "grp-rupsen", "start": "2026-01-01"},
    {"name": "X", "birth_date": "2025-01-01", "group_id": "grp-rupsen", "start": "2026-01-01", "ssn": "1"},
])
def test_malformed_children_are_refused_with_400(world, who, body):
    assert world.post("/auth/admin/children", headers=who["admin"], json=body).status_code == 400


def test_a_move_ends_the_current_placement_and_guardians_follow_the_child(world, who, bus):
    moved = world.post("/auth/admin/children/child-noor/placements", headers=who["admin"],
                       json={"group_id": "grp-bijen", "start": "2026-12-01"})
    assert moved.status_code == 201 and moved.json["id"] == "2026-12-01"
    child = world.get("/auth/admin/children/child-noor", headers=who["admin"]).json
    assert [(p["group_id"], p["start"], p["end"]) for p in child["placements"]] == [
        ("grp-rupsen", "2025-09-01", "2026-11-30"), ("grp-bijen", "2026-12-01", None)]
    assert [g["name"] for g in child["guardians"]] == ["Mark de Vries", "Sanne de Vries"]
    assert bus.of_type("auth.placement.changed")[0].payload["end"] == "2026-11-30"
    assert bus.of_type("auth.child.placed")[-1].payload["group_id"] == "grp-bijen"
    # A placement starting before the latest one is a conflict; an unknown group breaks a rule.
    earlier = world.post("/auth/admin/children/child-noor/placements", headers=who["admin"],
                         json={"group_id": "grp-bijen", "start": "2026-06-01"})
    assert earlier.status_code == 409
    assert world.post("/auth/admin/children/child-noor/placements", headers=who["admin"],
                      json={"group_id": "grp-nope", "start": "2027-06-01"}).status_code == 422
    # A manager cannot move a child to another manager's location.
    away = world.post("/auth/admin/children/child-daan/placements", headers=who["manager"],
                      json={"group_id": "grp-elders", "start": "2027-01-01"})
    assert away.status_code == 404


def test_contract_dates_change_and_are_published(world, who, bus):
    path = "/auth/admin/children/child-liam/placements/2025-09-01"
    ended = world.put(path, headers=who["manager"], json={"end": "2027-06-30"})
    assert ended.status_code == 200 and ended.json["end"] == "2027-06-30"
    started = world.put(path, headers=who["manager"], json={"start": "2025-08-15", "end": "2027-06-30"})
    assert started.status_code == 200 and started.json["id"] == "2025-08-15"
    assert [(e.payload["start"], e.payload["end"], e.payload["previous_start"])
            for e in bus.of_type("auth.placement.changed")] == [("2025-09-01", "2027-06-30", "2025-09-01"),
                                                                ("2025-08-15", "2027-06-30", "2025-09-01")]
    assert world.put(path, headers=who["manager"], json={"end": None}).status_code == 404  # the id moved
    again = "/auth/admin/children/child-liam/placements/2025-08-15"
    assert world.put(again, headers=who["manager"], json={"end": "2025-08-01"}).status_code == 422
    swapped = {"start": "2025-09-01", "end": "2025-08-01"}
    assert world.put(again, headers=who["manager"], json=swapped).status_code == 422
    assert world.put(again, headers=who["manager"], json={"end": "2027-02-30"}).status_code == 422
    assert world.put(again, headers=who["manager"], json={}).status_code == 400
    assert world.put(again, headers=who["manager"], json={"end": 2027}).status_code == 400
    # A second placement from 2027-07-01: the first cannot be reopened or stretched over it.
    assert world.post("/auth/admin/children/child-liam/placements", headers=who["manager"],
                      json={"group_id": "grp-rupsen", "start": "2027-07-01"}).status_code == 201
    assert world.put(again, headers=who["manager"], json={"end": None}).status_code == 409
    assert world.put(again, headers=who["manager"], json={"end": "2027-07-01"}).status_code == 409
    child = world.get("/auth/admin/children/child-liam", headers=who["manager"]).json
    assert [(p["start"], p["end"]) for p in child["placements"]] == [("2025-08-15", "2027-06-30"),
                                                                     ("2027-07-01", None)]


def test_children_are_listed_alphabetically_in_pages_with_a_cursor_bound_to_the_caller(world, who):
    admin = demo_login_header(world, "admin@demo.ouderportaal.nl")
    first = world.get("/auth/admin/children?limit=5", headers=admin).json
    assert [c["name"] for c in first["items"]] == ["Bram de Groot", "Daan de Vries", "Eef Elders", "Finn Smit",
                                                   "Liam Jansen"]
    names = [c["name"] for c in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = world.get(f"/auth/admin/children?limit=5&cursor={cursor}", headers=admin).json
        names += [c["name"] for c in page["items"]]
        cursor = page["next_cursor"]
    assert len(names) == 13 and names == sorted(names, key=str.lower)
    # Another user cannot replay the admin's cursor; another tenant sees its own children only.
    replayed = world.get(f"/auth/admin/children?limit=5&cursor={first['next_cursor']}", headers=who["manager"])
    assert replayed.status_code == 400 and replayed.json["code"] == "invalid_cursor"
    other = world.get("/auth/admin/children", headers=who["other_tenant"]).json
    assert [c["name"] for c in other["items"]] == ["Noor Anders"]
    # Each manager lists the children of their own locations.
    elders = world.get("/auth/admin/children", headers=who["other_manager"]).json["items"]
    assert [c["id"] for c in elders] == ["child-elders"]
    assert "child-elders" not in [c["id"] for c in world.get("/auth/admin/children?limit=100",
                                                             headers=who["manager"]).json["items"]]
    assert world.get("/auth/admin/children?limit=500", headers=admin).status_code == 422
    assert world.get("/auth/admin/children?sort=name", headers=admin).status_code == 400


# The refusal matrix: every route of this file, tried by everyone who must be refused. Objects sit at
# De Zonnebloem (the other manager runs Elders); the other tenant's admin aims at the demo's own ids.
ZONNEBLOEM = {"loc": "loc-zonnebloem", "grp": "grp-vlinders", "child": "child-daan"}
DEMO_ONLY = {"loc": "loc-elders", "grp": "grp-vlinders", "child": "child-daan"}
ROUTES = [  # method, path, body, expected for parent, staff (grp-rupsen), other manager, other tenant's admin
    ("POST", "/auth/admin/locations", LOCATION, 403, 403, 403, None),
    ("GET", "/auth/admin/locations", None, 403, 403, "own", "own"),
    ("GET", "/auth/admin/locations/{loc}", None, 403, 403, 404, 404),
    ("PUT", "/auth/admin/locations/{loc}", LOCATION, 403, 403, 404, 404),
    ("POST", "/auth/admin/groups", {**GROUP, "location_id": "{loc}"}, 403, 403, 404, 404),
    ("GET", "/auth/admin/groups", None, 403, 403, "own", "own"),
    ("GET", "/auth/admin/groups?location_id={loc}", None, 403, 403, 404, "own"),
    ("GET", "/auth/admin/groups/{grp}", None, 403, 403, 404, 404),
    ("PUT", "/auth/admin/groups/{grp}", {**GROUP, "location_id": "{loc}"}, 403, 403, 404, 404),
    ("POST", "/auth/admin/children", {"name": "X", "birth_date": "2025-01-01", "group_id": "{grp}",
                                      "start": "2026-01-01"}, 403, 403, 404, 422),
    ("GET", "/auth/admin/children", None, 403, 403, "own", "own"),
    ("GET", "/auth/admin/children/{child}", None, 403, 404, 404, 404),
    ("PUT", "/auth/admin/children/{child}", {"name": "X", "birth_date": "2025-01-01"}, 403, 403, 404, 404),
    ("POST", "/auth/admin/children/{child}/placements", {"group_id": "grp-rupsen", "start": "2027-01-01"},
     403, 403, 404, 404),
    ("PUT", "/auth/admin/children/{child}/placements/2025-09-01", {"end": "2027-01-01"}, 403, 403, 404, 404),
]
ZONNEBLOEM_NAMES = ("Zonnebloem", "Vlinders", "Bijen", "Daan", "Liam")


def _fill(value, ids):
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value.format(**ids) if isinstance(value, str) else value


def test_directory_routes_refuse_parents_staff_other_locations_and_other_tenants(world, who, bus):
    published = len(bus.published)
    for method, path, body, *expected in ROUTES:
        for caller, ids, status in zip(("parent", "staff", "other_manager", "other_tenant"),
                                       (ZONNEBLOEM, ZONNEBLOEM, ZONNEBLOEM, DEMO_ONLY), expected, strict=True):
            if status is None:
                continue
            answer = world.open(_fill(path, ids), method=method, headers=who[caller], json=_fill(body, ids))
            assert answer.status_code == (200 if status == "own" else status), (method, path, caller, answer.json)
            # A list holds only the caller's own location's or tenant's objects; a refusal names nothing.
            assert not [name for name in ZONNEBLOEM_NAMES if name in answer.text], (method, path, caller)
    assert len(bus.published) == published  # no refused call changed anything
    admin = world.get("/auth/admin/children/child-daan", headers=who["admin"]).json
    assert admin["name"] == "Daan de Vries" and [p["end"] for p in admin["placements"]] == [None]


def test_signed_in_admins_and_managers_use_the_directory_with_real_tokens(world):
    admin = bearer(login(world, "admin@demo.ouderportaal.nl").json["access_token"])
    manager = bearer(login(world, "manager@demo.ouderportaal.nl").json["access_token"])
    assert world.get("/auth/admin/groups/grp-bijen", headers=manager).status_code == 200
    assert world.get("/auth/admin/groups/grp-elders", headers=manager).status_code == 404
    assert world.get("/auth/admin/groups/grp-elders", headers=admin).status_code == 200
    assert world.get("/auth/admin/children/child%23x", headers=admin).status_code == 404  # no key injection
