"""A page of the feed: the window `rules` asks for, read in as few calls as it can, filtered by `visibility`.

Per child one Query of its placements, one of its own partition and one per placement of its group's
partition (within the placement's dates), each from the cursor on and at most a page long, then one
BatchGetItem of the consents of every child on the page (and, for a manager and entries stored before they
carried their location, one of their groups): a page's cost does not grow with the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal_common import clock
from portal_common.authz import Principal, Role
from timeline_service import directory_copy
from timeline_service.feed import rules, store
from timeline_service.feed.store import FeedEntryItem
from timeline_service.store import PlacementCopyItem


@dataclass(frozen=True)
class Page:
    entries: list[FeedEntryItem]  # what the viewer may see of the examined window
    photos: dict[str, list[str]]  # per entry: the ids of its photos the viewer may see (a photo entry: itself)
    next_position: rules.Position | None  # None: nothing after this page


def _candidates(tenant: str, child_id: str, placements: list[PlacementCopyItem], before: rules.Position | None,
                fetch: int, today: str, viewer: Principal) -> list[FeedEntryItem]:
    top = rules.top(before, today)
    found = store.newest_of_child(tenant, child_id, top, fetch)
    for placement in placements:
        span = rules.group_span(placement, top, today, viewer)
        if span is not None:
            found += store.newest_of_group(tenant, placement.group_id, *span, fetch)
    return rules.after(found, before)


def page(tenant: str, child_ids: list[str], before: rules.Position | None, limit: int, *,
         viewer: Principal | None = None, placements: dict[str, list[PlacementCopyItem]] | None = None,
         today: date | None = None) -> Page:
    """One page of the children's photos and diary entries that `viewer` may see, newest first.

    `before`: where the previous page ended (its `next_position`); `viewer`: who reads (by default a guardian
    of exactly these children: the family's own view); `placements`: the children's, when already loaded;
    `today`: the business day (the route reads the clock; tools and benches may leave it to this function)."""
    viewer = viewer or Principal(tenant, "", Role.PARENT, children=frozenset(child_ids))
    day = (today or clock.today()).isoformat()
    known = placements if placements is not None else {c: directory_copy.placements(tenant, c) for c in child_ids}
    fetch = rules.fetch_size(limit)
    examined, next_position = rules.window(
        (_candidates(tenant, c, known.get(c, []), before, fetch, day, viewer) for c in child_ids), limit)
    consents = directory_copy.consents_of(tenant, {c for e in examined for c in rules.children_of(e)})
    locations = directory_copy.group_locations(tenant, rules.unlocated_groups(viewer, examined))
    kept, photos = rules.shown(viewer, examined, consents, locations,
                               [p for c in child_ids for p in known.get(c, [])])
    return Page(kept, photos, next_position)
