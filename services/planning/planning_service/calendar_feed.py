"""A guardian's secret iCalendar feed (RFC 5545): care days, closed days, absences and requests.

`POST /planning/calendar-feed` gives a URL with 256 random bits; only their SHA-256 is stored, under a
system key (`_FEED#<hash>`) that finds the guardian without a tenant in the URL. Calling it again
rotates the secret in one transaction: the old URL answers 404 from then on. The feed is built on
every fetch (no cache: it follows every change) from 60 days back to 180 days ahead, in
Europe/Amsterdam with a VTIMEZONE, each event with a stable UID so calendar apps update it in place.
The children it shows follow auth's guardian links (`auth.guardian.linked`, `.unlinked`,
`.access_ended`): a child whose access ended disappears from the feed at once.
The URL is a credential of the account: when its password is set (reset, change, activation) or it signs
out everywhere, auth publishes `auth.credentials.revoked` and the feed is deleted (the URL answers 404;
a new POST makes a new one). A feed made after that moment is the user's new one and stays, however late
the event arrives.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Any

from planning_service import closures, contracts, directory_copy, opening_days
from planning_service.routes_calendar import child_items, latest_contract
from planning_service.store import FeedItem, FeedSecretItem
from portal_common import clock, ids, store
from portal_common.events import Envelope

DAYS_BACK, DAYS_AHEAD = 60, 180
PRODID = "-//Ouderportaal//Opvangkalender//NL"
TEXTS = {
    "care": {"nl": "Opvang {child}", "en": "Care {child}"},
    "cancelled": {"nl": "Afgemeld: {child}", "en": "Absent: {child}"},
    "extra": {"nl": "Extra dag {child}", "en": "Extra day {child}"},
    "flex": {"nl": "Flexopvang {child}", "en": "Flex care {child}"},
    "pending": {"nl": " (aangevraagd)", "en": " (requested)"},
    "closed": {"nl": "Gesloten: {name}", "en": "Closed: {name}"},
    "calendar": {"nl": "Opvang", "en": "Childcare"},
}


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def rotate(tenant: str, user_id: str, children: list[str], language: str) -> str:
    """A new secret for the guardian's feed; the previous URL stops working in the same transaction."""
    secret = ids.random_token(32)
    digest = secret_hash(secret)
    pk = store.key(tenant, "USER", user_id)
    try:
        old = FeedItem.get(pk, "FEED", consistent_read=True)
    except FeedItem.DoesNotExist:
        old = None
    with store.transaction() as tx:
        if old is not None:
            tx.delete(FeedSecretItem(f"_FEED#{old.secret_hash}", "_"))
            tx.save(FeedItem(pk, "FEED", user_id=user_id, secret_hash=digest, children=sorted(children),
                             language=language, created_at=clock.now().isoformat()),
                    condition=FeedItem.secret_hash == old.secret_hash)
        else:
            tx.save(FeedItem(pk, "FEED", user_id=user_id, secret_hash=digest, children=sorted(children),
                             language=language, created_at=clock.now().isoformat()),
                    condition=FeedItem.pk.does_not_exist())
        tx.save(FeedSecretItem(f"_FEED#{digest}", "_", tenant=tenant, user_id=user_id),
                condition=FeedSecretItem.pk.does_not_exist())
    return secret


def find(secret: str) -> tuple[str, FeedItem] | None:
    """The feed a secret opens (tenant, feed), or None for a guessed, malformed or rotated secret."""
    if not secret or len(secret) > 100:
        return None
    try:
        pointer = FeedSecretItem.get(f"_FEED#{secret_hash(secret)}", "_")
        feed = FeedItem.get(store.key(pointer.tenant, "USER", pointer.user_id), "FEED")
    except (FeedSecretItem.DoesNotExist, FeedItem.DoesNotExist):
        return None
    if feed.secret_hash != secret_hash(secret):
        return None  # rotated between the two reads
    return pointer.tenant, feed


def render(tenant: str, feed: FeedItem) -> bytes:
    from icalendar import Calendar, Event  # lazy: only the feed route needs it (~40 ms of import)

    lang = feed.language if feed.language in ("nl", "en") else "nl"
    today = clock.today()
    start, end = today - timedelta(days=DAYS_BACK), today + timedelta(days=DAYS_AHEAD)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", TEXTS["calendar"][lang])
    cal.add("x-wr-timezone", "Europe/Amsterdam")
    names = directory_copy.child_names(tenant, set(feed.children))
    stamp = clock.utcnow()
    closed_seen: set[str] = set()
    for child_id in feed.children:
        found = contracts.contracts_of_child(tenant, child_id)
        if not found:
            continue
        latest = latest_contract(found)
        location_closures = closures.of_location(tenant, latest.location_id, start, end)
        name = names.get(child_id, child_id)
        for day_key, items in sorted(child_items(tenant, found, start, end, location_closures).items()):
            day = date.fromisoformat(day_key)
            for item in items:
                if item.kind == "absence":
                    continue  # shown as the cancelled care day
                kind = "cancelled" if item.status == "cancelled" else item.kind
                summary = TEXTS[kind][lang].format(child=name) + (TEXTS["pending"][lang] if item.status == "pending"
                                                                   else "")
                event = Event()
                event.add("uid", f"{kind}-{child_id}-{day_key}-{item.request_id or 'contract'}@ouderportaal")
                event.add("summary", summary)
                event.add("dtstart", clock.at(day, item.start))
                event.add("dtend", clock.at(day, item.end))
                event.add("dtstamp", stamp)
                event.add("status", "TENTATIVE" if item.status == "pending" else (
                    "CANCELLED" if kind == "cancelled" else "CONFIRMED"))
                cal.add_component(event)
        for closure in opening_days.closures_between(start, end, location_closures):
            uid = f"closed-{latest.location_id}-{closure.day.isoformat()}@ouderportaal"
            if uid in closed_seen:
                continue
            closed_seen.add(uid)
            event = Event()
            event.add("uid", uid)
            event.add("summary", TEXTS["closed"][lang].format(name=closure.name(lang)))
            event.add("dtstart", closure.day)
            event.add("dtend", closure.day + timedelta(days=1))
            event.add("dtstamp", stamp)
            event.add("transp", "TRANSPARENT")
            cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def _feed_of(tenant: str, user_id: str) -> FeedItem | None:
    try:
        return FeedItem.get(store.key(tenant, "USER", user_id), "FEED")
    except FeedItem.DoesNotExist:
        return None


def on_guardian_linked(env: Envelope) -> None:
    _change_children(env, add=True)


def on_guardian_gone(env: Envelope) -> None:
    _change_children(env, add=False)


def _change_children(env: Envelope, *, add: bool) -> None:
    payload: dict[str, Any] = env.payload
    feed = _feed_of(env.tenant, payload["user_id"])
    if feed is None:
        return
    children = set(feed.children or [])
    children = children | {payload["child_id"]} if add else children - {payload["child_id"]}
    feed.update(actions=[FeedItem.children.set(sorted(children))])


def on_credentials_revoked(env: Envelope) -> None:
    """Delete the feed the account had when its credentials were revoked: the pointer and the feed together."""
    pk = store.key(env.tenant, "USER", env.payload["user_id"])
    try:
        feed = FeedItem.get(pk, "FEED", consistent_read=True)
    except FeedItem.DoesNotExist:
        return
    if datetime.fromisoformat(feed.created_at) > env.occurred_at:
        return  # made after the revocation: the user's new feed
    with store.transaction() as tx:  # a rotation in between fails it: the event is retried and sees the new feed
        tx.delete(FeedSecretItem(f"_FEED#{feed.secret_hash}", "_"))
        tx.delete(feed, condition=FeedItem.secret_hash == feed.secret_hash)


HANDLERS = {"auth.guardian.linked": on_guardian_linked, "auth.guardian.unlinked": on_guardian_gone,
            "auth.guardian.access_ended": on_guardian_gone, "auth.credentials.revoked": on_credentials_revoked}
