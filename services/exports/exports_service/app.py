"""HTTP routes, event handlers and schedules of the exports service.

Thin by design: parse, authorize, call `exports_service`, map. Rules live in `exports_service/`.
"""

from chalice import Rate

from exports_service import directory_copy, jobs, own_data, personal_data, purges, routes
from exports_service.store import ExportsItem
from portal_common import retention
from portal_common.contracts import exports as events
from portal_common.service import PortalApp

app = PortalApp("exports", tables=[ExportsItem], buckets=[jobs.ARCHIVES])
outbox = app.publishes()
# Names and placements (which periods an export may cover), the timeline's news of an archive; personal-data
# exports: every service's part (this one's too), then the packing in steps; retention: this service purges
# its own part like every service, and tracks everyone's confirmations to the audit.
app.consume({**directory_copy.HANDLERS, "timeline.archive.progress": jobs.on_progress,
             "timeline.archive.completed": jobs.on_completed(outbox),
             **retention.personal_data_handlers("exports", outbox, own_data.write_part, events.PersonalDataDelivered),
             **{f"{s}.personal_data.delivered": personal_data.on_delivered(outbox) for s in retention.SERVICES},
             "exports.personal_data.continue": personal_data.on_continue(outbox),
             **purges.handlers(outbox, retention.purge_handlers("exports", outbox, own_data.purge,
                                                                events.ChildPurged))})
routes.register(app, outbox)


@app.schedule(Rate(1, unit=Rate.HOURS), name="expire_archives")
def expire_archives(event: object) -> int:
    """Archives are kept 7 days: delete those past it (safe when runs overlap)."""
    return jobs.expire_archives()


@app.schedule(Rate(1, unit=Rate.HOURS), name="chase_purges")
def chase_purges(event: object) -> int:
    """Ask again for purge confirmations missing for an hour (and retry stuck purges)."""
    return purges.chase(outbox)
