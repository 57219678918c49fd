"""`POST /exports/personal-data`: everything the platform holds about the caller and their children."""

from __future__ import annotations

from exports_service.archives.api import ExportOut, out
from exports_service.personal_data import store
from portal_common.outbox import Outbox
from portal_common.parsing import Body, parse_body, raw_body
from portal_common.service import PortalApp, Req


class PersonalDataIn(Body):
    """No fields: the export covers the caller and the children their session lists."""


def register(app: PortalApp, outbox: Outbox) -> None:
    @app.endpoint("/personal-data", "POST", action="me.personal_data.export", response=ExportOut, status=202,
                  summary="Ask for everything the platform holds about oneself and one's children (JSON and files)")
    def request_personal_data(req: Req) -> ExportOut:
        if raw_body(req.request).strip():  # no fields, but a body sent is checked like any (unknown fields: 422)
            parse_body(req.request, PersonalDataIn, 1024)
        req.authorize()
        p = req.principal
        return out(store.request(outbox, p.tenant, p.user_id, p.language, sorted(p.children)))
