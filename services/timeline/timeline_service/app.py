"""HTTP routes, event handlers and schedules of the timeline service: the wiring of its features.

Each feature folder holds its `routes` (parse, authorize, call, map), `rules` (pure), `store` and, where it
has them, its consumers: `uploads/` (a photo on its way in), `photos/` (published photos, their links and
access log), `feed/`, `diary/`, `archive/` (the diary archive for the exports service) and `retention/` (the
purge and the personal-data part). Shared at the root: the table (`store`), the copy of auth's directory
(`directory_copy`), the one visibility rule (`visibility`) and what an id may look like (`ids`).
"""

from portal_common import retention
from portal_common.contracts import timeline as events
from portal_common.service import PortalApp
from timeline_service import directory_copy
from timeline_service.archive import consumers as archive
from timeline_service.diary import routes as diary_routes
from timeline_service.feed import routes as feed_routes
from timeline_service.photos import files as photo_files
from timeline_service.photos import routes as photo_routes
from timeline_service.retention import personal_data, purge
from timeline_service.store import TimelineItem
from timeline_service.uploads import processing
from timeline_service.uploads import routes as upload_routes
from timeline_service.uploads import store as upload_store

# Into the exports drop box (put only): diary archives (archive/) and personal-data parts (retention/personal_data.py).
app = PortalApp("timeline", tables=[TimelineItem], buckets=[upload_store.UPLOADS, photo_files.PHOTOS],
                delivers_into=[("exports", "archives", "diary/"), ("exports", "archives", "personal/")])
outbox = app.publishes()
# Consents, placements, names and groups: who may be shown, and which group a child was in on a day; people's
# names (personal-data exports); the diary archives the exports service asks for (noted in the child's
# partition for its purge); the purge of a child whose guardians' access has ended; personal-data exports.
app.consume({**directory_copy.HANDLERS, **archive.handlers(outbox),
             **retention.purge_handlers("timeline", outbox, purge.purge, events.ChildPurged),
             **retention.personal_data_handlers("timeline", outbox, personal_data.write,
                                                events.PersonalDataDelivered)})
upload_routes.register(app)
feed_routes.register(app)
photo_routes.register(app)
diary_routes.register(app)


def on_uploaded(notice: dict) -> None:
    """A photo reached the uploads bucket (S3 → SQS): check, clean and publish or block it."""
    for tenant, upload_id in processing.keys_from_s3_event(notice):
        processing.process_upload(outbox, tenant, upload_id)


app.consume_bucket_objects(upload_store.UPLOADS, on_uploaded, name="process_uploads")

__all__ = ["app", "outbox"]
