"""DynamoDB items of the auth service (one main table, keys prefixed with the tenant id)."""

from __future__ import annotations

from portal_common.store import MainItem, table_meta


class AuthItem(MainItem):
    """Base of every item in the auth service's main table."""

    Meta = table_meta("auth")
