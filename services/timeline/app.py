"""HTTP routes, event handlers and schedules of the timeline service.

Thin by design: parse, authorize, call `chalicelib`, map. Rules live in `chalicelib/`.
"""

from chalicelib import archive, directory_copy, purge, routes_diary, routes_feed, routes_uploads, uploads
from chalicelib.store import TimelineItem
from portal_common.service import PortalApp

app = PortalApp("timeline", tables=[TimelineItem], buckets=[uploads.UPLOADS, uploads.PHOTOS],
                delivers_into=[("exports", "archives", "diary/")])  # diary archives (archive.py)
outbox = app.publishes()
# Consents, placements, names and groups: who may be shown, and which group a child was in on a day;
# the purge of a child whose guardians' access has ended; and the diary archives the exports service asks for.
app.consume({**directory_copy.HANDLERS, **purge.HANDLERS, **archive.handlers(outbox)})
routes_uploads.register(app)
routes_feed.register(app)
routes_diary.register(app)


def on_uploaded(notice: dict) -> None:
    """A photo reached the uploads bucket (S3 → SQS): check, clean and publish or block it."""
    for tenant, upload_id in uploads.keys_from_s3_event(notice):
        uploads.process_upload(outbox, tenant, upload_id)


app.consume_bucket_objects(uploads.UPLOADS, on_uploaded, name="process_uploads")

__all__ = ["app", "uploads"]
