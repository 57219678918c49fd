"""One's exports: listed newest first, followed (`GET /exports/{id}`) and downloaded (a redirect to a 5-minute
link after the session check). Anyone else's export is 404, also another guardian's of the same child."""

from __future__ import annotations

from typing import Any

from chalice import Response

from exports_service import jobs
from exports_service.archives import rules
from exports_service.archives.api import ExportOut, ExportPage, ListQuery, out
from exports_service.store import ExportItem
from portal_common import errors
from portal_common.service import PortalApp, Req


def _own(req: Req, export_id: str) -> ExportItem:
    """The caller's own export; 404 for anyone else's (also another guardian of the same child)."""
    req.authorize()
    item = jobs.get(req.principal.tenant, export_id)
    if item is None or item.user_id != req.principal.user_id:
        raise errors.NotFound()
    return item


def register(app: PortalApp) -> None:
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
        verdict = rules.download(jobs.status_of(item))
        if verdict == "expired":
            raise errors.Gone(code="export_expired", detail="the archive was kept for 7 days; ask for a new one")
        if verdict == "not_ready":
            raise errors.Conflict(code="export_not_ready", detail="the archive is still being made")
        return Response(body="", status_code=302, headers={"Location": jobs.download_url(item),
                                                           "Cache-Control": "no-store"})
