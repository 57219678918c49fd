"""Conversations about a child with the staff of a group: who takes part, sending, reading.

- One conversation per child and group. Its participants are the child's guardians who take part now
  and the group's staff (messaging's copy of the directory); the location's manager and the
  organisation's admins may read it, without counters or read markers.
- Only participants may write, and only while the conversation's group is the child's current group
  (422 `not_current_group`: a conversation of a former group stays readable, as history).
- Sending is one transaction (outbox `Changes`): the message, the conversation's last message and index
  keys, +1 on every other participant's counter for the conversation and on their total, and the
  `messaging.message.sent` event. Each counter write is conditioned on the value read just before, and
  the conversation on its last message, so concurrent sends and reads retry instead of drifting.
- Reading sets the caller's counter to 0, takes exactly that many off their total and moves their
  read marker to the newest message, in one conditioned transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError
from ulid import ULID

from messaging_service import directory_copy
from messaging_service.store import (
    ConversationItem,
    ConversationLookupItem,
    MessageItem,
    ReadMarkerItem,
    UnreadItem,
    UnreadTotalItem,
)
from portal_common import authz, clock, errors, ids, store
from portal_common.authz import Principal, Role, Target
from portal_common.contracts import messaging as events
from portal_common.events import Envelope
from portal_common.outbox import Changes, Outbox

SOURCE = "messaging"
ATTEMPTS = 8
PREVIEW_CHARS = 120
MAX_RECIPIENTS = 40  # two writes each in the send transaction, well within DynamoDB's 100 items
_RETRYABLE = frozenset({"ConditionalCheckFailed", "TransactionConflict"})
CONVERSATION_ID = re.compile(r"^cnv-[0-9a-z]{26}$")

# claim(changes, tenant, user_id, attachment_ids, owner_kind=..., owner_id=...) -> claimed attachments
Claim = Callable[..., list[Any]]


@dataclass(frozen=True)
class Caller:
    """Someone acting in a conversation. `scope` (participants only): where their counter is indexed,
    `C#<child>` for a guardian, `G#<group>` for staff."""

    user_id: str
    role: str
    name: str
    scope: str | None

    @property
    def participant(self) -> bool:
        return self.scope is not None


class Busy(errors.Conflict):
    """The conversation kept changing under the caller (retried `ATTEMPTS` times)."""


def _conv_pk(tenant: str, conversation_id: str) -> str:
    return store.key(tenant, "CONV", conversation_id)


def _unread_pk(tenant: str, user_id: str) -> str:
    return store.key(tenant, "UNREAD", user_id)


def _retry_or_raise(exc: TransactWriteError, attempt: int) -> None:
    if not {r.code for r in exc.cancellation_reasons or () if r is not None} & _RETRYABLE:
        raise exc
    store.backoff(attempt)


def _guardian_index(tenant: str, caller: Caller, kind: str, sort_key: str) -> dict[str, Any]:
    """A guardian's messages and read markers are indexed by the guardian, so the removal of their account
    finds the ones in conversations that stay (a child they were unlinked from)."""
    return {"gsi1pk": store.key(tenant, kind, caller.user_id), "gsi1sk": sort_key} if caller.role == "parent" else {}


def message_id(ulid: str) -> str:
    return f"msg-{ulid}"


def preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[:PREVIEW_CHARS - 1].rstrip() + "…"


def get(tenant: str, conversation_id: str, *, consistent: bool = False) -> ConversationItem | None:
    if not CONVERSATION_ID.fullmatch(conversation_id or ""):
        return None
    try:
        return ConversationItem.get(_conv_pk(tenant, conversation_id), "CONV", consistent_read=consistent)
    except ConversationItem.DoesNotExist:
        return None


def target(tenant: str, conv: ConversationItem) -> Target:
    return Target.child(tenant, conv.child_id, {conv.group_id}, {conv.location_id})


def caller_for(principal: Principal, child_id: str, group_id: str, location_id: str) -> Caller | None:
    """What the caller is in the conversation of this child and group; None: nothing (answer 404).

    On top of the token's relation (checked by `authorize`), a guardian must still take part (not
    unlinked, access not ended) and staff must work in the group, as messaging's copy knows it."""
    tenant, user = principal.tenant, principal.user_id
    if principal.role is Role.PARENT:
        guardians = directory_copy.guardians_of(tenant, child_id)
        return Caller(user, "parent", guardians[user], f"C#{child_id}") if user in guardians else None
    if principal.role is Role.STAFF:
        member = directory_copy.staff_member(tenant, group_id, user)
        return Caller(user, "staff", member.name, f"G#{group_id}") if member else None
    if principal.role is Role.MANAGER and location_id not in principal.locations:
        return None
    return Caller(user, principal.role.value, "", None)


def readable(principal: Principal, conversation_id: str) -> bool:
    """May this caller read the conversation (and so download its attachments)?"""
    conv = get(principal.tenant, conversation_id)
    if conv is None:
        return False
    try:
        authz.authorize(principal, "child.conversation.read", target(principal.tenant, conv))
    except errors.Problem:
        return False
    return caller_for(principal, conv.child_id, conv.group_id, conv.location_id) is not None


def lookup(tenant: str, child_id: str, group_id: str) -> str | None:
    """The id of the child's conversation with the group, if there is one."""
    try:
        return ConversationLookupItem.get(store.key(tenant, "CHILD", child_id), f"CONV#{group_id}",
                                          consistent_read=True).conversation_id
    except ConversationLookupItem.DoesNotExist:
        return None


# -- sending -----------------------------------------------------------------------------------------
def _next_ulid(previous: str | None) -> str:
    """A message id after the previous one, also when the clock has not moved (ULIDs sort by ms only)."""
    new = ids.new_id().lower()
    if previous and new <= previous:
        new = str(ULID.from_int(int(ULID.from_str(previous.upper())) + 1)).lower()
    return new


def participants(tenant: str, child_id: str, group_id: str) -> dict[str, str]:
    """user id → counter scope of everyone taking part: the guardians and the group's staff."""
    found = dict.fromkeys(directory_copy.staff_of(tenant, group_id), f"G#{group_id}")
    found.update(dict.fromkeys(directory_copy.guardians_of(tenant, child_id), f"C#{child_id}"))
    return found


def _counters(tenant: str, conversation_id: str, user_ids: Iterable[str]) -> dict[str, int]:
    keys = [(_unread_pk(tenant, u), f"CONV#{conversation_id}") for u in sorted(user_ids)]
    if not keys:
        return {}
    return {row.pk.rsplit("#", 1)[1]: int(row.unread or 0)
            for row in UnreadItem.batch_get(keys, consistent_read=True)}


def new_conversation(tenant: str, child_id: str, group_id: str, location_id: str, user_id: str) -> ConversationItem:
    conversation_id = f"cnv-{ids.new_id().lower()}"
    return ConversationItem(_conv_pk(tenant, conversation_id), "CONV", conversation_id=conversation_id,
                            child_id=child_id, group_id=group_id, location_id=location_id,
                            created_at=clock.now().isoformat(), created_by=user_id, last_message={},
                            last_message_id="", last_at="", message_count=0,
                            gsi1pk=store.key(tenant, "INBOX", group_id),
                            gsi2pk=store.key(tenant, "CHILDCONV", child_id))


def _commit(outbox: Outbox, tenant: str, conv: ConversationItem, caller: Caller, text: str,
            attachment_ids: list[str], claim: Claim | None, *, new: bool) -> MessageItem:
    cid = conv.conversation_id
    recipients = {u: s for u, s in participants(tenant, conv.child_id, conv.group_id).items() if u != caller.user_id}
    if len(recipients) > MAX_RECIPIENTS:
        raise errors.Unprocessable(code="too_many_participants")
    counters = _counters(tenant, cid, recipients)
    ulid, now = _next_ulid(conv.last_message_id or None), clock.now().isoformat()
    ch = Changes(outbox, tenant, SOURCE)
    claimed = claim(ch, tenant, caller.user_id, attachment_ids, owner_kind="message", owner_id=cid) if (
        attachment_ids and claim) else []
    message = MessageItem(_conv_pk(tenant, cid), f"MSG#{ulid}", message_id=message_id(ulid), conversation_id=cid,
                          sender_id=caller.user_id, sender_name=caller.name, sender_role=caller.role, text=text,
                          sent_at=now, attachments=[{"id": a.attachment_id, "file_name": a.file_name,
                                                     "content_type": a.content_type, "size": int(a.size)}
                                                    for a in claimed], **_guardian_index(tenant, caller, "SENTBY",
                                                                                         f"{ulid}#{cid}"))
    ch.save(message, MessageItem.pk.does_not_exist())
    last = {"id": message.message_id, "text": preview(text), "sent_at": now,
            "sender": {"id": caller.user_id, "name": caller.name, "role": caller.role}}
    previous, sort_key = conv.last_message_id, f"{ulid}#{cid}"
    if new:
        ch.save(ConversationLookupItem(store.key(tenant, "CHILD", conv.child_id), f"CONV#{conv.group_id}",
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
        ch.update(UnreadItem(_unread_pk(tenant, user), f"CONV#{cid}"), [
            UnreadItem.unread.add(1), UnreadItem.conversation_id.set(cid),
            UnreadItem.gsi1pk.set(store.key(tenant, "UNREADIN", user)), UnreadItem.gsi1sk.set(f"{scope}#{sort_key}"),
            UnreadItem.gsi2pk.set(store.key(tenant, "CONVUNREAD", cid)), UnreadItem.gsi2sk.set(user),
        ], condition=(UnreadItem.unread == before) if before else (
            UnreadItem.unread.does_not_exist() | (UnreadItem.unread == 0)))
        ch.update(UnreadTotalItem(_unread_pk(tenant, user), "TOTAL"), [UnreadTotalItem.total.add(1)] + (
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
        existing = lookup(tenant, child_id, group_id)
        if existing is not None:
            conv = get(tenant, existing, consistent=True)
            if conv is None:  # never: the conversation is written in one transaction with its lookup row
                raise Busy(code="conversation_busy")
            return (*send(outbox, tenant, conv, caller, text, attachment_ids, claim), False)
        conv = new_conversation(tenant, child_id, group_id, location_id, caller.user_id)
        try:
            return conv, _commit(outbox, tenant, conv, caller, text, attachment_ids, claim, new=True), True
        except TransactWriteError as exc:
            _retry_or_raise(exc, attempt)
    raise Busy(code="conversation_busy")


def send(outbox: Outbox, tenant: str, conv: ConversationItem, caller: Caller, text: str,
         attachment_ids: list[str], claim: Claim | None = None) -> tuple[ConversationItem, MessageItem]:
    """A message in an existing conversation (the caller's right to write is checked by the route)."""
    for attempt in range(ATTEMPTS):
        if attempt:
            conv = get(tenant, conv.conversation_id, consistent=True) or conv
        try:
            return conv, _commit(outbox, tenant, conv, caller, text, attachment_ids, claim, new=False)
        except TransactWriteError as exc:
            _retry_or_raise(exc, attempt)
    raise Busy(code="conversation_busy")


# -- reading -----------------------------------------------------------------------------------------
def counter(tenant: str, user_id: str, conversation_id: str) -> int:
    try:
        row = UnreadItem.get(_unread_pk(tenant, user_id), f"CONV#{conversation_id}", consistent_read=True)
    except UnreadItem.DoesNotExist:
        return 0
    return int(row.unread or 0)


def counters_of(tenant: str, user_id: str, conversation_ids: Iterable[str]) -> dict[str, int]:
    """The caller's unread count in each of these conversations (one BatchGetItem)."""
    keys = [(_unread_pk(tenant, user_id), f"CONV#{c}") for c in sorted(set(conversation_ids))]
    return {row.sk.removeprefix("CONV#"): int(row.unread or 0) for row in UnreadItem.batch_get(keys)} if keys else {}


def totals(tenant: str, user_id: str) -> tuple[int, int]:
    """(unread messages, conversations with unread messages) of a user: one GetItem."""
    try:
        row = UnreadTotalItem.get(_unread_pk(tenant, user_id), "TOTAL", consistent_read=True)
    except UnreadTotalItem.DoesNotExist:
        return 0, 0
    return int(row.total or 0), int(row.conversations or 0)


def _zero(tx: Any, tenant: str, user_id: str, conversation_id: str, count: int) -> None:
    """Counter to 0, exactly `count` off the total: fails (and is retried) if either moved meanwhile."""
    tx.update(UnreadItem(_unread_pk(tenant, user_id), f"CONV#{conversation_id}"),
              actions=[UnreadItem.unread.set(0), UnreadItem.gsi1pk.remove(), UnreadItem.gsi1sk.remove()],
              condition=UnreadItem.unread == count)
    tx.update(UnreadTotalItem(_unread_pk(tenant, user_id), "TOTAL"),
              actions=[UnreadTotalItem.total.add(-count), UnreadTotalItem.conversations.add(-1)],
              condition=(UnreadTotalItem.total >= count) & (UnreadTotalItem.conversations >= 1))


def markers(tenant: str, conversation_id: str) -> list[ReadMarkerItem]:
    """Every participant's read marker in the conversation (one Query)."""
    return list(ReadMarkerItem.query(_conv_pk(tenant, conversation_id), ReadMarkerItem.sk.startswith("READ#")))


def mark_read(tenant: str, conversation_id: str, caller: Caller) -> None:
    """The caller has read the conversation up to its newest message. A reader who takes no part (a
    manager, an admin) has no counter and leaves no marker."""
    if not caller.participant:
        return
    pk, user = _conv_pk(tenant, conversation_id), caller.user_id
    for attempt in range(ATTEMPTS):
        count = counter(tenant, user, conversation_id)
        conv = get(tenant, conversation_id, consistent=True)
        if conv is None:
            raise errors.NotFound()
        try:
            marker: ReadMarkerItem | None = ReadMarkerItem.get(pk, f"READ#{user}", consistent_read=True)
        except ReadMarkerItem.DoesNotExist:
            marker = None
        behind = marker is None or marker.message_id < conv.last_message_id
        if not count and not behind:
            return  # read already: reading twice changes nothing
        try:
            with store.transaction() as tx:
                if count:
                    _zero(tx, tenant, user, conversation_id, count)
                else:  # a message arriving meanwhile must not be marked read without its count
                    tx.condition_check(UnreadItem, _unread_pk(tenant, user), f"CONV#{conversation_id}",
                                       condition=UnreadItem.unread.does_not_exist() | (UnreadItem.unread == 0))
                if behind:
                    tx.save(ReadMarkerItem(pk, f"READ#{user}", user_id=user, name=caller.name, role=caller.role,
                                           message_id=conv.last_message_id, read_at=clock.now().isoformat(),
                                           **_guardian_index(tenant, caller, "READBY", conversation_id)),
                            condition=ReadMarkerItem.pk.does_not_exist() if marker is None
                            else ReadMarkerItem.message_id == marker.message_id)
            return
        except TransactWriteError as exc:
            _retry_or_raise(exc, attempt)
    raise Busy(code="conversation_busy")


def _zero_scope(tenant: str, user_id: str, prefix: str, keep: Callable[[str], bool] = lambda scope: False) -> None:
    """Zero the user's unread counters indexed under `prefix` whose scope `keep` does not keep."""
    rows: Iterable[UnreadItem] = UnreadItem.gsi1.query(  # type: ignore[assignment]
        store.key(tenant, "UNREADIN", user_id), UnreadItem.gsi1sk.startswith(prefix))
    for row in rows:
        scope = "#".join(str(row.gsi1sk).split("#", 2)[:2])
        if keep(scope) or row.conversation_id is None:
            continue
        for attempt in range(ATTEMPTS):
            count = counter(tenant, user_id, row.conversation_id)
            if not count:
                break
            try:
                with store.transaction() as tx:
                    _zero(tx, tenant, user_id, row.conversation_id, count)
                break
            except TransactWriteError as exc:
                _retry_or_raise(exc, attempt)


def on_guardian_gone(env: Envelope) -> None:
    """A guardian who no longer takes part keeps no unread messages about the child."""
    child_id, user_id = env.payload["child_id"], env.payload["user_id"]
    if user_id not in directory_copy.guardians_of(env.tenant, child_id):  # not linked again since
        _zero_scope(env.tenant, user_id, f"C#{child_id}#")


def on_staff_assigned(env: Envelope) -> None:
    """Staff who left a group keep no unread messages of its conversations (the copy has the newest set)."""
    user_id = env.payload["user_id"]
    row = directory_copy.staff_groups(env.tenant, user_id)
    current = {f"G#{g}" for g in (row.group_ids if row else ())}
    _zero_scope(env.tenant, user_id, "G#", keep=lambda scope: scope in current)


# Run after directory_copy's handlers for the same events (app.py combines them in that order).
HANDLERS = {"auth.guardian.unlinked": on_guardian_gone, "auth.guardian.access_ended": on_guardian_gone,
            "auth.staff.assigned": on_staff_assigned}
