"""The diary: the staff's daily report per child and day, and parents' own entries.

- A report is one per child and day (`<t>#DIARY#<child>` / `<date>#staff`), written and edited by staff
  of the child's group that day only; a parent's entry is its own row (`<date>#parent#<ulid>`).
- Only for a child with diary consent (422 `no_diary_consent`), checked again at every read: a
  withdrawn consent hides the diary at once.
- A diary id names its row: `<child>.<date>.staff` or `<child>.<date>.<ulid>` (child ids may hold dots,
  so it is split from the right), so one GetItem finds it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib import directory_copy
from chalicelib.store import DiaryItem
from portal_common import clock, errors, ids, store

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


def write(tenant: str, *, child_id: str, day: date, author_id: str, author_role: str, group_id: str,
          text: str, rhythm: list[dict[str, Any]], photo_ids: list[str]) -> tuple[DiaryItem, bool]:
    """Staff: the day's report, created or replaced (True when created). Parents: a new entry."""
    if not has_diary_consent(tenant, child_id):
        raise errors.Unprocessable(code="no_diary_consent", detail="the child's guardians have not agreed to a diary")
    now = clock.now().isoformat()
    suffix = STAFF if author_role == STAFF else ids.new_id().lower()
    pk, sk = _key(tenant, child_id, day.isoformat(), suffix)
    existing = get(tenant, diary_id(child_id, day.isoformat(), suffix)) if suffix == STAFF else None
    item = DiaryItem(pk, sk, diary_id=diary_id(child_id, day.isoformat(), suffix), child_id=child_id,
                     date=day.isoformat(), kind="report" if suffix == STAFF else "parent_entry", group_id=group_id,
                     author_id=author_id, author_role=author_role, text=text, rhythm=rhythm, photo_ids=photo_ids,
                     created_at=existing.created_at if existing else now, updated_at=now)
    item.save()
    return item, existing is None
