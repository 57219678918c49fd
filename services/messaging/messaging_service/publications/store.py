"""News and newsletters ("publications": the same shape, two separate lists).

A publication belongs to one location or to the whole organisation (`location_id` None, scope `ORG`).
Managers write for their locations, admins for any location and the organisation. It is visible to the
guardians and staff of its location (the token's `locations`), organisation-wide ones to everyone of
the tenant, from its publish moment on; its writers see it scheduled too.

| item | pk | sk |
|---|---|---|
| publication (body, attachments) | `<t>#PUB#<id>` | `PUB` |
| (gsi1, while scheduled) the due index of `publish_due` | `_PUB_DUE` | `<at>#<t>#<id>` |
| list entry (title, excerpt) | `<t>#PUBLIST#<kind>#<scope>` | `<at>#<id>` |
| (gsi1) a list entry in the tenant's whole list, for admins | `<t>#PUBALL#<kind>` | `<at>#<id>` |
| (gsi2, while pinned) a pinned list entry | `<t>#PUBPIN#<kind>#<scope>` | `<at>#<id>` |

`<at>` is the publish moment in UTC (`2026-11-24T08:00:00Z`), `<scope>` `ORG` or the location id. So a
list Query bounded by `sk <= <now>~` never returns what is scheduled, whatever the publication's status;
and a page reads, per partition of the caller (the organisation's and each of their locations'; an
admin's all-tenant index), at most `limit + pinned + 1` entries newest first from the cursor on, plus on
the first page the pinned index of those partitions: its cost does not depend on the history.

Publishing emits `messaging.publication.published` exactly once: with the item when it is published at
once, else by `publish_due` (a schedule) in a transaction conditional on the item still being scheduled
at that moment, so overlapping runs publish it once. Only scheduled items sit in `_PUB_DUE`: the job is
one Query on that index.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from pynamodb.attributes import BooleanAttribute, JSONAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError

from messaging_service.attachments import store as attachments
from messaging_service.moments import utc_key
from messaging_service.publications import rules
from messaging_service.publications.rules import ORG, PUBLISHED, SCHEDULED, Draft
from messaging_service.store import MessagingItem
from portal_common import clock, ids, store
from portal_common.authz import Principal
from portal_common.contracts import messaging as events
from portal_common.domain import StateConflict
from portal_common.outbox import Changes, Outbox

DUE_INDEX = "_PUB_DUE"
PINNED_SHOWN = 5  # pinned entries ahead of the first page, per list
PUBLICATION_ID = re.compile(r"^pub-[0-9a-z]{26}$")
log = logging.getLogger("messaging.publications")


class PublicationItem(MessagingItem):
    """A news item or newsletter with its body and its attachments' summaries (`summary`)."""

    publication_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # news | newsletter
    location_id = UnicodeAttribute(null=True)  # None: the whole organisation
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    attachments = JSONAttribute(default=list)
    pinned = BooleanAttribute(default=False)
    publish_at = UnicodeAttribute()  # UTC key of the publish moment (also the list entry's sort key prefix)
    status = UnicodeAttribute()  # scheduled until `publish_due` announced it
    author_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class PublicationEntryItem(MessagingItem):
    """A publication in its list: what a page shows, without the body."""

    publication_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    location_id = UnicodeAttribute(null=True)
    title = UnicodeAttribute()
    excerpt = UnicodeAttribute()
    attachments = JSONAttribute(default=list)
    pinned = BooleanAttribute(default=False)
    publish_at = UnicodeAttribute()


def published_at(publish_key: str) -> str:
    """The publish moment for readers: ISO 8601 in Amsterdam time."""
    return clock.local(datetime.strptime(publish_key, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)).isoformat()


def summary(attachment: attachments.AttachmentItem) -> dict[str, Any]:
    """What a publication keeps of each attachment (lists show it without reading the attachment rows)."""
    return {"id": attachment.attachment_id, "file_name": attachment.file_name,
            "content_type": attachment.content_type, "size": int(attachment.size)}


def item_key(tenant: str, publication_id: str) -> tuple[str, str]:
    return store.key(tenant, "PUB", publication_id), "PUB"


def list_pk(tenant: str, kind: str, scope: str) -> str:
    return store.key(tenant, "PUBLIST", kind, scope)


def get(tenant: str, kind: str, publication_id: str) -> PublicationItem | None:
    if not PUBLICATION_ID.fullmatch(publication_id):
        return None
    try:
        item = PublicationItem.get(*item_key(tenant, publication_id), consistent_read=True)
    except PublicationItem.DoesNotExist:
        return None
    return item if item.kind == kind else None


def readable(principal: Principal, kind: str, publication_id: str, now: datetime) -> bool:
    """May this caller read the item now (and so download its attachments)?"""
    item = get(principal.tenant, kind, publication_id)
    return item is not None and rules.may_read(principal.role.value, principal.locations, item.location_id,
                                               item.publish_at, now)


# -- writing --------------------------------------------------------------------------------------
def _entry(tenant: str, item: PublicationItem) -> PublicationEntryItem:
    scope = rules.scope_of(item.location_id)
    sk = f"{item.publish_at}#{item.publication_id}"
    pinned: dict[str, Any] = {}
    if item.pinned:
        pinned = {"gsi2pk": store.key(tenant, "PUBPIN", item.kind, scope), "gsi2sk": sk}
    return PublicationEntryItem(list_pk(tenant, item.kind, scope), sk, publication_id=item.publication_id,
                                kind=item.kind, location_id=item.location_id, title=item.title,
                                excerpt=rules.excerpt(item.body), attachments=list(item.attachments),
                                pinned=item.pinned, publish_at=item.publish_at,
                                gsi1pk=store.key(tenant, "PUBALL", item.kind), gsi1sk=sk, **pinned)


def _schedule(tenant: str, item: PublicationItem, now: datetime) -> None:
    """Status and due-index row for the item's publish moment."""
    item.status = rules.status(item.publish_at, now)
    if item.status == PUBLISHED:
        item.gsi1pk, item.gsi1sk = None, None
    else:
        item.gsi1pk, item.gsi1sk = DUE_INDEX, f"{item.publish_at}#{tenant}#{item.publication_id}"


def _announcement(item: PublicationItem) -> events.PublicationPublished:
    return events.PublicationPublished(publication_id=item.publication_id, kind=item.kind, title=item.title,
                                       location_id=item.location_id, published_at=published_at(item.publish_at))


def create(outbox: Outbox, tenant: str, author_id: str, kind: str, location_id: str | None,
           draft: Draft) -> PublicationItem:
    """A news item or newsletter, published now or scheduled (at most a year ahead)."""
    now = clock.now()
    rules.check_publish_at(draft.publish_at, now)
    publication_id = f"pub-{ids.new_id().lower()}"
    ch = Changes(outbox, tenant, "messaging")
    claimed = attachments.claim(ch, tenant, author_id, draft.attachment_ids, owner_kind=kind, owner_id=publication_id)
    moment = rules.first_moment(draft.publish_at, now)
    item = PublicationItem(*item_key(tenant, publication_id), publication_id=publication_id, kind=kind,
                           location_id=location_id, title=draft.title, body=draft.body,
                           attachments=[summary(a) for a in claimed], pinned=draft.pinned,
                           publish_at=utc_key(moment), author_id=author_id, created_at=now.isoformat(),
                           updated_at=now.isoformat())
    _schedule(tenant, item, now)
    ch.save(item, PublicationItem.pk.does_not_exist())
    ch.save(_entry(tenant, item))
    if item.status == PUBLISHED:
        ch.emit(_announcement(item))
    _commit(ch)
    return item


def update(outbox: Outbox, tenant: str, editor_id: str, item: PublicationItem, draft: Draft) -> PublicationItem:
    """Replace title, body, pin and attachments; a scheduled item may also move its publish moment."""
    now = clock.now()
    rules.check_publish_at(draft.publish_at, now)
    moment = rules.moved_moment(draft.publish_at, item.publish_at, now)
    change = rules.attachment_change(item.attachments, draft.attachment_ids)
    ch = Changes(outbox, tenant, "messaging")
    claimed = attachments.claim(ch, tenant, editor_id, change.added, owner_kind=item.kind,
                                owner_id=item.publication_id)
    attachments.drop(ch, tenant, change.removed, owner_kind=item.kind, owner_id=item.publication_id)
    by_id = {a["id"]: a for a in change.kept} | {a.attachment_id: summary(a) for a in claimed}
    old_entry, old_publish_at, was = _entry(tenant, item), item.publish_at, item.status
    item.title, item.body, item.pinned = draft.title, draft.body, draft.pinned
    item.attachments = [by_id[a] for a in draft.attachment_ids]
    item.publish_at = moment
    item.updated_at = now.isoformat()
    _schedule(tenant, item, now)
    ch.save(item, (PublicationItem.publish_at == old_publish_at) & (PublicationItem.status == was))
    if item.publish_at != old_publish_at:
        ch.delete(old_entry)
    ch.save(_entry(tenant, item))
    if was == SCHEDULED and item.status == PUBLISHED:
        ch.emit(_announcement(item))
    _commit(ch)
    attachments.delete_files(tenant, change.removed)
    return item


def delete(outbox: Outbox, tenant: str, item: PublicationItem) -> None:
    """The item, its list entry and its attachments (rows and files)."""
    ch = Changes(outbox, tenant, "messaging")
    ch.delete(item, PublicationItem.publish_at == item.publish_at)
    ch.delete(_entry(tenant, item))
    owned = [a["id"] for a in item.attachments]
    attachments.drop(ch, tenant, owned, owner_kind=item.kind, owner_id=item.publication_id)
    _commit(ch)
    attachments.delete_files(tenant, owned)


def _commit(ch: Changes) -> None:
    try:
        ch.commit()
    except TransactWriteError:
        # An attachment claimed by another owner meanwhile, or the item changed by someone else.
        raise StateConflict("changed_meanwhile", detail_key="error.conflict") from None


def publish_due(outbox: Outbox, now: datetime) -> int:
    """Announce every scheduled publication whose moment has come; safe when runs overlap."""
    announced = 0
    due = PublicationItem.gsi1.query(DUE_INDEX, PublicationItem.gsi1sk <= f"{utc_key(now)}~")
    for item in cast(Iterable[PublicationItem], due):
        tenant = item.pk.split(store.SEPARATOR)[0]
        ch = Changes(outbox, tenant, "messaging")
        ch.update(item, [PublicationItem.status.set(PUBLISHED), PublicationItem.gsi1pk.remove(),
                         PublicationItem.gsi1sk.remove()],
                  condition=(PublicationItem.status == SCHEDULED) & (PublicationItem.publish_at == item.publish_at))
        ch.emit(_announcement(item))
        try:
            ch.commit()
        except TransactWriteError:
            log.info("publication announced, moved or deleted meanwhile", extra={"id": item.publication_id})
            continue
        announced += 1
    return announced


# -- reading --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Page:
    pinned: list[PublicationEntryItem]
    entries: list[PublicationEntryItem]
    next_position: dict[str, Any] | None


def page(tenant: str, kind: str, scopes: list[str] | None, position: dict[str, Any] | None, limit: int) -> Page:
    """Entries of `scopes` (None: the whole tenant) newest first, out by now; the first page starts with
    the newest pinned ones of those scopes (the organisation's for the whole tenant), which later pages
    leave out (their ids travel in the cursor)."""
    top = f"{utc_key(clock.now())}~"
    E = PublicationEntryItem
    pinned: list[PublicationEntryItem] = []
    if position is None:
        for scope in scopes if scopes is not None else [ORG]:
            pins = E.gsi2.query(store.key(tenant, "PUBPIN", kind, scope), E.gsi2sk <= top, scan_index_forward=False,
                                limit=PINNED_SHOWN)
            pinned += cast(Iterable[PublicationEntryItem], pins)
        pinned = sorted(pinned, key=lambda e: e.sk, reverse=True)[:PINNED_SHOWN]
        skip, upper = [e.publication_id for e in pinned], E.sk <= top
    else:
        skip, upper = list(position["s"]), E.sk < position["b"]
    n = limit + len(skip) + 1
    found: list[PublicationEntryItem] = []
    if scopes is None:
        all_upper = E.gsi1sk <= top if position is None else E.gsi1sk < position["b"]
        everything = E.gsi1.query(store.key(tenant, "PUBALL", kind), all_upper, scan_index_forward=False, limit=n)
        found += cast(Iterable[PublicationEntryItem], everything)
    for scope in scopes or []:
        found += E.query(list_pk(tenant, kind, scope), upper, scan_index_forward=False, limit=n)
    ordered = sorted((e for e in found if e.publication_id not in skip), key=lambda e: e.sk, reverse=True)
    entries = ordered[:limit]
    more = len(ordered) > limit
    return Page(pinned, entries, {"b": entries[-1].sk, "s": skip} if more and entries else None)
