"""The diary archive of a child and period, built here (where the photos and reports live) into the
exports service's archive bucket, in resumable steps.

`exports.diary.requested` names the export, the child, the period and where the ZIP goes. The timeline
then:
1. lists what goes in (the *manifest*, kept in S3; `rules.manifest`): what the child's guardian sees of the
   period now, by the timeline's one rule (`rules.selected`, `visibility`): the photos the child is tagged
   in and the group's photos of the days it was placed there, whose consent holds now, and, with diary
   consent, every staff report and parent's entry;
2. writes it in steps of at most `STEP_SECONDS` (`zipstream`: a multipart upload, constant memory): each
   photo at full resolution (metadata-free, stored as is, the day and time in its name and its ZIP
   entry time), each report or entry as an HTML page showing its photos from the archive (`diary/html.py`),
   and last one `index.html` that browses the period by month, offline (`index.py`);
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
from datetime import date
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError

from portal_common import aws, zipstream
from portal_common.contracts import exports
from portal_common.contracts import timeline as events
from portal_common.events import Envelope
from portal_common.outbox import Changes, Outbox
from timeline_service import directory_copy, visibility
from timeline_service.archive import rules
from timeline_service.archive.index import render_index
from timeline_service.archive.store import ArchiveJobItem, job_key, state_prefix
from timeline_service.diary import html
from timeline_service.diary import store as diary_store
from timeline_service.feed import store as feed_store
from timeline_service.photos import files

STEP_SECONDS = 60.0  # of a Lambda's 15 minutes: a step ends well before any timeout
log = logging.getLogger("timeline.archive")


# -- the manifest --------------------------------------------------------------------------------
def build_manifest(tenant: str, child_id: str, start: date, end: date) -> list[dict[str, Any]]:
    """Everything the archive holds (`rules.manifest`) of what the child's guardian sees of the period now:
    the photos the child is tagged in, the group photos of the days it was placed in that group, the diary."""
    first, last = start.isoformat(), end.isoformat()
    found = feed_store.photos_of_child(tenant, child_id, first, last)
    placements = directory_copy.placements(tenant, child_id)
    for placement in placements:
        days = rules.placed_days(placement, first, last)
        if days is not None:
            found += feed_store.photos_of_group(tenant, placement.group_id, *days)
    rows = diary_store.of_period(tenant, child_id, first, last)
    consents = directory_copy.consents_of(tenant, {child_id} | {c for e in found for c in e.child_ids})
    photos, shown = rules.selected(visibility.guardian_of(tenant, child_id), found, rows, consents, placements)
    return rules.manifest(photos, shown)


# -- steps ----------------------------------------------------------------------------------------
def _put_state(job: ArchiveJobItem, step: int, manifest: list[dict[str, Any]], position: int,
               progress: zipstream.Progress) -> str:
    prefix = f"{state_prefix(job.tenant, job.child_id)}{job.export_id}/{step}"
    return zipstream.save_state(files.photos_bucket(), prefix, manifest, position, progress)


def _get_state(key: str) -> tuple[list[dict[str, Any]], int, zipstream.Progress]:
    return zipstream.load_state(files.photos_bucket(), key)


def _diary_page(tenant: str, entry: dict[str, Any], paths: dict[str, str], lang: str, names: dict[str, str]) -> bytes:
    item = diary_store.get(tenant, entry["id"])
    if item is None:  # deleted since the manifest was made: an empty page says so rather than a gap
        return b""
    up = "../../"
    shown = [p for p in item.photo_ids or [] if p in paths]
    page = html.render(item, child_name=names["child"], group_name=names.get(item.group_id, ""), lang=lang,
                       photo_ids=shown, image_src=lambda photo_id: up + paths[photo_id])
    return page.encode("utf-8")


def run_step(outbox: Outbox, tenant: str, export_id: str, step: int, *,
             budget_seconds: float | None = None, now: Callable[[], float] = time.monotonic) -> bool:
    """Run step `step` of the export's archive; True when this call finished it."""
    try:
        job = ArchiveJobItem.get(*job_key(tenant, export_id), consistent_read=True)
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
                key = files.photo_key(tenant, manifest[n]["id"], "full")
                ahead[n] = reader.submit(lambda: s3.get_object(Bucket=files.photos_bucket(), Key=key)["Body"].read())

        while position < len(manifest) and not (written and now() >= deadline):  # at least one entry a step
            entry = manifest[position]
            if entry["kind"] == "photo":
                fetch(position)
                data = ahead.pop(position).result()
                fetch(position + 1)
                writer.add(entry["path"], data, rules.zip_time(entry["at"], entry["date"]), compress=False)
            else:
                fetch(position + 1)
                writer.add(entry["path"], _diary_page(tenant, entry, paths, job.language, names),
                           rules.zip_time(entry["at"], entry["date"]), compress=True)
            position += 1
            written += 1
        for pending in ahead.values():
            pending.cancel()
    ch = Changes(outbox, tenant, "timeline")
    if position >= len(manifest):
        index = render_index(manifest, child_name=names["child"], start=job.start, end=job.end, lang=job.language)
        writer.add("index.html", index.encode("utf-8"), rules.zip_time(job.requested_at), compress=True)
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


def start(outbox: Outbox, env: Envelope, request: exports.DiaryExportRequested) -> None:
    """`exports.diary.requested`: make the manifest, open the upload, and run the first step."""
    tenant = env.tenant
    key = job_key(tenant, request.export_id)
    try:
        ArchiveJobItem.get(*key, consistent_read=True)
        return  # a redelivered request: the job exists and runs by its own steps
    except ArchiveJobItem.DoesNotExist:
        pass
    manifest = build_manifest(tenant, request.child_id, date.fromisoformat(request.start),
                              date.fromisoformat(request.end))
    progress = zipstream.start(request.bucket, request.key, file_name=request.file_name)
    job = ArchiveJobItem(*key, export_id=request.export_id, tenant=tenant, child_id=request.child_id,
                         start=request.start, end=request.end, language=request.language,
                         requested_at=env.occurred_at.isoformat(), status="running", step=0, state_key="")
    job.state_key = _put_state(job, 0, manifest, 0, progress)
    try:
        job.save(ArchiveJobItem.pk.does_not_exist())
    except PutError:  # another worker took the same request first
        zipstream.abort(progress)
        return
    run_step(outbox, tenant, request.export_id, 0)
