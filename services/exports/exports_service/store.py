"""DynamoDB items of the exports service (one main table, keys prefixed with the tenant id).

| item | pk | sk |
|---|---|---|
| child (copy of auth's: name, for file names) | `<t>#CHILD#<child>` | `CHILD` |
| placement (copy of auth's: the periods an export may cover) | `<t>#CHILD#<child>` | `PLACEMENT#<start>` |
| an export (a job and, when ready, its archive) | `<t>#EXPORT#<export>` | `EXPORT` |
| (gsi1) a user's exports, newest first | `<t>#USEREXPORTS#<user>` | `<created_at>#<export>` |
| (gsi2) ready archives by expiry, all tenants | `_EXPORT_EXPIRY` | `<available_until>#<pk>` |
| a part of a personal-data export, delivered by a service | `<t>#EXPORT#<export>` | `PART#<service>` |
| an export that holds a child's data (the child's purge finds it) | `<t>#CHILD#<child>` | `EXPORT#<export>` |
| a retention purge in progress | `<t>#PURGE#<child>` | `PURGE` |
| (gsi2) purges not yet verified, all tenants | `_PURGE_OPEN` | `<requested_at>#<t>#<child>` |
| a service's confirmation of a purge round | `<t>#PURGE#<child>` | `ROUND#<nn>#<service>` |
| the audit record of a finished purge (no personal data) | `<t>#PURGEAUDIT` | `<ref>` |
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


class ExportPartItem(ExportsItem):
    """A service's part of a personal-data export is in the drop box (counted once per service)."""

    service = UnicodeAttribute()
    files = NumberAttribute()
    bytes = NumberAttribute()
    delivered_at = UnicodeAttribute()


class ChildExportItem(ExportsItem):
    """Marks an export holding a child's data, so the child's purge deletes it with the child."""

    export_id = UnicodeAttribute()


class PurgeItem(ExportsItem):
    """A child's purge: `open` while rounds run (the first deletes, later ones verify), `stuck` when a round
    keeps finding data left (retried hourly and logged as an error for an operator)."""

    child_id = UnicodeAttribute()
    access_until = UnicodeAttribute()
    guardian_ids = JSONAttribute(default=list)
    round = NumberAttribute(default=0)
    status = UnicodeAttribute(default="open")
    requested_at = UnicodeAttribute()
    asked_at = UnicodeAttribute()
    attempts = NumberAttribute(default=1)


class PurgeRoundItem(ExportsItem):
    """One service's confirmation of one round: what it deleted, left and keeps by law."""

    service = UnicodeAttribute()
    round = NumberAttribute()
    deleted = JSONAttribute(default=dict)
    left = NumberAttribute(default=0)
    kept = JSONAttribute(default=list)
    confirmed_at = UnicodeAttribute()


class PurgeAuditItem(ExportsItem):
    """What remains of a finished purge: a reference that is not the child's id (a hash an auditor can
    recompute from it), dates, and per service the counts deleted and what is kept by law. No names."""

    ref = UnicodeAttribute()
    access_until = UnicodeAttribute()
    requested_at = UnicodeAttribute()
    completed_at = UnicodeAttribute()
    rounds = NumberAttribute()
    guardians_removed = NumberAttribute(default=0)
    services = JSONAttribute(default=dict)
