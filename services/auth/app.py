"""HTTP routes, event handlers and schedules of the auth service.

Thin by design: each `routes_*` module registers its routes on the app; rules and persistence live
in the rest of `chalicelib/`.
"""

from chalice import Rate

from chalicelib import activation, passwords, routes_session
from chalicelib.directory import Directory
from chalicelib.store import AuthItem
from portal_common.service import PortalApp

app = PortalApp("auth", tables=[AuthItem])
outbox = app.publishes()
directory = Directory(outbox)
routes_session.register(app, directory)


@app.schedule(Rate(5, unit=Rate.MINUTES), name="send_due_activations")
def send_due_activations(event: object) -> int:
    """Activation e-mails become due 6 weeks before a contract starts."""
    return activation.send_due()


__all__ = ["app", "directory", "passwords"]
