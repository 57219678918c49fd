"""The exports service's main table: its base item, the copies of auth's directory and the export jobs shared by
its features (keys prefixed with the tenant id). The parts of a personal-data export are declared in
`personal_data/store.py`, a purge's rows in `purges/store.py`.

| item | pk | sk |
|---|---|---|
| child (copy of auth's: name, for file names) | `<t>#CHILD#<child>` | `CHILD` |
| placement (copy of auth's: the periods an export may cover) | `<t>#CHILD#<child>` | `PLACEMENT#<start>` |
| an export (a job and, when ready, its archive) | `<t>#EXPORT#<export>` | `EXPORT` |
| (gsi1) a user's exports, newest first | `<t>#USEREXPORTS#<user>` | `<created_at>#<export>` |
| (gsi2) ready archives by expiry, all tenants | `_EXPORT_EXPIRY` | `<available_until>#<pk>` |
| a part of a personal-data export, delivered by a service | `<t>#EXPORT#<export>` | `PART#<service>` |
| an export that holds a child's data (the child's purge finds it) | `<t>#CHILD#<child>` | `EXPORT#<export>` |
| a retention purge, its rounds, its audit | see `purges/store.py` | |
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from portal_common.directory_copies import copy_items
from portal_common.store import MainItem, table_meta


class ExportsItem(MainItem):
    """Base of every item in the exports service's main table."""

    Meta = table_meta("exports")


# The copies of auth's directory (declared once, in portal_common.directory_copies), on this table.
_COPIES = copy_items(ExportsItem)
ChildCopyItem = _COPIES.child
PlacementCopyItem = _COPIES.placement


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
    child_ids = JSONAttribute(null=True)  # personal data: the children it covers
    language = UnicodeAttribute(null=True)
    assembly_step = NumberAttribute(null=True)  # personal data: the packing step running, once all parts are in
    state_key = UnicodeAttribute(null=True)


class ChildExportItem(ExportsItem):
    """Marks an export holding a child's data, so the child's purge deletes it with the child."""

    export_id = UnicodeAttribute()
