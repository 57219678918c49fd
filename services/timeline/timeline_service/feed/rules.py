"""The feed's paging, as pure functions: what to read for a page, and what of it a page shows.

A page of one child's feed (or a family's, merged) is read as a window: per child its own entries and, per
placement, its group's untagged photos of the days it was placed there (never after the placement's end or
today; staff and managers skip groups they could not see anyway), each from the cursor on and at most
`fetch_size(limit)` long. The window is the newest `limit` of those, a photo of two siblings once; the rule
(`visibility.may_see`) then filters the window, so a page may come back shorter than asked (even empty);
the cursor moves past everything examined, so paging always ends. Positions are (sort key, item id): two
children's reports of one day share a sort key, and neither is skipped at a page's edge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from portal_common.authz import Principal, Role
from portal_common.domain import RuleBroken
from timeline_service import visibility

Position = tuple[str, str]  # (sort key, item id) of the last entry a page examined
END_OF_DAY = "#~"  # "<day>#~" sorts after every entry of the day ("~" after every id)


def children_to_read(principal: Principal, child_id: str | None) -> list[str]:
    """Whose feed a caller reads: the child named, else all a parent's children; staff, managers and admins
    name the child (422 `child_id_required`)."""
    if child_id:
        return [child_id]
    if principal.role is Role.PARENT:
        return sorted(principal.children)
    raise RuleBroken("child_id_required", errors=[{"loc": ["query", "child_id"], "msg": "staff name the child"}])


def fetch_size(limit: int) -> int:
    """How many entries to read per partition: one more to know whether a next page exists, one for an entry
    tied with the cursor's sort key."""
    return limit + 2


def top(before: Position | None, today: str) -> str:
    """The highest sort key a page reads: the cursor's, or the end of today."""
    return before[0] if before else today + END_OF_DAY


def reaches(viewer: Principal, placement: Any) -> bool:
    """Whether the group's partition of a placement can hold anything the viewer may see (else: no Query)."""
    if viewer.role is Role.STAFF:
        return placement.group_id in viewer.groups
    if viewer.role is Role.MANAGER:
        return placement.location_id in viewer.locations
    return True


def group_span(placement: Any, top_key: str, today: str, viewer: Principal) -> tuple[str, str] | None:
    """The sort keys of the placement's group partition that a page reads: from the placement's start to the
    lower of `top_key` and its end (or today: never after either); None when nothing is left or the viewer
    could see none of it."""
    upper = min(top_key, min(placement.end or today, today) + END_OF_DAY)
    if upper < placement.start or not reaches(viewer, placement):
        return None
    return placement.start, upper


def position(entry: Any) -> Position:
    return entry.sk, entry.item_id


def after(entries: Iterable[Any], before: Position | None) -> list[Any]:
    """The entries past the cursor (all of them on a first page)."""
    return [e for e in entries if before is None or position(e) < before]


def window(found: Iterable[Iterable[Any]], limit: int) -> tuple[list[Any], Position | None]:
    """The newest `limit` entries of what was read for each child (an entry found twice, a photo of two
    siblings, counts once), and where the next page starts (None: nothing after this page)."""
    candidates: dict[str, Any] = {}
    for entries in found:
        for entry in entries:
            candidates.setdefault(entry.item_id, entry)
    ordered = sorted(candidates.values(), key=position, reverse=True)
    examined = ordered[:limit]
    return examined, position(examined[-1]) if len(ordered) > limit else None


def children_of(entry: Any) -> set[str]:
    """Every child whose consent decides what of the entry shows (the entry's and those in its photos)."""
    return set(entry.child_ids) | {c for p in entry.photos or [] for c in p["child_ids"]}


def unlocated_groups(viewer: Principal, entries: Iterable[Any]) -> set[str]:
    """For a manager: the groups of entries stored before entries carried their location (to be looked up)."""
    if viewer.role is not Role.MANAGER:
        return set()
    return {e.group_id for e in entries if not e.location_id}


def shown(viewer: Principal, examined: Iterable[Any], consents: Mapping[str, Any], locations: Mapping[str, str],
          placements: Iterable[Any]) -> tuple[list[Any], dict[str, list[str]]]:
    """What the viewer may see of the examined window, and per entry shown the ids of its photos they may see
    (a photo entry: itself; a diary entry: each photo by its own consent, so a classmate's withdrawal takes a
    shared photo out of a report, not the report)."""
    stays = list(placements)
    kept, photos = [], {}
    for entry in examined:
        item = visibility.of_entry(entry, entry.location_id or locations.get(entry.group_id))
        if not visibility.may_see(viewer, item, consents, stays):
            continue
        kept.append(entry)
        photos[entry.item_id] = [entry.item_id] if item.kind == visibility.PHOTO else [
            r["id"] for r in entry.photos or []
            if visibility.may_see(viewer, visibility.of_photo_ref(r, item), consents, stays)]
    return kept, photos
