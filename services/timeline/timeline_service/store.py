"""DynamoDB items of the timeline service (one main table, keys prefixed with the tenant id).

| item | pk | sk |
|---|---|---|
| child (copy of auth's: name, for file names) | `<t>#CHILD#<child>` | `CHILD` |
| consent (copy of auth's, with the moment photo consent last restarted) | `<t>#CHILD#<child>` | `CONSENT` |
| placement (copy of auth's) | `<t>#CHILD#<child>` | `PLACEMENT#<start>` |
| group (copy of auth's: its location) | `<t>#GRP#<group>` | `GROUP` |
| upload (one photo on its way in) | `<t>#UPLOAD#<upload>` | `UPLOAD` |
| photo (published, with its derivatives) | `<t>#PHOTO#<photo>` | `PHOTO` |
| feed entry of a tagged child | `<t>#CHILDFEED#<child>` | `<date>#<photo>` |
| feed entry of an untagged group photo | `<t>#GROUPFEED#<group>` | `<date>#<photo>` |
| a view or download of a child's photo | `<t>#PHOTOLOG#<child>` | `<at>#<ulid>` |
| diary: staff's daily report / a parent's entry | `<t>#DIARY#<child>` | `<date>#staff` / `<date>#parent#<ulid>` |
| a diary archive being built for the exports service | `<t>#ARCHIVE#<export>` | `ARCHIVE` |
| (gsi1) the diary of a group's day, for its staff | `<t>#GROUPDIARY#<group>` | `<date>#<child>#<suffix>` |
| feed entry of a diary report or entry | `<t>#CHILDFEED#<child>` | `<date>#diary#<suffix>` |
| a diary archive of the child (so its purge finds the archive's job row) | `<t>#CHILD#<child>` | `ARCHIVE#<export>` |
| a person's name and role (copy of auth's: names in a personal-data export) | `<t>#USER#<user>` | `USER` |
| a photo of a child being purged (until the purge's check is clean) | `<t>#PURGE#<child>` | `<photo>` |

The feed reads a child's own partition and, per placement, its group's partition within the
placement's dates, newest first from the cursor on: a page costs a fixed number of Queries however long
the history is.

A child's facts are one partition, so what the feed needs to know about a child is one Query.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute

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




class UploadItem(TimelineItem):
    """A photo a staff member is uploading: `processing` until the file has been checked, then
    `published` (with `photo_id`), `blocked` (a tagged child lacks photo consent: `blocked_children`)
    or `rejected` (`reason`: not an image, too many pixels, truncated, ...). The raw file is deleted
    once it has been processed, whatever the outcome."""

    upload_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    location_id = UnicodeAttribute()
    date = UnicodeAttribute()
    child_ids = JSONAttribute(default=list)
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    s3_key = UnicodeAttribute()
    status = UnicodeAttribute(default="processing")
    reason = UnicodeAttribute(null=True)
    detail = UnicodeAttribute(null=True)
    blocked_children = JSONAttribute(default=list)
    photo_id = UnicodeAttribute(null=True)
    uploaded_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    processed_at = UnicodeAttribute(null=True)


class PhotoItem(TimelineItem):
    """A processed photo: metadata-free JPEG derivatives (`keys`: thumb, medium, full) in the photos bucket."""

    photo_id = UnicodeAttribute()
    upload_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    location_id = UnicodeAttribute()
    date = UnicodeAttribute()
    child_ids = JSONAttribute(default=list)
    keys = JSONAttribute(default=dict)
    width = NumberAttribute()
    height = NumberAttribute()
    uploaded_by = UnicodeAttribute()
    published_at = UnicodeAttribute()


class FeedEntryItem(TimelineItem):
    """A photo in a child's feed (tagged) or a group's feed (untagged), written with the photo; or a diary
    report or parent's entry in its child's feed, written with it (the feed then needs no second read).

    `photos` (diary entries): [{"id", "child_ids", "published_at", "group_id", "location_id", "date"}] of the
    photos in it, so the feed can decide on each photo (`visibility`) from the same batch of consents as
    everything else on the page (references written before they carried group, location and day count as
    the entry's own).
    """

    kind = UnicodeAttribute()  # photo | diary
    item_id = UnicodeAttribute()
    date = UnicodeAttribute()
    child_ids = JSONAttribute(default=list)
    group_id = UnicodeAttribute()
    location_id = UnicodeAttribute(null=True)  # its group's location then (None: written before it was kept)
    published_at = UnicodeAttribute()
    diary_kind = UnicodeAttribute(null=True)  # report | parent_entry
    text = UnicodeAttribute(null=True)
    photos = JSONAttribute(default=list)


class PhotoAccessItem(TimelineItem):
    """Who viewed a photo full size or downloaded it, for the guardians of the children in it."""

    photo_id = UnicodeAttribute()
    child_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    role = UnicodeAttribute()
    action = UnicodeAttribute()  # view | download
    at = UnicodeAttribute()


class DiaryItem(TimelineItem):
    """A staff member's daily report of a child (one per day) or a parent's own diary entry."""

    diary_id = UnicodeAttribute()
    child_id = UnicodeAttribute()
    date = UnicodeAttribute()
    kind = UnicodeAttribute()  # report | parent_entry
    group_id = UnicodeAttribute()
    location_id = UnicodeAttribute(null=True)  # its group's location then (None: written before it was kept)
    author_id = UnicodeAttribute()
    author_role = UnicodeAttribute()
    text = UnicodeAttribute()
    rhythm = JSONAttribute(default=list)  # [{"kind", "time", "note"}]: meals, sleep, diaper, ...
    photo_ids = JSONAttribute(default=list)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class ArchiveJobItem(TimelineItem):
    """A diary archive on its way into the exports service's bucket (see `archive.py`).

    `step`: the step that may run next (a step runs only when it is the job's); `state_key`: where that
    step's state (manifest, position, multipart parts, the unsent tail) waits in S3."""

    export_id = UnicodeAttribute()
    tenant = UnicodeAttribute()
    child_id = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute()
    language = UnicodeAttribute()
    requested_at = UnicodeAttribute()
    status = UnicodeAttribute()  # running | done
    step = NumberAttribute()
    state_key = UnicodeAttribute()


class ArchiveRefItem(TimelineItem):
    """That a diary archive of the child was asked for: the archive's job row is keyed by the export alone,
    and this row in the child's partition is how the child's purge finds it."""

    export_id = UnicodeAttribute()


class UserNameCopyItem(TimelineItem):
    """A person's name and role, kept from `auth.user.changed` (newest wins): who published a photo, wrote
    an entry or opened a photo, by name, in a personal-data export. Nothing else of the account is kept."""

    user_id = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    as_of = UnicodeAttribute()


class PurgeMarkItem(TimelineItem):
    """A photo of a child being purged, with its day and tagged children, written before the purge deletes
    anything: photo rows and files are keyed by the photo alone, so this is how the purge's check (and a
    repeated purge) still finds a photo whose feed entries are already gone. Deleted once the check is clean."""

    photo_id = UnicodeAttribute()
    date = UnicodeAttribute(null=True)
    child_ids = JSONAttribute(default=list)
