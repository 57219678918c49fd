"""Personal-data exports: the request, where its parts and its archive live, and each part counted once.

1. `POST /exports/personal-data`: the job (`running`), markers on the children it covers (a child's purge
   deletes exports holding its data), and `exports.personal_data.requested` to every service.
2. Each service writes its part into this service's bucket under `personal/<t>/<export>/<service>/` (its
   drop box, put only) and says `<service>.personal_data.delivered`; each service counts once (`count_part`).
3. With every part in, the parts are packed into one ZIP (packing.py).
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError

from exports_service import jobs
from exports_service.archives import rules as archive_rules
from exports_service.personal_data import rules
from exports_service.store import ChildExportItem, ExportItem, ExportsItem
from portal_common import clock, ids, store
from portal_common.contracts import exports as events
from portal_common.outbox import Changes, Outbox
from portal_common.retention import SERVICES


class ExportPartItem(ExportsItem):
    """A service's part of a personal-data export is in the drop box (counted once per service)."""

    service = UnicodeAttribute()
    files = NumberAttribute()
    bytes = NumberAttribute()
    delivered_at = UnicodeAttribute()


def parts_prefix(tenant: str, export_id: str) -> str:
    return f"personal/{tenant}/{export_id}/"


def state_prefix(tenant: str, export_id: str) -> str:
    return f"tmp/personal/{tenant}/{export_id}/"


def archive_prefix(tenant: str, export_id: str) -> str:
    return f"personal-data/{tenant}/{export_id}/"


def request(outbox: Outbox, tenant: str, user_id: str, language: str, child_ids: list[str]) -> ExportItem:
    archive_rules.check_not_running((jobs.status_of(e) for e in jobs.recent(tenant, user_id)
                                     if e.kind == "personal_data"), "your personal data is still being collected")
    export_id = f"exp-{ids.new_id().lower()}"
    now = clock.now()
    file_name = rules.file_name(language, clock.today())
    item = ExportItem(*jobs.key(tenant, export_id), export_id=export_id, kind="personal_data", user_id=user_id,
                      child_id=None, child_ids=sorted(child_ids), language=language, period={}, status="running",
                      done=0, total=len(SERVICES) + 1, s3_key=archive_prefix(tenant, export_id) + file_name,
                      file_name=file_name, created_at=now.isoformat(),
                      gsi1pk=store.key(tenant, "USEREXPORTS", user_id), gsi1sk=f"{now.isoformat()}#{export_id}",
                      expires_at=int(archive_rules.row_expiry(now).timestamp()))
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


def count_part(tenant: str, export_id: str, service: str, *, files: int, size: int) -> ExportItem | None:
    """Count a service's part once; the export as it is now, or None when this part was counted already (a
    redelivery) or no such export is collecting parts. No read first: the conditions decide."""
    item = ExportItem(*jobs.key(tenant, export_id))
    now = clock.now()
    part = ExportPartItem(item.pk, f"PART#{service}", service=service, files=files, bytes=size,
                          delivered_at=now.isoformat(), expires_at=int(archive_rules.row_expiry(now).timestamp()))
    try:
        with store.transaction() as tx:
            tx.save(part, condition=ExportPartItem.pk.does_not_exist())
            tx.update(item, actions=[ExportItem.done.add(1)],
                      condition=(ExportItem.status == "running") & (ExportItem.kind == "personal_data"))
    except TransactWriteError:
        return None
    return jobs.get(tenant, export_id)
