"""HTTP routes, event handlers and schedules of the exports service.

Thin by design: parse, authorize, call `chalicelib`, map. Rules live in `chalicelib/`.
"""

from chalice import Rate

from chalicelib import directory_copy, jobs, routes
from chalicelib.store import ExportsItem
from portal_common.service import PortalApp

app = PortalApp("exports", tables=[ExportsItem], buckets=[jobs.ARCHIVES])
outbox = app.publishes()
# Names and placements (which periods an export may cover), and the timeline's news of an archive.
app.consume({**directory_copy.HANDLERS, "timeline.archive.progress": jobs.on_progress,
             "timeline.archive.completed": jobs.on_completed(outbox)})
routes.register(app, outbox)


@app.schedule(Rate(1, unit=Rate.HOURS), name="expire_archives")
def expire_archives(event: object) -> int:
    """Archives are kept 7 days: delete those past it (safe when runs overlap)."""
    return jobs.expire_archives()
