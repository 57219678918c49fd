"""HTTP routes, event handlers and schedules of the auth service.

Thin by design: parse, authorize, call `chalicelib`, map. Rules live in `chalicelib/domain.py`,
persistence in `chalicelib/store.py`.
"""

from chalicelib.store import AuthItem
from portal_common.service import PortalApp

app = PortalApp("auth", tables=[AuthItem])
