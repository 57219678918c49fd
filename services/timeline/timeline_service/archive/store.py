"""Diary archive jobs (`<t>#ARCHIVE#<export>`) and the child's note of each (`<t>#CHILD#<child>` /
`ARCHIVE#<export>`, so the child's purge finds a job keyed by its export alone); their state between steps
waits in S3 under `tmp/` (`state_prefix`)."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from portal_common import store
from timeline_service.photos.files import TEMPORARY
from timeline_service.store import TimelineItem

ARCHIVE_REF = "ARCHIVE#"


class ArchiveJobItem(TimelineItem):
    """A diary archive on its way into the exports service's bucket (see `archive/steps.py`).

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


def job_key(tenant: str, export_id: str) -> tuple[str, str]:
    return store.key(tenant, "ARCHIVE", export_id), "ARCHIVE"


def job_state(tenant: str, export_id: str) -> ArchiveJobItem | None:
    try:
        return ArchiveJobItem.get(*job_key(tenant, export_id), consistent_read=True)
    except ArchiveJobItem.DoesNotExist:
        return None


def jobs(tenant: str, child_id: str, export_ids: set[str]) -> list[ArchiveJobItem]:
    """The job rows of the child's archives among `export_ids` (one BatchGetItem)."""
    keys = [job_key(tenant, e) for e in sorted(export_ids) if store.SEPARATOR not in e]
    found = ArchiveJobItem.batch_get(keys, consistent_read=True) if keys else []
    return [job for job in found if job.child_id == child_id]


def remember(tenant: str, child_id: str, export_id: str) -> None:
    """Note the archive in the child's partition (refusing an id that would break the keys)."""
    job_key(tenant, export_id)
    ArchiveRefItem(store.key(tenant, "CHILD", child_id), f"{ARCHIVE_REF}{export_id}", export_id=export_id).save()


def state_prefix(tenant: str, child_id: str) -> str:
    """Where the child's archive jobs keep their state between steps (temporary; purge takes it)."""
    return f"{TEMPORARY}/{tenant}/archives/{child_id}/"
