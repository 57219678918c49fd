"""HTTP routes, event handlers and schedules of the planning service.

Thin by design: parse, authorize, call `chalicelib`, map. Rules live in `chalicelib/domain.py`,
persistence in `chalicelib/store.py`.
"""

from chalicelib.store import PlanningItem
from portal_common.service import PortalApp

app = PortalApp("planning", tables=[PlanningItem])
