"""`GET /exports/purges`: the audit of finished retention purges, for the organisation's administrators."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from exports_service.archives.api import ListQuery
from exports_service.purges import store
from exports_service.purges.store import PurgeAuditItem
from portal_common.authz import Target
from portal_common.parsing import Out
from portal_common.service import PortalApp, Req


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


def audit_out(item: PurgeAuditItem) -> PurgeAuditOut:
    return PurgeAuditOut(ref=item.ref, access_until=item.access_until, requested_at=item.requested_at,
                         completed_at=item.completed_at, rounds=int(item.rounds),
                         guardians_removed=int(item.guardians_removed or 0), services=dict(item.services or {}))


def register(app: PortalApp) -> None:
    @app.endpoint("/purges", "GET", action="retention.audit.read", query=ListQuery, response=PurgeAuditPage,
                  summary="The audit of finished retention purges (no personal data)")
    def list_purges(req: Req) -> dict[str, Any]:
        req.authorize(Target.organisation(req.principal.tenant))
        position = req.page_position(req.query.cursor)
        items, last = store.audits(req.principal.tenant, limit=req.query.limit,
                                   start=position["k"] if position else None)
        return req.page_body([audit_out(i) for i in items], {"k": last} if last else None)
