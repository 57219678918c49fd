"""DynamoDB items of the timeline service (one main table, keys prefixed with the tenant id)."""

from __future__ import annotations

from portal_common.store import MainItem, table_meta


class TimelineItem(MainItem):
    """Base of every item in the timeline service's main table."""

    Meta = table_meta("timeline")
