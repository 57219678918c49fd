"""The diary's rules, as pure functions: which day an entry may be of, which photos it may carry, whose
consent it needs, and which entries (and photos in them) a reader is shown.

- A report is one per child and day, written and edited by staff of the child's group on its own day only
  (422 `report_day_closed`); a parent's entry is of today or the past `PARENT_DAYS_BACK` days (422
  `date_out_of_range`).
- Its photos are photos of this child that the writer may see (422 `unknown_photo`, naming the first other).
- Only for a child with diary consent (422 `no_diary_consent`), checked again at every read.
- A diary id names its row: `<child>.<date>.staff` or `<child>.<date>.<ulid>` (child ids may hold dots, so
  it is split from the right).
- A reader is shown an entry, and each photo in it, only when `visibility.may_see` says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from portal_common import files
from portal_common.authz import Principal, Role
from portal_common.domain import RuleBroken
from timeline_service import visibility

STAFF, PARENT = "staff", "parent"
REPORT, PARENT_ENTRY = "report", "parent_entry"
PARENT_DAYS_BACK = 7


def diary_id(child_id: str, day: str, suffix: str) -> str:
    return f"{child_id}.{day}.{suffix}"


def parse_id(value: str) -> tuple[str, str, str] | None:
    """(child, day, suffix) of a diary id; None when it cannot be one."""
    parts = value.rsplit(".", 2)
    if len(parts) != 3 or not parts[0]:
        return None
    child_id, day, suffix = parts
    try:
        date.fromisoformat(day)
    except ValueError:
        return None
    return child_id, day, suffix


def author_role(principal: Principal) -> str:
    """Staff, managers and admins write the day's report; a parent writes an entry of their own."""
    return PARENT if principal.role is Role.PARENT else STAFF


def suffix_for(role: str, new_id: Callable[[], str]) -> str:
    """The last part of the entry's id: `staff` for the day's one report, a new id for each parent's entry."""
    return STAFF if role == STAFF else new_id().lower()


def kind_of(suffix: str) -> str:
    return REPORT if suffix == STAFF else PARENT_ENTRY


def check_day(role: str, day: date, today: date) -> None:
    """Staff write and edit a report on its own day; a parent an entry of today or the past week."""
    if role == STAFF and day != today:
        raise RuleBroken("report_day_closed", errors=[
            {"loc": ["body", "date"], "msg": "staff write and edit a report on its own day"}])
    if role != STAFF and not today - timedelta(days=PARENT_DAYS_BACK) <= day <= today:
        raise RuleBroken("date_out_of_range", errors=[
            {"loc": ["body", "date"], "msg": f"today or the past {PARENT_DAYS_BACK} days"}])


def chosen_photos(writer: Principal, child_id: str, photo_ids: Sequence[str], found: Mapping[str, Any],
                  consents: Mapping[str, Any]) -> list[Any]:
    """The photos an entry carries, each once in the order given: every one a photo of this child (`found`:
    the photos that exist, by id) that the writer may see (`consents`: of the children in them)."""
    for n, photo_id in enumerate(photo_ids):
        photo = found.get(photo_id)
        if photo is None or child_id not in photo.child_ids or not visibility.may_see(
                writer, visibility.of_photo(photo), consents):
            raise RuleBroken("unknown_photo", errors=[
                {"loc": ["body", "photo_ids", n], "msg": "not a photo of this child"}])
    return [found[p] for p in dict.fromkeys(photo_ids)]


def has_diary_consent(consent: Any | None) -> bool:
    """The child's guardians agreed to a diary (`consent`: the child's consents as kept, None when none)."""
    return bool(consent and consent.diary)


def require_diary_consent(consent: Any | None) -> None:
    if not has_diary_consent(consent):
        raise RuleBroken("no_diary_consent", detail="the child's guardians have not agreed to a diary")


def group_of_day(placements: Iterable[Any], day: str) -> tuple[set[str], str | None]:
    """The groups the child was in on `day` and the one its entry of that day is written in (the first by
    id on the day of a move); None when the child was in none."""
    groups = {p.group_id for p in visibility.placed_on(placements, day)}
    return groups, (sorted(groups)[0] if groups else None)


def unlocated_groups(reader: Principal, rows: Iterable[Any], known: Mapping[str, str]) -> set[str]:
    """For a manager: the groups of rows written before rows carried their location, not known yet."""
    if reader.role is not Role.MANAGER:
        return set()
    return {r.group_id for r in rows if not r.location_id and r.group_id not in known}


def shown(reader: Principal, rows: Iterable[Any], photos: Mapping[str, Any], consents: Mapping[str, Any],
          locations: Mapping[str, str]) -> list[tuple[Any, list[Any]]]:
    """The rows the reader may see, each with those of its photos the reader may see (`photos`: by id, those
    that still exist; `locations`: the groups' locations for rows stored without theirs)."""
    found = []
    for row in rows:
        if visibility.may_see(reader, visibility.of_diary(row, row.location_id or locations.get(row.group_id)),
                              consents):
            found.append((row, [photos[p] for p in row.photo_ids or [] if p in photos
                                and visibility.may_see(reader, visibility.of_photo(photos[p]), consents)]))
    return found


def download_name(kind: str, child_name: str, day: str) -> str:
    """`dagverslag-noor-de-vries-2026-11-24.html` (a report) or `dagboek-...` (a parent's entry)."""
    return f"{'dagverslag' if kind == REPORT else 'dagboek'}-{files.slug(child_name)}-{day}.html"
