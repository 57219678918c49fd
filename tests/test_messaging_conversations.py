"""Conversations with the group staff, read state and unread counters, through the HTTP API.

Demo: Sanne (parent1) and Mark (parent2) are Noor's (Rupsen) and Daan's (Vlinders) parents; Fatima
(parent4) is Yara's (Rupsen); Emma (parent3) Liam's (Bijen). Ilse (staff1) works in Rupsen, Joost
(staff2) in Vlinders, Priya (staff3) in Bijen; Marieke (manager) runs the location. The clock stands on
Tuesday 24 November 2026, 09:00.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

import portal_common.contracts.auth
from tests.auth_helpers import demo_login_header, seed_second_location

CONVERSATIONS = "/messaging/conversations"


def login(world, who: str) -> dict[str, str]:
    return demo_login_header(world, f"{who}@demo.ouderportaal.nl")


def start(world, headers, text="Noor heeft slecht geslapen, wilt u haar vroeg laten rusten?", child_id="child-noor"):
    """The first message about a child to its group: a new conversation (each test starts without any)."""
    answer = world.post(CONVERSATIONS, headers=headers, json={"child_id": child_id, "text": text})
    assert answer.status_code == 201, answer.json
    return answer.json


def send(world, headers, conversation_id, text):
    answer = world.post(f"{CONVERSATIONS}/{conversation_id}/messages", headers=headers, json={"text": text})
    assert answer.status_code == 201, answer.json
    return answer.json


def unread(world, headers):
    answer = world.get("/messaging/unread", headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json["total"], answer.json["conversations"]


def inbox(world, headers, query=""):
    answer = world.get(f"{CONVERSATIONS}{query}", headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json["items"]


def messages(world, headers, conversation_id, query=""):
    answer = world.get(f"{CONVERSATIONS}/{conversation_id}/messages{query}", headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json


def read(world, headers, conversation_id):
    answer = world.post(f"{CONVERSATIONS}/{conversation_id}/read", headers=headers)
    assert answer.status_code == 204, answer.json


def test_a_parent_messages_the_group_staff_see_it_unread_and_answer(world, parent, staff, clock, bus):
    created = world.post(CONVERSATIONS, headers=parent, json={"child_id": "child-noor", "text": "  Noor is moe.  "})
    assert created.status_code == 201, created.json
    conv = created.json
    assert conv["id"].startswith("cnv-") and conv["unread_count"] == 0 and conv["writable"] is True
    assert conv["child"] == {"id": "child-noor", "name": "Noor de Vries"}
    assert conv["group"] == {"id": "grp-rupsen", "name": "Rupsen"}
    assert conv["last_message"]["text"] == "Noor is moe."  # stripped
    assert conv["last_message"]["sender"] == {"id": "user-parent1", "name": "Sanne de Vries", "role": "parent"}
    [sent] = bus.of_type("messaging.message.sent")
    assert sent.payload["recipient_ids"] == ["user-parent2", "user-staff1"] and sent.payload["child_id"] == "child-noor"
    assert unread(world, staff) == (1, 1)
    [item] = inbox(world, staff)
    assert (item["id"], item["unread_count"], item["child"]["name"], item["group"]["name"]) == (
        conv["id"], 1, "Noor de Vries", "Rupsen")
    assert [i["id"] for i in inbox(world, staff, "?unread=true")] == [conv["id"]]
    assert [i["id"] for i in inbox(world, staff, "?group_id=grp-rupsen&unread=true")] == [conv["id"]]
    mark = login(world, "parent2")  # Noor's father takes part too
    assert unread(world, mark) == (1, 1) and inbox(world, mark)[0]["id"] == conv["id"]
    assert messages(world, staff, conv["id"])["items"][0]["read_by"] == []
    read(world, staff, conv["id"])
    assert unread(world, staff) == (0, 0) and inbox(world, staff, "?unread=true") == []
    assert inbox(world, staff)[0]["unread_count"] == 0
    [question] = messages(world, parent, conv["id"])["items"]
    assert [(r["id"], r["name"]) for r in question["read_by"]] == [("user-staff1", "Ilse van Dam")]
    assert question["read_by"][0]["read_at"] == "2026-11-24T09:00:00+01:00" and question["mine"] is True

    clock.advance(timedelta(minutes=5))
    staff = login(world, "staff1")
    answer = send(world, staff, conv["id"], "Goed dat u het laat weten, we houden haar in de gaten.")
    assert answer["sender"] == {"id": "user-staff1", "name": "Ilse van Dam", "role": "staff"}
    assert answer["sent_at"] == "2026-11-24T09:05:00+01:00"
    assert bus.of_type("messaging.message.sent")[-1].payload["recipient_ids"] == ["user-parent1", "user-parent2"]
    parent, mark = login(world, "parent1"), login(world, "parent2")
    assert unread(world, parent) == (1, 1) and unread(world, mark) == (2, 1) and unread(world, staff) == (0, 0)
    page = messages(world, parent, conv["id"])
    assert [m["text"] for m in page["items"]] == ["Goed dat u het laat weten, we houden haar in de gaten.",
                                                  "Noor is moe."]  # newest first
    assert page["items"][0]["sent_at"] == "2026-11-24T09:05:00+01:00" and page["items"][0]["read_by"] == []
    assert page["child"]["name"] == "Noor de Vries" and page["group"]["name"] == "Rupsen"
    read(world, parent, conv["id"])
    assert unread(world, parent) == (0, 0) and unread(world, mark) == (2, 1)
    seen = messages(world, staff, conv["id"])["items"][0]
    assert [r["id"] for r in seen["read_by"]] == ["user-parent1"]
    single = world.get(f"{CONVERSATIONS}/{conv['id']}", headers=mark).json
    assert single["unread_count"] == 2 and single["message_count"] == 2
    assert single["last_message"]["sender"]["name"] == "Ilse van Dam"


def test_counters_stay_right_under_more_messages_reading_and_reading_twice(world, parent, staff):
    first = start(world, parent, "Vraagje over morgen.")
    again = world.post(CONVERSATIONS, headers=parent, json={"child_id": "child-noor", "text": "En nog iets."})
    assert again.status_code == 200 and again.json["id"] == first["id"]  # the same conversation, never a second
    assert again.json["message_count"] == 2 and again.json["unread_count"] == 0  # the sender's counter stays
    fatima = login(world, "parent4")
    yara = start(world, fatima, "Yara wordt om 15:00 opgehaald.", child_id="child-yara")
    assert unread(world, staff) == (3, 2)
    assert [(i["id"], i["unread_count"]) for i in inbox(world, staff)] == [(yara["id"], 1), (first["id"], 2)]
    read(world, staff, first["id"])
    assert unread(world, staff) == (1, 1)
    read(world, staff, first["id"])  # reading twice changes nothing
    assert unread(world, staff) == (1, 1)
    read(world, staff, yara["id"])
    assert unread(world, staff) == (0, 0)
    send(world, staff, first["id"], "Prima, tot morgen!")
    mark = login(world, "parent2")
    assert unread(world, parent) == (1, 1) and unread(world, mark) == (3, 1) and unread(world, staff) == (0, 0)
    assert unread(world, fatima) == (0, 0)
    assert inbox(world, mark)[0]["unread_count"] == 3
    # Staff may start a conversation about a child of their group, not of another group.
    by_staff = world.post(CONVERSATIONS, headers=staff, json={"child_id": "child-zeynep", "text": "Even bellen?"})
    assert by_staff.status_code == 201 and unread(world, login(world, "parent7")) == (1, 1)
    assert world.post(CONVERSATIONS, headers=staff, json={"child_id": "child-daan", "text": "Hoi"}).status_code == 404


def test_two_first_messages_at_once_make_one_conversation(world, parent, staff, services, monkeypatch, bus):
    """Both requests found no conversation yet; the second one's create loses on the lookup row's
    condition, retries and adds its message to the conversation the first one created."""
    first = start(world, parent, "Eerste bericht.")
    lib = services["messaging"].lib.conversations.store
    real, stale = lib.lookup, [None]

    def lookup_seen_before_the_other_request_committed(*args):
        return stale.pop() if stale else real(*args)

    monkeypatch.setattr(lib, "lookup", lookup_seen_before_the_other_request_committed)
    second = world.post(CONVERSATIONS, headers=login(world, "parent2"),
                        json={"child_id": "child-noor", "text": "Tegelijk verstuurd."})
    assert second.status_code == 200 and second.json["id"] == first["id"], second.json
    assert not stale  # the race really was run
    assert [i["id"] for i in inbox(world, parent)] == [first["id"]]
    assert [m["text"] for m in messages(world, staff, first["id"])["items"]] == ["Tegelijk verstuurd.",
                                                                                "Eerste bericht."]
    assert unread(world, staff) == (2, 1) and unread(world, parent) == (1, 1)
    assert len(bus.of_type("messaging.message.sent")) == 2


def test_a_message_arriving_while_someone_reads_is_counted_exactly(world, parent, staff, services, monkeypatch):
    """Ilse reads while Sanne sends: the read, planned on 1 unread message, finds 2 at commit, retries and
    takes exactly 2 off her total: totals never drift from the counters."""
    conv = start(world, parent, "Eén")["id"]
    svc = services["messaging"]
    lib, real = svc.lib.conversations.store, svc.lib.conversations.store.counter
    sending = svc.lib.conversations.sending
    sanne = svc.lib.conversations.rules.Caller("user-parent1", "parent", "Sanne de Vries", "C#child-noor")
    arriving = ["Twee"]

    def counter_then_a_message_arrives(*args):
        found = real(*args)
        if arriving:
            sending.send(svc.module.outbox, "demo", lib.get("demo", conv, consistent=True), sanne, arriving.pop(), [])
        return found

    monkeypatch.setattr(lib, "counter", counter_then_a_message_arrives)
    read(world, staff, conv)
    assert not arriving and unread(world, staff) == (0, 0)
    newest = messages(world, parent, conv)["items"][0]
    assert newest["text"] == "Twee" and [r["id"] for r in newest["read_by"]] == ["user-staff1"]
    assert unread(world, login(world, "parent2")) == (2, 1)


def test_conversation_routes_refuse_other_families_other_groups_and_other_tenants(world, parent, staff, tokens,
                                                                                   services):
    conv = start(world, parent)["id"]
    path = f"{CONVERSATIONS}/{conv}"
    seed_second_location(services["auth"].module.directory)
    fatima = login(world, "parent4")  # another family in the same group
    outsiders = {
        "another family": fatima,
        "another group's family": login(world, "parent3"),
        "another group's staff": login(world, "staff2"),
        "another location's manager": tokens.header(role="manager", user_id="user-manager2", locations=("loc-elders",)),
        "another tenant's parent": tokens.header(tenant="other", user_id="user-parent1", children=("child-noor",),
                                                 groups=("grp-rupsen",), locations=("loc-zonnebloem",)),
        "another tenant's admin": tokens.header(tenant="other", role="admin", user_id="user-admin"),
    }
    # Writing: a parent or staff member without a part finds nothing (404); managers and admins only read,
    # so the action refuses their role (403) whatever the conversation.
    write_refusal = {"another family": 404, "another group's family": 404, "another group's staff": 404,
                     "another location's manager": 403, "another tenant's parent": 404, "another tenant's admin": 403}
    for who, headers in outsiders.items():
        assert world.get(path, headers=headers).status_code == 404, who
        assert world.get(f"{path}/messages", headers=headers).status_code == 404, who
        assert world.post(f"{path}/read", headers=headers).status_code == 404, who
        refused = world.post(f"{path}/messages", headers=headers, json={"text": "Hallo"})
        assert refused.status_code == write_refusal[who], (who, refused.json)
    for who in ("another family", "another group's family", "another tenant's parent"):
        assert conv not in {i["id"] for i in inbox(world, outsiders[who])}, who
        assert unread(world, outsiders[who]) == (0, 0), who
    assert world.post(CONVERSATIONS, headers=fatima, json={"child_id": "child-noor", "text": "Hoi"}).status_code == 404
    assert world.get(f"{CONVERSATIONS}?group_id=grp-rupsen", headers=outsiders["another group's staff"]).status_code \
        == 404
    assert world.get(f"{CONVERSATIONS}?group_id=grp-rupsen",
                     headers=outsiders["another location's manager"]).status_code == 404
    assert world.get(f"{CONVERSATIONS}?group_id=grp-rupsen", headers=parent).status_code == 403
    # The location's manager and the admin read along, take no part and cannot write.
    for who in ("manager", "admin"):
        reader = login(world, who)
        assert world.get(path, headers=reader).json["writable"] is False
        assert [i["id"] for i in inbox(world, reader, "?group_id=grp-rupsen")] == [conv]
        assert inbox(world, reader, "?group_id=grp-rupsen&unread=true") == []
        assert world.get(CONVERSATIONS, headers=reader).json["code"] == "group_id_required"
        read(world, reader, conv)  # no counter, no marker
        assert world.post(f"{path}/messages", headers=reader, json={"text": "Hallo"}).status_code == 403
        assert world.post(CONVERSATIONS, headers=reader, json={"child_id": "child-noor", "text": "Hoi"}
                          ).status_code == 403
        assert unread(world, reader) == (0, 0)
    assert messages(world, parent, conv)["items"][0]["read_by"] == []
    # Nothing any of them tried reached the participants.
    assert unread(world, staff) == (1, 1) and len(messages(world, staff, conv)["items"]) == 1
    for bad in ("cnv-unknown", "a%23b", f"{conv[:-1]}0"):
        assert world.get(f"{CONVERSATIONS}/{bad}", headers=parent).status_code == 404


def test_a_former_groups_conversation_stays_readable_but_takes_no_new_messages(world, parent, staff, clock):
    old = start(world, parent)
    admin = login(world, "admin")
    moved = world.post("/auth/admin/children/child-noor/placements", headers=admin,
                       json={"group_id": "grp-bijen", "start": "2026-11-25"})
    assert moved.status_code == 201, moved.json
    clock.advance(timedelta(days=1))
    parent, staff = login(world, "parent1"), login(world, "staff1")
    for who in (parent, staff):
        refused = world.post(f"{CONVERSATIONS}/{old['id']}/messages", headers=who, json={"text": "Nog een vraag"})
        assert refused.status_code == 422 and refused.json["code"] == "not_current_group", refused.json
        assert refused.json["detail"].startswith("Uw kind zit niet meer in deze groep")
    assert unread(world, staff) == (1, 1) and unread(world, login(world, "parent2")) == (1, 1)  # nothing stored
    assert world.get(f"{CONVERSATIONS}/{old['id']}", headers=parent).json["writable"] is False
    assert len(messages(world, staff, old["id"])["items"]) == 1  # still readable as history
    new = world.post(CONVERSATIONS, headers=parent, json={"child_id": "child-noor", "text": "Eerste dag bij de Bijen!"})
    assert new.status_code == 201 and new.json["group"] == {"id": "grp-bijen", "name": "Bijen"}
    assert unread(world, login(world, "staff3")) == (1, 1)
    assert [i["id"] for i in inbox(world, parent)] == [new.json["id"], old["id"]]


def test_a_guardian_whose_access_ended_takes_no_part_any_more(world, parent, staff, services, bus):
    from portal_common.events import make_event

    conv = start(world, parent)["id"]
    send(world, staff, conv, "Dank u.")
    assert unread(world, parent) == (1, 1)
    ended = portal_common.contracts.auth.GuardianAccessEnded(child_id="child-noor", user_id="user-parent1",
                                                            access_until="2026-11-23")
    bus.publish([make_event(ended, tenant="demo", source="auth")])
    assert bus.of_type("auth.guardian.access_ended")
    path = f"{CONVERSATIONS}/{conv}"  # Sanne's token still names Noor: messaging's copy decides
    assert world.get(path, headers=parent).status_code == 404
    assert world.get(f"{path}/messages", headers=parent).status_code == 404
    assert world.post(f"{path}/read", headers=parent).status_code == 404
    assert world.post(f"{path}/messages", headers=parent, json={"text": "Hallo?"}).status_code == 404
    assert world.post(CONVERSATIONS, headers=parent, json={"child_id": "child-noor", "text": "Hallo?"}
                      ).status_code == 404
    assert inbox(world, parent) == [] and unread(world, parent) == (0, 0)  # her counter went with her access
    send(world, staff, conv, "Tot morgen.")
    assert bus.of_type("messaging.message.sent")[-1].payload["recipient_ids"] == ["user-parent2"]
    assert unread(world, parent) == (0, 0) and unread(world, login(world, "parent2")) == (3, 1)


def test_staff_who_leave_a_group_leave_its_conversations_and_unread_counts(world, parent, staff, clock):
    conv = start(world, parent)["id"]
    assert unread(world, staff) == (1, 1)
    clock.advance(timedelta(seconds=1))
    admin = login(world, "admin")
    moved = world.put("/auth/admin/staff/user-staff1/groups", headers=admin, json={"group_ids": ["grp-bijen"]})
    assert moved.status_code == 204
    assert unread(world, staff) == (0, 0)  # the old token still names Rupsen; the copy decides
    assert world.get(f"{CONVERSATIONS}/{conv}", headers=staff).status_code == 404
    assert inbox(world, staff) == []
    send(world, parent, conv, "Is er iemand?")
    assert unread(world, staff) == (0, 0)


BAD_BODIES = {
    "unknown field": ({"text": "Hallo", "urgent": True}, 400),
    "text not a string": ({"text": 42}, 400),
    "text missing": ({}, 400),
    "attachment ids not a list": ({"text": "Hallo", "attachment_ids": "att-1"}, 400),
    "empty text": ({"text": ""}, 422),
    "whitespace only": ({"text": " \n\t "}, 422),
    "5001 characters": ({"text": "x" * 5001}, 422),
    "a 100 KB message": ({"text": "x" * 100_000}, 422),
    "11 attachments": ({"text": "Hallo", "attachment_ids": [f"att-{n}" for n in range(11)]}, 422),
    "an attachment twice": ({"text": "Hallo", "attachment_ids": ["att-1", "att-1"]}, 422),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_messages_are_refused_and_nothing_is_stored(world, parent, staff, bus, case):
    conv = start(world, parent)["id"]
    body, status = BAD_BODIES[case]
    for path, extra in ((f"{CONVERSATIONS}/{conv}/messages", {}), (CONVERSATIONS, {"child_id": "child-noor"})):
        refused = world.post(path, headers=parent, json={**extra, **body})
        assert refused.status_code == status, (case, path, refused.json)
        assert refused.json["code"] == "validation_error", (case, path, refused.json)  # 400: shape, 422: a rule
        assert refused.headers["Content-Type"].startswith("application/problem+json") and refused.json["errors"]
    assert unread(world, staff) == (1, 1) and len(bus.of_type("messaging.message.sent")) == 1
    assert len(messages(world, staff, conv)["items"]) == 1


def test_other_bad_requests_get_clear_answers(world, parent):
    conv = start(world, parent)["id"]
    too_large = world.post(f"{CONVERSATIONS}/{conv}/messages", headers=parent, json={"text": "x" * 200_000})
    assert too_large.status_code == 413
    not_json = world.post(CONVERSATIONS, headers=parent, data="{child_id:", content_type="application/json")
    assert not_json.status_code == 400
    bad_child = world.post(CONVERSATIONS, headers=parent, json={"child_id": "a#b", "text": "Hoi"})
    assert bad_child.status_code == 422 and bad_child.json["code"] == "validation_error", bad_child.json
    assert world.post(CONVERSATIONS, headers=parent, json={"child_id": "child-liam", "text": "Hoi"}).status_code == 404
    assert world.get(f"{CONVERSATIONS}?unread=maybe", headers=parent).status_code == 400
    too_many = world.get(f"{CONVERSATIONS}?limit=500", headers=parent)
    assert too_many.status_code == 422 and too_many.json["code"] == "validation_error", too_many.json
    assert world.get(f"{CONVERSATIONS}?sort=old", headers=parent).status_code == 400


def test_messages_and_the_inbox_page_without_skipping_or_repeating(world, parent, staff, clock):
    conv = start(world, parent, "bericht 0")["id"]
    for n in range(1, 5):
        send(world, parent, conv, f"bericht {n}")  # the clock stands still: ids still keep the order
    first = messages(world, staff, conv, "?limit=2")
    second = messages(world, staff, conv, f"?limit=2&cursor={first['next_cursor']}")
    third = messages(world, staff, conv, f"?limit=2&cursor={second['next_cursor']}")
    texts = [m["text"] for page in (first, second, third) for m in page["items"]]
    assert texts == [f"bericht {n}" for n in (4, 3, 2, 1, 0)] and third["next_cursor"] is None
    started = [conv]
    for who, child in (("parent4", "child-yara"), ("parent7", "child-zeynep"), ("parent10", "child-luuk")):
        clock.advance(timedelta(minutes=1))
        started.append(start(world, login(world, who), child_id=child, text="Hallo")["id"])
    staff = login(world, "staff1")
    page1 = world.get(f"{CONVERSATIONS}?limit=3", headers=staff).json
    page2 = world.get(f"{CONVERSATIONS}?limit=3&cursor={page1['next_cursor']}", headers=staff).json
    assert [i["id"] for i in page1["items"] + page2["items"]] == list(reversed(started))
    assert page2["next_cursor"] is None
    unread1 = world.get(f"{CONVERSATIONS}?limit=3&unread=true", headers=staff).json
    unread2 = world.get(f"{CONVERSATIONS}?limit=3&unread=true&cursor={unread1['next_cursor']}", headers=staff).json
    assert [i["id"] for i in unread1["items"] + unread2["items"]] == list(reversed(started))
    mixed = world.get(f"{CONVERSATIONS}?limit=3&cursor={unread1['next_cursor']}", headers=staff)
    assert mixed.status_code == 400  # a cursor of the unread list on the full list
    other = world.get(f"{CONVERSATIONS}/{started[1]}/messages?cursor={first['next_cursor']}", headers=staff)
    assert other.status_code == 400


def test_an_inbox_page_and_the_unread_count_cost_the_same_with_a_long_history(world, parent, staff, clock):
    from portal_common.testing.calls import count_calls

    conv = start(world, parent, "Hallo")["id"]

    def costs():
        headers = login(world, "staff1")
        found = {}
        for name, path in (("inbox", CONVERSATIONS), ("unread inbox", f"{CONVERSATIONS}?unread=true"),
                           ("unread", "/messaging/unread"), ("messages", f"{CONVERSATIONS}/{conv}/messages")):
            with count_calls() as calls:
                assert world.get(path, headers=headers).status_code == 200
            found[name] = dict(calls)
        return found

    short = costs()
    for who, child in (("parent4", "child-yara"), ("parent7", "child-zeynep"), ("parent10", "child-luuk")):
        start(world, login(world, who), child_id=child, text="Hallo")
    for n in range(60):
        send(world, parent, conv, f"bericht {n}")
    assert unread(world, staff) == (64, 4)
    long = costs()
    assert long == short, (short, long)
    assert short["unread"] == {"dynamodb.GetItem": 1}
    assert sum(short["inbox"].values()) <= 5 and "dynamodb.Scan" not in short["inbox"]


def test_a_message_carries_its_attachments_and_a_bad_one_stores_nothing(world, parent, staff, bus):
    from tests.test_messaging_attachments import upload

    conv = start(world, parent)["id"]
    letter = upload(world, parent, file_name="huisarts.pdf")
    sent = world.post(f"{CONVERSATIONS}/{conv}/messages", headers=parent,
                      json={"text": "De brief van de huisarts.", "attachment_ids": [letter]})
    assert sent.status_code == 201, sent.json
    [shown] = messages(world, staff, conv)["items"][0]["attachments"]
    assert (shown["id"], shown["file_name"], shown["content_type"]) == (letter, "huisarts.pdf", "application/pdf")
    assert shown["size"] > 0
    assert unread(world, staff) == (2, 1)
    ilse_upload = upload(world, staff, file_name="menu.pdf")
    for ids in ([letter], [ilse_upload], ["att-" + "0" * 26]):  # used already, someone else's, unknown
        refused = world.post(f"{CONVERSATIONS}/{conv}/messages", headers=parent,
                             json={"text": "Nog eens", "attachment_ids": ids})
        assert refused.status_code == 422 and refused.json["code"] == "unknown_attachment", refused.json
        assert refused.json["errors"][0]["loc"] == ["body", "attachment_ids", 0]
    assert unread(world, staff) == (2, 1) and len(bus.of_type("messaging.message.sent")) == 2
    assert len(messages(world, staff, conv)["items"]) == 2
