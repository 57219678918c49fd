"""`POST /exports/diary`: a guardian asks for a child's diary over a period as a ZIP."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from exports_service.archives.api import ExportOut, out
from exports_service.diary import store
from portal_common.authz import Target
from portal_common.outbox import Outbox
from portal_common.parsing import Body
from portal_common.service import PortalApp, Req


class DiaryExportIn(Body):
    child_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    from_: date = Field(alias="from")
    to: date  # order and placement are checked against the child's data (422 with a code)


def register(app: PortalApp, outbox: Outbox) -> None:
    @app.endpoint("/diary", "POST", action="child.export.create", body=DiaryExportIn, response=ExportOut, status=202,
                  summary="Ask for a child's diary over a period as a ZIP (photos, reports, an offline index)")
    def request_diary(req: Req) -> ExportOut:
        body, p = req.body, req.principal
        req.authorize(Target.child(p.tenant, body.child_id))
        item = store.request_diary(outbox, p.tenant, p.user_id, p.language, child_id=body.child_id,
                                   start=body.from_, end=body.to)
        return out(item)
