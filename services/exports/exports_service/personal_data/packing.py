"""Packing a personal-data export: with every part in, the parts are packed into one ZIP
(`portal_common.zipstream`: a multipart upload, constant memory) in steps of at most `STEP_SECONDS`, handing
over with `exports.personal_data.continue`, state under `tmp/` (expired after a day by the bucket's rule). A
step runs only when the job is at it; every step writes at least one entry, so the packing always ends
(`rules.step_over`).

The ZIP is `ready` for 7 days like a diary archive (`exports.export.ready` mails the link); the parts and the
packing state are deleted. A part that never comes leaves the job to fail after 6 hours.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError

from exports_service import jobs
from exports_service.personal_data import rules
from exports_service.personal_data.store import parts_prefix, state_prefix
from exports_service.store import ExportItem
from portal_common import aws, clock, zipstream
from portal_common.contracts import exports as events
from portal_common.outbox import Changes, Outbox
from portal_common.retention import SERVICES

STEP_SECONDS = 60.0
log = logging.getLogger("exports.personal_data")


def _manifest(item: ExportItem, tenant: str) -> list[dict[str, Any]]:
    prefix = parts_prefix(tenant, item.export_id)
    found = sorted(({"key": k, "path": k[len(prefix):]} for k in jobs.keys_under(prefix)),
                   key=lambda e: e["path"])
    readme = {"key": None, "path": rules.readme_name(item.language)}
    return [readme, *found]


def _put_state(tenant: str, export_id: str, step: int, manifest: list[dict[str, Any]], position: int,
               progress: zipstream.Progress) -> str:
    return zipstream.save_state(jobs.bucket(), f"{state_prefix(tenant, export_id)}{step}", manifest, position,
                                progress)


def start_packing(outbox: Outbox, item: ExportItem) -> None:
    tenant = item.pk.split("#", 1)[0]
    manifest = _manifest(item, tenant)
    progress = zipstream.start(jobs.bucket(), item.s3_key, file_name=item.file_name)
    state = _put_state(tenant, item.export_id, 0, manifest, 0, progress)
    try:
        item.update(actions=[ExportItem.assembly_step.set(0), ExportItem.state_key.set(state),
                             ExportItem.done.set(len(SERVICES)), ExportItem.total.set(len(SERVICES) + len(manifest))],
                    condition=ExportItem.assembly_step.does_not_exist() & (ExportItem.status == "running"))
    except UpdateError as exc:
        zipstream.abort(progress)
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return  # another delivery started the packing first
    run_step(outbox, tenant, item.export_id, 0)


def run_step(outbox: Outbox, tenant: str, export_id: str, step: int, *, budget_seconds: float | None = None,
             now: Callable[[], float] = time.monotonic) -> bool:
    """Pack entries until the step's time is up; True when this call finished the archive."""
    item = jobs.get(tenant, export_id)
    if item is None or item.status != "running" or item.assembly_step != step or not item.state_key:
        return False  # a redelivered or stale step
    manifest, position, progress = zipstream.load_state(jobs.bucket(), item.state_key)
    writer, s3 = zipstream.Writer(progress), aws.client("s3")
    deadline = now() + (STEP_SECONDS if budget_seconds is None else budget_seconds)
    created = clock.local(datetime.fromisoformat(item.created_at))
    stamp, written = rules.zip_time(created), 0
    while not rules.step_over(position, len(manifest), written, lambda: now() >= deadline):
        entry = manifest[position]
        if entry["key"] is None:
            data = rules.readme(item.language, created.date())
        else:
            data = s3.get_object(Bucket=jobs.bucket(), Key=entry["key"])["Body"].read()
        writer.add(entry["path"], data, stamp, compress=rules.compressed(entry["path"]))
        position, written = position + 1, written + 1
    ch = Changes(outbox, tenant, "exports")
    finished = position >= len(manifest)
    if finished:
        size = writer.finish()
        jobs.mark_ready(ch, item, size=size, counts={"files": len(manifest) - 1},
                        extra=[ExportItem.assembly_step.set(step + 1)], condition=ExportItem.assembly_step == step)
    else:
        state = _put_state(tenant, export_id, step + 1, manifest, position, writer.pause())
        ch.update(item, [ExportItem.assembly_step.set(step + 1), ExportItem.state_key.set(state),
                         ExportItem.done.set(len(SERVICES) + position)], condition=ExportItem.assembly_step == step)
        ch.emit(events.PersonalDataContinue(export_id=export_id, step=step + 1))
    try:
        ch.commit()
    except TransactWriteError:
        log.info("packing step done meanwhile by another worker", extra={"export_id": export_id, "step": step})
        return False
    if finished:
        jobs.delete_prefix(parts_prefix(tenant, export_id))
        jobs.delete_prefix(state_prefix(tenant, export_id))
    return finished
