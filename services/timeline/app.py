"""HTTP routes, event handlers and schedules of the timeline service.

Thin by design: parse, authorize, call `chalicelib`, map. Rules live in `chalicelib/domain.py`,
persistence in `chalicelib/store.py`.
"""

from chalicelib.store import TimelineItem
from portal_common.service import PortalApp

app = PortalApp("timeline", tables=[TimelineItem])
