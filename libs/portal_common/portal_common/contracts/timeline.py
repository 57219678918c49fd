"""Events the timeline service publishes (schemas in /openapi.json's event catalogue)."""

from __future__ import annotations

from portal_common.contracts import retention
from portal_common.events import EventPayload, event_type

OWNER = "timeline"


@event_type("timeline.photo.published", owner=OWNER)
class PhotoPublished(EventPayload):
    """A photo passed its checks and is visible to the right parents (notifications)."""

    photo_id: str
    group_id: str
    location_id: str
    date: str
    child_ids: list[str]  # empty: a group photo, for the guardians of the children placed that day


@event_type("timeline.diary.published", owner=OWNER)
class DiaryPublished(EventPayload):
    """A day's report was written (its guardians hear of it) or a parent added an entry (the group's staff
    hear of it). Edits of a report that day are not announced again."""

    diary_id: str
    kind: str  # report | parent_entry
    child_id: str
    group_id: str
    location_id: str
    date: str
    author_id: str


@event_type("timeline.archive.continue", owner=OWNER)
class ArchiveContinue(EventPayload):
    """The timeline to itself: run the next step of a diary archive (`archive.py`)."""

    export_id: str
    step: int


@event_type("timeline.archive.progress", owner=OWNER)
class ArchiveProgress(EventPayload):
    """How far a diary archive is, for the exports service's `GET /exports/{id}`."""

    export_id: str
    done: int
    total: int


@event_type("timeline.archive.completed", owner=OWNER)
class ArchiveCompleted(EventPayload):
    """The diary archive is complete in the exports bucket, at the key the request named."""

    export_id: str
    child_id: str
    size: int
    photos: int
    diary_pages: int


@event_type("timeline.child.purged", owner=OWNER)
class ChildPurged(retention.ChildPurged):
    """The timeline deleted the child's photos (files and rows, in classmates' feeds and reports too), diary,
    feed, photo access log, rendered downloads, diary archive state and copies, and the removed guardians'
    name copies; `left` is what its check found afterwards."""


@event_type("timeline.personal_data.delivered", owner=OWNER)
class PersonalDataDelivered(retention.PersonalDataDelivered):
    """The timeline's part of a personal-data export (photos with their files, diary, photo access log,
    what it keeps of the children and of the user) is in the exports drop box."""


PUBLISHES = (PhotoPublished, DiaryPublished, ArchiveContinue, ArchiveProgress, ArchiveCompleted, ChildPurged,
             PersonalDataDelivered)
