"""Notifications: one consumer of every service's events, delivering push and e-mail per the user's
settings and language, once per event and user, with bursts folded.

1. An event handler resolves who hears of it (from messaging's own copies, never from another
   service) and records, per user, a marker and a pending notification (`notify_store.record`): the
   first event for a (user, topic, subject) opens one due a topic's window later, the next ones in
   the window add to its count.
2. Every minute `deliver_due` takes what is due from the due index (a Query, never a Scan), claims
   each row (a conditional delete) and delivers it: push to each of the user's devices if their
   setting for the topic has push on, e-mail if it has e-mail on. A failing channel (an SNS error, a
   disabled endpoint, an SES error) is logged and does not stop the other channel or other users.
   Delivery is at most once from the claim on: a crash between claim and send loses that one
   notification rather than sending it twice (SES and SNS take no idempotency key).

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

Adding a topic (e.g. exports' "export ready") is a `TOPICS` entry, a handler in `HANDLERS` and its texts
in `mails.py`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from messaging_service import directory_copy, mails, notify_store, user_copy
from messaging_service.notify_store import Notice, PendingItem, RecipientItem
from portal_common import aws, clock, mail
from portal_common.events import Envelope
from portal_common.settings import get_settings

log = logging.getLogger("messaging.notifications")


@dataclass(frozen=True)
class Topic:
    window: timedelta  # how long a first event waits for more of its kind to fold in


TOPICS = {
    "messages": Topic(timedelta(minutes=1)),
    "photos": Topic(timedelta(minutes=2)),
    "diary": Topic(timedelta(minutes=2)),
    "news": Topic(timedelta(0)),
    "newsletters": Topic(timedelta(0)),
    "request_decisions": Topic(timedelta(0)),
    "exports": Topic(timedelta(0)),
}
DECIDED = ("approved", "rejected", "expired")
RUN_SECONDS = 20.0  # of the Lambda's 30: what is left waits for the next minute's run


def _record(env: Envelope, topic: str, notices: list[Notice], exclude: str | None = None) -> int:
    """Record the notices of users a channel can reach for this topic: e-mail on, or push on and a
    device to push to (others: nothing to write, nothing to deliver)."""
    known = user_copy.profiles(env.tenant, {n.user_id for n in notices})
    wanted = []
    for notice in notices:
        item = known.get(notice.user_id)
        if notice.user_id == exclude or item is None or not user_copy.reachable(item):
            continue
        chosen = user_copy.channels(item, topic)
        if chosen.email or (chosen.push and user_copy.endpoints(item)):
            wanted.append(notice)
    due = env.occurred_at + TOPICS[topic].window
    return notify_store.record(env.tenant, env.event_id, topic, due, wanted, clock.now())


def _day(env: Envelope) -> date:
    return clock.local(env.occurred_at).date()


def _group_name(tenant: str, group_id: str) -> str:
    found = directory_copy.group(tenant, group_id)
    return found.name if found else ""


# -- who hears of what ---------------------------------------------------------------------------
def on_message_sent(env: Envelope) -> None:
    p, t = env.payload, env.tenant
    facts = {"child": directory_copy.child_name(t, p["child_id"]) or "", "group": _group_name(t, p["group_id"]),
             "sender": p.get("sender_name", ""), "from_staff": p["sender_role"] != "parent",
             "link": {"conversation_id": p["conversation_id"], "child_id": p["child_id"]}}
    notices = [Notice(u, f"conv:{p['conversation_id']}", facts) for u in p["recipient_ids"]]
    _record(env, "messages", notices, exclude=p["sender_id"])


def _guardians(tenant: str, child_ids: list[str]) -> dict[str, list[str]]:
    """guardian → which of these children are theirs (one BatchGetItem)."""
    found: dict[str, list[str]] = {}
    for child_id, family in directory_copy.families_of(tenant, child_ids).items():
        for user_id in family:
            found.setdefault(user_id, []).append(child_id)
    return found


def on_publication_published(env: Envelope) -> None:
    p, t = env.payload, env.tenant
    topic = "newsletters" if p["kind"] == "newsletter" else "news"
    location_id = p.get("location_id")
    org = user_copy.organisation(t)
    locations = [location_id] if location_id else sorted(org.locations)
    children = sorted({c for loc in locations for c in directory_copy.children_at_location(t, loc, _day(env))})
    source = org.locations.get(location_id, "") if location_id else org.name
    facts = {"title": p["title"], "source": source or org.name,
             "link": {"publication_id": p["publication_id"], "kind": p["kind"]}}
    notices = [Notice(u, f"pub:{p['publication_id']}", facts) for u in _guardians(t, children)]
    _record(env, topic, notices)


def on_photo_published(env: Envelope) -> None:
    p, t = env.payload, env.tenant
    tagged = list(p.get("child_ids") or ())
    children = tagged or directory_copy.children_in_group(t, p["group_id"], date.fromisoformat(p["date"]))
    names = directory_copy.child_names(t, set(tagged)) if tagged else {}
    group_facts = {"group": _group_name(t, p["group_id"]), "link": {"group_id": p["group_id"]}}
    notices = []
    for user_id, theirs in _guardians(t, children).items():
        if len(theirs) == 1 and tagged:  # a photo of their child; of siblings or the group: the group's
            child_id = theirs[0]
            notices.append(Notice(user_id, f"child:{child_id}", {"child": names.get(child_id, ""),
                                                                  "link": {"child_id": child_id}}))
        else:
            notices.append(Notice(user_id, f"group:{p['group_id']}", group_facts))
    _record(env, "photos", notices)


def on_diary_published(env: Envelope) -> None:
    p, t = env.payload, env.tenant
    kind = "parent_entry" if p["kind"] == "parent_entry" else "report"
    users = directory_copy.staff_of(t, p["group_id"]) if kind == "parent_entry" else \
        directory_copy.guardians_of(t, p["child_id"])
    facts = {"child": directory_copy.child_name(t, p["child_id"]) or "", "kind": kind,
             "link": {"child_id": p["child_id"], "date": p["date"]}}
    _record(env, "diary", [Notice(u, f"{kind}:{p['child_id']}", facts) for u in users], exclude=p["author_id"])


def on_request_decided(env: Envelope) -> None:
    p, t = env.payload, env.tenant
    if p["status"] not in DECIDED:
        return  # cancelled: the parent did it themselves
    guardians = directory_copy.guardians_of(t, p["child_id"])
    asker = p["requested_by"]
    asked_as_parent = asker in guardians or getattr(user_copy.profile(t, asker), "role", None) == "parent"
    users = [asker] if asked_as_parent else sorted(guardians)  # staff entered it on the family's behalf
    facts = {"child": directory_copy.child_name(t, p["child_id"]) or "", "status": p["status"],
             "days": p.get("days", []), "reason": p.get("reason"), "link": {"request_id": p["request_id"]}}
    _record(env, "request_decisions", [Notice(u, f"request:{p['request_id']}", facts) for u in users])


def on_export_ready(env: Envelope) -> None:
    """An archive can be downloaded: its owner hears where (our API's link, which checks the session)."""
    p, t = env.payload, env.tenant
    facts = {"child": directory_copy.child_name(t, p["child_id"]) or "" if p.get("child_id") else "",
             "kind": p["kind"], "until": p["available_until"],
             "url": f"{get_settings().public_base_url}/exports/{p['export_id']}/download",
             "link": {"export_id": p["export_id"]}}
    _record(env, "exports", [Notice(p["user_id"], f"export:{p['export_id']}", facts)])


HANDLERS: dict[str, Callable[[Envelope], None]] = {
    "messaging.message.sent": on_message_sent,
    "messaging.publication.published": on_publication_published,
    "timeline.photo.published": on_photo_published,
    "timeline.diary.published": on_diary_published,
    "planning.request.decided": on_request_decided,
    "exports.export.ready": on_export_ready,
}


# -- delivery ------------------------------------------------------------------------------------
def push_message(title: str, text: str, data: dict[str, Any]) -> str:
    """One SNS message for every platform: APNs and FCM bodies, `default` for anything else."""
    apns = json.dumps({"aps": {"alert": {"title": title, "body": text}, "sound": "default"}, "data": data})
    gcm = json.dumps({"notification": {"title": title, "body": text}, "data": data})
    return json.dumps({"default": text, "APNS": apns, "APNS_SANDBOX": apns, "GCM": gcm})


def _error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__))


def _push(tenant: str, recipient: RecipientItem, row: PendingItem, title: str, text: str) -> int:
    sent = 0
    data = {"topic": row.topic, **dict(row.facts.get("link") or {})}
    for device_id, endpoint in user_copy.endpoints(recipient).items():
        try:
            aws.client("sns").publish(TargetArn=endpoint, MessageStructure="json",
                                      Message=push_message(title, text, data))
            sent += 1
        except (BotoCoreError, ClientError) as exc:  # this device only: others, the e-mail and other users go on
            code = _error_code(exc)
            log.warning("push failed", extra={"device_id": device_id, "error": code, "topic": row.topic})
            if code in ("EndpointDisabled", "NotFound"):
                user_copy.mark_disabled(tenant, row.user_id, device_id, endpoint)
    return sent


def deliver(tenant: str, recipient: RecipientItem | None, row: PendingItem) -> bool:
    """Send one claimed notification on the channels the user chose; True when any channel took it."""
    if recipient is None or not user_copy.reachable(recipient):
        return False  # unknown or deactivated: nobody to tell
    chosen = user_copy.channels(recipient, row.topic)
    rendered = mails.render(row.topic, row.facts, int(row.count), recipient.language)
    pushed = _push(tenant, recipient, row, rendered.title, rendered.push) if chosen.push else 0
    mailed = False
    if chosen.email:
        try:
            mail.send(rendered.template, to=str(recipient.email), lang=recipient.language,
                      name=recipient.name or "", **rendered.values)
            mailed = True
        except (BotoCoreError, ClientError) as exc:  # logged; push already went, other users go on
            log.warning("e-mail failed", extra={"user_id": row.user_id, "error": _error_code(exc),
                                                "topic": row.topic})
    return bool(pushed) or mailed


def deliver_due(now: datetime, budget_seconds: float = RUN_SECONDS) -> int:
    """Deliver the pending notifications due by `now`; returns how many reached someone. Stops claiming
    after `budget_seconds`, so a big fan-out continues in the next run instead of the Lambda timing out
    between a claim and its send."""
    started = time.monotonic()
    rows = notify_store.due(now)
    by_tenant: dict[str, list[PendingItem]] = {}
    for row in rows:
        by_tenant.setdefault(row.tenant, []).append(row)
    delivered = 0
    for tenant, pending in by_tenant.items():
        recipients = user_copy.profiles(tenant, {r.user_id for r in pending})
        for row in pending:
            if time.monotonic() - started > budget_seconds:
                log.info("delivery continues in the next run", extra={"delivered": delivered})
                return delivered
            try:
                claimed = notify_store.claim(row)
                if claimed is not None and deliver(tenant, recipients.get(row.user_id), claimed):
                    delivered += 1
            except Exception:  # one broken row must not hold up everyone else's notifications
                log.exception("notification not delivered", extra={"topic": row.topic, "user_id": row.user_id})
    return delivered
