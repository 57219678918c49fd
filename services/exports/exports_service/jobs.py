"""Diary exports: the request, its checks, its progress, and the archive handed out for 7 days.

- A guardian asks for a child's diary over a period (`POST /exports/diary`): the child must be theirs
  (their token lists only children whose access window is still open, so exports end with it), the
  period must not be reversed, not end in the future, and lie within the child's placements (from the
  first start to the last end). One export of a child at a time per guardian (409 `export_running`).
- The job is `queued`; `exports.diary.requested` asks the timeline, which holds the photos and reports,
  to build the ZIP into this service's archive bucket under `diary/` (its drop box, put only) in steps,
  reporting progress (`timeline.archive.progress`, then `.completed`): `running`, then `ready`, and
  `exports.export.ready` lets the notifications e-mail the guardian a link to `GET /exports/{id}/download`.
- Available for `AVAILABLE_DAYS`; the hourly `expire_archives` deletes archives past it (found through an
  expiry index, never a Scan) and `GET /exports/{id}` says `expired` from the moment it passes.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from exports_service import directory_copy
from exports_service.store import ChildExportItem, ExportItem
from portal_common import aws, clock, errors, files, ids, store
from portal_common.contracts import exports as events
from portal_common.events import Envelope
from portal_common.outbox import Changes, Outbox
from portal_common.settings import get_settings

ARCHIVES = "archives"
AVAILABLE_DAYS = 7
ROW_DAYS = 30
ACTIVE = ("queued", "running")
STALLED_AFTER = timedelta(hours=6)  # a job not finished by then counts as failed (its messages were lost)
EXPORT_ID = re.compile(r"exp-[a-z0-9]{26}")
EXPIRY_INDEX = "_EXPORT_EXPIRY"  # gsi2: ready archives by the moment they stop being available (all tenants)
log = logging.getLogger("exports.jobs")


def bucket() -> str:
    return get_settings().bucket_name("exports", ARCHIVES)


def key(tenant: str, export_id: str) -> tuple[str, str]:
    return store.key(tenant, "EXPORT", export_id), "EXPORT"


def get(tenant: str, export_id: str) -> ExportItem | None:
    if not EXPORT_ID.fullmatch(export_id):
        return None
    try:
        return ExportItem.get(*key(tenant, export_id), consistent_read=True)
    except ExportItem.DoesNotExist:
        return None


def status_of(item: ExportItem) -> str:
    now = clock.now()
    if item.status == "ready" and item.available_until and now.isoformat() >= item.available_until:
        return "expired"
    if item.status in ACTIVE and datetime.fromisoformat(item.created_at) + STALLED_AFTER < now:
        return "failed"  # never finished: the guardian may ask again
    return str(item.status)


def check_period(tenant: str, child_id: str, start: date, end: date) -> None:
    if end < start:
        raise errors.Unprocessable(code="period_reversed", errors=[
            {"loc": ["body", "to"], "msg": "the period ends before it starts"}])
    if end > clock.today():
        raise errors.Unprocessable(code="period_in_future", errors=[
            {"loc": ["body", "to"], "msg": "the period ends after today"}])
    placements = directory_copy.placements(tenant, child_id)
    if not placements:
        raise errors.NotFound()
    first = min(p.start for p in placements)
    last = max((p.end or "9999-12-31") for p in placements)
    if start.isoformat() < first or end.isoformat() > last:
        raise errors.Unprocessable(code="outside_placement", errors=[
            {"loc": ["body"], "msg": f"the child was placed from {first}" + (
                f" until {last}" if last != "9999-12-31" else "")}])


def _running(tenant: str, user_id: str, child_id: str) -> bool:
    recent = ExportItem.gsi1.query(store.key(tenant, "USEREXPORTS", user_id), scan_index_forward=False, limit=20)
    return any(e.child_id == child_id and status_of(e) in ACTIVE for e in recent)


def request_diary(outbox: Outbox, tenant: str, user_id: str, language: str, *, child_id: str, start: date,
                  end: date) -> ExportItem:
    check_period(tenant, child_id, start, end)
    if _running(tenant, user_id, child_id):
        raise errors.Conflict(code="export_running", detail="an export of this child is still being made")
    export_id = f"exp-{ids.new_id().lower()}"
    now = clock.now()
    name = directory_copy.child_name(tenant, child_id) or "kind"
    file_name = f"dagboek-{files.slug(name)}-{start.isoformat()}-{end.isoformat()}.zip"
    s3_key = f"diary/{tenant}/{export_id}/{file_name}"
    item = ExportItem(*key(tenant, export_id), export_id=export_id, kind="diary", user_id=user_id, child_id=child_id,
                      period={"from": start.isoformat(), "to": end.isoformat()}, status="queued", s3_key=s3_key,
                      file_name=file_name, created_at=now.isoformat(),
                      gsi1pk=store.key(tenant, "USEREXPORTS", user_id), gsi1sk=f"{now.isoformat()}#{export_id}",
                      expires_at=int((now + timedelta(days=ROW_DAYS)).timestamp()))
    ch = Changes(outbox, tenant, "exports")
    ch.save(item, ExportItem.pk.does_not_exist())
    ch.save(ChildExportItem(store.key(tenant, "CHILD", child_id), f"EXPORT#{export_id}", export_id=export_id,
                            expires_at=item.expires_at))  # the child's purge finds the archive through it
    ch.emit(events.DiaryExportRequested(export_id=export_id, child_id=child_id, start=start.isoformat(),
                                        end=end.isoformat(), requested_by=user_id, language=language,
                                        bucket=bucket(), key=s3_key, file_name=file_name))
    ch.commit()
    return item


def mine(tenant: str, user_id: str, *, limit: int, start: dict[str, Any] | None) -> tuple[list[ExportItem], Any]:
    found = ExportItem.gsi1.query(store.key(tenant, "USEREXPORTS", user_id), scan_index_forward=False, limit=limit,
                                  **({"last_evaluated_key": start} if start else {}))
    return list(found), found.last_evaluated_key


def download_url(item: ExportItem, seconds: int = 300) -> str:
    return files.download_url(bucket(), item.s3_key, seconds=seconds, file_name=item.file_name)


# -- what the timeline reports --------------------------------------------------------------------
def _update(tenant: str, export_id: str, actions: list[Any], condition: Any) -> bool:
    """One conditional update by key (no read first); False for late or repeated news of a job that is
    further along already, or of no job at all."""
    try:
        ExportItem(*key(tenant, export_id)).update(actions=actions, condition=ExportItem.pk.exists() & condition)
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def on_progress(env: Envelope) -> None:
    p = env.payload
    _update(env.tenant, p["export_id"], [ExportItem.status.set("running"), ExportItem.done.set(p["done"]),
                                         ExportItem.total.set(p["total"])],
            ExportItem.status.is_in(*ACTIVE) & ((ExportItem.done < p["done"]) | ExportItem.done.does_not_exist()))


def on_completed(outbox: Outbox) -> Any:
    def handle(env: Envelope) -> None:
        p = env.payload
        item = get(env.tenant, p["export_id"])
        if item is None or item.status not in ACTIVE:
            return
        ch = Changes(outbox, env.tenant, "exports")
        mark_ready(ch, item, size=p["size"], counts={"photos": p["photos"], "diary_pages": p["diary_pages"]})
        ch.commit()
    return handle


def mark_ready(ch: Changes, item: ExportItem, *, size: int, counts: dict[str, int], extra: list[Any] | None = None,
               condition: Any = None) -> None:
    """The archive is in place: `ready` for `AVAILABLE_DAYS` (indexed by its expiry), and the e-mail."""
    now = clock.now()
    until = (now + timedelta(days=AVAILABLE_DAYS)).isoformat()
    total = max(int(item.total or 0), 1)
    ch.update(item, [ExportItem.status.set("ready"), ExportItem.size.set(size), ExportItem.done.set(total),
                     ExportItem.total.set(total), ExportItem.counts.set(counts),
                     ExportItem.ready_at.set(now.isoformat()), ExportItem.available_until.set(until),
                     ExportItem.gsi2pk.set(EXPIRY_INDEX), ExportItem.gsi2sk.set(f"{until}#{item.pk}"), *(extra or [])],
              condition=ExportItem.status.is_in(*ACTIVE) & (ExportItem.pk.exists() if condition is None else condition))
    ch.emit(events.ExportReady(export_id=item.export_id, kind=item.kind, user_id=item.user_id,
                               child_id=item.child_id, available_until=until))


def expire_archives() -> int:
    """Delete every archive past its days (one Query of the expiry index); safe when runs overlap."""
    removed = 0
    now = clock.now().isoformat()
    for item in ExportItem.gsi2.query(EXPIRY_INDEX, ExportItem.gsi2sk < now):
        aws.client("s3").delete_object(Bucket=bucket(), Key=item.s3_key)
        try:
            item.update(actions=[ExportItem.status.set("expired"), ExportItem.gsi2pk.remove(),
                                 ExportItem.gsi2sk.remove()], condition=ExportItem.status == "ready")
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            continue
        removed += 1
    return removed


def parse_day(value: str) -> date:
    return datetime.strptime(value, "%Y-%m-%d").date()
