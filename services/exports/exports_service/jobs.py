"""Export jobs, whatever their kind (a diary archive, a personal-data export), and their archives in S3: shared
by the features that make them (`diary/`, `personal_data/`) and the routes that hand them out (`archives/`).

- A job is `queued` or `running` until its archive is in the archives bucket, then `ready` for
  `archives.rules.AVAILABLE_DAYS` and `exports.export.ready` lets the notifications e-mail its owner a link to
  `GET /exports/{id}/download`.
- The hourly `expire_archives` deletes archives past their days (found through an expiry index, never a Scan)
  and `GET /exports/{id}` says `expired` from the moment they pass (`archives.rules.status`).
"""

from __future__ import annotations

import re
from typing import Any

from pynamodb.exceptions import UpdateError

from exports_service.archives import rules
from exports_service.archives.rules import ACTIVE
from exports_service.store import ExportItem
from portal_common import aws, clock, files, store
from portal_common.contracts import exports as events
from portal_common.outbox import Changes
from portal_common.settings import get_settings

ARCHIVES = "archives"
EXPORT_ID = re.compile(r"exp-[a-z0-9]{26}")
EXPIRY_INDEX = "_EXPORT_EXPIRY"  # gsi2: ready archives by the moment they stop being available (all tenants)


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
    """The job's state as its owner sees it now (`expired`, `failed` derived from the stored one)."""
    return rules.status(str(item.status), item.created_at, item.available_until, clock.now())


def recent(tenant: str, user_id: str) -> list[ExportItem]:
    """The user's latest exports (20, newest first): where a running one of the same kind would be."""
    return list(ExportItem.gsi1.query(store.key(tenant, "USEREXPORTS", user_id), scan_index_forward=False,
                                      limit=20))


def mine(tenant: str, user_id: str, *, limit: int, start: dict[str, Any] | None) -> tuple[list[ExportItem], Any]:
    found = ExportItem.gsi1.query(store.key(tenant, "USEREXPORTS", user_id), scan_index_forward=False, limit=limit,
                                  **({"last_evaluated_key": start} if start else {}))
    return list(found), found.last_evaluated_key


def download_url(item: ExportItem, seconds: int = 300) -> str:
    return files.download_url(bucket(), item.s3_key, seconds=seconds, file_name=item.file_name)


def mark_ready(ch: Changes, item: ExportItem, *, size: int, counts: dict[str, int], extra: list[Any] | None = None,
               condition: Any = None) -> None:
    """The archive is in place: `ready` for `AVAILABLE_DAYS` (indexed by its expiry), and the e-mail."""
    now = clock.now()
    until = rules.available_until(now).isoformat()
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


def keys_under(prefix: str) -> list[str]:
    """Every object key under `prefix` in the archives bucket."""
    pages = aws.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket(), Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def delete_prefix(prefix: str) -> int:
    """Delete every object under `prefix` in the archives bucket; how many."""
    keys = keys_under(prefix)
    s3 = aws.client("s3")
    for start in range(0, len(keys), 1000):  # DeleteObjects takes 1,000 keys at a time
        s3.delete_objects(Bucket=bucket(), Delete={"Objects": [{"Key": k} for k in keys[start:start + 1000]],
                                                    "Quiet": True})
    return len(keys)
