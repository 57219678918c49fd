"""The response models of an export (the API contract's shapes), shared by every route that answers with one."""

from __future__ import annotations

from pydantic import Field

from exports_service import jobs
from exports_service.archives import rules
from exports_service.store import ExportItem
from portal_common.parsing import Out, Query
from portal_common.settings import get_settings


class Progress(Out):
    done: int
    total: int
    percent: int


class ExportOut(Out):
    id: str
    kind: str
    status: str = Field(description="queued, running, ready, failed or expired")
    child_id: str | None
    period: dict[str, str]
    progress: Progress
    download_url: str | None = Field(description="our API's link (checks the session, then redirects)")
    file_name: str
    size: int | None
    counts: dict[str, int]
    created_at: str
    available_until: str | None


class ExportPage(Out):
    items: list[ExportOut]
    next_cursor: str | None


class ListQuery(Query):
    limit: int = Field(default=20, ge=1, le=50)
    cursor: str | None = Field(default=None, max_length=2048)


def out(item: ExportItem) -> ExportOut:
    status = jobs.status_of(item)
    done, total = int(item.done or 0), int(item.total or 0)
    return ExportOut(id=item.export_id, kind=item.kind, status=status, child_id=item.child_id,
                     period=dict(item.period or {}),
                     progress=Progress(done=done, total=total, percent=rules.percent(status, done, total)),
                     download_url=(f"{get_settings().public_base_url}/exports/{item.export_id}/download"
                                   if status == "ready" else None),
                     file_name=item.file_name, size=item.size, counts=dict(item.counts or {}),
                     created_at=item.created_at, available_until=item.available_until)
