"""A removed guardian's data (the purge's `guardian_ids`: guardians left with no children, whose accounts
go), found from the guardian's own keys, never a Scan.

- Their partitions go whole: contact details, notification settings, push devices, pending notifications
  and event markers (`NOTIFY`); unread counters and total (`UNREAD`); the rows of the children they are or
  were a guardian of (`USER`).
- Their messages are in their children's conversations, which the children's purges take. One may stay
  elsewhere: in the conversation of a child they were unlinked from, whose other guardians keep it. There
  the message keeps its text (the conversation's history, for the others) but loses its author's name:
  `sender_removed`, shown as "former parent" / "voormalig ouder" in the reader's language (the
  conversation's last-message preview likewise, and a notification of it still waiting to go out names
  no sender). Their read markers go; a family row that still names them as a former guardian keeps the id
  (so an old event cannot bring them back) without the name.

Their uploads not attached to anything expire within a day, rows and files, by `expire_attachments`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from pynamodb.exceptions import DeleteError, UpdateError

from messaging_service import directory_copy
from messaging_service.conversations import store as conversations
from messaging_service.conversations.store import ConversationItem, MessageItem, ReadMarkerItem, UnreadItem
from messaging_service.notifications.store import PendingItem, user_pk
from messaging_service.store import FamilyCopyItem, MessagingItem
from portal_common import store

PARTITIONS = {"NOTIFY": "notification_rows", "UNREAD": "unread_rows", "USER": "guardian_rows"}
ATTEMPTS = 8

@dataclass
class Removed:
    """Where the removal changed something that stays: where its check looks again."""

    user_id: str
    children: list[str] = field(default_factory=list)  # family rows that named them
    conversations: set[str] = field(default_factory=set)  # conversations with a message of theirs left
    names: set[str] = field(default_factory=set)  # the names their messages carried


def _indexed(kind: str, model: Any, tenant: str, user_id: str) -> list[Any]:
    """The user's entries in a gsi1 index of theirs (`SENTBY`, `READBY`)."""
    return list(cast(Iterable[Any], model.gsi1.query(store.key(tenant, kind, user_id))))


def _forget_in_family(tenant: str, child_id: str, user_id: str) -> bool:
    """The family row keeps the former guardian's id and moment, not their name; True when it changed."""
    changed = []

    def change(family: FamilyCopyItem) -> bool:
        guardians = dict(family.guardians or {})
        known = guardians.get(user_id)
        if not known or (not known.get("name") and not known.get("active")):
            return False
        guardians[user_id] = {**known, "name": "", "active": False}
        family.guardians = guardians
        changed.append(child_id)
        return True

    pk = store.key(tenant, "CHILD", child_id)
    store.modify_versioned(FamilyCopyItem, pk, "FAMILY", change,
                           fresh=lambda: FamilyCopyItem(pk, "FAMILY", child_id=child_id, guardians={}))
    return bool(changed)


def _anonymise(message: MessageItem) -> bool:
    M = MessageItem
    try:  # on condition it exists: an index entry may outlive a message the child's purge deleted
        message.update(actions=[M.sender_name.set(""), M.sender_removed.set(True), M.gsi1pk.remove(),
                                M.gsi1sk.remove()], condition=M.pk.exists())
        return True
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False


def _anonymise_preview(tenant: str, conversation_id: str, user_id: str) -> None:
    """The conversation's last message, if theirs, loses the name too (conditioned on it still being last)."""
    for attempt in range(ATTEMPTS):
        conv = conversations.get(tenant, conversation_id, consistent=True)
        sender = dict((conv.last_message or {}).get("sender") or {}) if conv else {}
        if conv is None or sender.get("id") != user_id or sender.get("removed"):
            return
        last = {**conv.last_message, "sender": {**sender, "name": "", "removed": True}}
        try:
            conv.update(actions=[ConversationItem.last_message.set(last)],
                        condition=ConversationItem.last_message_id == conv.last_message_id)
            return
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            store.backoff(attempt)  # a message arrived meanwhile: look again
    raise RuntimeError(f"conversation {conversation_id} stayed busy")


def _waiting(tenant: str, conversation_id: str, names: set[str]) -> list[PendingItem]:
    """Notifications of the conversation still waiting to go out that name one of `names` as the sender
    (its participants are the owners of its counters: every recipient of a message has one)."""
    owners = cast(Iterable[UnreadItem], UnreadItem.gsi2.query(store.key(tenant, "CONVUNREAD", conversation_id)))
    keys = [(user_pk(tenant, str(o.gsi2sk)), f"PENDING#messages#conv:{conversation_id}") for o in owners]
    rows = PendingItem.batch_get(keys, consistent_read=True) if keys else ()
    return [r for r in rows if (r.facts or {}).get("sender") in names and not (r.facts or {}).get("from_staff")]


def _unname_waiting(tenant: str, conversation_id: str, names: set[str]) -> None:
    """Such a notification names no sender any more ("new message about <child>")."""

    def unname(row: PendingItem) -> bool:
        facts = dict(row.facts or {})
        if facts.get("sender") not in names:
            return False
        facts.update(sender="", varied=sorted(set(facts.get("varied", ())) | {"sender"}))
        row.update(actions=[PendingItem.facts.set(facts)], condition=PendingItem.count == row.count)
        return True

    for row in _waiting(tenant, conversation_id, names):
        while_unchanged(row, unname)


def while_unchanged(row: PendingItem, write: Callable[[PendingItem], bool]) -> bool:
    """Apply `write(row)`: a write of a pending notification on condition nothing folded into it meanwhile
    (`count`), or False when there is nothing to do. A lost condition reads the row again and retries.
    False when the row went meanwhile (delivered); raises when it stayed busy (the event is retried)."""
    for attempt in range(ATTEMPTS):
        try:
            return write(row)
        except (UpdateError, DeleteError) as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
        try:
            row.refresh(consistent_read=True)
        except PendingItem.DoesNotExist:
            return False
        store.backoff(attempt)
    raise RuntimeError(f"pending notification {row.pk}/{row.sk} stayed busy")


def delete_all(rows: Iterable[Any]) -> int:
    """Delete rows of the main table in batches (25 a request); how many."""
    found = list(rows)
    with MessagingItem.batch_write() as batch:
        for row in found:
            batch.delete(row)
    return len(found)


def remove(tenant: str, user_id: str, counts: Counter[str]) -> Removed:
    """Remove the guardian's data and their name from what stays; adds what it did to `counts`."""
    removed = Removed(user_id)
    for child_id in directory_copy.children_of_guardian(tenant, user_id):
        if _forget_in_family(tenant, child_id, user_id):
            counts["family_entries_anonymised"] += 1
        removed.children.append(child_id)
    for message in _indexed("SENTBY", MessageItem, tenant, user_id):
        name = message.sender_name  # before the update: it refreshes the item with what it wrote
        if _anonymise(message):
            counts["messages_anonymised"] += 1
            removed.conversations.add(message.conversation_id)
            removed.names |= {name} - {""}
    for conversation_id in sorted(removed.conversations):
        _anonymise_preview(tenant, conversation_id, user_id)
        _unname_waiting(tenant, conversation_id, removed.names)
    keys = [(m.pk, m.sk) for m in _indexed("READBY", ReadMarkerItem, tenant, user_id)]
    counts["read_markers"] += delete_all(ReadMarkerItem.batch_get(keys, consistent_read=True) if keys else ())
    for kind, name in PARTITIONS.items():
        counts[name] += delete_all(MessagingItem.query(store.key(tenant, kind, user_id), consistent_read=True))
    return removed


def check(tenant: str, removed: Removed) -> list[str]:
    """What still carries the guardian: their partitions, their indexed messages and markers (each read
    again from the table: an index entry may outlive its item for a moment), their name in a family row or
    a conversation's preview."""
    user_id, left = removed.user_id, []
    for kind in PARTITIONS:
        left += [f"row {r.pk}/{r.sk}" for r in MessagingItem.query(store.key(tenant, kind, user_id),
                                                                   consistent_read=True)]
    for kind, model in (("SENTBY", MessageItem), ("READBY", ReadMarkerItem)):
        for entry in _indexed(kind, model, tenant, user_id):
            try:
                item = model.get(entry.pk, entry.sk, consistent_read=True)
            except model.DoesNotExist:
                continue
            if item.gsi1pk == entry.gsi1pk:
                left.append(f"{kind.lower()} {item.pk}/{item.sk}")
    for child_id in removed.children:
        known = directory_copy.every_guardian(tenant, child_id).get(user_id) or {}
        if known.get("name") or known.get("active"):
            left.append(f"family {child_id} names {user_id}")
    for conversation_id in sorted(removed.conversations):
        conv = conversations.get(tenant, conversation_id, consistent=True)
        sender = (conv.last_message or {}).get("sender") or {} if conv else {}
        if sender.get("id") == user_id and sender.get("name"):
            left.append(f"conversation {conversation_id} names {user_id}")
        left += [f"notification {r.pk}/{r.sk} names {user_id}" for r in _waiting(tenant, conversation_id,
                                                                                  removed.names)]
    return left
