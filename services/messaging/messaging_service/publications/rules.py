"""The rules of news and newsletters, as pure functions: who writes and who reads an item, when it is out,
which moments may be chosen, and what an edit does to its attachments.

The moment (`now`) and the caller's role and locations come in as arguments; refusals go out as
`portal_common.domain.RuleBroken` with the codes of the API contract.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from messaging_service.moments import utc_key
from portal_common.domain import RuleBroken

KINDS = ("news", "newsletter")
ORG = "ORG"
SCHEDULED, PUBLISHED = "scheduled", "published"
HORIZON = timedelta(days=366)
EXCERPT = 200
ADMIN, MANAGER = "admin", "manager"


@dataclass(frozen=True)
class Draft:
    title: str
    body: str
    attachment_ids: list[str]
    pinned: bool
    publish_at: datetime | None


def scope_of(location_id: str | None) -> str:
    """The list an item is in: its location's, or the organisation's (`ORG`)."""
    return location_id or ORG


def visible_scopes(role: str, locations: Iterable[str]) -> list[str] | None:
    """The lists a reader's page reads without naming a location: the organisation's and each of their
    locations'; an admin's is the whole tenant (None)."""
    return None if role == ADMIN else [ORG, *sorted(locations)]


def is_out(publish_key: str, now: datetime) -> bool:
    """Is an item with this publish moment (its UTC key) out by `now`?"""
    return publish_key <= utc_key(now)


def status(publish_key: str, now: datetime) -> str:
    return PUBLISHED if is_out(publish_key, now) else SCHEDULED


def may_write(role: str, locations: Iterable[str], location_id: str | None) -> bool:
    """Admins write anything; managers their locations' items (not the organisation's)."""
    if role == ADMIN:
        return True
    return role == MANAGER and location_id is not None and location_id in set(locations)


def may_read(role: str, locations: Iterable[str], location_id: str | None, publish_key: str, now: datetime) -> bool:
    """Its writers always; its location's guardians and staff (all of the tenant for the organisation's),
    once it is out."""
    mine = set(locations)
    if may_write(role, mine, location_id):
        return True
    return (location_id is None or location_id in mine) and is_out(publish_key, now)


def check_publish_at(publish_at: datetime | None, now: datetime) -> None:
    """A publish moment is at most a year ahead (422 `publish_at_out_of_range`)."""
    if publish_at is not None and publish_at > now + HORIZON:
        raise RuleBroken("publish_at_out_of_range", errors=[
            {"loc": ["body", "publish_at"], "msg": "at most a year ahead"}])


def first_moment(publish_at: datetime | None, now: datetime) -> datetime:
    """When a new item goes out: its chosen moment, or now (a moment in the past is now)."""
    return max(publish_at or now, now)


def moved_moment(publish_at: datetime | None, publish_key: str, now: datetime) -> str:
    """The publish moment (UTC key) after an edit: a scheduled item may move (not into the past); a
    published item keeps its moment (422 `already_published` when the edit names another)."""
    out = is_out(publish_key, now)
    if publish_at is not None and out and utc_key(publish_at) != publish_key:
        raise RuleBroken("already_published", errors=[
            {"loc": ["body", "publish_at"], "msg": "a published item keeps its publish moment"}])
    if publish_at is not None and not out:
        return utc_key(max(publish_at, now))
    return publish_key


@dataclass(frozen=True)
class AttachmentChange:
    kept: list[dict[str, Any]]  # summaries of attachments the item keeps
    added: list[str]  # ids to claim
    removed: list[str]  # ids to drop (rows and files)


def attachment_change(current: Sequence[dict[str, Any]], wanted: Sequence[str]) -> AttachmentChange:
    """What an edit naming `wanted` does to an item's attachments (`current`: their summaries)."""
    kept = [a for a in current if a["id"] in wanted]
    added = [a for a in wanted if a not in {k["id"] for k in kept}]
    removed = [a["id"] for a in current if a["id"] not in wanted]
    return AttachmentChange(kept, added, removed)


def excerpt(body: str) -> str:
    """The list's preview of a body: one line, at most `EXCERPT` characters, cut at a word."""
    flat = " ".join(body.split())
    if len(flat) <= EXCERPT:
        return flat
    cut = flat[:EXCERPT].rsplit(" ", 1)[0] or flat[:EXCERPT]
    return cut.rstrip(" ,.;:") + "…"
