"""Messaging's part of a personal-data export (`retention.personal_data_handlers`): what it holds about the
guardian and their children, readable, with English keys.

- `conversations.json`: per child of the request the user is a guardian of now (messaging's own family copy
  decides, whatever the request lists), each conversation with the staff of a group: the group, when it
  started, the user's unread messages in it, and its messages oldest first: who sent it (name and role),
  the text, when, its attachments by file name (and where the file is in the archive), and who read it
  (name, role, when). Other people appear by name and role only (the group's staff, a co-guardian).
- `files/<child>-<group>/<file name>`: each attachment, copied server-side from the attachments bucket.
- `notification_settings.json`: the contact details notifications go to (name, e-mail address, language),
  the settings per topic (auth's defaults where the user chose none) and the notifications waiting to go out.
- `devices.json`: the push devices messaging knows: platform and dates only (never a token or an endpoint).

Messaging keeps no record of which news a user read, so there is no `news_read.json`. Names of removed
guardians read "former parent" / "voormalig ouder" in the request's language, as in the app.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from messaging_service import directory_copy
from messaging_service.attachments import store as attachments
from messaging_service.conversations import rules as conversation_rules
from messaging_service.conversations import store as conversations
from messaging_service.conversations.store import ConversationItem, MessageItem
from messaging_service.notifications import recipients
from messaging_service.notifications import rules as notification_rules
from messaging_service.notifications import store as notify_store
from messaging_service.notifications.store import PendingItem, RecipientItem
from messaging_service.retention import purge
from portal_common import files, store
from portal_common.retention import Part

HIDDEN_FACTS = ("link", "url", "varied")  # how the app opens it, not what it is about



def _copy(part: Part, attachment_id: str, path: str) -> bool:
    """Copy an attachment's file into the part; False when the file is not there (any other error retries)."""
    try:
        part.copy(attachments.bucket(), attachments.file_key(part.request.tenant, attachment_id), path)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise
        return False
    return True


def _message(part: Part, msg: MessageItem, markers: list[Any], folder: str, taken: set[str]) -> dict[str, Any]:
    lang, ulid = part.request.language, msg.sk.removeprefix("MSG#")
    files_out = []
    for a in msg.attachments or []:
        path = f"files/{folder}/{files.unique(a['file_name'], taken)}"
        files_out.append({"file_name": a["file_name"], "content_type": a["content_type"], "size": int(a["size"]),
                          "file": path if _copy(part, a["id"], path) else None})
    return {"sender": {"name": conversation_rules.shown_name(msg.sender_name, msg.sender_removed, lang),
                       "role": msg.sender_role, "you": msg.sender_id == part.request.user_id},
            "text": msg.text, "sent_at": msg.sent_at, "attachments": files_out,
            "read_by": [{"name": m.name, "role": m.role, "read_at": m.read_at,
                         "you": m.user_id == part.request.user_id}
                        for m in conversation_rules.readers(markers, msg.sender_id, ulid)]}


def _conversation(part: Part, conv: ConversationItem, child_name: str, unread: int,
                  folders: set[str]) -> dict[str, Any]:
    group = directory_copy.group(part.request.tenant, conv.group_id)
    group_name = group.name if group else ""
    folder = files.unique(files.slug(f"{child_name} {group_name}", fallback="conversation"), folders)
    markers = conversations.markers(part.request.tenant, conv.conversation_id)
    taken: set[str] = set()
    messages = [_message(part, m, markers, folder, taken)
                for m in MessageItem.query(conv.pk, MessageItem.sk.startswith("MSG#"), consistent_read=True)]
    return {"group": group_name, "started_at": conv.created_at, "unread_messages": unread, "messages": messages}


def _children(part: Part) -> list[dict[str, Any]]:
    tenant, user_id = part.request.tenant, part.request.user_id
    families = directory_copy.families_of(tenant, part.request.child_ids)
    mine = [child for child, guardians in sorted(families.items()) if user_id in guardians]
    names = directory_copy.child_names(tenant, set(mine))
    folders: set[str] = set()
    found = []
    for child_id in mine:
        ids = sorted(purge.conversations_of(tenant, child_id))
        keys = [(store.key(tenant, "CONV", c), "CONV") for c in ids]
        convs = sorted(ConversationItem.batch_get(keys, consistent_read=True), key=lambda c: c.created_at) if (
            keys) else []
        unread = conversations.counters_of(tenant, user_id, ids)
        found.append({"child": names.get(child_id, ""), "conversations": [
            _conversation(part, c, names.get(child_id, ""), unread.get(c.conversation_id, 0), folders)
            for c in convs]})
    return found


def _pending(tenant: str, user_id: str) -> list[dict[str, Any]]:
    rows = PendingItem.query(notify_store.user_pk(tenant, user_id), PendingItem.sk.startswith("PENDING#"))
    return [{"topic": r.topic, "count": int(r.count), "due_at": r.due_at,
             "about": {k: v for k, v in (r.facts or {}).items() if k not in HIDDEN_FACTS}} for r in rows]


def _settings(tenant: str, user_id: str, recipient: RecipientItem | None) -> dict[str, Any]:
    chosen = recipient.settings if recipient is not None else None
    contact = {"name": recipient.name, "email": recipient.email, "language": recipient.language} if (
        recipient is not None and recipient.contact_as_of) else None
    return {"contact": contact, "chosen_by_you": chosen is not None,
            "settings": {topic: {**notification_rules.DEFAULT_SETTINGS[topic], **(chosen or {}).get(topic, {})}
                         for topic in notification_rules.SETTING_TOPICS},
            "pending_notifications": _pending(tenant, user_id)}


def _devices(recipient: RecipientItem | None) -> list[dict[str, Any]]:
    devices = sorted((recipient.devices or {}).values() if recipient else (), key=lambda d: str(d.get("as_of")))
    return [{"platform": d.get("platform"), "active": bool(d.get("active")),
             "registered_at": d.get("as_of") if d.get("active") else None,
             "removed_at": None if d.get("active") else d.get("as_of"),
             "push_stopped_at": d.get("disabled_at")} for d in devices]


def write(part: Part) -> None:
    tenant, user_id = part.request.tenant, part.request.user_id
    part.json("conversations", {"children": _children(part)})
    recipient = recipients.profile(tenant, user_id)
    part.json("notification_settings", _settings(tenant, user_id, recipient))
    part.json("devices", _devices(recipient))
