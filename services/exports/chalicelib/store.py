"""DynamoDB items of the exports service (one main table, keys prefixed with the tenant id)."""

from __future__ import annotations

from portal_common.store import MainItem, table_meta


class ExportsItem(MainItem):
    """Base of every item in the exports service's main table."""

    Meta = table_meta("exports")
