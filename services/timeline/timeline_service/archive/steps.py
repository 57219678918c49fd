"""The diary archive of a child and period, built here (where the photos and reports live) into the
exports service's archive bucket, in resumable steps.

`exports.diary.requested` names the export, the child, the period and where the ZIP goes. The timeline
then:
1. lists what goes in (the *manifest*, kept in S3): what the child's guardian sees of the period now, by
   the timeline's one rule (`visibility`): the photos the child is tagged in and the group's photos of the
   days it was placed there, whose consent holds now, and, with diary consent, every staff report and
   parent's entry;
2. writes it in steps of at most `STEP_SECONDS` (`zipstream`: a multipart upload, constant memory): each
   photo at full resolution (metadata-free, stored as is, the day and time in its name and its ZIP
   entry time), each report or entry as an HTML page showing its photos from the archive, and last one
   `index.html` that browses the period by month, offline;
3. between steps hands itself `timeline.archive.continue` with the next step's number, and tells the
   exports service how far it is (`timeline.archive.progress`), then `timeline.archive.completed`.

A step runs only if the job is at that step, and the archive's bytes are a function of the manifest
alone (entry times come from the data, never from the clock), so a redelivered step that runs twice
writes identical parts; the loser's closing update fails on its condition and it stops. Every step
writes at least one entry, so an archive always finishes however slow a step is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError

from portal_common import aws, clock, store, zipstream
from portal_common.contracts import timeline as events
from portal_common.events import Envelope
from portal_common.outbox import Changes, Outbox
from timeline_service import diary, diary_html, directory_copy, feed, visibility
from timeline_service.archive_index import render_index
from timeline_service.store import ArchiveJobItem, DiaryItem, FeedEntryItem

STEP_SECONDS = 60.0  # of a Lambda's 15 minutes: a step ends well before any timeout
log = logging.getLogger("timeline.archive")


def _job_key(tenant: str, export_id: str) -> tuple[str, str]:
    return store.key(tenant, "ARCHIVE", export_id), "ARCHIVE"


def state_prefix(tenant: str, child_id: str) -> str:
    """Where the child's archive jobs keep their state between steps (temporary; purge takes it)."""
    return f"{feed.TEMPORARY}/{tenant}/archives/{child_id}/"


def _local(at: str) -> datetime:
    return clock.local(datetime.fromisoformat(at))


def _zip_time(at: str, day: str | None = None) -> tuple[int, int, int, int, int, int]:
    """A ZIP entry's time: the moment `at` (Amsterdam), on `day` when given (a photo of an earlier day
    published later keeps the day it shows; only the time of day comes from its publication)."""
    moment = _local(at)
    on = date.fromisoformat(day) if day else moment.date()
    return (on.year, on.month, on.day, moment.hour, moment.minute, moment.second)


# -- the manifest --------------------------------------------------------------------------------
def _selected(tenant: str, child_id: str, start: str, end: str) -> tuple[list[FeedEntryItem], list[DiaryItem]]:
    """The child's photos and diary entries of the period that the child's guardian sees now (`visibility`):
    the photos the child is tagged in, the group photos of the days it was placed in that group, the diary."""
    viewer = visibility.guardian_of(tenant, child_id)
    upper = f"{end}#~"
    found = [e for e in FeedEntryItem.query(store.key(tenant, "CHILDFEED", child_id),
                                            FeedEntryItem.sk.between(start, upper)) if e.kind == "photo"]
    placements = directory_copy.placements(tenant, child_id)
    for placement in placements:
        first, last = max(start, placement.start), min(end, placement.end or end)
        if first <= last:
            found += FeedEntryItem.query(store.key(tenant, "GROUPFEED", placement.group_id),
                                         FeedEntryItem.sk.between(first, f"{last}#~"))
    rows = list(DiaryItem.query(store.key(tenant, "DIARY", child_id), DiaryItem.sk.between(start, upper)))
    consents = feed.consents_of(tenant, {child_id} | {c for e in found for c in e.child_ids})
    photos = [e for e in found
              if visibility.may_see(viewer, visibility.of_entry(e, e.location_id), consents, placements)]
    return photos, [r for r in rows if visibility.may_see(viewer, visibility.of_diary(r, r.location_id), consents)]


def build_manifest(tenant: str, child_id: str, start: date, end: date) -> list[dict[str, Any]]:
    """Everything the archive holds, in date order, each with its path in the ZIP."""
    photos, rows = _selected(tenant, child_id, start.isoformat(), end.isoformat())
    entries: list[dict[str, Any]] = []
    for photo in sorted(photos, key=lambda p: (p.date, p.published_at, p.item_id)):
        moment = _local(photo.published_at)
        name = f"{photo.date}_{moment:%H-%M-%S}_{photo.item_id.removeprefix('pho-')[-8:]}.jpg"
        entries.append({"kind": "photo", "id": photo.item_id, "date": photo.date, "at": photo.published_at,
                        "path": f"fotos/{photo.date[:7]}/{name}"})
    for n, row in enumerate(rows):
        label = "dagverslag" if row.kind == "report" else f"eigen-bericht-{n + 1}"
        entries.append({"kind": "diary", "id": row.diary_id, "date": row.date, "at": row.updated_at,
                        "diary_kind": row.kind, "path": f"dagboek/{row.date[:7]}/{row.date}_{label}.html"})
    entries.sort(key=lambda x: (x["date"], x["kind"] != "diary", x["path"]))
    return entries


# -- steps ----------------------------------------------------------------------------------------
def _put_state(job: ArchiveJobItem, step: int, manifest: list[dict[str, Any]], position: int,
               progress: zipstream.Progress) -> str:
    prefix = f"{state_prefix(job.tenant, job.child_id)}{job.export_id}/{step}"
    return zipstream.save_state(feed.photos_bucket(), prefix, manifest, position, progress)


def _get_state(key: str) -> tuple[list[dict[str, Any]], int, zipstream.Progress]:
    return zipstream.load_state(feed.photos_bucket(), key)


def _diary_page(tenant: str, entry: dict[str, Any], paths: dict[str, str], lang: str, names: dict[str, str]) -> bytes:
    item = diary.get(tenant, entry["id"])
    if item is None:  # deleted since the manifest was made: an empty page says so rather than a gap
        return b""
    up = "../../"
    shown = [p for p in item.photo_ids or [] if p in paths]
    page = diary_html.render(item, child_name=names["child"], group_name=names.get(item.group_id, ""), lang=lang,
                             photo_ids=shown, image_src=lambda photo_id: up + paths[photo_id])
    return page.encode("utf-8")


def run_step(outbox: Outbox, tenant: str, export_id: str, step: int, *,
             budget_seconds: float | None = None, now: Callable[[], float] = time.monotonic) -> bool:
    """Run step `step` of the export's archive; True when this call finished it."""
    try:
        job = ArchiveJobItem.get(*_job_key(tenant, export_id), consistent_read=True)
    except ArchiveJobItem.DoesNotExist:
        return False
    if job.status != "running" or job.step != step:
        return False  # a redelivered or stale step: the job moved on
    manifest, position, progress = _get_state(job.state_key)
    child = directory_copy.child(tenant, job.child_id)
    names = {"child": child.name if child else ""}
    for placement in directory_copy.placements(tenant, job.child_id):
        group = directory_copy.group(tenant, placement.group_id)
        names[placement.group_id] = group.name if group else ""
    paths = {e["id"]: e["path"] for e in manifest if e["kind"] == "photo"}
    writer = zipstream.Writer(progress)
    deadline = now() + (STEP_SECONDS if budget_seconds is None else budget_seconds)
    s3 = aws.client("s3")
    written = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive-read") as reader:
        ahead: dict[int, Future[bytes]] = {}

        def fetch(n: int) -> None:  # the next photo is read while this one is written
            if n < len(manifest) and n not in ahead and manifest[n]["kind"] == "photo":
                key = feed.photo_key(tenant, manifest[n]["id"], "full")
                ahead[n] = reader.submit(lambda: s3.get_object(Bucket=feed.photos_bucket(), Key=key)["Body"].read())

        while position < len(manifest) and not (written and now() >= deadline):  # at least one entry a step
            entry = manifest[position]
            if entry["kind"] == "photo":
                fetch(position)
                data = ahead.pop(position).result()
                fetch(position + 1)
                writer.add(entry["path"], data, _zip_time(entry["at"], entry["date"]), compress=False)
            else:
                fetch(position + 1)
                writer.add(entry["path"], _diary_page(tenant, entry, paths, job.language, names),
                           _zip_time(entry["at"], entry["date"]), compress=True)
            position += 1
            written += 1
        for pending in ahead.values():
            pending.cancel()
    ch = Changes(outbox, tenant, "timeline")
    if position >= len(manifest):
        index = render_index(manifest, child_name=names["child"], start=job.start, end=job.end, lang=job.language)
        writer.add("index.html", index.encode("utf-8"), _zip_time(job.requested_at), compress=True)
        size = writer.finish()
        ch.update(job, [ArchiveJobItem.status.set("done"), ArchiveJobItem.step.set(step + 1)],
                  condition=ArchiveJobItem.step == step)
        ch.emit(events.ArchiveCompleted(export_id=export_id, child_id=job.child_id, size=size,
                                        photos=sum(1 for e in manifest if e["kind"] == "photo"),
                                        diary_pages=sum(1 for e in manifest if e["kind"] == "diary")))
    else:
        prefix = _put_state(job, step + 1, manifest, position, writer.pause())
        ch.update(job, [ArchiveJobItem.step.set(step + 1), ArchiveJobItem.state_key.set(prefix)],
                  condition=ArchiveJobItem.step == step)
        ch.emit(events.ArchiveProgress(export_id=export_id, done=position, total=len(manifest) + 1))
        ch.emit(events.ArchiveContinue(export_id=export_id, step=step + 1))
    try:
        ch.commit()
    except TransactWriteError:  # a duplicate worker of the same step closed it first
        log.info("archive step done meanwhile by another worker", extra={"export_id": export_id, "step": step})
        return False
    return position >= len(manifest)


def start(outbox: Outbox, env: Envelope) -> None:
    """`exports.diary.requested`: make the manifest, open the upload, and run the first step."""
    p, tenant = env.payload, env.tenant
    key = _job_key(tenant, p["export_id"])
    try:
        ArchiveJobItem.get(*key, consistent_read=True)
        return  # a redelivered request: the job exists and runs by its own steps
    except ArchiveJobItem.DoesNotExist:
        pass
    manifest = build_manifest(tenant, p["child_id"], date.fromisoformat(p["start"]), date.fromisoformat(p["end"]))
    progress = zipstream.start(p["bucket"], p["key"], file_name=p["file_name"])
    job = ArchiveJobItem(*key, export_id=p["export_id"], tenant=tenant, child_id=p["child_id"], start=p["start"],
                         end=p["end"], language=p.get("language", "nl"), requested_at=env.occurred_at.isoformat(),
                         status="running", step=0, state_key="")
    job.state_key = _put_state(job, 0, manifest, 0, progress)
    try:
        job.save(ArchiveJobItem.pk.does_not_exist())
    except PutError:  # another worker took the same request first
        zipstream.abort(progress)
        return
    run_step(outbox, tenant, p["export_id"], 0)


def on_continue(outbox: Outbox) -> Callable[[Envelope], None]:
    def handle(env: Envelope) -> None:
        run_step(outbox, env.tenant, env.payload["export_id"], int(env.payload["step"]))
    return handle


def handlers(outbox: Outbox) -> dict[str, Callable[[Envelope], None]]:
    return {"exports.diary.requested": lambda env: start(outbox, env),
            "timeline.archive.continue": on_continue(outbox)}


def job_state(tenant: str, export_id: str) -> ArchiveJobItem | None:
    try:
        return ArchiveJobItem.get(*_job_key(tenant, export_id), consistent_read=True)
    except ArchiveJobItem.DoesNotExist:
        return None

