"""HTTP routes, event handlers and schedules of the timeline service.

Thin by design: parse, authorize, call `timeline_service`, map. Rules live in `timeline_service/`.
"""

from portal_common import retention
from portal_common.contracts import timeline as events
from portal_common.service import PortalApp
from timeline_service import (
    archive,
    directory_copy,
    personal_data,
    purge,
    routes_diary,
    routes_feed,
    routes_uploads,
    uploads,
)
from timeline_service.store import TimelineItem

# Into the exports drop box (put only): diary archives (archive.py) and personal-data parts (personal_data.py).
app = PortalApp("timeline", tables=[TimelineItem], buckets=[uploads.UPLOADS, uploads.PHOTOS],
                delivers_into=[("exports", "archives", "diary/"), ("exports", "archives", "personal/")])
outbox = app.publishes()
archives = archive.handlers(outbox)
# Consents, placements, names and groups: who may be shown, and which group a child was in on a day; people's
# names (personal-data exports); the diary archives the exports service asks for (noted in the child's
# partition for its purge); the purge of a child whose guardians' access has ended; personal-data exports.
app.consume({**directory_copy.HANDLERS, **personal_data.HANDLERS, **archives,
             "exports.diary.requested": purge.remembering_archives(archives["exports.diary.requested"]),
             **retention.purge_handlers("timeline", outbox, purge.purge, events.ChildPurged),
             **retention.personal_data_handlers("timeline", outbox, personal_data.write,
                                                events.PersonalDataDelivered)})
routes_uploads.register(app)
routes_feed.register(app)
routes_diary.register(app)


def on_uploaded(notice: dict) -> None:
    """A photo reached the uploads bucket (S3 → SQS): check, clean and publish or block it."""
    for tenant, upload_id in uploads.keys_from_s3_event(notice):
        uploads.process_upload(outbox, tenant, upload_id)


app.consume_bucket_objects(uploads.UPLOADS, on_uploaded, name="process_uploads")

__all__ = ["app", "uploads"]
