"""DynamoDB items of the planning service (one main table, keys prefixed with the tenant id)."""

from __future__ import annotations

from portal_common.store import MainItem, table_meta


class PlanningItem(MainItem):
    """Base of every item in the planning service's main table."""

    Meta = table_meta("planning")
