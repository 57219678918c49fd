"""HTTP routes, event handlers and schedules of the planning service.

Thin by design: parse, authorize, call `chalicelib`, map. Rules live in `chalicelib/`.
"""

from chalicelib import contracts
from chalicelib.store import PlanningItem
from portal_common.service import PortalApp

app = PortalApp("planning", tables=[PlanningItem])
__all__ = ["app", "contracts"]
