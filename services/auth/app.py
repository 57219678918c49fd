"""HTTP routes, event handlers and schedules of the auth service.

Thin by design: parse, authorize, call `chalicelib`, map. Rules live in `chalicelib/`.
"""

from chalicelib import passwords
from chalicelib.directory import Directory
from chalicelib.store import AuthItem
from portal_common.service import PortalApp

app = PortalApp("auth", tables=[AuthItem])
outbox = app.publishes()
directory = Directory(outbox)
__all__ = ["app", "directory", "passwords"]
