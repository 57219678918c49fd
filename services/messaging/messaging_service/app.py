"""HTTP routes, event handlers and schedules of the messaging service: the wiring.

Thin by design. Each feature folder has its routes (parse, authorize, call, map), its rules (pure), its store
and its consumers: `conversations/`, `publications/`, `locations/`, `attachments/`, `notifications/`,
`retention/`; `directory_copy.py` is the copy of auth's directory they share.
"""

from chalice import Rate

from messaging_service import directory_copy
from messaging_service.attachments import routes as attachment_routes
from messaging_service.attachments import store as attachments
from messaging_service.conversations import access as conversation_access
from messaging_service.conversations import consumers as conversation_consumers
from messaging_service.conversations import routes as conversation_routes
from messaging_service.locations import consumers as location_consumers
from messaging_service.locations import routes as location_routes
from messaging_service.locations import rules as location_rules
from messaging_service.notifications import consumers as notification_consumers
from messaging_service.notifications import delivery, recipients
from messaging_service.publications import routes as publication_routes
from messaging_service.publications import store as publications
from messaging_service.retention import personal_data, purge
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
app.consume({**combine(directory_copy.HANDLERS, conversation_consumers.HANDLERS, location_consumers.HANDLERS,
                       recipients.HANDLERS, notification_consumers.HANDLERS),
             **retention.purge_handlers(SERVICE, outbox, purge.purge, events.ChildPurged),
             **retention.personal_data_handlers(SERVICE, outbox, personal_data.write, events.PersonalDataDelivered)})
conversation_routes.register(app)
publication_routes.register(app)
# Who may download an attachment: whoever may read what it is attached to.
attachment_routes.register(app, readers={
    "news": lambda principal, owner_id, now: publications.readable(principal, "news", owner_id, now),
    "newsletter": lambda principal, owner_id, now: publications.readable(principal, "newsletter", owner_id, now),
    "policy": lambda principal, owner_id, now: location_rules.policy_readable(principal.role.value,
                                                                            principal.locations, owner_id),
    "message": lambda principal, owner_id, now: conversation_access.readable(principal, owner_id),
})
location_routes.register(app)


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
    return delivery.deliver_due(clock.now())
