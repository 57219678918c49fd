"""DynamoDB items of the exports service (one main table, keys prefixed with the tenant id).

| item | pk | sk |
|---|---|---|
| child (copy of auth's: name, for file names) | `<t>#CHILD#<child>` | `CHILD` |
| placement (copy of auth's: the periods an export may cover) | `<t>#CHILD#<child>` | `PLACEMENT#<start>` |
| an export (a job and, when ready, its archive) | `<t>#EXPORT#<export>` | `EXPORT` |
| (gsi1) a user's exports, newest first | `<t>#USEREXPORTS#<user>` | `<created_at>#<export>` |
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from portal_common.store import MainItem, table_meta


class ExportsItem(MainItem):
    """Base of every item in the exports service's main table."""

    Meta = table_meta("exports")


class ChildCopyItem(ExportsItem):
    child_id = UnicodeAttribute()
    name = UnicodeAttribute()
    as_of = UnicodeAttribute()


class PlacementCopyItem(ExportsItem):
    child_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute(null=True)
    as_of = UnicodeAttribute()


class ExportItem(ExportsItem):
    """One export: `queued` → `running` → `ready` (the archive in S3 until `available_until`) or `failed`;
    `expired` is derived when read after `available_until`. The row itself lives on for 30 days (TTL) so
    a late click on the e-mail's link says "expired" rather than "not found"."""

    export_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # diary | personal_data
    user_id = UnicodeAttribute()
    child_id = UnicodeAttribute(null=True)
    period = JSONAttribute(default=dict)  # {"from", "to"}
    status = UnicodeAttribute()
    done = NumberAttribute(default=0)
    total = NumberAttribute(default=0)
    s3_key = UnicodeAttribute()
    file_name = UnicodeAttribute()
    size = NumberAttribute(null=True)
    counts = JSONAttribute(default=dict)
    created_at = UnicodeAttribute()
    ready_at = UnicodeAttribute(null=True)
    available_until = UnicodeAttribute(null=True)
