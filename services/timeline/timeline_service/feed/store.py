"""Feed entries: a photo in its tagged children's feeds (`<t>#CHILDFEED#<child>`) or, untagged, in its group's
(`<t>#GROUPFEED#<group>`), written with the photo; a diary report or parent's entry in its child's feed,
written with it (text and photos with their children, so the feed needs no second read).

Sort keys start with the day (`<date>#<photo>`, `<date>#diary#<suffix>`), so a day's range is one key
condition and "~" (after every id) closes a day.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute

from portal_common import store
from timeline_service.feed.rules import END_OF_DAY
from timeline_service.store import TimelineItem


class FeedEntryItem(TimelineItem):
    """A photo in a child's feed (tagged) or a group's feed (untagged), written with the photo; or a diary
    report or parent's entry in its child's feed, written with it (the feed then needs no second read).

    `photos` (diary entries): [{"id", "child_ids", "published_at", "group_id", "location_id", "date"}] of the
    photos in it, so the feed can decide on each photo (`visibility`) from the same batch of consents as
    everything else on the page (references written before they carried group, location and day count as
    the entry's own).
    """

    kind = UnicodeAttribute()  # photo | diary
    item_id = UnicodeAttribute()
    date = UnicodeAttribute()
    child_ids = JSONAttribute(default=list)
    group_id = UnicodeAttribute()
    location_id = UnicodeAttribute(null=True)  # its group's location then (None: written before it was kept)
    published_at = UnicodeAttribute()
    diary_kind = UnicodeAttribute(null=True)  # report | parent_entry
    text = UnicodeAttribute(null=True)
    photos = JSONAttribute(default=list)


def child_pk(tenant: str, child_id: str) -> str:
    return store.key(tenant, "CHILDFEED", child_id)


def group_pk(tenant: str, group_id: str) -> str:
    return store.key(tenant, "GROUPFEED", group_id)


def partitions_of(tenant: str, group_id: str, child_ids: list[str]) -> list[str]:
    """Where a new photo's feed entries go: each tagged child's feed, or its group's when untagged."""
    if child_ids:
        return [child_pk(tenant, c) for c in child_ids]
    return [group_pk(tenant, group_id)]


def newest_of_child(tenant: str, child_id: str, top: str, limit: int) -> list[FeedEntryItem]:
    """The child's own entries at or before the sort key `top`, newest first, at most `limit`."""
    return list(FeedEntryItem.query(child_pk(tenant, child_id), FeedEntryItem.sk <= top,
                                    scan_index_forward=False, limit=limit))


def newest_of_group(tenant: str, group_id: str, start: str, upper: str, limit: int) -> list[FeedEntryItem]:
    """The group's (untagged) photos with sort keys from `start` to `upper`, newest first, at most `limit`."""
    return list(FeedEntryItem.query(group_pk(tenant, group_id), FeedEntryItem.sk.between(start, upper),
                                    scan_index_forward=False, limit=limit))


def photos_of_child(tenant: str, child_id: str, first: str, last: str) -> list[FeedEntryItem]:
    """Every photo the child is tagged in from day `first` to day `last` (a diary archive's period)."""
    return [e for e in FeedEntryItem.query(child_pk(tenant, child_id), FeedEntryItem.sk.between(first,
                                                                                                 last + END_OF_DAY))
            if e.kind == "photo"]


def photos_of_group(tenant: str, group_id: str, first: str, last: str) -> list[FeedEntryItem]:
    """Every untagged photo of the group from day `first` to day `last`."""
    return list(FeedEntryItem.query(group_pk(tenant, group_id), FeedEntryItem.sk.between(first, last + END_OF_DAY)))
