"""The timeline's one DynamoDB table (keys prefixed with the tenant id): its base item and the copies of
auth's directory that every feature reads (here). Each feature keeps its own items in its `store.py`.

| item | pk | sk |
|---|---|---|
| *here:* child (copy of auth's: name, for file names) | `<t>#CHILD#<child>` | `CHILD` |
| consent (copy of auth's, with the moment photo consent last restarted) | `<t>#CHILD#<child>` | `CONSENT` |
| placement (copy of auth's) | `<t>#CHILD#<child>` | `PLACEMENT#<start>` |
| group (copy of auth's: its location) | `<t>#GRP#<group>` | `GROUP` |
| a person's name and role (copy of auth's: names in a personal-data export) | `<t>#USER#<user>` | `USER` |
| *uploads/store.py:* upload (one photo on its way in) | `<t>#UPLOAD#<upload>` | `UPLOAD` |
| *photos/store.py:* photo (published, with its derivatives) | `<t>#PHOTO#<photo>` | `PHOTO` |
| a view or download of a child's photo | `<t>#PHOTOLOG#<child>` | `<at>#<ulid>` |
| *feed/store.py:* feed entry of a tagged child | `<t>#CHILDFEED#<child>` | `<date>#<photo>` |
| feed entry of an untagged group photo | `<t>#GROUPFEED#<group>` | `<date>#<photo>` |
| feed entry of a diary report or entry | `<t>#CHILDFEED#<child>` | `<date>#diary#<suffix>` |
| *diary/store.py:* staff's report / a parent's entry | `<t>#DIARY#<child>` | `<date>#staff` / `<date>#parent#<ulid>` |
| (gsi1) the diary of a group's day, for its staff | `<t>#GROUPDIARY#<group>` | `<date>#<child>#<suffix>` |
| *archive/store.py:* a diary archive being built for the exports service | `<t>#ARCHIVE#<export>` | `ARCHIVE` |
| a diary archive of the child (so its purge finds the job row) | `<t>#CHILD#<child>` | `ARCHIVE#<export>` |
| *retention/store.py:* a photo of a child being purged (until the check is clean) | `<t>#PURGE#<child>` | `<photo>` |

The feed reads a child's own partition and, per placement, its group's partition within the
placement's dates, newest first from the cursor on: a page costs a fixed number of Queries however long
the history is.

A child's facts are one partition, so what the feed needs to know about a child is one Query.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute

from portal_common.directory_copies import copy_items
from portal_common.store import MainItem, table_meta


class TimelineItem(MainItem):
    """Base of every item in the timeline service's main table."""

    Meta = table_meta("timeline")


# The copies of auth's directory (declared once, in portal_common.directory_copies), on this table.
_COPIES = copy_items(TimelineItem)
ChildCopyItem = _COPIES.child
PlacementCopyItem = _COPIES.placement
GroupCopyItem = _COPIES.group


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


class UserNameCopyItem(TimelineItem):
    """A person's name and role, kept from `auth.user.changed` (newest wins): who published a photo, wrote
    an entry or opened a photo, by name, in a personal-data export. Nothing else of the account is kept."""

    user_id = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    as_of = UnicodeAttribute()
