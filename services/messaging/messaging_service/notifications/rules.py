"""The rules of notifications, as pure functions: who hears of what, how a burst folds into one notification,
which channels a user's settings open, and what a push says to each platform.

Facts (the copy's guardians and staff, a user's settings and devices, the event's moment) come in as
arguments; nothing here reads the store or the clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol


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
# The topics a user chooses channels for. Push for everything; e-mail only for what a parent would not want
# to miss (auth's rule, `auth_service.api.DEFAULT_NOTIFICATIONS`; a test checks they agree).
SETTING_TOPICS = ("messages", "news", "newsletters", "photos", "diary", "request_decisions", "exports")
DEFAULT_SETTINGS = {topic: {"push": True, "email": topic in ("messages", "newsletters", "request_decisions",
                                                              "exports")} for topic in SETTING_TOPICS}
DECIDED = ("approved", "rejected", "expired")


@dataclass(frozen=True)
class Notice:
    """One user hears of one event: `subject` is what folds (`child:<id>`, `conv:<id>`, `pub:<id>`…)."""

    user_id: str
    subject: str
    facts: dict[str, Any]


@dataclass(frozen=True)
class Channels:
    push: bool
    email: bool


class Recipient(Protocol):
    """What the rules read of a user's copy (contact details, settings, devices)."""

    status: str | None
    email: str | None
    settings: dict[str, Any] | None
    devices: dict[str, Any]


# -- who hears of what -----------------------------------------------------------------------------
def due(occurred_at: datetime, topic: str) -> datetime:
    """When a notification opened by an event goes out: the topic's window later (more events fold in)."""
    return occurred_at + TOPICS[topic].window


def publication_topic(kind: str) -> str:
    return "newsletters" if kind == "newsletter" else "news"


def photo_notices(tagged: Sequence[str], guardians: Mapping[str, list[str]], names: Mapping[str, str],
                  group_id: str, group_name: str) -> list[Notice]:
    """A photo of one's own child names the child; of siblings together, or a group photo, the group.
    `guardians`: guardian → which of the photo's children (tagged, or the group's that day) are theirs."""
    group_facts = {"group": group_name, "link": {"group_id": group_id}}
    notices = []
    for user_id, theirs in guardians.items():
        if len(theirs) == 1 and tagged:
            child_id = theirs[0]
            notices.append(Notice(user_id, f"child:{child_id}", {"child": names.get(child_id, ""),
                                                                  "link": {"child_id": child_id}}))
        else:
            notices.append(Notice(user_id, f"group:{group_id}", group_facts))
    return notices


def diary_kind(kind: str) -> str:
    """A parent's entry goes to the group's staff; anything else is a report, for the child's guardians."""
    return "parent_entry" if kind == "parent_entry" else "report"


def decision_audience(status: str, asker: str, guardians: Iterable[str], asker_role: str | None) -> list[str]:
    """Who hears a request was decided: the parent who asked, or every guardian of the child when staff
    entered it on the family's behalf. A cancellation is nobody's news (the parent did it themselves).
    `asker_role`: the asker's role as the copy knows it, needed only when they are not a guardian now."""
    if status not in DECIDED:
        return []
    family = set(guardians)
    asked_as_parent = asker in family or asker_role == "parent"
    return [asker] if asked_as_parent else sorted(family)


# -- settings ---------------------------------------------------------------------------------------
def reachable(recipient: Recipient | None) -> bool:
    """Known, and not deactivated: a deactivated account hears nothing any more. (Contact details not
    seen yet: push may still reach their devices; e-mail needs the address.)"""
    return recipient is not None and recipient.status != "deactivated"


def channels(recipient: Recipient, topic: str) -> Channels:
    """The user's choice for the topic (auth's defaults where they chose none); e-mail needs an address."""
    chosen = {**DEFAULT_SETTINGS.get(topic, {"push": True, "email": False}),
              **(recipient.settings or {}).get(topic, {})}
    return Channels(push=bool(chosen.get("push")), email=bool(chosen.get("email")) and bool(recipient.email))


def endpoints(recipient: Recipient) -> dict[str, str]:
    """device id → SNS endpoint of the devices push can reach now."""
    return {device_id: d["endpoint_arn"] for device_id, d in sorted((recipient.devices or {}).items())
            if d.get("active") and d.get("endpoint_arn") and not d.get("disabled_at")}


def worth_recording(notices: Iterable[Notice], known: Mapping[str, Recipient], topic: str,
                    exclude: str | None = None) -> list[Notice]:
    """The notices of users a channel can reach for this topic: e-mail on, or push on and a device to push
    to. Nobody is notified of their own doing (`exclude`)."""
    wanted = []
    for notice in notices:
        recipient = known.get(notice.user_id)
        if notice.user_id == exclude or recipient is None or not reachable(recipient):
            continue
        chosen = channels(recipient, topic)
        if chosen.email or (chosen.push and endpoints(recipient)):
            wanted.append(notice)
    return wanted


# -- folding and delivery -----------------------------------------------------------------------------
def fold(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The newest facts, plus which of them `varied` within the burst (two senders: the text names none)."""
    varied = set(old.get("varied", ())) | {k for k, v in new.items() if k != "varied" and k in old and old[k] != v}
    return {**new, "varied": sorted(varied)} if varied else dict(new)


def push_message(title: str, text: str, data: dict[str, Any]) -> str:
    """One SNS message for every platform: APNs and FCM bodies, `default` for anything else."""
    apns = json.dumps({"aps": {"alert": {"title": title, "body": text}, "sound": "default"}, "data": data})
    gcm = json.dumps({"notification": {"title": title, "body": text}, "data": data})
    return json.dumps({"default": text, "APNS": apns, "APNS_SANDBOX": apns, "GCM": gcm})
