"""Personal-data exports (the right of access): everything the platform holds about a user and their
children, from every service, as JSON plus files, in one ZIP delivered like a diary archive.

1. `POST /exports/personal-data`: the job (`running`), markers on the children it covers (a child's purge
   deletes exports holding its data), and `exports.personal_data.requested` to every service.
2. Each service writes its part into this service's bucket under `personal/<t>/<export>/<service>/` (its
   drop box, put only) and says `<service>.personal_data.delivered`; each service counts once.
3. With every part in, the parts are packed into one ZIP (`portal_common.zipstream`: a multipart upload,
   constant memory) in steps of at most `STEP_SECONDS`, handing over with
   `exports.personal_data.continue`, state under `tmp/` (expired after a day by the bucket's rule). A step
   runs only when the job is at it; every step writes at least one entry, so the packing always ends.
4. The ZIP is `ready` for 7 days like a diary archive (`exports.export.ready` mails the link); the parts
   and the packing state are deleted. A part that never comes leaves the job to fail after 6 hours.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError

from exports_service import jobs
from exports_service.store import ChildExportItem, ExportItem, ExportPartItem
from portal_common import aws, clock, errors, ids, store, zipstream
from portal_common.contracts import exports as events
from portal_common.events import Envelope
from portal_common.outbox import Changes, Outbox
from portal_common.retention import SERVICES

STEP_SECONDS = 60.0
TEXT_SUFFIXES = (".json", ".txt", ".html", ".csv")  # deflated; photos and PDFs are stored as they are
log = logging.getLogger("exports.personal_data")

README = {
    "nl": ("Uw persoonsgegevens uit het ouderportaal, opgevraagd op {day}.\n\n"
           "Per onderdeel een map, met JSON-bestanden (leesbaar in elke teksteditor) en de bestanden zelf:\n"
           "- auth/: uw account, uw kinderen, plaatsingen, toestemmingen, apparaten en sessies\n"
           "- timeline/: foto's (volledige grootte), dagboek en wie de foto's van uw kind bekeek\n"
           "- messaging/: gesprekken met de groep, bijlagen, meldingsinstellingen\n"
           "- planning/: contracten, aanvragen, ruiluren, facturen en jaaropgaven\n"
           "- exports/: de exports die u eerder opvroeg\n"),
    "en": ("Your personal data from the parent portal, requested on {day}.\n\n"
           "One folder per part, with JSON files (readable in any text editor) and the files themselves:\n"
           "- auth/: your account, your children, placements, consents, devices and sessions\n"
           "- timeline/: photos (full size), diary and who viewed your child's photos\n"
           "- messaging/: conversations with the group, attachments, notification settings\n"
           "- planning/: contracts, requests, swap hours, invoices and annual statements\n"
           "- exports/: the exports you asked for before\n"),
}


def parts_prefix(tenant: str, export_id: str) -> str:
    return f"personal/{tenant}/{export_id}/"


def state_prefix(tenant: str, export_id: str) -> str:
    return f"tmp/personal/{tenant}/{export_id}/"


def archive_prefix(tenant: str, export_id: str) -> str:
    return f"personal-data/{tenant}/{export_id}/"


def _running(tenant: str, user_id: str) -> bool:
    recent = ExportItem.gsi1.query(store.key(tenant, "USEREXPORTS", user_id), scan_index_forward=False, limit=20)
    return any(e.kind == "personal_data" and jobs.status_of(e) in jobs.ACTIVE for e in recent)


def request(outbox: Outbox, tenant: str, user_id: str, language: str, child_ids: list[str]) -> ExportItem:
    if _running(tenant, user_id):
        raise errors.Conflict(code="export_running", detail="your personal data is still being collected")
    export_id = f"exp-{ids.new_id().lower()}"
    now = clock.now()
    name = "personal-data" if language == "en" else "persoonsgegevens"
    file_name = f"{name}-{clock.today().isoformat()}.zip"
    item = ExportItem(*jobs.key(tenant, export_id), export_id=export_id, kind="personal_data", user_id=user_id,
                      child_id=None, child_ids=sorted(child_ids), language=language, period={}, status="running",
                      done=0, total=len(SERVICES) + 1, s3_key=archive_prefix(tenant, export_id) + file_name,
                      file_name=file_name, created_at=now.isoformat(),
                      gsi1pk=store.key(tenant, "USEREXPORTS", user_id), gsi1sk=f"{now.isoformat()}#{export_id}",
                      expires_at=int((now + timedelta(days=jobs.ROW_DAYS)).timestamp()))
    ch = Changes(outbox, tenant, "exports")
    ch.save(item, ExportItem.pk.does_not_exist())
    for child_id in sorted(child_ids):
        ch.save(ChildExportItem(store.key(tenant, "CHILD", child_id), f"EXPORT#{export_id}", export_id=export_id,
                                expires_at=item.expires_at))
    ch.emit(events.PersonalDataRequested(export_id=export_id, user_id=user_id, child_ids=sorted(child_ids),
                                         language=language, bucket=jobs.bucket(),
                                         prefix=parts_prefix(tenant, export_id)))
    ch.commit()
    return item


def on_delivered(outbox: Outbox) -> Callable[[Envelope], None]:
    """`<service>.personal_data.delivered`: count the part once; the last one starts the packing."""

    def handle(env: Envelope) -> None:
        service, p = env.type.split(".", 1)[0], env.payload
        if service not in SERVICES or env.source != service or not jobs.EXPORT_ID.fullmatch(str(p["export_id"])):
            return
        item = ExportItem(*jobs.key(env.tenant, p["export_id"]))
        part = ExportPartItem(item.pk, f"PART#{service}", service=service, files=int(p.get("files", 0)),
                              bytes=int(p.get("bytes", 0)), delivered_at=clock.now().isoformat(),
                              expires_at=int((clock.now() + timedelta(days=jobs.ROW_DAYS)).timestamp()))
        try:  # no read first: the conditions say whether this is a personal-data export still collecting
            with store.transaction() as tx:
                tx.save(part, condition=ExportPartItem.pk.does_not_exist())
                tx.update(item, actions=[ExportItem.done.add(1)],
                          condition=(ExportItem.status == "running") & (ExportItem.kind == "personal_data"))
        except TransactWriteError:
            return  # counted already (a redelivery), or no such export collecting parts
        fresh = jobs.get(env.tenant, p["export_id"])
        if fresh is not None and fresh.done >= len(SERVICES):
            start_packing(outbox, fresh)
    return handle


def _manifest(item: ExportItem, tenant: str) -> list[dict[str, Any]]:
    prefix = parts_prefix(tenant, item.export_id)
    found = sorted(({"key": k, "path": k[len(prefix):]} for k in keys_under(prefix)), key=lambda e: e["path"])
    readme = {"key": None, "path": "LEESMIJ.txt" if item.language != "en" else "README.txt"}
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


def _zip_time(at: str) -> tuple[int, int, int, int, int, int]:
    moment = clock.local(datetime.fromisoformat(at))
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def run_step(outbox: Outbox, tenant: str, export_id: str, step: int, *, budget_seconds: float | None = None,
             now: Callable[[], float] = time.monotonic) -> bool:
    """Pack entries until the step's time is up; True when this call finished the archive."""
    item = jobs.get(tenant, export_id)
    if item is None or item.status != "running" or item.assembly_step != step or not item.state_key:
        return False  # a redelivered or stale step
    manifest, position, progress = zipstream.load_state(jobs.bucket(), item.state_key)
    writer, s3 = zipstream.Writer(progress), aws.client("s3")
    deadline = now() + (STEP_SECONDS if budget_seconds is None else budget_seconds)
    stamp, written = _zip_time(item.created_at), 0
    while position < len(manifest) and not (written and now() >= deadline):
        entry = manifest[position]
        if entry["key"] is None:
            lang = "en" if item.language == "en" else "nl"
            data = README[lang].format(day=clock.local(datetime.fromisoformat(item.created_at)).date()).encode()
        else:
            data = s3.get_object(Bucket=jobs.bucket(), Key=entry["key"])["Body"].read()
        writer.add(entry["path"], data, stamp, compress=entry["path"].endswith(TEXT_SUFFIXES))
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
        delete_prefix(parts_prefix(tenant, export_id))
        delete_prefix(state_prefix(tenant, export_id))
    return finished


def on_continue(outbox: Outbox) -> Callable[[Envelope], None]:
    def handle(env: Envelope) -> None:
        run_step(outbox, env.tenant, env.payload["export_id"], int(env.payload["step"]))
    return handle


def keys_under(prefix: str) -> list[str]:
    """Every object key under `prefix` in the archives bucket."""
    pages = aws.client("s3").get_paginator("list_objects_v2").paginate(Bucket=jobs.bucket(), Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def delete_prefix(prefix: str) -> int:
    """Delete every object under `prefix` in the archives bucket; how many."""
    keys = keys_under(prefix)
    s3 = aws.client("s3")
    for start in range(0, len(keys), 1000):  # DeleteObjects takes 1,000 keys at a time
        s3.delete_objects(Bucket=jobs.bucket(), Delete={"Objects": [{"Key": k} for k in keys[start:start + 1000]],
                                                         "Quiet": True})
    return len(keys)
