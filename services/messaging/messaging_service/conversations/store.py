"""Conversations' items and their reads: the conversation, its messages, read markers and unread counters.

The keys are in the table of `messaging_service/store.py`. Sending is `sending.py`, reading (counters to 0,
read markers) `reading.py`; the rules they follow are `rules.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError

from messaging_service.store import MessagingItem
from portal_common import store
from portal_common.authz import Target
from portal_common.domain import StateConflict

ATTEMPTS = 8
_RETRYABLE = frozenset({"ConditionalCheckFailed", "TransactionConflict"})
CONVERSATION_ID = re.compile(r"^cnv-[0-9a-z]{26}$")


class ConversationLookupItem(MessagingItem):
    """Which conversation a child has with a group: written with the conversation, on condition it does
    not exist yet, so two first messages at once still make one conversation."""

    conversation_id = UnicodeAttribute()


class ConversationItem(MessagingItem):
    """A conversation about a child with the staff of a group. `last_message`: {"id", "text" (a preview),
    "sent_at", "sender": {"id", "name", "role"}}; `last_message_id` guards concurrent sends."""

    conversation_id = UnicodeAttribute()
    child_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    location_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    last_message = JSONAttribute(default=dict)
    last_message_id = UnicodeAttribute()
    last_at = UnicodeAttribute()
    message_count = NumberAttribute(default=0)


class MessageItem(MessagingItem):
    """A message. `attachments`: [{"id", "file_name", "content_type", "size"}] (claimed with it).
    `sender_removed`: the guardian who wrote it no longer has an account; their name is gone and
    readers see "former parent" in their language."""

    message_id = UnicodeAttribute()
    conversation_id = UnicodeAttribute()
    sender_id = UnicodeAttribute()
    sender_name = UnicodeAttribute(default="")
    sender_role = UnicodeAttribute()
    text = UnicodeAttribute()
    sent_at = UnicodeAttribute()
    attachments = JSONAttribute(default=list)
    sender_removed = BooleanAttribute(null=True)


class ReadMarkerItem(MessagingItem):
    """How far a participant has read a conversation (the message id they read up to)."""

    user_id = UnicodeAttribute()
    name = UnicodeAttribute(default="")
    role = UnicodeAttribute()
    message_id = UnicodeAttribute()
    read_at = UnicodeAttribute()


class UnreadItem(MessagingItem):
    """A participant's unread messages in one conversation (indexed in gsi1 only while above 0)."""

    conversation_id = UnicodeAttribute(null=True)
    unread = NumberAttribute(null=True)


class UnreadTotalItem(MessagingItem):
    """A participant's unread messages in all conversations, and in how many conversations."""

    total = NumberAttribute(null=True)
    conversations = NumberAttribute(null=True)


class Busy(StateConflict):
    """The conversation kept changing under the caller (retried `ATTEMPTS` times): 409 `conversation_busy`."""

    def __init__(self) -> None:
        super().__init__("conversation_busy", detail_key="messaging.conversation_busy")


def conv_pk(tenant: str, conversation_id: str) -> str:
    return store.key(tenant, "CONV", conversation_id)


def unread_pk(tenant: str, user_id: str) -> str:
    return store.key(tenant, "UNREAD", user_id)


def retry_or_raise(exc: TransactWriteError, attempt: int) -> None:
    if not {r.code for r in exc.cancellation_reasons or () if r is not None} & _RETRYABLE:
        raise exc
    store.backoff(attempt)


def message_id(ulid: str) -> str:
    return f"msg-{ulid}"


def get(tenant: str, conversation_id: str, *, consistent: bool = False) -> ConversationItem | None:
    if not CONVERSATION_ID.fullmatch(conversation_id or ""):
        return None
    try:
        return ConversationItem.get(conv_pk(tenant, conversation_id), "CONV", consistent_read=consistent)
    except ConversationItem.DoesNotExist:
        return None


def target(tenant: str, conv: ConversationItem) -> Target:
    return Target.child(tenant, conv.child_id, {conv.group_id}, {conv.location_id})


def lookup(tenant: str, child_id: str, group_id: str) -> str | None:
    """The id of the child's conversation with the group, if there is one."""
    try:
        return ConversationLookupItem.get(store.key(tenant, "CHILD", child_id), f"CONV#{group_id}",
                                          consistent_read=True).conversation_id
    except ConversationLookupItem.DoesNotExist:
        return None


# -- counters and read markers -----------------------------------------------------------------------
def counter(tenant: str, user_id: str, conversation_id: str) -> int:
    try:
        row = UnreadItem.get(unread_pk(tenant, user_id), f"CONV#{conversation_id}", consistent_read=True)
    except UnreadItem.DoesNotExist:
        return 0
    return int(row.unread or 0)


def counters(tenant: str, conversation_id: str, user_ids: Iterable[str]) -> dict[str, int]:
    """user id → their unread count in the conversation, for these users (one consistent BatchGetItem)."""
    keys = [(unread_pk(tenant, u), f"CONV#{conversation_id}") for u in sorted(user_ids)]
    if not keys:
        return {}
    return {row.pk.rsplit("#", 1)[1]: int(row.unread or 0)
            for row in UnreadItem.batch_get(keys, consistent_read=True)}


def counters_of(tenant: str, user_id: str, conversation_ids: Iterable[str]) -> dict[str, int]:
    """The caller's unread count in each of these conversations (one BatchGetItem)."""
    keys = [(unread_pk(tenant, user_id), f"CONV#{c}") for c in sorted(set(conversation_ids))]
    return {row.sk.removeprefix("CONV#"): int(row.unread or 0) for row in UnreadItem.batch_get(keys)} if keys else {}


def totals(tenant: str, user_id: str) -> tuple[int, int]:
    """(unread messages, conversations with unread messages) of a user: one GetItem."""
    try:
        row = UnreadTotalItem.get(unread_pk(tenant, user_id), "TOTAL", consistent_read=True)
    except UnreadTotalItem.DoesNotExist:
        return 0, 0
    return int(row.total or 0), int(row.conversations or 0)


def markers(tenant: str, conversation_id: str) -> list[ReadMarkerItem]:
    """Every participant's read marker in the conversation (one Query)."""
    return list(ReadMarkerItem.query(conv_pk(tenant, conversation_id), ReadMarkerItem.sk.startswith("READ#")))


# -- lists ----------------------------------------------------------------------------------------------
def _query(index: Any, sort_key: Any, hash_key: str, prefix: str, before: str | None, limit: int) -> list[Any]:
    """(position, row) newest first from one partition of an index; position = `<ulid>#<conv>`."""
    if before is None:
        condition = sort_key.startswith(prefix) if prefix else None
    else:
        condition = sort_key.between(prefix, prefix + before) if prefix else sort_key < before
    rows = index.query(hash_key, condition, scan_index_forward=False, limit=limit + 2)
    found = [(str(getattr(row, sort_key.attr_name))[len(prefix):], row) for row in rows]
    return [(position, row) for position, row in found if position != before]


def _merge(found: list[tuple[str, Any]], limit: int) -> tuple[list[Any], str | None]:
    found.sort(key=lambda pair: pair[0], reverse=True)
    page = found[:limit]
    return [row for _, row in page], (page[-1][0] if len(found) > limit else None)


def inbox(tenant: str, user_id: str, scopes: list[tuple[str, str]], unread_only: bool, before: str | None,
          limit: int) -> tuple[list[ConversationItem], str | None]:
    """Conversations newest activity first, one Query per source merged. `scopes`: ("G", group) or
    ("C", child) sources. Unread only: the caller's own unread index."""
    found: list[tuple[str, Any]] = []
    for kind, value in scopes:
        if unread_only:
            found += _query(UnreadItem.gsi1, UnreadItem.gsi1sk, store.key(tenant, "UNREADIN", user_id),
                            f"{kind}#{value}#", before, limit)
        elif kind == "G":
            found += _query(ConversationItem.gsi1, ConversationItem.gsi1sk, store.key(tenant, "INBOX", value), "",
                            before, limit)
        else:
            found += _query(ConversationItem.gsi2, ConversationItem.gsi2sk, store.key(tenant, "CHILDCONV", value), "",
                            before, limit)
    rows, next_position = _merge(found, limit)
    if not unread_only:
        return rows, next_position
    keys = [(store.key(tenant, "CONV", r.conversation_id), "CONV") for r in rows]
    by_id = {c.conversation_id: c for c in ConversationItem.batch_get(keys)} if keys else {}
    return [by_id[r.conversation_id] for r in rows if r.conversation_id in by_id], next_position


def messages(conv: ConversationItem, limit: int, last_key: Any | None) -> tuple[list[MessageItem], Any | None]:
    """A page of the conversation's messages, newest first, and the key to go on from (None: the last)."""
    found = MessageItem.query(conv.pk, MessageItem.sk.startswith("MSG#"), scan_index_forward=False, limit=limit,
                              **({"last_evaluated_key": last_key} if last_key is not None else {}))
    page = list(found)
    return page, found.last_evaluated_key
