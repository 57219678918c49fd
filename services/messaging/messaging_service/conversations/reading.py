"""Reading a conversation: the caller's counter to 0, exactly that many off their total and their read marker
to the newest message, in one conditioned transaction. Also the clean-up when someone stops taking part."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pynamodb.exceptions import TransactWriteError

from messaging_service.conversations import rules, store
from messaging_service.conversations.rules import Caller
from messaging_service.conversations.sending import guardian_index
from messaging_service.conversations.store import (
    ATTEMPTS,
    Busy,
    ReadMarkerItem,
    UnreadItem,
    UnreadTotalItem,
    conv_pk,
    unread_pk,
)
from portal_common import clock
from portal_common import store as common_store
from portal_common.domain import Missing


def _zero(tx: Any, tenant: str, user_id: str, conversation_id: str, count: int) -> None:
    """Counter to 0, exactly `count` off the total: fails (and is retried) if either moved meanwhile."""
    tx.update(UnreadItem(unread_pk(tenant, user_id), f"CONV#{conversation_id}"),
              actions=[UnreadItem.unread.set(0), UnreadItem.gsi1pk.remove(), UnreadItem.gsi1sk.remove()],
              condition=UnreadItem.unread == count)
    tx.update(UnreadTotalItem(unread_pk(tenant, user_id), "TOTAL"),
              actions=[UnreadTotalItem.total.add(-count), UnreadTotalItem.conversations.add(-1)],
              condition=(UnreadTotalItem.total >= count) & (UnreadTotalItem.conversations >= 1))


def mark_read(tenant: str, conversation_id: str, caller: Caller) -> None:
    """The caller has read the conversation up to its newest message. A reader who takes no part (a
    manager, an admin) has no counter and leaves no marker."""
    if not caller.participant:
        return
    pk, user = conv_pk(tenant, conversation_id), caller.user_id
    for attempt in range(ATTEMPTS):
        count = store.counter(tenant, user, conversation_id)
        conv = store.get(tenant, conversation_id, consistent=True)
        if conv is None:
            raise Missing("not_found")
        try:
            marker: ReadMarkerItem | None = ReadMarkerItem.get(pk, f"READ#{user}", consistent_read=True)
        except ReadMarkerItem.DoesNotExist:
            marker = None
        behind = rules.behind(marker.message_id if marker else None, conv.last_message_id)
        if not count and not behind:
            return  # read already: reading twice changes nothing
        try:
            with common_store.transaction() as tx:
                if count:
                    _zero(tx, tenant, user, conversation_id, count)
                else:  # a message arriving meanwhile must not be marked read without its count
                    tx.condition_check(UnreadItem, unread_pk(tenant, user), f"CONV#{conversation_id}",
                                       condition=UnreadItem.unread.does_not_exist() | (UnreadItem.unread == 0))
                if behind:
                    tx.save(ReadMarkerItem(pk, f"READ#{user}", user_id=user, name=caller.name, role=caller.role,
                                           message_id=conv.last_message_id, read_at=clock.now().isoformat(),
                                           **guardian_index(tenant, caller, "READBY", conversation_id)),
                            condition=ReadMarkerItem.pk.does_not_exist() if marker is None
                            else ReadMarkerItem.message_id == marker.message_id)
            return
        except TransactWriteError as exc:
            store.retry_or_raise(exc, attempt)
    raise Busy()


def zero_scope(tenant: str, user_id: str, prefix: str, keep: Callable[[str], bool] = lambda scope: False) -> None:
    """Zero the user's unread counters indexed under `prefix` whose scope `keep` does not keep."""
    rows: Iterable[UnreadItem] = UnreadItem.gsi1.query(  # type: ignore[assignment]
        common_store.key(tenant, "UNREADIN", user_id), UnreadItem.gsi1sk.startswith(prefix))
    for row in rows:
        scope = "#".join(str(row.gsi1sk).split("#", 2)[:2])
        if keep(scope) or row.conversation_id is None:
            continue
        for attempt in range(ATTEMPTS):
            count = store.counter(tenant, user_id, row.conversation_id)
            if not count:
                break
            try:
                with common_store.transaction() as tx:
                    _zero(tx, tenant, user_id, row.conversation_id, count)
                break
            except TransactWriteError as exc:
                store.retry_or_raise(exc, attempt)
