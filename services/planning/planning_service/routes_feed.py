"""POST /planning/calendar-feed (a guardian's secret feed URL, rotated on every call) and the feed itself."""

from __future__ import annotations

from chalice import Response
from pydantic import Field

from planning_service import calendar_feed
from portal_common import errors
from portal_common.parsing import Out
from portal_common.service import PortalApp, Req
from portal_common.settings import get_settings


class FeedOut(Out):
    url: str = Field(description="secret: whoever has it sees the care days; calling again replaces it")
    webcal_url: str = Field(description="the same feed for calendar apps that subscribe to webcal:// links")


def register(app: PortalApp) -> None:
    @app.endpoint("/calendar-feed", "POST", action="calendar_feed.manage", response=FeedOut, status=201,
                  summary="Create or rotate one's secret iCalendar feed of the children's care days")
    def create_feed(req: Req) -> FeedOut:
        principal = req.principal
        req.authorize()
        secret = calendar_feed.rotate(principal.tenant, principal.user_id, sorted(principal.children),
                                      principal.language)
        url = f"{get_settings().public_base_url}/planning/calendar-feed/{secret}"
        return FeedOut(url=url, webcal_url="webcal://" + url.split("://", 1)[1])

    @app.endpoint("/calendar-feed/{secret}", "GET", public=True,
                  summary="The iCalendar feed (the secret is the only credential; unknown or rotated: 404)")
    def feed(req: Req, secret: str) -> Response:
        found = calendar_feed.find(secret)
        if found is None:
            raise errors.NotFound()
        tenant, item = found
        return Response(body=calendar_feed.render(tenant, item), status_code=200, headers={
            "Content-Type": "text/calendar; charset=utf-8", "Cache-Control": "no-store",
            "Content-Disposition": 'inline; filename="opvang.ics"'})
