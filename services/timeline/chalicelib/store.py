"""DynamoDB items of the timeline service (one main table, keys prefixed with the tenant id).

| item | pk | sk |
|---|---|---|
| child (copy of auth's: name, for file names) | `<t>#CHILD#<child>` | `CHILD` |
| consent (copy of auth's, with the moment photo consent last restarted) | `<t>#CHILD#<child>` | `CONSENT` |
| placement (copy of auth's) | `<t>#CHILD#<child>` | `PLACEMENT#<start>` |

A child's facts are one partition, so what the feed needs to know about a child is one Query.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute

from portal_common.store import MainItem, table_meta


class TimelineItem(MainItem):
    """Base of every item in the timeline service's main table."""

    Meta = table_meta("timeline")


class ChildCopyItem(TimelineItem):
    """A child's name (download file names, staff views), kept from auth's child events."""

    child_id = UnicodeAttribute()
    name = UnicodeAttribute()
    as_of = UnicodeAttribute()


class ConsentCopyItem(TimelineItem):
    """A child's consents, kept from `auth.consents.changed` (newest wins).

    `photos_from`: when photo consent was last given again after a withdrawal. A photo of the child
    published before that moment stays hidden: giving consent again never brings back silently what
    a withdrawal hid (None: never withdrawn, every photo since the child's placement counts).
    """

    child_id = UnicodeAttribute()
    photos = BooleanAttribute(default=False)
    diary = BooleanAttribute(default=False)
    outings = BooleanAttribute(default=False)
    photos_from = UnicodeAttribute(null=True)
    as_of = UnicodeAttribute()


class PlacementCopyItem(TimelineItem):
    """A child's placement in a group over time (untagged group photos reach the children placed that day)."""

    child_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    location_id = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute(null=True)
    as_of = UnicodeAttribute()
