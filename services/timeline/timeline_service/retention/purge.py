"""Retention: when every guardian's access to a child has ended, the timeline deletes everything it holds
of that child, S3 objects included, and checks that it is gone (`portal_common.retention`: the purge
answers `auth.child.retention_due` and the exports service's `exports.purge.requested`).

What goes:
- every photo the child is tagged in: all its files in the photos bucket (whatever is under its prefix,
  not only the derivatives its row names), its row, its feed entry in every tagged child's feed (a photo
  showing this child disappears from its classmates' timelines too), and its place in those classmates'
  diary reports (the report stays, the photo goes);
- what is keyed by the child: its feed, diary (staff reports and parents' entries), photo access log, and
  the copies of its name, consents and placements;
- its rendered downloads and diary archives: the state in `tmp/` and the archives' job rows;
- of each guardian in `guardian_ids` (their accounts go): the copy of their name, the one row keyed by a
  person. Their own diary entries are in their children's diaries, which go with those children.

Photo rows and files are keyed by the photo alone. Before deleting anything the purge therefore records
each photo it can tie to the child (from the child's feed, diary and access log, and the photo rows
themselves) in `<t>#PURGE#<child>`; the check reads that record as well as the child's own keys, so a photo
row or file whose feed entries are already gone is still found, and a repeated purge deletes it. The record
goes once the check finds nothing left.

Raw uploads: processing deletes each raw file at once, but a file whose processing never ran to its end (its
notice lost, its worker killed on a huge image) waits in the uploads bucket, EXIF and all, keyed by its upload
alone. The purge lists the tenant's waiting files (normally none, or the few in flight) and deletes those that
tag the child, with their rows, and those whose row is gone (expired after 30 days: never processable again,
and no longer attributable to anyone).

Kept: untagged group photos (they show the group, not the child); a classmate's access-log rows of a shared
photo (the classmate's family's record of who opened it, naming the viewer by an id only). The upload rows
of the child's photos go with the photos; uploads never published (rejected, or blocked by a consent) name
the tagged children but hold no image and expire 30 days after the upload (TTL), weeks before a purge that
comes 8 weeks after the placement's end, so they are not searched. Everything here is read with Queries,
(batch) GetItems and S3 listings of the child's own keys and prefixes (and of the tenant's waiting uploads),
never a Scan.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import UpdateError

from portal_common import aws, store
from portal_common.retention import PurgeRequest, PurgeResult
from timeline_service import directory_copy
from timeline_service.archive import store as archive_store
from timeline_service.archive.store import ARCHIVE_REF, ArchiveJobItem
from timeline_service.diary.store import DiaryItem
from timeline_service.feed.store import FeedEntryItem
from timeline_service.photos import files
from timeline_service.photos.store import PhotoAccessItem, PhotoItem
from timeline_service.retention.store import PurgeMarkItem, marks_pk
from timeline_service.store import TimelineItem
from timeline_service.uploads import store as upload_store
from timeline_service.uploads.store import UploadItem

log = logging.getLogger("timeline.purge")
LISTERS = 8  # photo prefixes listed at once (one listing per photo)
REPORTED = ("photos", "photo_files", "classmates_feed_entries", "classmates_diary_photo_refs", "feed_entries", "diary",
            "access_log", "copies", "archive_refs", "archive_jobs", "downloads", "name_copies", "raw_uploads")


@dataclass
class Trace:
    """One photo of the child: its id, and its day and tagged children once known (its copies are found by them)."""

    photo_id: str
    date: str | None = None
    child_ids: list[str] = field(default_factory=list)

    def learn(self, date: str | None, child_ids: Iterable[str]) -> None:
        self.date = self.date or date
        self.child_ids = sorted(set(self.child_ids) | set(child_ids))


@dataclass
class Held:
    """What the timeline holds of a child, found through the child's own keys and its purge record."""

    rows: list[tuple[str, Any]]  # (kind, row) of the partitions keyed by the child
    traces: dict[str, Trace]  # the child's photos (a photo tagged with others only is not here)
    photos: dict[str, PhotoItem]  # their rows still there
    files: dict[str, list[str]]  # photo id -> the objects under its prefix
    archives: list[ArchiveJobItem]  # job rows of the child's diary archives
    downloads: list[str]  # rendered pages and archive state in tmp/
    raw_uploads: list[str]  # raw files waiting in the uploads bucket: the child's, or nobody's any more
    waiting: list[UploadItem]  # the child's rows of them


def _partitions(tenant: str, child_id: str) -> list[tuple[str, Any, str]]:
    return [("feed_entries", FeedEntryItem, store.key(tenant, "CHILDFEED", child_id)),
            ("access_log", PhotoAccessItem, store.key(tenant, "PHOTOLOG", child_id)),
            ("diary", DiaryItem, store.key(tenant, "DIARY", child_id)),
            ("copies", TimelineItem, store.key(tenant, "CHILD", child_id))]


def _photo_prefix(tenant: str, photo_id: str) -> str:
    return files.photo_key(tenant, photo_id, "").rsplit("/", 1)[0] + "/"


def _listed(prefix: str, bucket: str | None = None) -> list[str]:
    s3, found, token = aws.client("s3"), [], None
    while True:
        page = s3.list_objects_v2(Bucket=bucket or files.photos_bucket(), Prefix=prefix,
                                  **({"ContinuationToken": token} if token else {}))
        found += [o["Key"] for o in page.get("Contents", [])]
        token = page.get("NextContinuationToken")
        if not token:
            return found


def find(tenant: str, child_id: str, photo_ids: Iterable[str] = ()) -> Held:
    """Everything of the child, read consistently (`photo_ids`: more photos to look for, e.g. a caller's)."""
    rows: list[tuple[str, Any]] = []
    for kind, model, pk in _partitions(tenant, child_id):
        found = model.query(pk, consistent_read=True)
        rows += [("archive_refs" if kind == "copies" and r.sk.startswith(ARCHIVE_REF) else kind, r) for r in found]
    traces = {p: Trace(p) for p in photo_ids}
    for mark in PurgeMarkItem.query(marks_pk(tenant, child_id), consistent_read=True):
        traces.setdefault(mark.photo_id, Trace(mark.photo_id)).learn(mark.date, mark.child_ids)
    for kind, row in rows:
        if kind == "feed_entries" and row.kind == "photo":
            traces.setdefault(row.item_id, Trace(row.item_id)).learn(row.date, row.child_ids)
        for photo_id in _photos_named(kind, row):
            traces.setdefault(photo_id, Trace(photo_id))
    keys = [(store.key(tenant, "PHOTO", p), "PHOTO") for p in traces]
    photos = {p.photo_id: p for p in PhotoItem.batch_get(keys, consistent_read=True)} if keys else {}
    for photo_id, photo in list(photos.items()):
        if child_id in photo.child_ids:
            traces[photo_id].learn(photo.date, photo.child_ids)
        else:  # another child's photo (only a caller's list can name one): never the purge's to delete
            del photos[photo_id], traces[photo_id]
    with ThreadPoolExecutor(max_workers=LISTERS, thread_name_prefix="purge-list") as pool:
        listed = pool.map(lambda p: (p, _listed(_photo_prefix(tenant, p))), sorted(traces))
        objects = {photo_id: found for photo_id, found in listed if found}
    downloads = _listed(files.download_key(tenant, child_id, "").rsplit("/", 1)[0] + "/")
    state = _listed(archive_store.state_prefix(tenant, child_id))
    exports = {r.sk.removeprefix(ARCHIVE_REF) for kind, r in rows if kind == "archive_refs"}
    exports |= {key.removeprefix(archive_store.state_prefix(tenant, child_id)).split("/", 1)[0] for key in state}
    raw, waiting = _waiting_uploads(tenant, child_id)
    return Held(rows, traces, photos, objects, archive_store.jobs(tenant, child_id, exports), downloads + state, raw,
                waiting)


def _waiting_uploads(tenant: str, child_id: str) -> tuple[list[str], list[UploadItem]]:
    """The raw files waiting in the uploads bucket that tag the child or whose row is gone, and the child's rows."""
    waiting = {key.split("/", 1)[1]: key for key in _listed(f"{tenant}/", upload_store.bucket(upload_store.UPLOADS))}
    keys = [upload_store.upload_key(tenant, u) for u in sorted(waiting) if u.startswith("upl-") and "/" not in u]
    rows = {r.upload_id: r for r in UploadItem.batch_get(keys, consistent_read=True)} if keys else {}
    raw = [key for u, key in sorted(waiting.items()) if u not in rows or child_id in rows[u].child_ids]
    return raw, [r for r in rows.values() if child_id in r.child_ids]


def _photos_named(kind: str, row: Any) -> list[str]:
    """The photos a diary entry shows or an access-log row is about: every one of them is the child's."""
    if kind == "diary":
        return list(row.photo_ids or [])
    return [row.photo_id] if kind == "access_log" else []


def _classmates(traces: Iterable[Trace], child_id: str) -> dict[tuple[str, str], set[str]]:
    """(classmate, day) -> the child's photos of that day the classmate is tagged in too."""
    shared: dict[tuple[str, str], set[str]] = defaultdict(set)
    for trace in traces:
        for other in trace.child_ids:
            if other != child_id and trace.date:
                shared[(other, trace.date)].add(trace.photo_id)
    return shared


def _classmate_feed_entries(tenant: str, shared: dict[tuple[str, str], set[str]]) -> list[FeedEntryItem]:
    keys = [(store.key(tenant, "CHILDFEED", other), f"{day}#{p}") for (other, day), ids in shared.items()
            for p in sorted(ids)]
    return list(FeedEntryItem.batch_get(keys, consistent_read=True)) if keys else []


def _in_classmate_diaries(tenant: str, shared: dict[tuple[str, str], set[str]]) -> list[tuple[Any, list[Any]]]:
    """Classmates' reports of those days (and their feed entries) that still show one of the photos, each with
    the photos it keeps."""
    found: list[tuple[Any, list[Any]]] = []
    for (other, day), photo_ids in shared.items():
        for entry in DiaryItem.query(store.key(tenant, "DIARY", other), DiaryItem.sk.startswith(f"{day}#"),
                                     consistent_read=True):
            if photo_ids & set(entry.photo_ids or []):
                found.append((entry, [p for p in entry.photo_ids if p not in photo_ids]))
        for row in FeedEntryItem.query(store.key(tenant, "CHILDFEED", other),
                                       FeedEntryItem.sk.startswith(f"{day}#diary#"), consistent_read=True):
            if photo_ids & {p["id"] for p in row.photos or []}:
                found.append((row, [p for p in row.photos if p["id"] not in photo_ids]))
    return found


def _set_photos(row: Any, kept: list[Any]) -> int:
    """A classmate's report (or its feed entry) without the purged photos; 0 when the row went meanwhile
    (an update must not bring it back as a stub)."""
    model = type(row)
    attribute = model.photo_ids if model is DiaryItem else model.photos
    try:
        row.update(actions=[attribute.set(kept)], condition=model.pk.exists())
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return 0
    return 1


def _delete_objects(keys: list[str], bucket: str | None = None) -> int:
    """Delete objects of the photos bucket (or `bucket`), 1,000 a request; how many went."""
    s3, failed = aws.client("s3"), 0
    for start in range(0, len(keys), 1000):
        answer = s3.delete_objects(Bucket=bucket or files.photos_bucket(), Delete={
            "Objects": [{"Key": k} for k in keys[start:start + 1000]], "Quiet": True})
        failed += len(answer.get("Errors", []))  # the check finds them, and the exports service asks again
    if failed:
        log.warning("objects not deleted", extra={"count": failed})
    return len(keys) - failed


def _delete_rows(rows: Iterable[Any]) -> None:
    with TimelineItem.batch_write() as batch:
        for row in rows:
            batch.delete(row)


def _record(tenant: str, child_id: str, traces: Iterable[Trace]) -> None:
    """The purge record: written before anything is deleted, so the photos stay findable until the check is clean."""
    with PurgeMarkItem.batch_write() as batch:
        for t in traces:
            batch.save(PurgeMarkItem(marks_pk(tenant, child_id), t.photo_id, photo_id=t.photo_id, date=t.date,
                                     child_ids=t.child_ids))


def purge(request: PurgeRequest) -> PurgeResult:
    """Delete everything of the child and of the guardians whose accounts go, then check what is left."""
    tenant, child_id = request.tenant, request.child_id
    held = find(tenant, child_id)
    _record(tenant, child_id, held.traces.values())
    deleted: Counter[str] = Counter(dict.fromkeys(REPORTED, 0))
    deleted["photo_files"] = _delete_objects([k for keys in held.files.values() for k in keys])
    shared = _classmates(held.traces.values(), child_id)
    classmates_feed = _classmate_feed_entries(tenant, shared)
    _delete_rows(classmates_feed)
    deleted["classmates_feed_entries"] = len(classmates_feed)
    for row, kept in _in_classmate_diaries(tenant, shared):
        deleted["classmates_diary_photo_refs"] += _set_photos(row, kept)
    upload_keys = [upload_store.upload_key(tenant, p.upload_id) for p in held.photos.values() if p.upload_id]
    upload_rows = list(UploadItem.batch_get(upload_keys, consistent_read=True)) if upload_keys else []
    _delete_rows(upload_rows)  # before the photos that name them: a repeated purge still finds them
    deleted["raw_uploads"] = _delete_objects(held.raw_uploads, upload_store.bucket(upload_store.UPLOADS))
    _delete_rows(held.waiting)
    deleted["uploads"] = len(upload_rows) + len(held.waiting)
    _delete_rows(held.photos.values())
    deleted["photos"] = len(held.photos)
    _delete_rows(held.archives)
    deleted["archive_jobs"] = len(held.archives)
    _delete_rows(row for _, row in held.rows)
    deleted.update(Counter(kind for kind, _ in held.rows))
    deleted["downloads"] = _delete_objects(held.downloads)
    names = directory_copy.user_names(tenant, request.guardian_ids)
    _delete_rows(names)
    deleted["name_copies"] = len(names)
    left = verify(tenant, child_id, guardian_ids=request.guardian_ids)
    if upload_rows:
        gone = UploadItem.batch_get([(r.pk, r.sk) for r in upload_rows], consistent_read=True)
        left += [f"upload {row.upload_id}" for row in gone]
    if not left:
        _delete_rows(PurgeMarkItem.query(marks_pk(tenant, child_id), consistent_read=True))
    log.info("child purged from the timeline", extra={"child_id": child_id, "left": len(left), **deleted})
    return PurgeResult(deleted=dict(deleted), left=left)


def verify(tenant: str, child_id: str, photo_ids: Iterable[str] = (), guardian_ids: Iterable[str] = ()) -> list[str]:
    """What is left of the child (and of the guardians' name copies) in the timeline: empty when the purge
    is complete. Photos are found through the child's keys and the purge record; `photo_ids` adds more."""
    held = find(tenant, child_id, photo_ids)
    left = [f"row {row.pk}/{row.sk}" for _, row in held.rows]
    left += [f"photo {photo_id}" for photo_id in held.photos]
    left += [f"object {key}" for keys in held.files.values() for key in keys]
    shared = _classmates(held.traces.values(), child_id)
    left += [f"classmate's feed entry {row.pk}/{row.sk}" for row in _classmate_feed_entries(tenant, shared)]
    left += [f"photo in classmate's report {row.pk}/{row.sk}" for row, _ in _in_classmate_diaries(tenant, shared)]
    left += [f"archive job {job.export_id}" for job in held.archives]
    left += [f"object {key}" for key in held.downloads + held.raw_uploads]
    left += [f"upload {row.upload_id}" for row in held.waiting]
    left += [f"name of {row.user_id}" for row in directory_copy.user_names(tenant, guardian_ids)]
    return left


def purge_child(tenant: str, child_id: str) -> PurgeResult:
    """The purge of one child with no guardian accounts going (tests and tools)."""
    return purge(PurgeRequest(tenant, child_id, access_until=""))
