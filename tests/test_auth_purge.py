"""Retention in auth: `auth.child.retention_due` and `exports.purge.requested` delete the child's directory
data and the accounts of guardians left without children, check that nothing is left and confirm
with `auth.child.purged`; repeated, late, foreign and unknown requests are harmless.

What is left is checked twice: by the service's own check (`left`) and here, by querying the table's
keys of the child and of the guardians directly.
"""

from __future__ import annotations

from datetime import datetime

import pytest

import portal_common.contracts.auth
from infra.local import demo_data as d
from portal_common import clock as business_clock
from portal_common import events, ids, settings
from tests.auth_helpers import bearer, callers, link_token, login, run_schedule, seed_other_tenant, sent_mail
from tests.bus_helpers import bus_where

EMAIL3 = d.email("parent3")


# Retention and export requests and their confirmations: in these tests only auth receives them.
AUTH_ONLY = ("auth.child.retention_due", "exports.purge.requested", "exports.personal_data.requested",
             "auth.child.purged", "auth.personal_data.delivered")


def requests_to_auth_only(services):
    """The bus of tests/conftest.py, except that the requests reach auth only: these tests are about auth's
    part, whatever the other services (and the exports service's tracking of the purge) do with them."""
    return bus_where(services, lambda service, env: service == "auth" or env.type not in AUTH_ONLY)


@pytest.fixture
def bus(services, aws):
    with requests_to_auth_only(services) as recording:
        yield recording


@pytest.fixture
def world(world, seeded, services):
    directory = services["auth"].module.directory

    def other_organisation() -> None:
        seed_other_tenant(directory)
        # The other organisation's guardian has the demo's ids and address: another person all the same.
        directory.create_user("other", "user-parent3", email=EMAIL3, name="Emma Anders", role="parent")
        directory.link_guardian("other", "child-noor", "user-parent3")

    seeded("another organisation with its own Emma", other_organisation)
    return world




def at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T00:30").replace(tzinfo=business_clock.AMSTERDAM)


@pytest.fixture
def admin(tokens):
    return callers(tokens)["admin"]


@pytest.fixture
def job(services):
    return lambda: run_schedule(services["auth"].module.close_access_windows)


def end_contract(world, admin, child: str, end: str) -> None:
    answer = world.put(f"/auth/admin/children/{child}/placements/2025-09-01", headers=admin, json={"end": end})
    assert answer.status_code == 200


def retention_due(services, bus, child: str, guardians: list[str], tenant: str = "demo") -> None:
    auth_events = portal_common.contracts.auth
    bus.publish([events.make_event(auth_events.ChildRetentionDue(child_id=child, access_until="2027-01-22",
                                                                 guardian_ids=guardians),
                                   tenant=tenant, source="auth")])


def purge_requested(bus, child: str, guardians: list[str], services: list[str], tenant: str = "demo") -> None:
    """The exports service's re-ask, as it arrives (its payload: the retention request plus `services`)."""
    bus.publish([events.Envelope(event_id=ids.new_id(), type="exports.purge.requested", version=1, tenant=tenant,
                                 occurred_at=business_clock.now(), source="exports",
                                 payload={"child_id": child, "access_until": "2027-01-22",
                                          "guardian_ids": guardians, "services": services})])


def confirmations(bus) -> list[dict]:
    return [e.payload for e in bus.of_type("auth.child.purged")]


def rows(aws, key: str, index: str | None = None) -> list[dict]:
    """The auth table's rows under a partition key (or a gsi1 key), read straight from DynamoDB."""
    name = "gsi1pk" if index else "pk"
    query = {"TableName": settings.get_settings().table_name("auth"), "KeyConditionExpression": f"{name} = :k",
             "ExpressionAttributeValues": {":k": {"S": key}}}
    if index:
        query["IndexName"] = index
    return aws["dynamodb"].query(**query)["Items"]


def keys_of(aws, key: str, index: str | None = None) -> set[str]:
    return {r["sk"]["S"] for r in rows(aws, key, index)}


def nothing_left_of(aws, tenant: str, child: str, users: list[str], emails: list[str]) -> None:
    assert rows(aws, f"{tenant}#CHILD#{child}") == []
    for user in users:
        assert rows(aws, f"{tenant}#USER#{user}") == []
        assert rows(aws, f"{tenant}#USER#{user}", "gsi1") == []  # sessions and links to other children
    for email in emails:
        assert rows(aws, f"{tenant}#EMAIL#{email}") == []  # the claim
        assert rows(aws, f"{tenant}#EMAIL#{email}", "gsi1") == []  # the account by address


@pytest.fixture
def push(aws, monkeypatch):
    """An FCM platform application, so devices get SNS endpoints."""
    app_arn = aws["sns"].create_platform_application(
        Name="ouderportaal-fcm", Platform="GCM", Attributes={"PlatformCredential": "fake"})["PlatformApplicationArn"]
    monkeypatch.setenv("PORTAL_PUSH_APPLICATIONS", f'{{"fcm": "{app_arn}"}}')
    settings.reset_settings()
    yield lambda: aws["sns"].list_endpoints_by_platform_application(PlatformApplicationArn=app_arn)["Endpoints"]
    monkeypatch.undo()
    settings.reset_settings()


def test_the_last_childs_window_closing_removes_the_child_and_the_guardians_account_and_confirms(
        world, admin, bus, clock, job, aws, push):
    """Emma (parent3) has only Liam: 8 weeks after his contract, Liam and Emma's account are gone from auth."""
    emma = bearer(login(world, EMAIL3).json["access_token"])
    assert world.put("/auth/children/child-liam/consents", headers=emma,
                     json={"photos": True, "diary": True, "outings": False}).status_code == 200
    assert world.put("/auth/me/notification-settings", headers=emma,
                     json={"photos": {"push": False, "email": False}}).status_code == 200
    for token in ("fcm-token-one", "fcm-token-two"):
        assert world.post("/auth/me/devices", headers=emma, json={"platform": "fcm", "token": token}).status_code == 201
    gone_already = push()[0]["EndpointArn"]
    aws["sns"].delete_endpoint(EndpointArn=gone_already)  # e.g. the push service dropped an uninstalled app
    end_contract(world, admin, "child-liam", "2026-11-27")
    clock.set(at("2027-01-23"))
    # Just before the job: Emma, with no child left to see, still signs in on two devices and asks for a reset.
    first = login(world, EMAIL3).json
    second = login(world, EMAIL3).json
    rotated = world.post("/auth/refresh", json={"refresh_token": second["refresh_token"]}).json["refresh_token"]
    assert world.post("/auth/password/forgot", json={"organisation": d.DOMAIN, "email": EMAIL3}).status_code == 202
    reset_link = link_token(sent_mail()[-1].body, "reset")
    published_before = len(bus.published)

    assert job() == 1

    [due] = bus.of_type("auth.child.retention_due")
    assert due.payload["guardian_ids"] == ["user-parent3"]
    [confirmed] = confirmations(bus)
    assert confirmed["child_id"] == "child-liam" and confirmed["access_until"] == "2027-01-22"
    assert confirmed["left"] == 0 and confirmed["kept"] == []
    deleted = confirmed["deleted"]
    assert {k: deleted[k] for k in ("child", "placements", "links", "consents", "users", "email_claims",
                                    "notification_settings", "devices", "access_end")} == {
        "child": 1, "placements": 1, "links": 1, "consents": 2, "users": 1, "email_claims": 1,
        "notification_settings": 1, "devices": 2, "access_end": 1}
    assert deleted["sessions"] == 3  # the three sign-ins above
    # The reset link and the rotated refresh token (the demo's activation link went when it set the password).
    assert deleted["tokens"] == 2
    nothing_left_of(aws, "demo", "child-liam", ["user-parent3"], [EMAIL3])
    assert push() == []  # the other endpoint was deleted; the one already gone did no harm
    # The purge tells nobody about directory changes: every service purges its own copies on the same request.
    by_auth = {e.type for e in bus.published[published_before:] if e.source == "auth"}
    assert by_auth == {"auth.guardian.access_ended", "auth.child.retention_due", "auth.child.purged"}
    # Emma's last access token lives a few minutes more: it reaches nothing, and nothing else works.
    emma = bearer(first["access_token"])
    assert world.get("/auth/me", headers=emma).status_code == 401
    assert world.put("/auth/me/notification-settings", headers=emma,
                     json={"news": {"push": False, "email": False}}).status_code == 401
    assert world.post("/auth/me/devices", headers=emma, json={"platform": "fcm", "token": "fcm-token-3"}
                      ).status_code == 401
    assert rows(aws, "demo#USER#user-parent3") == []  # and wrote nothing
    for refresh in (first["refresh_token"], second["refresh_token"], rotated):
        assert world.post("/auth/refresh", json={"refresh_token": refresh}).status_code == 401
    assert login(world, EMAIL3).status_code == 401
    # The reset link's row went with the account (found through the account's index): refused cleanly.
    answer = world.post("/auth/password/reset", json={"token": reset_link, "password": "een-nieuw-wachtwoord-42"})
    assert answer.status_code == 422 and answer.json["code"] == "invalid_link"
    # Liam's classmate Bram, his mother, and the other organisation's Emma with the same ids are untouched.
    assert keys_of(aws, "demo#CHILD#child-bram") >= {"CHILD", "GUARDIAN#user-parent12"}
    assert world.get("/auth/me", headers=bearer(login(world, d.email("parent12")).json["access_token"])
                     ).json["children"][0]["id"] == "child-bram"
    assert keys_of(aws, "other#USER#user-parent3") == {"USER"}
    assert keys_of(aws, f"other#EMAIL#{EMAIL3}") == {"CLAIM"}
    assert keys_of(aws, "other#CHILD#child-noor") >= {"CHILD", "GUARDIAN#user-parent3"}


def test_a_link_issued_before_token_rows_were_indexed_is_refused_after_the_purge(world, admin, clock, job, services):
    """Such a row is found by its hash only, so the purge cannot find it; it expires by TTL, and until then the
    link of an account that no longer exists is refused like a used one."""
    lib = services["auth"].lib
    end_contract(world, admin, "child-liam", "2026-11-27")
    clock.set(at("2027-01-23"))
    assert job() == 1
    link = "an-old-reset-link-from-an-e-mail-0123456789"
    valid_for_an_hour = int(business_clock.utcnow().timestamp()) + 3600
    lib.store.OneTimeTokenItem(f"_ONETIME#{lib.tokens_store.digest(link)}", "_", kind="reset", tenant="demo",
                               user_id="user-parent3", expires_at=valid_for_an_hour).save()
    answer = world.post("/auth/password/reset", json={"token": link, "password": "een-nieuw-wachtwoord-42"})
    assert answer.status_code == 422 and answer.json["code"] == "invalid_link"


def test_a_repeated_request_finds_nothing_more_and_confirms_again(world, admin, bus, clock, job, aws, services):
    end_contract(world, admin, "child-liam", "2026-11-27")
    clock.set(at("2027-01-23"))
    assert job() == 1
    [due] = bus.of_type("auth.child.retention_due")
    bus.publish([due])  # the same event delivered again: the inbox has it already
    assert len(confirmations(bus)) == 1
    retention_due(services, bus, "child-liam", ["user-parent3"])  # another copy of the request
    purge_requested(bus, "child-liam", ["user-parent3"], ["auth", "timeline"])  # the exports service re-asks
    first, second, third = confirmations(bus)
    assert first["deleted"]["child"] == 1
    for again in (second, third):
        assert again["left"] == 0 and set(again["deleted"].values()) == {0}
    nothing_left_of(aws, "demo", "child-liam", ["user-parent3"], [EMAIL3])


def test_a_re_ask_naming_other_services_only_does_nothing(world, bus, aws):
    purge_requested(bus, "child-noor", ["user-parent1"], ["timeline", "messaging"])
    assert confirmations(bus) == []
    assert "CHILD" in keys_of(aws, "demo#CHILD#child-noor") and "USER" in keys_of(aws, "demo#USER#user-parent1")


def test_a_child_auth_never_heard_of_is_confirmed_and_nothing_else_changes(world, bus, aws, services):
    before = keys_of(aws, "demo#CHILD#child-noor")
    purge_requested(bus, "child-unknown", ["user-nobody", "a#b"], ["auth"])
    retention_due(services, bus, "child-noor", [], tenant="third")  # the same id in an organisation without it
    assert [(c["child_id"], c["left"], set(c["deleted"].values())) for c in confirmations(bus)] == [
        ("child-unknown", 0, {0}), ("child-noor", 0, {0})]
    assert keys_of(aws, "demo#CHILD#child-noor") == before and "CHILD" in keys_of(aws, "other#CHILD#child-noor")


def test_a_guardian_with_a_sibling_in_care_keeps_the_account_and_the_sibling(world, admin, bus, clock, job, aws,
                                                                             services):
    sanne = bearer(login(world, d.email("parent1")).json["access_token"])
    assert world.put("/auth/children/child-noor/consents", headers=sanne,
                     json={"photos": True, "diary": False, "outings": True}).status_code == 200
    end_contract(world, admin, "child-noor", "2026-11-27")
    clock.set(at("2027-01-23"))
    assert job() == 1
    assert bus.of_type("auth.child.retention_due")[0].payload["guardian_ids"] == []
    [confirmed] = confirmations(bus)
    assert confirmed["left"] == 0 and confirmed["deleted"]["links"] == 2 and confirmed["deleted"]["users"] == 0
    assert rows(aws, "demo#CHILD#child-noor") == []
    assert keys_of(aws, "demo#CHILD#child-daan") >= {"CHILD", "GUARDIAN#user-parent1", "GUARDIAN#user-parent2"}
    sanne = bearer(login(world, d.email("parent1")).json["access_token"])  # weeks later: a fresh sign-in
    me = world.get("/auth/me", headers=sanne)
    assert me.status_code == 200 and [c["id"] for c in me.json["children"]] == ["child-daan"]
    # A request that names them anyway (Daan is still in care) leaves their accounts alone;
    # so does one naming a staff member's account.
    purge_requested(bus, "child-noor", ["user-parent1", "user-parent2", "user-staff1"], ["auth"])
    assert confirmations(bus)[-1]["deleted"]["users"] == 0
    for user in ("user-parent1", "user-parent2", "user-staff1"):
        assert "USER" in keys_of(aws, f"demo#USER#{user}")
    assert world.get("/auth/me", headers=sanne).status_code == 200
    # The other organisation's Noor is another child.
    assert "CHILD" in keys_of(aws, "other#CHILD#child-noor")


def test_siblings_closing_in_one_run_name_their_guardians_in_both_events(world, admin, bus, clock, job, aws):
    for child in ("child-noor", "child-daan"):
        end_contract(world, admin, child, "2026-11-27")
    clock.set(at("2027-01-23"))
    assert job() == 2
    due = {e.payload["child_id"]: e.payload["guardian_ids"] for e in bus.of_type("auth.child.retention_due")}
    assert due == {"child-noor": ["user-parent1", "user-parent2"], "child-daan": ["user-parent1", "user-parent2"]}
    ended = sorted((e.payload["child_id"], e.payload["user_id"]) for e in bus.of_type("auth.guardian.access_ended"))
    assert ended == [("child-daan", "user-parent1"), ("child-daan", "user-parent2"),
                     ("child-noor", "user-parent1"), ("child-noor", "user-parent2")]
    assert [c["left"] for c in confirmations(bus)] == [0, 0]
    assert sum(c["deleted"]["users"] for c in confirmations(bus)) == 2
    for child in ("child-noor", "child-daan"):
        nothing_left_of(aws, "demo", child, ["user-parent1", "user-parent2"],
                        [d.email("parent1"), d.email("parent2")])
    assert "CHILD" in keys_of(aws, "demo#CHILD#child-yara")  # their classmate


def test_a_late_contract_event_after_the_purge_brings_nothing_back(world, admin, bus, clock, job, aws, services):
    end_contract(world, admin, "child-liam", "2026-11-27")
    clock.set(at("2027-01-23"))
    assert job() == 1
    consume = services["auth"].app.event_handlers["planning.contract.changed"]
    consume(events.Envelope(event_id=ids.new_id(), type="planning.contract.changed", version=1, tenant="demo",
                            occurred_at=business_clock.now(), source="planning",
                            payload={"contract_id": "contract-liam", "child_id": "child-liam", "start": "2025-09-01",
                                     "end": "2026-11-27"}))
    assert rows(aws, "demo#CHILD#child-liam") == []
    clock.set(at("2027-02-01"))
    assert job() == 0 and len(bus.of_type("auth.child.retention_due")) == 1


def test_before_the_purge_arrives_the_same_end_again_keeps_the_window_closed(world, admin, bus, clock, job,
                                                                             tokens):
    """Between closing and purging (events in flight), writing the same end does not reopen the window."""
    end_contract(world, admin, "child-liam", "2026-11-27")
    clock.set(at("2027-01-23"))
    in_flight = events.RecordingBus()  # published, not yet delivered to anyone
    previous = events.set_bus(in_flight)
    try:
        assert job() == 1
        end_contract(world, callers(tokens)["admin"], "child-liam", "2026-11-27")
        assert job() == 0
    finally:
        events.set_bus(previous)
    assert [e.type for e in in_flight.of_type("auth.child.retention_due")] == ["auth.child.retention_due"]
