"""The exports routes: ask for a diary archive or one's personal data, follow it, download it (a redirect
after the session check); the audit of retention purges for administrators."""

from __future__ import annotations

from datetime import date
from typing import Any

from chalice import Response
from pydantic import Field

from exports_service import jobs, personal_data, purges
from exports_service.store import ExportItem, PurgeAuditItem
from portal_common import errors
from portal_common.authz import Target
from portal_common.outbox import Outbox
from portal_common.parsing import Body, Out, Query, parse_body, raw_body
from portal_common.service import PortalApp, Req
from portal_common.settings import get_settings


class DiaryExportIn(Body):
    child_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    from_: date = Field(alias="from")
    to: date  # order and placement are checked against the child's data (422 with a code)


class PersonalDataIn(Body):
    """No fields: the export covers the caller and the children their session lists."""


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


class PurgeAuditOut(Out):
    ref: str = Field(description="sha256 of tenant, child id and access end (first 32 hex digits)")
    access_until: str
    requested_at: str
    completed_at: str
    rounds: int = Field(description="the purge and the verification rounds that found nothing left")
    guardians_removed: int
    services: dict[str, Any] = Field(description="per service: counts deleted, and what the law keeps until when")


class PurgeAuditPage(Out):
    items: list[PurgeAuditOut]
    next_cursor: str | None


class ListQuery(Query):
    limit: int = Field(default=20, ge=1, le=50)
    cursor: str | None = Field(default=None, max_length=2048)


def out(item: ExportItem) -> ExportOut:
    status = jobs.status_of(item)
    done, total = int(item.done or 0), int(item.total or 0)
    percent = 100 if status in ("ready", "expired") else (done * 100 // total if total else 0)
    return ExportOut(id=item.export_id, kind=item.kind, status=status, child_id=item.child_id,
                     period=dict(item.period or {}), progress=Progress(done=done, total=total, percent=percent),
                     download_url=(f"{get_settings().public_base_url}/exports/{item.export_id}/download"
                                   if status == "ready" else None),
                     file_name=item.file_name, size=item.size, counts=dict(item.counts or {}),
                     created_at=item.created_at, available_until=item.available_until)


def audit_out(item: PurgeAuditItem) -> PurgeAuditOut:
    return PurgeAuditOut(ref=item.ref, access_until=item.access_until, requested_at=item.requested_at,
                         completed_at=item.completed_at, rounds=int(item.rounds),
                         guardians_removed=int(item.guardians_removed or 0), services=dict(item.services or {}))


def _own(req: Req, export_id: str) -> ExportItem:
    """The caller's own export; 404 for anyone else's (also another guardian of the same child)."""
    req.authorize()
    item = jobs.get(req.principal.tenant, export_id)
    if item is None or item.user_id != req.principal.user_id:
        raise errors.NotFound()
    return item


def register(app: PortalApp, outbox: Outbox) -> None:
    @app.endpoint("/diary", "POST", action="child.export.create", body=DiaryExportIn, response=ExportOut, status=202,
                  summary="Ask for a child's diary over a period as a ZIP (photos, reports, an offline index)")
    def request_diary(req: Req) -> ExportOut:
        body, p = req.body, req.principal
        req.authorize(Target.child(p.tenant, body.child_id))
        item = jobs.request_diary(outbox, p.tenant, p.user_id, p.language, child_id=body.child_id,
                                  start=body.from_, end=body.to)
        return out(item)

    @app.endpoint("/personal-data", "POST", action="me.personal_data.export", response=ExportOut, status=202,
                  summary="Ask for everything the platform holds about oneself and one's children (JSON and files)")
    def request_personal_data(req: Req) -> ExportOut:
        if raw_body(req.request).strip():  # no fields, but a body sent is checked like any (unknown fields: 422)
            parse_body(req.request, PersonalDataIn, 1024)
        req.authorize()
        p = req.principal
        return out(personal_data.request(outbox, p.tenant, p.user_id, p.language, sorted(p.children)))

    @app.endpoint("/purges", "GET", action="retention.audit.read", query=ListQuery, response=PurgeAuditPage,
                  summary="The audit of finished retention purges (no personal data)")
    def list_purges(req: Req) -> dict[str, Any]:
        req.authorize(Target.organisation(req.principal.tenant))
        position = req.page_position(req.query.cursor)
        items, last = purges.audits(req.principal.tenant, limit=req.query.limit,
                                    start=position["k"] if position else None)
        return req.page_body([audit_out(i) for i in items], {"k": last} if last else None)

    @app.endpoint("/", "GET", action="export.read", query=ListQuery, response=ExportPage,
                  summary="One's exports, newest first")
    def list_exports(req: Req) -> dict[str, Any]:
        req.authorize()
        position = req.page_position(req.query.cursor)
        items, last = jobs.mine(req.principal.tenant, req.principal.user_id, limit=req.query.limit,
                                start=position["k"] if position else None)
        return req.page_body([out(i) for i in items], {"k": last} if last else None)

    @app.endpoint("/{export_id}", "GET", action="export.read", response=ExportOut,
                  summary="An export's status and progress, with its download link when ready")
    def read_export(req: Req, export_id: str) -> ExportOut:
        return out(_own(req, export_id))

    @app.endpoint("/{export_id}/download", "GET", action="export.read", status=302, also=(410,),
                  summary="A redirect to a 5-minute link to the archive (the owner's session only)")
    def download(req: Req, export_id: str) -> Response:
        item = _own(req, export_id)
        status = jobs.status_of(item)
        if status == "expired":
            raise errors.Gone(code="export_expired", detail="the archive was kept for 7 days; ask for a new one")
        if status != "ready":
            raise errors.Conflict(code="export_not_ready", detail="the archive is still being made")
        return Response(body="", status_code=302, headers={"Location": jobs.download_url(item),
                                                           "Cache-Control": "no-store"})
