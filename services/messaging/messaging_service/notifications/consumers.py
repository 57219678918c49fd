"""Notifications: one consumer of every service's events, delivering push and e-mail per the user's
settings and language, once per event and user, with bursts folded.

1. An event handler resolves who hears of it (from messaging's own copies, never from another
   service) and records, per user, a marker and a pending notification (`store.record`): the
   first event for a (user, topic, subject) opens one due a topic's window later, the next ones in
   the window add to its count.
2. Every minute `delivery.deliver_due` takes what is due and delivers it (see delivery.py).

Who hears of what:
- `messaging.message.sent` (messages): the conversation's other participants at the moment it was sent.
- `messaging.publication.published` (news, newsletters): the guardians of the children placed at the
  location that day (every location of the organisation for organisation-wide items). Not staff: they
  see news in the app, the authors are managers, and notifications to staff are about their own work
  (messages, parents' diary notes); a staff member who is also a guardian hears of it as a guardian.
- `timeline.photo.published` (photos): the guardians of the tagged children; for a group photo, of
  the children placed in the group that day.
- `timeline.diary.published` (diary): a report → the child's guardians; a parent's entry → the staff
  of the group.
- `planning.request.decided` (request_decisions): the parent who asked, or every guardian of the
  child when staff entered it; a cancellation is nobody's news (the parent did it).
Nobody is notified of their own doing.

Adding a topic (e.g. exports' "export ready") is a `rules.TOPICS` entry, a handler in `HANDLERS` and its
texts in `mails.py`. Delivery is `delivery.py`; who hears of what, folding and settings are `rules.py`'s.
"""

from __future__ import annotations

from datetime import date

from messaging_service import directory_copy
from messaging_service.notifications import recipients, rules, store
from messaging_service.notifications.rules import Notice
from portal_common import clock, events
from portal_common.contracts.exports import ExportReady
from portal_common.contracts.messaging import MessageSent, PublicationPublished
from portal_common.contracts.planning import RequestDecided
from portal_common.contracts.timeline import DiaryPublished, PhotoPublished
from portal_common.events import Envelope
from portal_common.settings import get_settings


def _record(env: Envelope, topic: str, notices: list[Notice], exclude: str | None = None) -> int:
    """Record the notices of users a channel can reach for this topic (others: nothing to write, nothing to
    deliver), due the topic's window after the event."""
    known = recipients.profiles(env.tenant, {n.user_id for n in notices})
    wanted = rules.worth_recording(notices, known, topic, exclude)
    return store.record(env.tenant, env.event_id, topic, rules.due(env.occurred_at, topic), wanted, clock.now())


def _day(env: Envelope) -> date:
    return clock.local(env.occurred_at).date()


def _group_name(tenant: str, group_id: str) -> str:
    found = directory_copy.group(tenant, group_id)
    return found.name if found else ""


def _guardians(tenant: str, child_ids: list[str]) -> dict[str, list[str]]:
    """guardian → which of these children are theirs (one BatchGetItem)."""
    found: dict[str, list[str]] = {}
    for child_id, family in directory_copy.families_of(tenant, child_ids).items():
        for user_id in family:
            found.setdefault(user_id, []).append(child_id)
    return found


# -- who hears of what ---------------------------------------------------------------------------
def on_message_sent(env: Envelope, sent: MessageSent) -> None:
    t = env.tenant
    facts = {"child": directory_copy.child_name(t, sent.child_id) or "", "group": _group_name(t, sent.group_id),
             "sender": sent.sender_name, "from_staff": sent.sender_role != "parent",
             "link": {"conversation_id": sent.conversation_id, "child_id": sent.child_id}}
    notices = [Notice(u, f"conv:{sent.conversation_id}", facts) for u in sent.recipient_ids]
    _record(env, "messages", notices, exclude=sent.sender_id)


def on_publication_published(env: Envelope, published: PublicationPublished) -> None:
    t, location_id = env.tenant, published.location_id
    org = recipients.organisation(t)
    locations = [location_id] if location_id else sorted(org.locations)
    children = sorted({c for loc in locations for c in directory_copy.children_at_location(t, loc, _day(env))})
    source = org.locations.get(location_id, "") if location_id else org.name
    facts = {"title": published.title, "source": source or org.name,
             "link": {"publication_id": published.publication_id, "kind": published.kind}}
    notices = [Notice(u, f"pub:{published.publication_id}", facts) for u in _guardians(t, children)]
    _record(env, rules.publication_topic(published.kind), notices)


def on_photo_published(env: Envelope, photo: PhotoPublished) -> None:
    t, tagged = env.tenant, list(photo.child_ids)
    children = tagged or directory_copy.children_in_group(t, photo.group_id, date.fromisoformat(photo.date))
    names = directory_copy.child_names(t, set(tagged)) if tagged else {}
    notices = rules.photo_notices(tagged, _guardians(t, children), names, photo.group_id,
                                  _group_name(t, photo.group_id))
    _record(env, "photos", notices)


def on_diary_published(env: Envelope, diary: DiaryPublished) -> None:
    t, kind = env.tenant, rules.diary_kind(diary.kind)
    users = directory_copy.staff_of(t, diary.group_id) if kind == "parent_entry" else \
        directory_copy.guardians_of(t, diary.child_id)
    facts = {"child": directory_copy.child_name(t, diary.child_id) or "", "kind": kind,
             "link": {"child_id": diary.child_id, "date": diary.date}}
    _record(env, "diary", [Notice(u, f"{kind}:{diary.child_id}", facts) for u in users], exclude=diary.author_id)


def on_request_decided(env: Envelope, decided: RequestDecided) -> None:
    t = env.tenant
    if decided.status not in rules.DECIDED:
        return  # cancelled: the parent did it themselves
    guardians = directory_copy.guardians_of(t, decided.child_id)
    asker = decided.requested_by
    asker_role = None if asker in guardians else getattr(recipients.profile(t, asker), "role", None)
    users = rules.decision_audience(decided.status, asker, guardians, asker_role)
    facts = {"child": directory_copy.child_name(t, decided.child_id) or "", "status": decided.status,
             "days": [d.model_dump() for d in decided.days], "reason": decided.reason,
             "link": {"request_id": decided.request_id}}
    _record(env, "request_decisions", [Notice(u, f"request:{decided.request_id}", facts) for u in users])


def on_export_ready(env: Envelope, ready: ExportReady) -> None:
    """An archive can be downloaded: its owner hears where (our API's link, which checks the session)."""
    t = env.tenant
    facts = {"child": directory_copy.child_name(t, ready.child_id) or "" if ready.child_id else "",
             "kind": ready.kind, "until": ready.available_until,
             "url": f"{get_settings().public_base_url}/exports/{ready.export_id}/download",
             "link": {"export_id": ready.export_id}}
    _record(env, "exports", [Notice(ready.user_id, f"export:{ready.export_id}", facts)])


HANDLERS = events.handlers(
    (MessageSent, on_message_sent),
    (PublicationPublished, on_publication_published),
    (PhotoPublished, on_photo_published),
    (DiaryPublished, on_diary_published),
    (RequestDecided, on_request_decided),
    (ExportReady, on_export_ready),
)
