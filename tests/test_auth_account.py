"""Consents, notification settings and devices through HTTP, with the cross-family and cross-tenant refusals."""

from __future__ import annotations

import pytest

from tests.auth_helpers import callers, demo_login_header, seed_other_tenant, seed_second_location

ALL_ON = {"photos": True, "diary": True, "outings": False}


@pytest.fixture
def world(world, seeded, services):
    directory = services["auth"].module.directory
    seeded("another organisation and a second location",
           lambda: (seed_other_tenant(directory), seed_second_location(directory)))
    return world


def test_a_guardian_gives_consents_history_is_kept_and_the_change_is_published(world, bus, clock):
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    before = world.get("/auth/me", headers=parent).json
    assert {c["id"]: c["consents_needed"] for c in before["children"]} == {"child-noor": True, "child-daan": True}
    first = world.put("/auth/children/child-noor/consents", headers=parent, json=ALL_ON)
    assert first.status_code == 200 and first.json["photos"] is True and first.json["outings"] is False
    withdrawn = world.put("/auth/children/child-noor/consents", headers=parent,
                          json={"photos": False, "diary": True, "outings": False})
    assert withdrawn.json["photos"] is False
    assert [h["photos"] for h in withdrawn.json["history"]] == [False, True]  # newest first
    assert withdrawn.json["history"][0]["changed_by"] == "user-parent1"
    changes = bus.of_type("auth.consents.changed")
    assert [(e.payload["child_id"], e.payload["photos"]) for e in changes] == [("child-noor", True),
                                                                              ("child-noor", False)]
    changed_at = withdrawn.json["history"][0]["changed_at"]
    assert changes[1].payload == {"child_id": "child-noor", "photos": False, "diary": True, "outings": False,
                                  "changed_by": "user-parent1", "changed_at": changed_at}
    assert changes[1].tenant == "demo"
    me = world.get("/auth/me", headers=parent).json
    noor = next(c for c in me["children"] if c["id"] == "child-noor")
    assert noor["consents"] == {"photos": False, "diary": True, "outings": False}
    assert noor["consents_needed"] is False
    assert next(c for c in me["children"] if c["id"] == "child-daan")["consents_needed"] is True


def test_the_partner_sees_the_consents_and_staff_of_the_group_can_read_them(world):
    world.put("/auth/children/child-noor/consents", headers=demo_login_header(world, "parent1@demo.ouderportaal.nl"),
              json=ALL_ON)
    for login_email in ("parent2@demo.ouderportaal.nl", "staff1@demo.ouderportaal.nl", "manager@demo.ouderportaal.nl",
                        "admin@demo.ouderportaal.nl"):
        answer = world.get("/auth/children/child-noor/consents", headers=demo_login_header(world, login_email))
        assert answer.status_code == 200 and answer.json["photos"] is True, login_email


def test_consent_routes_refuse_other_families_other_groups_and_other_tenants(world, tokens, bus):
    other_family = demo_login_header(world, "parent4@demo.ouderportaal.nl")
    other_group_staff = demo_login_header(world, "staff2@demo.ouderportaal.nl")
    other_manager = callers(tokens)["other_manager"]
    other_tenant_parent = tokens.header(tenant="other", user_id="user-x", role="parent", children=("child-noor",))
    other_tenant_admin = tokens.header(tenant="other", user_id="user-y", role="admin")
    for headers in (other_family, other_group_staff, other_manager):
        assert world.get("/auth/children/child-noor/consents", headers=headers).status_code == 404
    assert world.put("/auth/children/child-noor/consents", headers=other_manager, json=ALL_ON).status_code == 403
    for role in ("manager", "admin"):  # they read consents, only guardians give them
        assert world.put("/auth/children/child-noor/consents", headers=callers(tokens)[role],
                         json=ALL_ON).status_code == 403
    assert world.get("/auth/children/child%23noor/consents", headers=other_family).status_code == 404
    for headers in (other_tenant_parent, other_tenant_admin):  # the other tenant has no Daan
        assert world.get("/auth/children/child-daan/consents", headers=headers).status_code == 404
    # Parent 4 cannot give consent for Noor; staff may read but never set consents.
    assert world.put("/auth/children/child-noor/consents", headers=other_family, json=ALL_ON).status_code == 404
    staff = demo_login_header(world, "staff1@demo.ouderportaal.nl")
    assert world.put("/auth/children/child-noor/consents", headers=staff, json=ALL_ON).status_code == 403
    # A parent of the other tenant's "child-noor" cannot reach the demo tenant's Noor.
    assert world.put("/auth/children/child-noor/consents", headers=other_tenant_parent, json=ALL_ON).json[
        "photos"] is True
    parent1 = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    own = world.get("/auth/children/child-noor/consents", headers=parent1)
    assert own.json["photos"] is None  # untouched in the demo tenant
    assert [e.tenant for e in bus.of_type("auth.consents.changed")] == ["other"]


@pytest.mark.parametrize("body, status", [
    ({"photos": True, "diary": True}, 400),
    ({"photos": "yes", "diary": True, "outings": True}, 400),
    ({"photos": True, "diary": True, "outings": True, "video": True}, 400),
])
def test_malformed_consents_are_refused_and_nothing_changes(world, body, status):
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    assert world.put("/auth/children/child-noor/consents", headers=parent, json=body).status_code == status
    assert world.get("/auth/children/child-noor/consents", headers=parent).json["history"] == []


def test_notification_settings_have_defaults_and_change_per_type_and_channel(world, bus, tokens):
    parent = demo_login_header(world, "parent3@demo.ouderportaal.nl")
    defaults = world.get("/auth/me/notification-settings", headers=parent).json["settings"]
    assert defaults["photos"] == {"push": True, "email": False}
    assert defaults["messages"] == {"push": True, "email": True}
    changed = world.put("/auth/me/notification-settings", headers=parent,
                        json={"photos": {"push": False, "email": False}, "news": {"push": True, "email": True}})
    assert changed.status_code == 200
    again = world.get("/auth/me/notification-settings", headers=parent).json["settings"]
    assert again["photos"] == {"push": False, "email": False} and again["news"]["email"] is True
    assert again["messages"] == defaults["messages"]  # left out: unchanged
    [event] = bus.of_type("auth.notification_settings.changed")
    assert event.payload["user_id"] == "user-parent3" and event.payload["settings"]["photos"]["push"] is False
    # Each user has their own settings.
    other = demo_login_header(world, "parent4@demo.ouderportaal.nl")
    assert world.get("/auth/me/notification-settings", headers=other).json["settings"] == defaults
    # The same user id in another tenant is another person.
    other_tenant = tokens.header(tenant="other", user_id="user-parent3", role="parent")
    assert world.get("/auth/me/notification-settings", headers=other_tenant).json["settings"] == defaults


@pytest.mark.parametrize("body", [{"sms": {"push": True, "email": True}}, {"photos": {"push": True}},
                                  {"photos": {"push": True, "email": True, "fax": True}}, {"photos": True}])
def test_unknown_types_or_channels_are_refused(world, body):
    parent = demo_login_header(world, "parent3@demo.ouderportaal.nl")
    assert world.put("/auth/me/notification-settings", headers=parent, json=body).status_code == 400


def test_devices_are_registered_and_removed_only_by_their_owner(world, bus, tokens):
    parent = demo_login_header(world, "parent5@demo.ouderportaal.nl")
    created = world.post("/auth/me/devices", headers=parent, json={"platform": "fcm", "token": "device-token-123"})
    assert created.status_code == 201
    device_id = created.json["id"]
    [event] = bus.of_type("auth.device.registered")
    assert event.payload["user_id"] == "user-parent5" and event.payload["token"] == "device-token-123"
    # The app registers at every start: the same token stays one device.
    again = world.post("/auth/me/devices", headers=parent, json={"platform": "fcm", "token": "device-token-123"})
    assert again.status_code == 201 and again.json["id"] == device_id
    other = demo_login_header(world, "parent6@demo.ouderportaal.nl")
    other_tenant = tokens.header(tenant="other", user_id="user-parent5", role="parent")
    assert world.delete(f"/auth/me/devices/{device_id}", headers=other).status_code == 404
    assert world.delete(f"/auth/me/devices/{device_id}", headers=other_tenant).status_code == 404
    assert bus.of_type("auth.device.removed") == []
    assert world.delete(f"/auth/me/devices/{device_id}", headers=parent).status_code == 204
    assert world.delete(f"/auth/me/devices/{device_id}", headers=parent).status_code == 404
    assert world.delete("/auth/me/devices/a%23b", headers=parent).status_code == 404
    [removed] = bus.of_type("auth.device.removed")
    assert removed.payload == {"user_id": "user-parent5", "device_id": device_id, "endpoint_arn": None}


@pytest.mark.parametrize("body, status", [
    ({"platform": "sms", "token": "x" * 10}, 400),
    ({"platform": "fcm"}, 400),
    ({"platform": "fcm", "token": 12345678}, 400),
    ({"platform": "fcm", "token": "x" * 10, "name": "my phone"}, 400),
    ({"platform": "fcm", "token": "short"}, 422),
    ({"platform": "fcm", "token": "x" * 4097}, 422),
    ({"platform": "apns", "token": "has spaces in it"}, 422),
])
def test_impossible_devices_are_refused(world, tokens, body, status):
    headers = tokens.header(role="staff", user_id="user-staff1", groups=("grp-rupsen",))
    assert world.post("/auth/me/devices", headers=headers, json=body).status_code == status


def test_with_a_push_application_configured_a_device_gets_an_sns_platform_endpoint(world, aws, monkeypatch):
    from portal_common import settings

    app_arn = aws["sns"].create_platform_application(
        Name="ouderportaal-fcm", Platform="GCM", Attributes={"PlatformCredential": "fake"})["PlatformApplicationArn"]
    monkeypatch.setenv("PORTAL_PUSH_APPLICATIONS", f'{{"fcm": "{app_arn}"}}')
    settings.reset_settings()
    try:
        parent = demo_login_header(world, "parent7@demo.ouderportaal.nl")
        created = world.post("/auth/me/devices", headers=parent, json={"platform": "fcm", "token": "fcm-token-abc"})
        assert created.status_code == 201
        endpoints = aws["sns"].list_endpoints_by_platform_application(PlatformApplicationArn=app_arn)["Endpoints"]
        assert [e["Attributes"]["Token"] for e in endpoints] == ["fcm-token-abc"]
        # No application for APNs: the device is kept without an endpoint.
        apns = world.post("/auth/me/devices", headers=parent, json={"platform": "apns", "token": "apns-token-123"})
        assert apns.status_code == 201
    finally:
        monkeypatch.undo()
        settings.reset_settings()
