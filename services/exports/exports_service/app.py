"""HTTP routes, event handlers and schedules of the exports service: the wiring.

Thin by design. Each feature folder has its routes (parse, authorize, call, map), its rules (pure), its store
and its consumers: `archives/` (one's exports and their download), `diary/`, `personal_data/`, `purges/`;
shared: `jobs.py` (export jobs and the archives bucket), `own_data.py` (this service's own part of a purge or
a personal-data export), `directory_copy.py`.
"""

from chalice import Rate

from exports_service import directory_copy, jobs, own_data
from exports_service.archives import routes as archive_routes
from exports_service.diary import consumers as diary_consumers
from exports_service.diary import routes as diary_routes
from exports_service.personal_data import consumers as personal_data_consumers
from exports_service.personal_data import routes as personal_data_routes
from exports_service.purges import consumers as purge_consumers
from exports_service.purges import routes as purge_routes
from exports_service.purges import tracking
from exports_service.store import ExportsItem
from portal_common import retention
from portal_common.contracts import exports as events
from portal_common.service import PortalApp

app = PortalApp("exports", tables=[ExportsItem], buckets=[jobs.ARCHIVES])
outbox = app.publishes()
# Names and placements (which periods an export may cover), the timeline's news of an archive; personal-data
# exports: every service's part (this one's too), then the packing in steps; retention: this service purges
# its own part like every service, and tracks everyone's confirmations to the audit.
app.consume({**directory_copy.HANDLERS, **diary_consumers.handlers(outbox),
             **retention.personal_data_handlers("exports", outbox, own_data.write_part, events.PersonalDataDelivered),
             **personal_data_consumers.handlers(outbox),
             **purge_consumers.handlers(outbox, retention.purge_handlers("exports", outbox, own_data.purge,
                                                                         events.ChildPurged))})
diary_routes.register(app, outbox)
personal_data_routes.register(app, outbox)
purge_routes.register(app)
archive_routes.register(app)


@app.schedule(Rate(1, unit=Rate.HOURS), name="expire_archives")
def expire_archives(event: object) -> int:
    """Archives are kept 7 days: delete those past it (safe when runs overlap)."""
    return jobs.expire_archives()


@app.schedule(Rate(1, unit=Rate.HOURS), name="chase_purges")
def chase_purges(event: object) -> int:
    """Ask again for purge confirmations missing for an hour (and retry stuck purges)."""
    return tracking.chase(outbox)
