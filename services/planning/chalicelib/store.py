"""DynamoDB items of the planning service: one main table, every key prefixed with the tenant id.

| item | pk | sk | gsi1 (pk / sk) |
|---|---|---|---|
| contract | `<t>#CHILD#<child>` | `CONTRACT#<start>#<id>` | `<t>#GRP#<group>` / `CONTRACT#<start>#<id>` |
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from portal_common.store import MainItem, table_meta


class PlanningItem(MainItem):
    """Base of every item in the planning service's main table."""

    Meta = table_meta("planning")


class ContractItem(PlanningItem):
    """A placement contract: which days and times a child comes, from when until when, at what rate."""

    contract_id = UnicodeAttribute()
    child_id = UnicodeAttribute()
    product = UnicodeAttribute()  # regular | flex
    location_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute(null=True)
    hourly_rate_cents = NumberAttribute()
    days = JSONAttribute(default=dict)  # ISO weekday (1 = Monday) → {"start": "07:30", "end": "18:30"}
    flex_hours_per_year = NumberAttribute(default=0)
