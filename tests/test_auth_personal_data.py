"""Auth's part of a personal-data export: `exports.personal_data.requested` → profile, children (only the
requester's own, checked), notification settings, devices and sessions as JSON in the exports drop box,
then `auth.personal_data.delivered`. Names of other people at most; no secrets."""

from __future__ import annotations

import json

import pytest

from infra.local import demo_data as d
from portal_common import clock as business_clock
from portal_common import events, ids, settings
from tests.auth_helpers import bearer, login, seed_other_tenant
from tests.test_auth_purge import requests_to_auth_only

PREFIX = "personal/demo/exp-1/"
FILES = {"profile.json", "children.json", "notification_settings.json", "devices.json", "sessions.json"}


@pytest.fixture
def bus(services, aws):
    with requests_to_auth_only(services) as recording:  # the request reaches auth only
        yield recording


@pytest.fixture
def world(world, seeded, services):
    seeded("another organisation", lambda: seed_other_tenant(services["auth"].module.directory))
    return world


def bucket() -> str:
    return settings.get_settings().bucket_name("exports", "archives")


def request_export(bus, user_id: str, child_ids: list[str], *, tenant: str = "demo", prefix: str = PREFIX,
                   export_id: str = "exp-1") -> None:
    bus.publish([events.Envelope(event_id=ids.new_id(), type="exports.personal_data.requested", version=1,
                                 tenant=tenant, occurred_at=business_clock.now(), source="exports",
                                 payload={"export_id": export_id, "user_id": user_id, "child_ids": child_ids,
                                          "language": "en", "bucket": bucket(), "prefix": prefix})])


def part(aws, prefix: str = PREFIX) -> dict[str, bytes]:
    s3 = aws["s3"]
    listed = s3.list_objects_v2(Bucket=bucket(), Prefix=f"{prefix}auth/").get("Contents", [])
    return {o["Key"].removeprefix(f"{prefix}auth/"): s3.get_object(Bucket=bucket(), Key=o["Key"])["Body"].read()
            for o in listed}


def test_a_guardian_finds_their_account_their_children_and_their_sign_ins(world, bus, aws):
    sanne_session = login(world, d.email("parent1")).json
    sanne = bearer(sanne_session["access_token"])
    mark = bearer(login(world, d.email("parent2")).json["access_token"])
    assert world.put("/auth/children/child-noor/consents", headers=mark,
                     json={"photos": True, "diary": True, "outings": True}).status_code == 200
    assert world.put("/auth/children/child-noor/consents", headers=sanne,
                     json={"photos": False, "diary": True, "outings": True}).status_code == 200
    assert world.put("/auth/me/notification-settings", headers=sanne,
                     json={"news": {"push": False, "email": True}}).status_code == 200
    device = world.post("/auth/me/devices", headers=sanne, json={"platform": "apns", "token": "apns-secret-token"})
    assert device.status_code == 201
    signed_out = login(world, d.email("parent1")).json["refresh_token"]
    assert world.post("/auth/logout", json={"refresh_token": signed_out}).status_code == 204

    request_export(bus, "user-parent1", ["child-noor", "child-daan", "child-liam", "a#b"])

    files = part(aws)
    assert set(files) == FILES
    [delivered] = bus.of_type("auth.personal_data.delivered")
    assert delivered.payload == {"export_id": "exp-1", "files": 5, "bytes": sum(map(len, files.values()))}
    profile = json.loads(files["profile.json"])
    assert profile["name"] == "Sanne de Vries" and profile["email"] == d.email("parent1")
    assert profile["role"] == "parent" and profile["language"] == "nl" and profile["status"] == "active"
    assert profile["organisation"] == d.ORGANISATION_NAME
    assert profile["account_created_at"].startswith("2026-11-24") and profile["activated_at"].startswith("2026-11-24")
    children = {c["name"]: c for c in json.loads(files["children.json"])}
    assert set(children) == {"Noor de Vries", "Daan de Vries"}  # not Liam: another family's child
    noor = children["Noor de Vries"]
    assert noor["birth_date"] == "2024-03-14"
    assert noor["placements"] == [{"group": "Rupsen", "location": d.LOCATION["name"], "start": "2025-09-01",
                                   "end": None}]
    assert noor["consents"]["photos"] is False and noor["consents"]["changed_by"] == "Sanne de Vries"
    assert [(h["photos"], h["changed_by"]) for h in noor["consent_history"]] == [
        (False, "Sanne de Vries"), (True, "Mark de Vries")]  # newest first
    assert noor["other_guardians"] == ["Mark de Vries"]
    assert noor["access_until"] is None
    assert children["Daan de Vries"]["consents"] is None
    settings_out = json.loads(files["notification_settings.json"])
    assert settings_out["news"] == {"push": False, "email": True} and settings_out["messages"]["email"] is True
    assert json.loads(files["devices.json"]) == [{"platform": "apns", "registered_at": profile["activated_at"]}]
    sessions = json.loads(files["sessions.json"])
    assert sorted(s["state"] for s in sessions) == ["signed_in", "signed_out"]
    assert [s["ended_because"] for s in sessions if s["state"] == "signed_out"] == ["logout"]
    # Nothing secret and nothing of another family: no hashes, tokens, endpoints, or Mark's address.
    everything = b"".join(files.values()).decode()
    for secret in ("argon2", "password", "apns-secret-token", device.json["id"], sanne_session["refresh_token"],
                   sanne_session["refresh_token"].split(".")[0], "current_hash", "endpoint", d.email("parent2"),
                   "user-parent2", "Liam", "Emma"):
        assert secret not in everything, secret


def test_a_staff_member_finds_their_groups_and_no_children(world, bus, aws):
    login(world, d.email("staff1"))
    request_export(bus, "user-staff1", ["child-noor"])  # not a guardian of Noor: no child data
    files = part(aws)
    profile = json.loads(files["profile.json"])
    assert profile["role"] == "staff" and profile["groups"] == ["Rupsen"] and profile["locations"] == [
        d.LOCATION["name"]]
    assert json.loads(files["children.json"]) == []


def test_an_unknown_person_or_another_tenants_id_gets_an_empty_part(world, bus, aws):
    # The other organisation has a Noor too, but no user-parent1: nothing of the demo's Sanne goes there.
    request_export(bus, "user-parent1", ["child-noor"], tenant="other", prefix="personal/other/exp-2/",
                   export_id="exp-2")
    assert part(aws, "personal/other/exp-2/") == {}
    assert bus.of_type("auth.personal_data.delivered")[0].payload == {"export_id": "exp-2", "files": 0, "bytes": 0}


def test_a_redelivered_request_writes_the_same_files_again(world, bus, aws):
    request_export(bus, "user-parent3", ["child-liam"])
    first = part(aws)
    request_export(bus, "user-parent3", ["child-liam"])
    assert part(aws) == first and len(bus.of_type("auth.personal_data.delivered")) == 2
    assert [c["name"] for c in json.loads(first["children.json"])] == ["Liam Jansen"]
