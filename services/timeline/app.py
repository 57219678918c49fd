"""HTTP routes, event handlers and schedules of the timeline service.

Thin by design: parse, authorize, call `chalicelib`, map. Rules live in `chalicelib/`.
"""

from chalicelib import directory_copy
from chalicelib.store import TimelineItem
from portal_common.service import PortalApp

app = PortalApp("timeline", tables=[TimelineItem])
# Consents, placements and names: who may be shown, and which group a child was in on a day.
app.consume(directory_copy.HANDLERS)
