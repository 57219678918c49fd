"""Events the messaging service publishes (schemas in /openapi.json's event catalogue).

Each carries who should hear of it, so the notification consumer needs no second look at the
conversation or the publication.
"""

from __future__ import annotations

from portal_common.contracts import retention
from portal_common.events import EventPayload, event_type

OWNER = "messaging"


@event_type("messaging.message.sent", owner=OWNER)
class MessageSent(EventPayload):
    """A message in a conversation about a child: its other participants get a notification."""

    conversation_id: str
    message_id: str
    child_id: str
    group_id: str
    location_id: str
    sender_id: str
    sender_role: str  # parent | staff | manager | admin
    sender_name: str
    recipient_ids: list[str]  # every participant but the sender, at the moment it was sent
    sent_at: str


@event_type("messaging.publication.published", owner=OWNER)
class PublicationPublished(EventPayload):
    """A news item or newsletter became visible (at once, or at its scheduled moment)."""

    publication_id: str
    kind: str  # news | newsletter
    title: str
    location_id: str | None = None  # None: the whole organisation
    published_at: str


@event_type("messaging.child.purged", owner=OWNER)
class ChildPurged(retention.ChildPurged):
    """Messaging deleted the child's conversations (messages, read markers, counters, attachments and their
    files), pending notifications and directory copies, and the removed guardians' data; `left` is what
    its own check still found."""


@event_type("messaging.personal_data.delivered", owner=OWNER)
class PersonalDataDelivered(retention.PersonalDataDelivered):
    """Messaging's part of a personal-data export (conversations with their files, notification settings,
    devices) is in the exports drop box."""


PUBLISHES = (MessageSent, PublicationPublished, ChildPurged, PersonalDataDelivered)
