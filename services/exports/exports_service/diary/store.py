"""Diary exports: the request, and what the timeline reports of the archive it builds.

- A guardian asks for a child's diary over a period (`POST /exports/diary`): the child must be theirs
  (their token lists only children whose access window is still open, so exports end with it), the period
  must be one that may be exported (`rules.check_period`). One export of a child at a time per guardian
  (409 `export_running`).
- The job is `queued`; `exports.diary.requested` asks the timeline, which holds the photos and reports,
  to build the ZIP into this service's archive bucket under `diary/` (its drop box, put only) in steps,
  reporting progress (`timeline.archive.progress`, then `.completed`): `running`, then `ready` (see jobs.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pynamodb.exceptions import UpdateError

from exports_service import directory_copy, jobs
from exports_service.archives import rules as archive_rules
from exports_service.archives.rules import ACTIVE
from exports_service.diary import rules
from exports_service.store import ChildExportItem, ExportItem
from portal_common import clock, files, ids, store
from portal_common.contracts import exports as events
from portal_common.outbox import Changes, Outbox


def request_diary(outbox: Outbox, tenant: str, user_id: str, language: str, *, child_id: str, start: date,
                  end: date) -> ExportItem:
    placements = directory_copy.placements(tenant, child_id)
    rules.check_period(start, end, clock.today(), [(p.start, p.end) for p in placements])
    archive_rules.check_not_running((jobs.status_of(e) for e in jobs.recent(tenant, user_id) if e.child_id == child_id),
                                    "an export of this child is still being made")
    export_id = f"exp-{ids.new_id().lower()}"
    now = clock.now()
    name = directory_copy.child_name(tenant, child_id) or "kind"
    file_name = f"dagboek-{files.slug(name)}-{start.isoformat()}-{end.isoformat()}.zip"
    s3_key = f"diary/{tenant}/{export_id}/{file_name}"
    item = ExportItem(*jobs.key(tenant, export_id), export_id=export_id, kind="diary", user_id=user_id,
                      child_id=child_id, period={"from": start.isoformat(), "to": end.isoformat()}, status="queued",
                      s3_key=s3_key, file_name=file_name, created_at=now.isoformat(),
                      gsi1pk=store.key(tenant, "USEREXPORTS", user_id), gsi1sk=f"{now.isoformat()}#{export_id}",
                      expires_at=int(archive_rules.row_expiry(now).timestamp()))
    ch = Changes(outbox, tenant, "exports")
    ch.save(item, ExportItem.pk.does_not_exist())
    ch.save(ChildExportItem(store.key(tenant, "CHILD", child_id), f"EXPORT#{export_id}", export_id=export_id,
                            expires_at=item.expires_at))  # the child's purge finds the archive through it
    ch.emit(events.DiaryExportRequested(export_id=export_id, child_id=child_id, start=start.isoformat(),
                                        end=end.isoformat(), requested_by=user_id, language=language,
                                        bucket=jobs.bucket(), key=s3_key, file_name=file_name))
    ch.commit()
    return item


def _update(tenant: str, export_id: str, actions: list[Any], condition: Any) -> bool:
    """One conditional update by key (no read first); False for late or repeated news of a job that is
    further along already, or of no job at all."""
    try:
        ExportItem(*jobs.key(tenant, export_id)).update(actions=actions,
                                                        condition=ExportItem.pk.exists() & condition)
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def progressed(tenant: str, export_id: str, done: int, total: int) -> bool:
    """The timeline is at step `done` of `total`: `running`, never backwards (late news changes nothing)."""
    return _update(tenant, export_id, [ExportItem.status.set("running"), ExportItem.done.set(done),
                                       ExportItem.total.set(total)],
                   ExportItem.status.is_in(*ACTIVE) & ((ExportItem.done < done) | ExportItem.done.does_not_exist()))


def completed(outbox: Outbox, tenant: str, export_id: str, *, size: int, photos: int, diary_pages: int) -> None:
    """The archive is complete: the job is `ready` (once; news of a job that is not active changes nothing)."""
    item = jobs.get(tenant, export_id)
    if item is None or item.status not in ACTIVE:
        return
    ch = Changes(outbox, tenant, "exports")
    jobs.mark_ready(ch, item, size=size, counts={"photos": photos, "diary_pages": diary_pages})
    ch.commit()
