"""HTTP routes, event handlers and schedules of the timeline service.

Thin by design: parse, authorize, call `chalicelib`, map. Rules live in `chalicelib/`.
"""

from chalicelib import directory_copy, routes_feed, routes_uploads, uploads
from chalicelib.store import TimelineItem
from portal_common.service import PortalApp

app = PortalApp("timeline", tables=[TimelineItem], buckets=[uploads.UPLOADS, uploads.PHOTOS])
outbox = app.publishes()
# Consents, placements, names and groups: who may be shown, and which group a child was in on a day.
app.consume(directory_copy.HANDLERS)
routes_uploads.register(app)
routes_feed.register(app)
__all__ = ["app", "uploads"]
