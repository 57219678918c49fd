"""The messaging service's part of a personal-data export ("exports.personal_data.requested"): the
guardian's conversations about their own children with their files, their notification settings and
devices, written into the exports drop box and announced with `messaging.personal_data.delivered`.

Demo: Sanne (parent1) and Mark (parent2) are Noor's (Rupsen) and Daan's (Vlinders) parents; Fatima
(parent4) is Yara's (Rupsen). Ilse (staff1) works in Rupsen. The clock stands on Tuesday 24 November
2026, 09:00.
"""

from __future__ import annotations

import json
from typing import Any

from portal_common import aws as portal_aws
from portal_common import consumer, settings
from tests.auth_helpers import demo_login_header
from tests.bus_helpers import bus_where, nobody
from tests.test_messaging_attachments import PDF, upload
from tests.test_messaging_purge import CONVERSATIONS, ENDPOINT, event, post

DELIVERED = "messaging.personal_data.delivered"


def login(world, who: str) -> dict[str, str]:
    return demo_login_header(world, f"{who}@demo.ouderportaal.nl")


def drop_box() -> str:
    return settings.get_settings().bucket_name("exports", "archives")


def ask(services, clock, user_id: str, child_ids: list[str], export_id: str, language: str = "en") -> dict[str, Any]:
    """Ask messaging (alone) for its part; the announcement it published."""
    env = event(clock, "exports.personal_data.requested", {
        "export_id": export_id, "user_id": user_id, "child_ids": child_ids, "language": language,
        "bucket": drop_box(), "prefix": f"personal/demo/{export_id}/"})
    app = services["messaging"].app
    with bus_where(services, nobody) as quiet:
        assert consumer.handle_one(app.inbox, env, app.event_handlers)
    [delivered] = quiet.of_type(DELIVERED)
    assert delivered.source == "messaging" and delivered.tenant == "demo"
    return delivered.payload


def part(export_id: str) -> dict[str, bytes]:
    """The files of messaging's part, by their path in it."""
    s3, root = portal_aws.client("s3"), f"personal/demo/{export_id}/messaging/"
    listed = s3.list_objects_v2(Bucket=drop_box(), Prefix=root).get("Contents", [])
    return {o["Key"].removeprefix(root): s3.get_object(Bucket=drop_box(), Key=o["Key"])["Body"].read() for o in listed}


def test_a_guardian_gets_their_childrens_conversations_files_settings_and_devices(world, parent, staff, services,
                                                                                 clock):
    for kind, payload in (
            ("auth.device.registered", {"user_id": "user-parent1", "device_id": "dev-1", "platform": "fcm",
                                        "token": "sanne-push-token", "endpoint_arn": ENDPOINT}),
            ("auth.notification_settings.changed", {"user_id": "user-parent1",
                                                    "settings": {"news": {"push": False, "email": False}}})):
        assert consumer.handle_one(services["messaging"].app.inbox, event(clock, kind, payload),
                                   services["messaging"].app.event_handlers)
    letters = [upload(world, parent, file_name="huisarts.pdf") for _ in range(2)]
    noor = post(world, parent, CONVERSATIONS, {"child_id": "child-noor", "text": "Noor is moe.",
                                               "attachment_ids": letters[:1]})["id"]
    post(world, parent, f"{CONVERSATIONS}/{noor}/messages", {"text": "En de tweede brief.",
                                                            "attachment_ids": letters[1:]})
    post(world, staff, f"{CONVERSATIONS}/{noor}/messages", {"text": "Dank u, we letten op haar."})
    for reader in (staff, login(world, "parent2")):
        assert world.post(f"{CONVERSATIONS}/{noor}/read", headers=reader).status_code == 204
    post(world, parent, CONVERSATIONS, {"child_id": "child-daan", "text": "Daan heeft een afspraak."})
    post(world, login(world, "parent4"), CONVERSATIONS, {"child_id": "child-yara", "text": "Yara om 15:00."})

    delivered = ask(services, clock, "user-parent1", ["child-noor", "child-daan", "child-yara"], "exp-1")
    files = part("exp-1")
    assert sorted(files) == ["conversations.json", "devices.json", "files/noor-de-vries-rupsen/huisarts (2).pdf",
                             "files/noor-de-vries-rupsen/huisarts.pdf", "notification_settings.json"]
    assert (delivered["export_id"], delivered["files"]) == ("exp-1", 5)
    assert delivered["bytes"] == sum(len(body) for body in files.values())
    assert files["files/noor-de-vries-rupsen/huisarts.pdf"] == PDF

    children = json.loads(files["conversations.json"])["children"]
    assert [c["child"] for c in children] == ["Daan de Vries", "Noor de Vries"]  # not Yara: not hers
    [daan] = children[0]["conversations"]
    assert (daan["group"], daan["unread_messages"], [x["text"] for x in daan["messages"]]) == (
        "Vlinders", 0, ["Daan heeft een afspraak."])
    [conv] = children[1]["conversations"]
    assert (conv["group"], conv["unread_messages"], conv["started_at"]) == ("Rupsen", 1, "2026-11-24T09:00:00+01:00")
    first, second, answer = conv["messages"]  # oldest first
    assert first["sender"] == {"name": "Sanne de Vries", "role": "parent", "you": True}
    assert (first["text"], first["sent_at"]) == ("Noor is moe.", "2026-11-24T09:00:00+01:00")
    assert first["attachments"] == [{"file_name": "huisarts.pdf", "content_type": "application/pdf",
                                     "size": len(PDF), "file": "files/noor-de-vries-rupsen/huisarts.pdf"}]
    assert second["attachments"][0]["file"] == "files/noor-de-vries-rupsen/huisarts (2).pdf"
    assert sorted((r["name"], r["role"]) for r in first["read_by"]) == [("Ilse van Dam", "staff"),
                                                                        ("Mark de Vries", "parent")]
    assert answer["sender"] == {"name": "Ilse van Dam", "role": "staff", "you": False}
    assert [r["name"] for r in answer["read_by"]] == ["Mark de Vries"]  # Sanne has not read it yet

    settings_out = json.loads(files["notification_settings.json"])
    assert settings_out["contact"] == {"name": "Sanne de Vries", "email": "parent1@demo.ouderportaal.nl",
                                       "language": "nl"}
    assert settings_out["chosen_by_you"] is True
    assert settings_out["settings"]["news"] == {"push": False, "email": False}
    assert settings_out["settings"]["messages"] == {"push": True, "email": True}  # auth's default
    assert {n["topic"] for n in settings_out["pending_notifications"]} == {"messages"}
    assert all("link" not in n["about"] for n in settings_out["pending_notifications"])
    [device] = json.loads(files["devices.json"])
    assert (device["platform"], device["active"], device["removed_at"]) == ("fcm", True, None)
    assert device["registered_at"].startswith("2026-11-24T09:00")

    everything = b"".join(files.values()).decode("utf-8", errors="replace")
    for secret_or_other_family in (ENDPOINT, "arn:aws", "sanne-push-token", "dev-1", "X-Amz", "Yara", "Fatima",
                                   "15:00", "user-parent4"):
        assert secret_or_other_family not in everything, secret_or_other_family


def test_a_user_who_is_not_the_childs_guardian_gets_none_of_its_conversations(world, parent, services, clock):
    post(world, parent, CONVERSATIONS, {"child_id": "child-noor", "text": "Noor is moe."})
    # Fatima asks with Noor named (as a forged or stale request would): messaging's family copy decides.
    delivered = ask(services, clock, "user-parent4", ["child-noor", "child-yara"], "exp-2", language="nl")
    files = part("exp-2")
    assert sorted(files) == ["conversations.json", "devices.json", "notification_settings.json"]
    assert delivered["files"] == 3
    assert json.loads(files["conversations.json"]) == {"children": [{"child": "Yara El Amrani", "conversations": []}]}
    assert b"Noor" not in b"".join(files.values())
    assert json.loads(files["devices.json"]) == []
    # A redelivered request writes the same part again and says so again.
    assert ask(services, clock, "user-parent4", ["child-noor", "child-yara"], "exp-2", language="nl") == delivered
