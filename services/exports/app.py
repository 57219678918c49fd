"""HTTP routes, event handlers and schedules of the exports service.

Thin by design: parse, authorize, call `chalicelib`, map. Rules live in `chalicelib/domain.py`,
persistence in `chalicelib/store.py`.
"""

from chalicelib.store import ExportsItem
from portal_common.service import PortalApp

app = PortalApp("exports", tables=[ExportsItem])
