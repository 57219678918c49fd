"""HTTP routes, event handlers and schedules of the auth service.

Thin by design: each `routes_*` module registers its routes on the app; rules and persistence live
in the rest of `auth_service/`.
"""

from chalice import Rate

from auth_service import (
    activation,
    contract_copy,
    notify,
    passwords,
    personal_data,
    purge,
    recovery,
    retention,
    routes_account,
    routes_admin,
    routes_directory,
    routes_session,
)
from auth_service.directory import Directory
from auth_service.store import AuthItem
from portal_common.contracts.auth import ChildPurged, PersonalDataDelivered
from portal_common.retention import personal_data_handlers, purge_handlers
from portal_common.service import PortalApp

# Devices get SNS platform endpoints; a personal-data export's part goes into the exports drop box.
app = PortalApp("auth", tables=[AuthItem], push="register", delivers_into=[("exports", "archives", "personal/")])
outbox = app.publishes()
directory = Directory(outbox)
# Planning's contracts set the access window; absences and documents are mailed to guardians (transactional);
# retention purges the child's directory data and the accounts it leaves without children; exports ask for
# a user's personal data; auth's own `auth.account_mail.requested` sends reset and activation mail off the
# request path.
app.consume({**contract_copy.HANDLERS, **notify.HANDLERS, **recovery.handlers(directory), **activation.HANDLERS,
             **purge_handlers("auth", outbox, purge.purge, ChildPurged),
             **personal_data_handlers("auth", outbox, personal_data.write, PersonalDataDelivered)})
routes_session.register(app, directory)
routes_account.register(app, directory)
routes_admin.register(app, directory)
routes_directory.register(app, directory)


@app.schedule(Rate(5, unit=Rate.MINUTES), name="send_due_activations")
def send_due_activations(event: object) -> int:
    """Activation e-mails become due 6 weeks before a contract starts."""
    return activation.send_due()


@app.schedule(Rate(1, unit=Rate.HOURS), name="close_access_windows")
def close_access_windows(event: object) -> int:
    """Guardians lose access 8 weeks after a contract ends; the child's data is then due for deletion."""
    return retention.close_due(outbox)


__all__ = ["app", "directory", "passwords"]
