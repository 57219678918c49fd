"""What the exports service itself holds of a family, for the purge and the personal-data export: the
exports (rows, archives, personal-data parts, packing state) and its copies of the child's name and
placements (see portal_common.retention for the contract).

A child's purge deletes every export that holds the child's data, whoever asked for it (a co-guardian's
diary archive, a sibling's personal-data export naming the child): the child's partition lists them
(`ChildExportItem`). A removed guardian's own exports go too (their index). The check afterwards queries
the same keys and lists the exports' S3 prefixes.
"""

from __future__ import annotations

from typing import Any

from exports_service import directory_copy, jobs
from exports_service.personal_data import store as personal_data
from exports_service.personal_data.store import ExportPartItem
from exports_service.store import ChildExportItem, ExportItem
from portal_common import store
from portal_common.retention import Part, PurgeRequest, PurgeResult


def _prefixes(tenant: str, export_id: str) -> list[str]:
    return [f"diary/{tenant}/{export_id}/", personal_data.archive_prefix(tenant, export_id),
            personal_data.parts_prefix(tenant, export_id), personal_data.state_prefix(tenant, export_id)]


def _exports_of(request: PurgeRequest) -> set[str]:
    t = request.tenant
    found = {m.export_id for m in ChildExportItem.query(store.key(t, "CHILD", request.child_id),
                                                        ChildExportItem.sk.startswith("EXPORT#"), consistent_read=True)}
    for user_id in request.guardian_ids:
        found |= {e.export_id for e in ExportItem.gsi1.query(store.key(t, "USEREXPORTS", user_id))}
    return found


def _delete_export(tenant: str, export_id: str, child_id: str) -> tuple[int, int]:
    """The export's row, parts, child markers (the purged child's too, also when the row is gone) and
    objects; (rows, objects) deleted."""
    rows: list[Any] = list(ExportPartItem.query(store.key(tenant, "EXPORT", export_id),
                                                ExportPartItem.sk.startswith("PART#")))
    item = jobs.get(tenant, export_id)
    children = {child_id}
    if item is not None:
        rows.append(item)
        children |= set(item.child_ids or []) | ({item.child_id} if item.child_id else set())
    for row in rows:
        row.delete()
    for child in children:  # deleting by key: a marker already gone is no error
        ChildExportItem(store.key(tenant, "CHILD", child), f"EXPORT#{export_id}").delete()
    objects = sum(jobs.delete_prefix(prefix) for prefix in _prefixes(tenant, export_id))
    return len(rows), objects


def purge(request: PurgeRequest) -> PurgeResult:
    t = request.tenant
    exports = _exports_of(request)
    deleted = {"exports": 0, "rows": 0, "objects": 0}
    for export_id in sorted(exports):
        rows, objects = _delete_export(t, export_id, request.child_id)
        deleted["exports"] += 1 if rows else 0
        deleted["rows"] += rows
        deleted["objects"] += objects
    deleted["copies"] = directory_copy.COPIES.forget(t, request.child_id)
    return PurgeResult(deleted=deleted, left=_left(request, exports))


def _left(request: PurgeRequest, exports: set[str]) -> list[str]:
    t = request.tenant
    markers = ChildExportItem.query(store.key(t, "CHILD", request.child_id), ChildExportItem.sk.startswith("EXPORT#"),
                                    consistent_read=True)
    left = [f"row {m.sk}" for m in markers]
    copies = directory_copy.COPIES
    left += [f"row {p.sk}" for p in copies.placements(t, request.child_id, consistent=True)]
    left += ["row CHILD"] if copies.child(t, request.child_id) is not None else []
    for user_id in request.guardian_ids:
        left += [f"export {e.export_id}" for e in ExportItem.gsi1.query(store.key(t, "USEREXPORTS", user_id))]
    for export_id in exports:
        if jobs.get(t, export_id) is not None:
            left.append(f"export {export_id}")
        for prefix in _prefixes(t, export_id):
            left += [f"object {k}" for k in jobs.keys_under(prefix)]
    return left


def write_part(part: Part) -> None:
    """The user's exports: what was asked, when, for which child and period, and what became of it."""
    r = part.request
    names: dict[str, str] = {}
    rows: list[dict[str, Any]] = []
    for item in ExportItem.gsi1.query(store.key(r.tenant, "USEREXPORTS", r.user_id)):
        if item.export_id == r.export_id:
            continue  # this export itself is the archive being made
        child = item.child_id
        if child and child not in names:
            names[child] = directory_copy.child_name(r.tenant, child) or ""
        rows.append({"kind": item.kind, "status": jobs.status_of(item), "requested_at": item.created_at,
                     "child": names.get(child, "") if child else None, "period": dict(item.period or {}),
                     "file_name": item.file_name, "size": item.size, "ready_at": item.ready_at,
                     "available_until": item.available_until})
    part.json("exports", rows)
