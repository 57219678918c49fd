"""The messaging service's part of the retention purge: "auth.child.retention_due" and its re-ask
"exports.purge.requested" take every conversation of the child (with every group it was in), their
messages, read markers, counters, attachments (rows and files) and pending notifications, and messaging's
copies of the child; the removed guardians' data goes with them. Then messaging checks, from the child's
and the guardians' own keys, that nothing is left, and confirms with `messaging.child.purged`.

Events go to messaging alone, as its queue would hand them over (the confirmation is caught, not passed
on). Demo: Sanne (parent1) and Mark (parent2) are Noor's (Rupsen) and Daan's (Vlinders) parents; Fatima
(parent4) is Yara's (Rupsen), Ahmed (parent7) Zeynep's (Rupsen). Ilse (staff1) works in Rupsen, Joost
(staff2) in Vlinders, Priya (staff3) in Bijen. The clock stands on Tuesday 24 November 2026, 09:00.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from portal_common import consumer, ids, settings
from portal_common.events import Envelope
from tests.auth_helpers import demo_login_header, seed_other_tenant
from tests.bus_helpers import bus_where, nobody
from tests.test_messaging_attachments import stored_keys, upload

CONVERSATIONS = "/messaging/conversations"
CONFIRMED = "messaging.child.purged"
ENDPOINT = "arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/portal-fcm/fatima-phone"


def login(world, who: str) -> dict[str, str]:
    return demo_login_header(world, f"{who}@demo.ouderportaal.nl")


def event(clock, kind: str, payload: dict[str, Any], tenant: str = "demo") -> Envelope:
    return Envelope(event_id=ids.new_id(), type=kind, version=1, tenant=tenant, occurred_at=clock.now(),
                    source=kind.split(".")[0], payload=payload)


def retention_due(clock, child_id: str, guardian_ids=(), tenant="demo") -> Envelope:
    return event(clock, "auth.child.retention_due", {"child_id": child_id, "access_until": "2026-11-23",
                                                     "guardian_ids": list(guardian_ids)}, tenant)


def purge_requested(clock, child_id: str, named=("timeline", "messaging"), guardian_ids=()) -> Envelope:
    return event(clock, "exports.purge.requested", {"child_id": child_id, "access_until": "2026-11-23",
                                                    "guardian_ids": list(guardian_ids), "services": list(named),
                                                    "round": 2})


def deliver(services, env: Envelope) -> list[Envelope]:
    """Hand one event to messaging alone; the confirmations it published."""
    app = services["messaging"].app
    with bus_where(services, nobody) as quiet:
        assert consumer.handle_one(app.inbox, env, app.event_handlers)
    return quiet.of_type(CONFIRMED)


def post(world, headers, path, body) -> dict[str, Any]:
    """A new conversation (the first message about a child to a group) or a message in one: both 201."""
    answer = world.post(path, headers=headers, json=body)
    assert answer.status_code == 201, answer.json
    return answer.json


def unread(world, headers) -> tuple[int, int]:
    answer = world.get("/messaging/unread", headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json["total"], answer.json["conversations"]


def inbox(world, headers, query="") -> list[dict[str, Any]]:
    answer = world.get(f"{CONVERSATIONS}{query}", headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json["items"]


def rows(services, pk: str) -> list[str]:
    store = services["messaging"].lib.store
    return [r.sk for r in store.MessagingItem.query(pk, consistent_read=True)]


def indexed(services, index: str, pk: str) -> list[Any]:
    return list(getattr(services["messaging"].lib.store.MessagingItem, index).query(pk))


def pending(services, user_id: str) -> list[Any]:
    ns = services["messaging"].lib.notifications.store
    return list(ns.PendingItem.query(ns.user_pk("demo", user_id), ns.PendingItem.sk.startswith("PENDING#")))


def subjects(services, *user_ids: str) -> set[str]:
    return {r.subject for u in user_ids for r in pending(services, u)}


def other_tenants_conversation(services) -> str:
    """A conversation about the other organisation's Noor (same ids as the demo's), started by its staff."""
    m = services["messaging"].lib
    seed_other_tenant(services["auth"].module.directory)
    caller = m.conversations.rules.Caller("user-staff1", "staff", "Andere Ilse", "G#grp-rupsen")
    conv, _message, created = m.conversations.sending.start(services["messaging"].module.outbox, "other", caller,
                                                    child_id="child-noor", group_id="grp-rupsen",
                                                    location_id="loc-zonnebloem", text="Hallo", attachment_ids=[])
    assert created
    return str(conv.conversation_id)


def test_a_childs_purge_takes_its_conversations_counters_files_and_copies_and_nothing_else(
        world, parent, staff, services, clock):
    m = services["messaging"].lib
    other = other_tenants_conversation(services)
    letter = upload(world, parent, file_name="huisarts.pdf")
    rupsen = post(world, parent, CONVERSATIONS, {"child_id": "child-noor", "text": "Noor is moe.",
                                                 "attachment_ids": [letter]})["id"]
    post(world, staff, f"{CONVERSATIONS}/{rupsen}/messages", {"text": "Dank u, we letten op haar."})
    mark = login(world, "parent2")
    assert world.post(f"{CONVERSATIONS}/{rupsen}/read", headers=mark).status_code == 204
    # Her brother Daan, in Vlinders, with a letter of his own; Joost answers.
    daan_letter = upload(world, parent, file_name="daan.pdf")
    daan = post(world, parent, CONVERSATIONS, {"child_id": "child-daan", "text": "Daan heeft een afspraak.",
                                               "attachment_ids": [daan_letter]})["id"]
    post(world, login(world, "staff2"), f"{CONVERSATIONS}/{daan}/messages", {"text": "Prima."})
    # Yara, a classmate in Rupsen: her mother writes to Ilse.
    yara = post(world, login(world, "parent4"), CONVERSATIONS, {"child_id": "child-yara", "text": "Om 15:00."})["id"]
    # Noor moves to Bijen: a second conversation, with her new group.
    moved = world.post("/auth/admin/children/child-noor/placements", headers=login(world, "admin"),
                       json={"group_id": "grp-bijen", "start": "2026-11-25"})
    assert moved.status_code == 201, moved.json
    clock.advance(timedelta(days=1))
    people = {who: login(world, login_name) for who, login_name in (
        ("sanne", "parent1"), ("mark", "parent2"), ("ilse", "staff1"), ("joost", "staff2"), ("priya", "staff3"))}
    bijen = post(world, people["sanne"], CONVERSATIONS, {"child_id": "child-noor", "text": "Eerste dag!"})["id"]
    assert {who: unread(world, h) for who, h in people.items()} == {
        "sanne": (2, 2), "mark": (3, 2), "ilse": (2, 2), "joost": (1, 1), "priya": (1, 1)}
    assert {f"conv:{rupsen}", f"conv:{bijen}"} <= subjects(services, "user-parent2", "user-staff1", "user-staff3")
    assert f"conv:{daan}" in subjects(services, "user-staff2") and f"conv:{yara}" in subjects(services, "user-staff1")

    [confirmed] = deliver(services, retention_due(clock, "child-noor"))
    p = confirmed.payload
    assert (p["child_id"], p["access_until"], p["left"], p["kept"]) == ("child-noor", "2026-11-23", 0, [])
    assert confirmed.tenant == "demo" and confirmed.source == "messaging"
    deleted = p["deleted"]
    assert {k: deleted[k] for k in ("conversations", "messages", "read_markers", "attachments", "attachment_files",
                                    "unread_counters", "directory_rows", "guardian_rows")} == {
        "conversations": 2, "messages": 3, "read_markers": 1, "attachments": 1, "attachment_files": 1,
        "unread_counters": 5, "directory_rows": 6, "guardian_rows": 2}
    assert deleted["notifications"] >= 3

    # Every total is what it would be without Noor's conversations; the sibling's and classmate's stay.
    after = {who: unread(world, h) for who, h in people.items()}
    assert after == {"sanne": (1, 1), "mark": (2, 1), "ilse": (1, 1), "joost": (1, 1), "priya": (0, 0)}
    for who in ("sanne", "mark", "ilse"):  # the totals agree with the counters of what is left
        assert sum(i["unread_count"] for i in inbox(world, people[who])) == after[who][0], who
    assert [i["id"] for i in inbox(world, people["sanne"])] == [daan]
    assert [i["id"] for i in inbox(world, people["ilse"])] == [yara]
    assert [i["id"] for i in inbox(world, people["ilse"], "?unread=true")] == [yara]
    assert inbox(world, people["priya"]) == [] and inbox(world, people["priya"], "?unread=true") == []
    for conv in (rupsen, bijen):
        assert world.get(f"{CONVERSATIONS}/{conv}", headers=people["sanne"]).status_code == 404
    daan_messages = world.get(f"{CONVERSATIONS}/{daan}/messages", headers=people["sanne"]).json["items"]
    assert [len(x["attachments"]) for x in daan_messages] == [0, 1]
    assert world.get(f"/messaging/attachments/{daan_letter}", headers=people["sanne"]).status_code == 200
    assert world.get(f"/messaging/attachments/{letter}", headers=people["sanne"]).status_code == 404

    # Straight from the table and the bucket, by the child's keys: nothing of Noor.
    assert rows(services, "demo#CHILD#child-noor") == []
    assert indexed(services, "gsi2", "demo#CHILDCONV#child-noor") == []
    for conv in (rupsen, bijen):
        assert rows(services, f"demo#CONV#{conv}") == [] and indexed(services, "gsi2", f"demo#CONVUNREAD#{conv}") == []
    assert m.attachments.store.get("demo", letter) is None
    assert not [k for k in stored_keys(services) if letter in k]
    assert f"demo/{daan_letter}" in stored_keys(services)
    everyone = ("user-parent1", "user-parent2", "user-staff1", "user-staff2", "user-staff3")
    assert not {f"conv:{rupsen}", f"conv:{bijen}", "child:child-noor"} & subjects(services, *everyone)
    assert f"conv:{daan}" in subjects(services, "user-staff2") and f"conv:{yara}" in subjects(services, "user-staff1")
    assert rows(services, "demo#USER#user-parent1") == ["GUARDIAN#child-daan"]
    assert "FAMILY" in rows(services, "demo#CHILD#child-daan") and len(rows(services, f"demo#CONV#{daan}")) == 3
    # The other organisation's Noor (same ids) keeps everything.
    assert m.conversations.store.get("other", other) is not None
    assert m.directory_copy.child_name("other", "child-noor") == "Noor Anders"

    # The same event again is swallowed; a re-ask finds nothing, deletes nothing and confirms again.
    again = retention_due(clock, "child-noor")
    assert len(deliver(services, again)) == 1 and deliver(services, again) == []
    [reasked] = deliver(services, purge_requested(clock, "child-noor"))
    assert (reasked.payload["left"], reasked.payload["deleted"]) == (0, {})
    # A re-ask naming other services only is not messaging's.
    assert deliver(services, purge_requested(clock, "child-noor", named=("timeline",))) == []
    assert {who: unread(world, h) for who, h in people.items()} == after


def test_a_purge_of_a_child_never_heard_of_or_heard_of_late_is_harmless_and_confirms(aws, services, clock):
    m = services["messaging"].lib
    [confirmed] = deliver(services, retention_due(clock, "child-nobody"))
    assert (confirmed.payload["deleted"], confirmed.payload["left"]) == ({}, 0)
    # Out of order: the child's placement and family arrive after the purge; the re-ask takes them.
    placed = {"child_id": "child-late", "child_name": "Laat Kind", "birth_date": "2024-01-01",
              "group_id": "grp-rupsen", "location_id": "loc-zonnebloem", "start": "2025-09-01", "end": "2026-09-30"}
    linked = {"child_id": "child-late", "user_id": "user-late", "user_name": "Laat Ouder"}
    for kind, payload in (("auth.child.placed", placed), ("auth.guardian.linked", linked)):
        assert deliver(services, event(clock, kind, payload)) == []
    assert m.directory_copy.child_name("demo", "child-late") == "Laat Kind"
    [reasked] = deliver(services, purge_requested(clock, "child-late", named=("messaging",)))
    assert reasked.payload["left"] == 0
    assert reasked.payload["deleted"] == {"directory_rows": 3, "guardian_rows": 1}
    assert rows(services, "demo#CHILD#child-late") == [] and rows(services, "demo#USER#user-late") == []
    [again] = deliver(services, purge_requested(clock, "child-late", named=("messaging",)))
    assert (again.payload["deleted"], again.payload["left"]) == ({}, 0)


def _scan_texts(aws) -> list[str]:
    """Every item of messaging's table as text (a Scan: the test looks everywhere, the service never does)."""
    table = settings.get_settings().table_name("messaging", "main")
    found: list[str] = []
    for page in aws["dynamodb"].get_paginator("scan").paginate(TableName=table):
        found += [str(item) for item in page["Items"]]
    return found


def test_a_removed_guardians_data_goes_and_their_message_that_stays_loses_their_name(
        world, staff, services, clock, tokens, aws):
    m = services["messaging"].lib
    to_messaging = [("auth.device.registered", {"user_id": "user-parent4", "device_id": "dev-1", "platform": "fcm",
                                                "token": "fatima-push-token", "endpoint_arn": ENDPOINT}),
                    ("auth.notification_settings.changed", {"user_id": "user-parent4",
                                                            "settings": {"news": {"push": False, "email": False}}}),
                    ("auth.guardian.linked", {"child_id": "child-zeynep", "user_id": "user-parent4",
                                              "user_name": "Fatima El Amrani"})]
    for kind, payload in to_messaging:
        deliver(services, event(clock, kind, payload))
    fatima = tokens.header(user_id="user-parent4", children=("child-yara", "child-zeynep"), groups=("grp-rupsen",),
                           locations=("loc-zonnebloem",))
    yara = post(world, fatima, CONVERSATIONS, {"child_id": "child-yara", "text": "Om 15:00."})["id"]
    post(world, staff, f"{CONVERSATIONS}/{yara}/messages", {"text": "Goed."})
    assert world.post(f"{CONVERSATIONS}/{yara}/read", headers=fatima).status_code == 204
    # Fatima was Zeynep's guardian for a while too (a step-parent): she wrote there, then was unlinked.
    zeynep = post(world, fatima, CONVERSATIONS, {"child_id": "child-zeynep", "text": "Ik haal haar vandaag op."})["id"]
    assert world.post(f"{CONVERSATIONS}/{zeynep}/read", headers=fatima).status_code == 204
    deliver(services, event(clock, "auth.guardian.unlinked", {"child_id": "child-zeynep", "user_id": "user-parent4"}))
    ahmed_pending = [r for r in pending(services, "user-parent7") if r.subject == f"conv:{zeynep}"]
    assert [r.facts["sender"] for r in ahmed_pending] == ["Fatima El Amrani"]
    assert unread(world, staff) == (2, 2)
    assert any("Fatima" in text for text in _scan_texts(aws))

    [confirmed] = deliver(services, purge_requested(clock, "child-yara", named=("messaging",),
                                                    guardian_ids=("user-parent4",)))
    p = confirmed.payload
    assert p["left"] == 0 and p["deleted"]["conversations"] == 1
    assert p["deleted"]["messages_anonymised"] == 1 and p["deleted"]["family_entries_anonymised"] == 1
    assert p["deleted"]["notification_rows"] >= 1 and p["deleted"]["read_markers"] == 2
    for kind in ("NOTIFY", "UNREAD", "USER"):
        assert rows(services, f"demo#{kind}#user-parent4") == [], kind
    for index in ("SENTBY", "READBY"):
        assert indexed(services, "gsi1", f"demo#{index}#user-parent4") == [], index
    # Her message in Zeynep's conversation stays for the others, without her name, in their language.
    ahmed = login(world, "parent7")
    [kept] = world.get(f"{CONVERSATIONS}/{zeynep}/messages", headers=ahmed).json["items"]
    assert (kept["text"], kept["sender"]["name"], kept["sender"]["role"]) == (
        "Ik haal haar vandaag op.", "voormalig ouder", "parent")
    assert kept["read_by"] == []  # her own marker went with her
    assert inbox(world, ahmed)[0]["last_message"]["sender"]["name"] == "voormalig ouder"
    ilse_en = tokens.header(role="staff", user_id="user-staff1", groups=("grp-rupsen",),
                            locations=("loc-zonnebloem",), language="en")
    [seen] = world.get(f"{CONVERSATIONS}/{zeynep}/messages", headers=ilse_en).json["items"]
    assert seen["sender"]["name"] == "former parent"
    family = m.directory_copy.every_guardian("demo", "child-zeynep")
    assert family["user-parent4"]["name"] == "" and not family["user-parent4"]["active"]
    assert family["user-parent7"]["name"] == "Ahmed Yilmaz"
    [waiting] = [r for r in pending(services, "user-parent7") if r.subject == f"conv:{zeynep}"]
    assert waiting.facts["sender"] == "" and "sender" in waiting.facts["varied"]
    assert unread(world, staff) == (1, 1)  # Yara's conversation left Ilse's total; Zeynep's stays
    # Nowhere in messaging's table: her name, her address, her device.
    texts = _scan_texts(aws)
    for trace in ("Fatima", "parent4@demo.ouderportaal.nl", ENDPOINT, "fatima-push-token"):
        assert not [t for t in texts if trace in t], trace
    [reasked] = deliver(services, purge_requested(clock, "child-yara", named=("messaging",),
                                                  guardian_ids=("user-parent4",)))
    assert (reasked.payload["left"], reasked.payload["deleted"]) == (0, {})
