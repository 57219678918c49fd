"""DynamoDB items of the messaging service (one main table, keys prefixed with the tenant id)."""

from __future__ import annotations

from portal_common.store import MainItem, table_meta


class MessagingItem(MainItem):
    """Base of every item in the messaging service's main table."""

    Meta = table_meta("messaging")
