"""DynamoDB items of notification delivery, and the two writes that make it exactly-once.

| item | pk | sk |
|---|---|---|
| recipient: contact, settings and push devices (copies of auth's) | `<t>#NOTIFY#<user>` | `PROFILE` |
| pending notification: what folds into one push/e-mail | `<t>#NOTIFY#<user>` | `PENDING#<topic>#<subject>` |
| (gsi1) pending notifications by due time, all tenants | `_NOTIFY_DUE#<shard>` | `<due utc>#<t>#<user>#…` |
| marker: this event was recorded for this user | `<t>#NOTIFY#<user>` | `EVENT#<event id>` |
| organisation name and its locations (news: sender, organisation-wide recipients) | `<t>#NOTIFYORG` | `ORG` |

`record` writes, per user, the marker (on condition it does not exist) and the pending row (opened on
condition it does not exist, or folded on condition its count is still the one read) in one
transaction: a redelivered event, or a handler retried after a crash halfway through its recipients,
finds the marker and adds nothing for that user. `claim` deletes a due pending row on condition its
count is the one read before sending it, so overlapping schedule runs deliver it once and an event
folding into it at that very moment opens a new row instead of being lost.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, TransactWriteError

from messaging_service.moments import utc_key
from messaging_service.notifications.rules import Notice, fold
from messaging_service.store import MessagingItem
from portal_common import store

DUE_SHARDS = 4  # a news item to every family writes ~1,000 due rows at once: spread over index partitions
PER_TRANSACTION = 25  # users per transaction: two items each, within DynamoDB's 100
MARKER_DAYS = 15  # longer than SQS keeps a message (14 days): a redelivery always finds the marker
ATTEMPTS = 8
CLAIM_ATTEMPTS = 3


class RecipientItem(MessagingItem):
    """What delivery needs to know of a user, kept from auth's events. Each part carries the moment of
    the event it came from (an older event never overwrites it); `version` makes handlers take turns.
    `devices`: {device id: {"platform", "endpoint_arn", "active", "as_of", "disabled_at"}}."""

    user_id = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    language = UnicodeAttribute(default="nl")
    role = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    contact_as_of = UnicodeAttribute(null=True)
    settings = JSONAttribute(null=True)  # {topic: {"push": bool, "email": bool}}; None: auth's defaults
    settings_as_of = UnicodeAttribute(null=True)
    devices = JSONAttribute(default=dict)
    version = NumberAttribute(default=0)


class PendingItem(MessagingItem):
    """Events for one user, topic and subject (a child, a conversation…) not delivered yet: `count`
    of them, the newest one's `facts` (language-neutral values the texts are rendered from)."""

    tenant = UnicodeAttribute()
    user_id = UnicodeAttribute()
    topic = UnicodeAttribute()
    subject = UnicodeAttribute()
    count = NumberAttribute()
    due_at = UnicodeAttribute()  # UTC, seconds: sorts as text
    opened_at = UnicodeAttribute()
    facts = JSONAttribute(default=dict)


class MarkerItem(MessagingItem):
    """An event already recorded for a user (kept past any redelivery, then TTL)."""

    recorded_at = UnicodeAttribute()


class OrganisationItem(MessagingItem):
    """The organisation's name and its locations ({location id: {"name", "as_of"}}): who sent news, and
    where organisation-wide news goes. One row, so every news item reads it with one GetItem."""

    name = UnicodeAttribute(null=True)
    name_as_of = UnicodeAttribute(null=True)
    locations = JSONAttribute(default=dict)
    version = NumberAttribute(default=0)


def user_pk(tenant: str, user_id: str) -> str:
    return store.key(tenant, "NOTIFY", user_id)


def org_pk(tenant: str) -> str:
    return store.key(tenant, "NOTIFYORG")


def _shard(tenant: str, user_id: str) -> str:
    digest = hashlib.sha256(f"{tenant}#{user_id}".encode()).hexdigest()
    return f"_NOTIFY_DUE#{int(digest, 16) % DUE_SHARDS}"


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _pending_key(tenant: str, user_id: str, topic: str, subject: str) -> tuple[str, str]:
    return user_pk(tenant, user_id), f"PENDING#{topic}#{subject}"


def _open_rows(tenant: str, topic: str, notices: list[Notice]) -> dict[str, PendingItem]:
    """user id → their pending row for the notice's subject, if one is open (one BatchGetItem)."""
    keys = [_pending_key(tenant, n.user_id, topic, n.subject) for n in notices]
    return {row.user_id: row for row in PendingItem.batch_get(keys, consistent_read=True)} if keys else {}


def _marked(tenant: str, event_id: str, user_ids: list[str]) -> set[str]:
    keys = [(user_pk(tenant, u), f"EVENT#{event_id}") for u in user_ids]
    return {m.pk.rsplit("#", 1)[1] for m in MarkerItem.batch_get(keys, consistent_read=True)} if keys else set()


def _writes(tenant: str, event_id: str, topic: str, due: datetime, notice: Notice, now: datetime,
            row: PendingItem | None) -> list[tuple[MessagingItem, Any]]:
    pk, moment = user_pk(tenant, notice.user_id), utc_key(now)
    marker = MarkerItem(pk, f"EVENT#{event_id}", recorded_at=moment,
                        expires_at=int((now + timedelta(days=MARKER_DAYS)).timestamp()))
    if row is not None:  # fold into the open one: same due moment, one more, the newest facts
        folded = PendingItem(row.pk, row.sk, tenant=tenant, user_id=notice.user_id, topic=topic,
                             subject=notice.subject, count=row.count + 1, due_at=row.due_at,
                             opened_at=row.opened_at, facts=fold(row.facts or {}, notice.facts),
                             gsi1pk=row.gsi1pk, gsi1sk=row.gsi1sk)
        return [(marker, MarkerItem.pk.does_not_exist()), (folded, PendingItem.count == row.count)]
    due_at = utc_key(due)
    opened = PendingItem(*_pending_key(tenant, notice.user_id, topic, notice.subject), tenant=tenant,
                         user_id=notice.user_id, topic=topic, subject=notice.subject, count=1, due_at=due_at,
                         opened_at=moment, facts=notice.facts, gsi1pk=_shard(tenant, notice.user_id),
                         gsi1sk=f"{due_at}#{tenant}#{notice.user_id}#{topic}#{notice.subject}")
    return [(marker, MarkerItem.pk.does_not_exist()), (opened, PendingItem.pk.does_not_exist())]


def record(tenant: str, event_id: str, topic: str, due: datetime, notices: Iterable[Notice],
           now: datetime) -> int:
    """Open or fold a pending notification per user, once per event and user; returns how many users
    got one now (users the event was recorded for before are left alone)."""
    todo = {n.user_id: n for n in notices}  # one notice per user and event: the marker is per user
    recorded = 0
    for attempt in range(ATTEMPTS):
        for chunk in _chunks(sorted(todo), PER_TRANSACTION):
            if attempt:  # a retry: whoever has the marker by now was recorded (whatever reasons said)
                for user_id in _marked(tenant, event_id, chunk):
                    del todo[user_id]
                chunk = [u for u in chunk if u in todo]
                if not chunk:
                    continue
            batch = [todo[u] for u in chunk]
            rows = _open_rows(tenant, topic, batch)
            writes = [w for n in batch for w in _writes(tenant, event_id, topic, due, n, now, rows.get(n.user_id))]
            try:
                with store.transaction() as tx:
                    for item, condition in writes:  # all puts: the reasons below come back in this order
                        tx.save(item, condition=condition)
            except TransactWriteError as exc:
                reasons = exc.cancellation_reasons or []
                for index, user_id in enumerate(chunk):
                    marker = reasons[2 * index] if 2 * index < len(reasons) else None
                    if marker is not None and marker.code == "ConditionalCheckFailed":
                        del todo[user_id]  # recorded by an earlier try of this event
                continue  # the others: a row folded or claimed meanwhile; read again next round
            recorded += len(chunk)
            for user_id in chunk:
                del todo[user_id]
        if not todo:
            return recorded
        store.backoff(attempt)
    raise RuntimeError(f"notifications of event {event_id} stayed busy for {len(todo)} users")  # retried


def due(now: datetime) -> list[PendingItem]:
    """Pending notifications due by `now`, oldest first per shard (one Query per shard, never a Scan)."""
    until = f"{utc_key(now)}~"  # "~" sorts after every "#…" suffix of a row due at that second
    found: list[PendingItem] = []
    for shard in range(DUE_SHARDS):
        found.extend(PendingItem.gsi1.query(f"_NOTIFY_DUE#{shard}",  # type: ignore[arg-type]
                                            PendingItem.gsi1sk <= until))
    return found


def claim(row: PendingItem) -> PendingItem | None:
    """Take a due row for delivery (deleting it); None when another run took it first."""
    for _ in range(CLAIM_ATTEMPTS):
        try:
            row.delete(condition=PendingItem.count == row.count)
            return row
        except DeleteError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
        try:  # gone (claimed), or one more event folded in since the index was read: read it again
            row.refresh(consistent_read=True)
        except PendingItem.DoesNotExist:
            return None
    return None
