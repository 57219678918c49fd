"""Diary rows: a report (`<t>#DIARY#<child>` / `<date>#staff`, one per child and day) or a parent's entry
(`<date>#parent#<ulid>`), indexed under its group's day (gsi1) for the group's staff.

Each write also writes the entry into the child's feed (text and photos with their children, so the feed
reads nothing else) in one transaction with its row and, for a new one, `timeline.diary.published`. Two staff
members saving the same report at once: the second gets `StateConflict` `diary_changed_meanwhile` (409)
instead of silently overwriting the first.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError

from portal_common import store
from portal_common.contracts import timeline as events
from portal_common.domain import StateConflict
from portal_common.outbox import Changes, Outbox
from timeline_service.diary import rules
from timeline_service.feed.rules import END_OF_DAY
from timeline_service.feed.store import FeedEntryItem, child_pk
from timeline_service.photos.store import PhotoItem
from timeline_service.store import TimelineItem


class DiaryItem(TimelineItem):
    """A staff member's daily report of a child (one per day) or a parent's own diary entry."""

    diary_id = UnicodeAttribute()
    child_id = UnicodeAttribute()
    date = UnicodeAttribute()
    kind = UnicodeAttribute()  # report | parent_entry
    group_id = UnicodeAttribute()
    location_id = UnicodeAttribute(null=True)  # its group's location then (None: written before it was kept)
    author_id = UnicodeAttribute()
    author_role = UnicodeAttribute()
    text = UnicodeAttribute()
    rhythm = JSONAttribute(default=list)  # [{"kind", "time", "note"}]: meals, sleep, diaper, ...
    photo_ids = JSONAttribute(default=list)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


def diary_pk(tenant: str, child_id: str) -> str:
    return store.key(tenant, "DIARY", child_id)


def key(tenant: str, child_id: str, day: str, suffix: str) -> tuple[str, str]:
    sk = f"{day}#staff" if suffix == rules.STAFF else f"{day}#parent#{suffix}"
    return diary_pk(tenant, child_id), sk


def feed_key(tenant: str, child_id: str, day: str, suffix: str) -> tuple[str, str]:
    """Where a diary entry sits in its child's feed."""
    return child_pk(tenant, child_id), f"{day}#diary#{suffix}"


def get(tenant: str, value: str) -> DiaryItem | None:
    """The diary row a diary id names (one GetItem); None for an id that names none or cannot be one."""
    parsed = rules.parse_id(value)
    if parsed is None or store.SEPARATOR in value:
        return None
    try:
        return DiaryItem.get(*key(tenant, *parsed), consistent_read=True)
    except DiaryItem.DoesNotExist:
        return None


def photo_refs(photos: Iterable[PhotoItem]) -> list[dict[str, Any]]:
    """What the feed keeps of a diary entry's photos: enough to decide on each at every read (`visibility`)."""
    return [{"id": p.photo_id, "child_ids": list(p.child_ids), "published_at": p.published_at,
             "group_id": p.group_id, "location_id": p.location_id, "date": p.date} for p in photos]


def new_row(tenant: str, *, child_id: str, day: str, suffix: str, group_id: str, location_id: str, author_id: str,
            author_role: str, text: str, rhythm: list[dict[str, Any]], photos: list[PhotoItem], created_at: str,
            updated_at: str) -> DiaryItem:
    return DiaryItem(*key(tenant, child_id, day, suffix), diary_id=rules.diary_id(child_id, day, suffix),
                     child_id=child_id, date=day, kind=rules.kind_of(suffix), group_id=group_id,
                     location_id=location_id, author_id=author_id, author_role=author_role, text=text, rhythm=rhythm,
                     photo_ids=[p.photo_id for p in photos], created_at=created_at, updated_at=updated_at,
                     gsi1pk=store.key(tenant, "GROUPDIARY", group_id), gsi1sk=f"{day}#{child_id}#{suffix}")


def save(outbox: Outbox, tenant: str, item: DiaryItem, suffix: str, photos: list[PhotoItem],
         existing: DiaryItem | None) -> None:
    """Write the row (new, or replacing `existing` unless someone saved it meanwhile) and its feed entry; a new
    one is announced (`timeline.diary.published`), an edit of a report that day is not."""
    ch = Changes(outbox, tenant, "timeline")
    if existing is None:
        ch.save(item, DiaryItem.pk.does_not_exist())
    else:
        ch.save(item, DiaryItem.updated_at == existing.updated_at)
    ch.save(FeedEntryItem(*feed_key(tenant, item.child_id, item.date, suffix), kind="diary", item_id=item.diary_id,
                          date=item.date, child_ids=[item.child_id], group_id=item.group_id,
                          location_id=item.location_id, published_at=item.created_at, diary_kind=item.kind,
                          text=item.text, photos=photo_refs(photos)))
    if existing is None:
        ch.emit(events.DiaryPublished(diary_id=item.diary_id, kind=item.kind, child_id=item.child_id,
                                      group_id=item.group_id, location_id=item.location_id, date=item.date,
                                      author_id=item.author_id))
    try:
        ch.commit()
    except TransactWriteError as exc:
        raise StateConflict("diary_changed_meanwhile",
                            detail="someone else saved this report just now: reload it and try again") from exc


def of_child(tenant: str, child_id: str, *, limit: int, start: dict[str, Any] | None) -> tuple[list[DiaryItem], Any]:
    """A child's diary, newest first: one Query per page."""
    found = DiaryItem.query(diary_pk(tenant, child_id), scan_index_forward=False, limit=limit,
                            **({"last_evaluated_key": start} if start else {}))
    return list(found), found.last_evaluated_key


def of_group_day(tenant: str, group_id: str, day: date) -> list[DiaryItem]:
    """Every report and parent's entry of a group's day (one Query of the group's diary index)."""
    return list(DiaryItem.gsi1.query(store.key(tenant, "GROUPDIARY", group_id),
                                     DiaryItem.gsi1sk.startswith(f"{day.isoformat()}#")))


def of_period(tenant: str, child_id: str, first: str, last: str) -> list[DiaryItem]:
    """The child's reports and entries from day `first` to day `last` (a diary archive's period)."""
    return list(DiaryItem.query(diary_pk(tenant, child_id), DiaryItem.sk.between(first, last + END_OF_DAY)))
