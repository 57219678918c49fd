"""The diary: the staff's daily report per child and day, and parents' own entries.

- A report is one per child and day (`<t>#DIARY#<child>` / `<date>#staff`), written and edited by staff
  of the child's group that day only; a parent's entry is its own row (`<date>#parent#<ulid>`).
- Only for a child with diary consent (422 `no_diary_consent`), checked again at every read: a
  withdrawn consent hides the diary at once.
- A diary id names its row: `<child>.<date>.staff` or `<child>.<date>.<ulid>` (child ids may hold dots,
  so it is split from the right), so one GetItem finds it.
- Each write also writes the entry into the child's feed (text and photos with their children, so the
  feed reads nothing else) and indexes it under its group's day (gsi1) for the group's staff, in one
  transaction. Two staff members saving the same report at once: the second gets 409
  `diary_changed_meanwhile` instead of silently overwriting the first.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError

from portal_common import clock, errors, ids, store
from portal_common.contracts import timeline as events
from portal_common.outbox import Changes, Outbox
from timeline_service import directory_copy
from timeline_service.store import DiaryItem, FeedEntryItem, PhotoItem

STAFF = "staff"


def diary_id(child_id: str, day: str, suffix: str) -> str:
    return f"{child_id}.{day}.{suffix}"


def parse(value: str) -> tuple[str, str, str] | None:
    parts = value.rsplit(".", 2)
    if len(parts) != 3 or not parts[0]:
        return None
    child_id, day, suffix = parts
    try:
        date.fromisoformat(day)
    except ValueError:
        return None
    return child_id, day, suffix


def _key(tenant: str, child_id: str, day: str, suffix: str) -> tuple[str, str]:
    sk = f"{day}#staff" if suffix == STAFF else f"{day}#parent#{suffix}"
    return store.key(tenant, "DIARY", child_id), sk


def feed_key(tenant: str, child_id: str, day: str, suffix: str) -> tuple[str, str]:
    """Where a diary entry sits in its child's feed."""
    return store.key(tenant, "CHILDFEED", child_id), f"{day}#diary#{suffix}"


def get(tenant: str, value: str) -> DiaryItem | None:
    parsed = parse(value)
    if parsed is None or store.SEPARATOR in value:
        return None
    try:
        return DiaryItem.get(*_key(tenant, *parsed), consistent_read=True)
    except DiaryItem.DoesNotExist:
        return None


def has_diary_consent(tenant: str, child_id: str) -> bool:
    found = directory_copy.consents(tenant, child_id)
    return bool(found and found.diary)


def photo_refs(photos: Iterable[PhotoItem]) -> list[dict[str, Any]]:
    """What the feed keeps of a diary entry's photos: enough to decide on each at every read (`visibility`)."""
    return [{"id": p.photo_id, "child_ids": list(p.child_ids), "published_at": p.published_at,
             "group_id": p.group_id, "location_id": p.location_id, "date": p.date} for p in photos]


def write(outbox: Outbox, tenant: str, *, child_id: str, day: date, author_id: str, author_role: str,
          group_id: str, location_id: str, text: str, rhythm: list[dict[str, Any]],
          photos: list[PhotoItem], at: datetime | None = None) -> tuple[DiaryItem, bool]:
    """Staff: the day's report, created or replaced (True when created). Parents: a new entry.

    `at`: when it was written (the demo's history; now by default)."""
    if not has_diary_consent(tenant, child_id):
        raise errors.Unprocessable(code="no_diary_consent", detail="the child's guardians have not agreed to a diary")
    now = (at or clock.now()).isoformat()
    day_s = day.isoformat()
    suffix = STAFF if author_role == STAFF else ids.new_id().lower()
    kind = "report" if suffix == STAFF else "parent_entry"
    pk, sk = _key(tenant, child_id, day_s, suffix)
    the_id = diary_id(child_id, day_s, suffix)
    existing = get(tenant, the_id) if suffix == STAFF else None
    item = DiaryItem(pk, sk, diary_id=the_id, child_id=child_id, date=day_s, kind=kind, group_id=group_id,
                     location_id=location_id, author_id=author_id, author_role=author_role, text=text,
                     rhythm=rhythm, photo_ids=[p.photo_id for p in photos],
                     created_at=existing.created_at if existing else now, updated_at=now,
                     gsi1pk=store.key(tenant, "GROUPDIARY", group_id), gsi1sk=f"{day_s}#{child_id}#{suffix}")
    ch = Changes(outbox, tenant, "timeline")
    if existing is None:
        ch.save(item, DiaryItem.pk.does_not_exist())
    else:
        ch.save(item, DiaryItem.updated_at == existing.updated_at)
    ch.save(FeedEntryItem(*feed_key(tenant, child_id, day_s, suffix), kind="diary", item_id=the_id, date=day_s,
                          child_ids=[child_id], group_id=group_id, location_id=location_id,
                          published_at=item.created_at,
                          diary_kind=kind, text=text, photos=photo_refs(photos)))
    if existing is None:
        ch.emit(events.DiaryPublished(diary_id=the_id, kind=kind, child_id=child_id, group_id=group_id,
                                      location_id=location_id, date=day_s, author_id=author_id))
    try:
        ch.commit()
    except TransactWriteError as exc:
        raise errors.Conflict(code="diary_changed_meanwhile",
                              detail="someone else saved this report just now: reload it and try again") from exc
    return item, existing is None


def of_child(tenant: str, child_id: str, *, limit: int, start: dict[str, Any] | None) -> tuple[list[DiaryItem], Any]:
    """A child's diary, newest first: one Query per page."""
    found = DiaryItem.query(store.key(tenant, "DIARY", child_id), scan_index_forward=False, limit=limit,
                            **({"last_evaluated_key": start} if start else {}))
    return list(found), found.last_evaluated_key


def of_group_day(tenant: str, group_id: str, day: date) -> list[DiaryItem]:
    """Every report and parent's entry of a group's day (one Query of the group's diary index)."""
    return list(DiaryItem.gsi1.query(store.key(tenant, "GROUPDIARY", group_id),
                                     DiaryItem.gsi1sk.startswith(f"{day.isoformat()}#")))
