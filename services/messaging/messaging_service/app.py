"""HTTP routes, event handlers and schedules of the messaging service.

Thin by design: parse, authorize, call `messaging_service`, map. Rules live in `messaging_service/`.
"""

from chalice import Rate

from messaging_service import (
    attachments,
    conversations,
    directory_copy,
    locations,
    notifications,
    personal_data,
    publications,
    purge,
    routes_conversations,
    routes_publications,
    user_copy,
)
from messaging_service.store import MessagingItem
from portal_common import clock, retention
from portal_common.consumer import combine
from portal_common.contracts import messaging as events
from portal_common.service import PortalApp

SERVICE = "messaging"
# Its part of a personal-data export goes into the exports service's drop box (put only).
app = PortalApp(SERVICE, tables=[MessagingItem], buckets=[attachments.BUCKET], push="send",
                delivers_into=[("exports", "archives", "personal/")])
outbox = app.publishes()
# Names, placements, families, groups and their staff: who takes part in which conversation. Then,
# for someone who stops taking part (unlinked, access ended, left a group), their unread counters go.
# A location's name, address, contact details and team: its page.
# Users' contact details, notification settings and devices; then every event someone is notified of.
# Retention: a child's purge (and its re-asks), and its part of a guardian's personal-data export.
app.consume({**combine(directory_copy.HANDLERS, conversations.HANDLERS, locations.HANDLERS, user_copy.HANDLERS,
                       notifications.HANDLERS),
             **retention.purge_handlers(SERVICE, outbox, purge.purge, events.ChildPurged),
             **retention.personal_data_handlers(SERVICE, outbox, personal_data.write, events.PersonalDataDelivered)})
routes_conversations.register(app)
routes_publications.register(app)


@app.schedule(Rate(1, unit=Rate.MINUTES), name="publish_due")
def publish_due(event: object) -> int:
    """Scheduled news and newsletters whose moment came are announced (once, also when runs overlap)."""
    return publications.publish_due(outbox, clock.now())


@app.schedule(Rate(1, unit=Rate.HOURS), name="expire_attachments")
def expire_attachments(event: object) -> int:
    """Uploads nobody attached within a day: their files and rows go."""
    return attachments.expire_unclaimed(clock.now())


@app.schedule(Rate(1, unit=Rate.MINUTES), name="deliver_notifications")
def deliver_notifications(event: object) -> int:
    """Push and e-mail what is due (bursts folded), each once, also when runs overlap."""
    return notifications.deliver_due(clock.now())
