"""The retention purge of a child (`retention.purge_handlers`): everything messaging holds of the child
goes, and then the service checks, from the child's own keys, that nothing is left.

In this order, each step idempotent (a redelivered or repeated request finds less and deletes that; a
request for a child never heard of finds nothing and confirms):

1. Every conversation of the child, with every group it was ever in (the lookup rows in the child's
   partition, and the child's conversation index):
   a. the conversation row first: from then on no message can be added (a send is conditioned on the
      conversation's last message) and nobody can mark it read, so its counters stand still;
   b. every unread counter of the conversation (found in its own index, and by asking for the counter of
      every guardian, staff member of the group, sender and reader): deleted on condition it still holds
      the count read, with exactly that count taken off its owner's unread total in the same transaction,
      like a "read" does. Each parent's and staff member's total ends as if the conversation had never been;
   c. its attachments: the S3 objects under each attachment's keys (the cleaned file, the raw upload under
      `tmp/`, anything derived under the same prefix) before the rows, and the messages that name them
      last, so a crash halfway leaves messages that a redelivery follows to the files again;
   d. its messages and read markers.
2. Pending notifications about the child (its conversations, photos, diary), of everyone who may have one.
3. The copies of the directory: the child's name, placements, family and conversation lookups (the child's
   whole partition), and each guardian's row naming the child.
4. The removed guardians (`guardian_ids`), see guardian_removal.py.

News, newsletters and location pages are the organisation's, not the child's: they stay. Staff rows stay.
Nothing is kept because of the law.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from pynamodb.exceptions import TransactWriteError

from messaging_service import directory_copy
from messaging_service.attachments import store as attachments
from messaging_service.attachments.store import AttachmentItem
from messaging_service.conversations import store as conversations
from messaging_service.conversations.store import (
    ConversationItem,
    ConversationLookupItem,
    MessageItem,
    ReadMarkerItem,
    UnreadItem,
    UnreadTotalItem,
)
from messaging_service.notifications.store import PendingItem, user_pk
from messaging_service.retention import guardian_removal
from messaging_service.retention.guardian_removal import delete_all
from messaging_service.store import GuardianOfItem, MessagingItem
from portal_common import aws, store
from portal_common.retention import PurgeRequest, PurgeResult

ATTEMPTS = 8
_RETRYABLE = frozenset({"ConditionalCheckFailed", "TransactionConflict"})
log = logging.getLogger("messaging.purge")


@dataclass
class Found:
    """What the purge found of the child: where its check looks again afterwards."""

    conversations: dict[str, str] = field(default_factory=dict)  # conversation id → group id
    guardians: set[str] = field(default_factory=set)  # everyone who is or was the child's guardian
    users: set[str] = field(default_factory=set)  # anyone who may hold a counter or a notification about it
    attachments: set[str] = field(default_factory=set)


def _child_pk(tenant: str, child_id: str) -> str:
    return store.key(tenant, "CHILD", child_id)


def _conv_pk(tenant: str, conversation_id: str) -> str:
    return store.key(tenant, "CONV", conversation_id)


def _unread_key(tenant: str, user_id: str, conversation_id: str) -> tuple[str, str]:
    return store.key(tenant, "UNREAD", user_id), f"CONV#{conversation_id}"


def _retry_or_raise(exc: TransactWriteError, attempt: int) -> None:
    if not {r.code for r in exc.cancellation_reasons or () if r is not None} & _RETRYABLE:
        raise exc
    store.backoff(attempt)


def conversations_of(tenant: str, child_id: str) -> dict[str, str]:
    """conversation id → group id of every conversation of the child (lookup rows and the child's index)."""
    lookups = ConversationLookupItem.query(_child_pk(tenant, child_id), ConversationLookupItem.sk.startswith("CONV#"),
                                           consistent_read=True)
    found = {row.conversation_id: row.sk.removeprefix("CONV#") for row in lookups}
    indexed = cast(Iterable[ConversationItem], ConversationItem.gsi2.query(store.key(tenant, "CHILDCONV", child_id)))
    for conv in indexed:
        found.setdefault(conv.conversation_id, conv.group_id)
    return found


# -- counters ------------------------------------------------------------------------------------------
def counter_owners(tenant: str, conversation_id: str) -> set[str]:
    """Everyone the conversation's counter index lists (each counter written since it was indexed)."""
    rows = cast(Iterable[UnreadItem], UnreadItem.gsi2.query(store.key(tenant, "CONVUNREAD", conversation_id)))
    return {str(row.gsi2sk) for row in rows}


def _total_update(tx: Any, tenant: str, user_id: str, count: int) -> None:
    """Take `count` unread messages in one conversation off the user's total, on the conditions a read uses;
    a total that drifted below them is set to what is left, on condition it is still the value read."""
    pk, T = store.key(tenant, "UNREAD", user_id), UnreadTotalItem
    total, with_unread = conversations.totals(tenant, user_id)
    if total >= count and with_unread >= 1:
        tx.update(T(pk, "TOTAL"), actions=[T.total.add(-count), T.conversations.add(-1)],
                  condition=(T.total >= count) & (T.conversations >= 1))
    elif total or with_unread:
        tx.update(T(pk, "TOTAL"), actions=[T.total.set(max(0, total - count)),
                                           T.conversations.set(max(0, with_unread - 1))],
                  condition=(T.total == total) & (T.conversations == with_unread))


def drop_counter(tenant: str, user_id: str, conversation_id: str) -> int:
    """Delete the user's counter of the conversation and take its unread messages off their total, in one
    transaction conditioned on both values read (retried when either moved); 1 when there was a counter."""
    pk, sk = _unread_key(tenant, user_id, conversation_id)
    for attempt in range(ATTEMPTS):
        try:
            row = UnreadItem.get(pk, sk, consistent_read=True)
        except UnreadItem.DoesNotExist:
            return 0
        count = int(row.unread or 0)
        try:
            with store.transaction() as tx:
                tx.delete(UnreadItem(pk, sk), condition=(UnreadItem.unread == count) if count else (
                    UnreadItem.unread.does_not_exist() | (UnreadItem.unread == 0)))
                if count:
                    _total_update(tx, tenant, user_id, count)
            return 1
        except TransactWriteError as exc:
            _retry_or_raise(exc, attempt)
    raise RuntimeError(f"the counter of {user_id} in {conversation_id} stayed busy")  # the event is retried


# -- attachments ---------------------------------------------------------------------------------------
def attachment_prefixes(tenant: str, attachment_id: str) -> tuple[str, str]:
    """Where an attachment's objects live: the cleaned file (and anything derived from it under the same
    prefix) and the raw upload under `tmp/`."""
    return attachments.file_key(tenant, attachment_id), attachments.raw_key(tenant, attachment_id)


def attachment_objects(tenant: str, attachment_id: str) -> list[str]:
    s3, found = aws.client("s3"), []
    for prefix in attachment_prefixes(tenant, attachment_id):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=attachments.bucket(), Prefix=prefix):
            found += [o["Key"] for o in page.get("Contents", [])]
    return found


def _purge_attachments(tenant: str, attachment_ids: list[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    s3 = aws.client("s3")
    for attachment_id in attachment_ids:
        for key in attachment_objects(tenant, attachment_id):
            s3.delete_object(Bucket=attachments.bucket(), Key=key)
            counts["attachment_files"] += 1
    keys = [attachments.item_key(tenant, a) for a in attachment_ids]
    counts["attachments"] += delete_all(AttachmentItem.batch_get(keys, consistent_read=True) if keys else ())
    return counts


# -- one conversation ----------------------------------------------------------------------------------
def _purge_conversation(tenant: str, conversation_id: str, group_id: str, found: Found) -> Counter[str]:
    counts: Counter[str] = Counter()
    conv = conversations.get(tenant, conversation_id, consistent=True)
    if conv is not None:
        conv.delete()  # first: no message is added and no counter moves any more
        counts["conversations"] += 1
    pk = _conv_pk(tenant, conversation_id)
    messages = list(MessageItem.query(pk, MessageItem.sk.startswith("MSG#"), consistent_read=True))
    markers = list(ReadMarkerItem.query(pk, ReadMarkerItem.sk.startswith("READ#"), consistent_read=True))
    owners = (found.guardians | set(directory_copy.staff_of(tenant, group_id)) | {m.sender_id for m in messages}
              | {m.user_id for m in markers} | counter_owners(tenant, conversation_id))
    found.users |= owners
    for user_id in sorted(owners):
        counts["unread_counters"] += drop_counter(tenant, user_id, conversation_id)
    attachment_ids = sorted({a["id"] for m in messages for a in m.attachments or []})
    found.attachments |= set(attachment_ids)
    counts += _purge_attachments(tenant, attachment_ids)
    counts["read_markers"] += delete_all(markers)
    counts["messages"] += delete_all(messages)
    delete_all(MessagingItem.query(pk, consistent_read=True))  # anything else of it (none today)
    return counts


# -- pending notifications -----------------------------------------------------------------------------
def _subjects(child_id: str, conversation_ids: Iterable[str]) -> set[str]:
    """What notifications about the child fold under (notifications/consumers.py)."""
    return {f"child:{child_id}", f"report:{child_id}", f"parent_entry:{child_id}"} | {
        f"conv:{c}" for c in conversation_ids}


def pending_about(tenant: str, user_id: str, child_id: str, subjects: set[str]) -> list[PendingItem]:
    rows = PendingItem.query(user_pk(tenant, user_id), PendingItem.sk.startswith("PENDING#"), consistent_read=True)
    return [r for r in rows if r.subject in subjects or ((r.facts or {}).get("link") or {}).get("child_id") == child_id]


def _drop_pending(row: PendingItem) -> int:
    """Delete a pending notification on condition nothing folded into it meanwhile (else read it again)."""

    def drop(r: PendingItem) -> bool:
        r.delete(condition=PendingItem.count == r.count)
        return True

    return 1 if guardian_removal.while_unchanged(row, drop) else 0


# -- the whole child -----------------------------------------------------------------------------------
def _purge_copies(tenant: str, child_id: str, guardians: set[str]) -> Counter[str]:
    """The guardians' rows naming the child first, then the child's partition (name, placements, family,
    conversation lookups), whose family row is how a redelivery finds those guardians again."""
    counts: Counter[str] = Counter()
    keys = [(store.key(tenant, "USER", g), f"GUARDIAN#{child_id}") for g in sorted(guardians)]
    counts["guardian_rows"] += delete_all(GuardianOfItem.batch_get(keys, consistent_read=True) if keys else ())
    counts["directory_rows"] += delete_all(MessagingItem.query(_child_pk(tenant, child_id), consistent_read=True))
    return counts


def purge(request: PurgeRequest) -> PurgeResult:
    tenant, child_id = request.tenant, request.child_id
    found = Found(conversations=conversations_of(tenant, child_id),
                  guardians=set(directory_copy.every_guardian(tenant, child_id)) | set(request.guardian_ids))
    groups = set(found.conversations.values()) | {p.group_id for p in directory_copy.placements(tenant, child_id)}
    found.users |= found.guardians.union(*(directory_copy.staff_of(tenant, g) for g in sorted(groups)))
    counts: Counter[str] = Counter()
    for conversation_id, group_id in sorted(found.conversations.items()):
        counts += _purge_conversation(tenant, conversation_id, group_id, found)
    subjects = _subjects(child_id, found.conversations)
    for user_id in sorted(found.users):
        for row in pending_about(tenant, user_id, child_id, subjects):
            counts["notifications"] += _drop_pending(row)
    counts += _purge_copies(tenant, child_id, found.guardians)
    removed = [guardian_removal.remove(tenant, user_id, counts) for user_id in request.guardian_ids]
    left = check(tenant, child_id, found) + [item for r in removed for item in guardian_removal.check(tenant, r)]
    deleted = {kind: n for kind, n in sorted(counts.items()) if n}
    log.info("child purged from messaging", extra={"child_id": child_id, "deleted": deleted, "left": len(left)})
    return PurgeResult(deleted=deleted, left=left)


# -- the check -----------------------------------------------------------------------------------------
def _rows(pk: str) -> list[str]:
    return [f"row {r.pk}/{r.sk}" for r in MessagingItem.query(pk, consistent_read=True)]


def _indexed(model: Any, entries: Iterable[Any], attr: str) -> list[Any]:
    """The index entries whose item is really still there with that index key (an index is read eventually
    consistent: an entry may outlive its item for a moment)."""
    live = []
    for entry in entries:
        try:
            item = model.get(entry.pk, entry.sk, consistent_read=True)
        except model.DoesNotExist:
            continue
        if getattr(item, attr) == getattr(entry, attr):
            live.append(item)
    return live


def check(tenant: str, child_id: str, found: Found) -> list[str]:
    """What messaging still holds of the child: its partition, its conversation index, each conversation's
    partition and counters, its attachments' rows and S3 objects, pending notifications about it, and the
    guardians' rows naming it. Empty when the purge is complete."""
    left = _rows(_child_pk(tenant, child_id))
    indexed = ConversationItem.gsi2.query(store.key(tenant, "CHILDCONV", child_id))
    left += [f"conversation {c.conversation_id}" for c in _indexed(ConversationItem, indexed, "gsi2pk")]
    conversation_ids = sorted(set(found.conversations) | set(conversations_of(tenant, child_id)))
    for conversation_id in conversation_ids:
        left += _rows(_conv_pk(tenant, conversation_id))
        counters = UnreadItem.gsi2.query(store.key(tenant, "CONVUNREAD", conversation_id))
        left += [f"counter {c.pk}/{c.sk}" for c in _indexed(UnreadItem, counters, "gsi2pk")]
        keys = [_unread_key(tenant, u, conversation_id) for u in sorted(found.users)]
        left += [f"counter {c.pk}/{c.sk}" for c in UnreadItem.batch_get(keys, consistent_read=True)] if keys else []
    keys = [attachments.item_key(tenant, a) for a in sorted(found.attachments)]
    left += [f"attachment {a.attachment_id}" for a in AttachmentItem.batch_get(keys, consistent_read=True)] if (
        keys) else []
    left += [f"object {key}" for a in sorted(found.attachments) for key in attachment_objects(tenant, a)]
    subjects = _subjects(child_id, conversation_ids)
    left += [f"notification {r.pk}/{r.sk}" for u in sorted(found.users)
             for r in pending_about(tenant, u, child_id, subjects)]
    keys = [(store.key(tenant, "USER", g), f"GUARDIAN#{child_id}") for g in sorted(found.guardians)]
    left += [f"row {r.pk}/{r.sk}" for r in GuardianOfItem.batch_get(keys, consistent_read=True)] if keys else []
    return left
