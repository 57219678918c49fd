"""Sending a message: the first one about a child to a group (which starts the conversation) or the next one.

Sending is one transaction (outbox `Changes`): the message, the conversation's last message and index keys,
+1 on every other participant's counter for the conversation and on their total, and the
`messaging.message.sent` event. Each counter write is conditioned on the value read just before, and the
conversation on its last message, so concurrent sends and reads retry instead of drifting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import TransactWriteError
from ulid import ULID

from messaging_service import directory_copy
from messaging_service.conversations import rules, store
from messaging_service.conversations.rules import Caller
from messaging_service.conversations.store import (
    ATTEMPTS,
    Busy,
    ConversationItem,
    ConversationLookupItem,
    MessageItem,
    UnreadItem,
    UnreadTotalItem,
    conv_pk,
    unread_pk,
)
from portal_common import clock, ids
from portal_common import store as common_store
from portal_common.contracts import messaging as events
from portal_common.outbox import Changes, Outbox

SOURCE = "messaging"

# claim(changes, tenant, user_id, attachment_ids, owner_kind=..., owner_id=...) -> claimed attachments
Claim = Callable[..., list[Any]]


def _next_ulid(previous: str | None) -> str:
    """A message id after the previous one, also when the clock has not moved (ULIDs sort by ms only)."""
    new = ids.new_id().lower()
    if previous and new <= previous:
        new = str(ULID.from_int(int(ULID.from_str(previous.upper())) + 1)).lower()
    return new


def guardian_index(tenant: str, caller: Caller, kind: str, sort_key: str) -> dict[str, Any]:
    """A guardian's messages and read markers are indexed by the guardian, so the removal of their account
    finds the ones in conversations that stay (a child they were unlinked from)."""
    return {"gsi1pk": common_store.key(tenant, kind, caller.user_id), "gsi1sk": sort_key} if (
        caller.role == rules.PARENT) else {}


def participants(tenant: str, child_id: str, group_id: str) -> dict[str, str]:
    """user id → counter scope of everyone taking part: the guardians and the group's staff."""
    found = dict.fromkeys(directory_copy.staff_of(tenant, group_id), f"G#{group_id}")
    found.update(dict.fromkeys(directory_copy.guardians_of(tenant, child_id), f"C#{child_id}"))
    return found


def new_conversation(tenant: str, child_id: str, group_id: str, location_id: str, user_id: str) -> ConversationItem:
    conversation_id = f"cnv-{ids.new_id().lower()}"
    return ConversationItem(conv_pk(tenant, conversation_id), "CONV", conversation_id=conversation_id,
                            child_id=child_id, group_id=group_id, location_id=location_id,
                            created_at=clock.now().isoformat(), created_by=user_id, last_message={},
                            last_message_id="", last_at="", message_count=0,
                            gsi1pk=common_store.key(tenant, "INBOX", group_id),
                            gsi2pk=common_store.key(tenant, "CHILDCONV", child_id))


def _commit(outbox: Outbox, tenant: str, conv: ConversationItem, caller: Caller, text: str,
            attachment_ids: list[str], claim: Claim | None, *, new: bool) -> MessageItem:
    cid = conv.conversation_id
    recipients = rules.recipients(participants(tenant, conv.child_id, conv.group_id), caller.user_id)
    counters = store.counters(tenant, cid, recipients)
    ulid, now = _next_ulid(conv.last_message_id or None), clock.now().isoformat()
    ch = Changes(outbox, tenant, SOURCE)
    claimed = claim(ch, tenant, caller.user_id, attachment_ids, owner_kind="message", owner_id=cid) if (
        attachment_ids and claim) else []
    message = MessageItem(conv_pk(tenant, cid), f"MSG#{ulid}", message_id=store.message_id(ulid), conversation_id=cid,
                          sender_id=caller.user_id, sender_name=caller.name, sender_role=caller.role, text=text,
                          sent_at=now, attachments=[{"id": a.attachment_id, "file_name": a.file_name,
                                                     "content_type": a.content_type, "size": int(a.size)}
                                                    for a in claimed], **guardian_index(tenant, caller, "SENTBY",
                                                                                        f"{ulid}#{cid}"))
    ch.save(message, MessageItem.pk.does_not_exist())
    last = {"id": message.message_id, "text": rules.preview(text), "sent_at": now,
            "sender": {"id": caller.user_id, "name": caller.name, "role": caller.role}}
    previous, sort_key = conv.last_message_id, f"{ulid}#{cid}"
    if new:
        ch.save(ConversationLookupItem(common_store.key(tenant, "CHILD", conv.child_id), f"CONV#{conv.group_id}",
                                       conversation_id=cid), ConversationLookupItem.pk.does_not_exist())
    conv.last_message, conv.last_message_id, conv.last_at = last, ulid, now
    conv.gsi1sk = conv.gsi2sk = sort_key
    conv.message_count = int(conv.message_count or 0) + 1
    if new:
        ch.save(conv, ConversationItem.pk.does_not_exist())
    else:
        ch.update(ConversationItem(conv.pk, conv.sk), [
            ConversationItem.last_message.set(last), ConversationItem.last_message_id.set(ulid),
            ConversationItem.last_at.set(now), ConversationItem.gsi1sk.set(sort_key),
            ConversationItem.gsi2sk.set(sort_key), ConversationItem.message_count.add(1),
        ], condition=ConversationItem.last_message_id == previous)
    for user, scope in sorted(recipients.items()):
        before = counters.get(user, 0)
        ch.update(UnreadItem(unread_pk(tenant, user), f"CONV#{cid}"), [
            UnreadItem.unread.add(1), UnreadItem.conversation_id.set(cid),
            UnreadItem.gsi1pk.set(common_store.key(tenant, "UNREADIN", user)),
            UnreadItem.gsi1sk.set(f"{scope}#{sort_key}"),
            UnreadItem.gsi2pk.set(common_store.key(tenant, "CONVUNREAD", cid)), UnreadItem.gsi2sk.set(user),
        ], condition=(UnreadItem.unread == before) if before else (
            UnreadItem.unread.does_not_exist() | (UnreadItem.unread == 0)))
        ch.update(UnreadTotalItem(unread_pk(tenant, user), "TOTAL"), [UnreadTotalItem.total.add(1)] + (
            [] if before else [UnreadTotalItem.conversations.add(1)]))
    ch.emit(events.MessageSent(conversation_id=cid, message_id=message.message_id, child_id=conv.child_id,
                               group_id=conv.group_id, location_id=conv.location_id, sender_id=caller.user_id,
                               sender_role=caller.role, sender_name=caller.name, recipient_ids=sorted(recipients),
                               sent_at=now))
    ch.commit()
    return message


def start(outbox: Outbox, tenant: str, caller: Caller, *, child_id: str, group_id: str, location_id: str,
          text: str, attachment_ids: list[str], claim: Claim | None = None,
          ) -> tuple[ConversationItem, MessageItem, bool]:
    """The first message about a child to a group, or the next one when the conversation exists
    (True when it was created now). Two first messages at once: one creates, the other adds to it."""
    for attempt in range(ATTEMPTS):
        existing = store.lookup(tenant, child_id, group_id)
        if existing is not None:
            conv = store.get(tenant, existing, consistent=True)
            if conv is None:  # never: the conversation is written in one transaction with its lookup row
                raise Busy()
            return (*send(outbox, tenant, conv, caller, text, attachment_ids, claim), False)
        conv = new_conversation(tenant, child_id, group_id, location_id, caller.user_id)
        try:
            return conv, _commit(outbox, tenant, conv, caller, text, attachment_ids, claim, new=True), True
        except TransactWriteError as exc:
            store.retry_or_raise(exc, attempt)
    raise Busy()


def send(outbox: Outbox, tenant: str, conv: ConversationItem, caller: Caller, text: str,
         attachment_ids: list[str], claim: Claim | None = None) -> tuple[ConversationItem, MessageItem]:
    """A message in an existing conversation (the caller's right to write is checked by the route)."""
    for attempt in range(ATTEMPTS):
        if attempt:
            conv = store.get(tenant, conv.conversation_id, consistent=True) or conv
        try:
            return conv, _commit(outbox, tenant, conv, caller, text, attachment_ids, claim, new=False)
        except TransactWriteError as exc:
            store.retry_or_raise(exc, attempt)
    raise Busy()


def write(outbox: Outbox, tenant: str, conv: ConversationItem, caller: Caller, text: str,
          attachment_ids: list[str], claim: Claim | None = None) -> tuple[ConversationItem, MessageItem]:
    """A participant's message in an existing conversation: only while its group is the child's current
    group (422 `not_current_group`; the conversation stays readable as history)."""
    rules.check_current_group(directory_copy.current_group(tenant, conv.child_id), conv.group_id)
    return send(outbox, tenant, conv, caller, text, attachment_ids, claim)
