"""The rules of a location page, as pure functions: which policy version is in force, which dates a version
may start on, who may read a policy's PDF, how opening hours are kept.

`today` and the caller's role and locations come in as arguments; refusals go out as
`portal_common.domain.RuleBroken` with the codes of the API contract.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any, Protocol, TypeVar

from portal_common.domain import RuleBroken

KINDS = ("safety_health", "pedagogical")
EARLIEST_VALID_FROM = date(2000, 1, 1)
AHEAD = timedelta(days=730)  # a version may be announced up to two years before it applies
PDF = "application/pdf"


class Version(Protocol):
    kind: str
    valid_from: str
    created_at: str


V = TypeVar("V", bound=Version)


def versions(rows: Iterable[V], kind: str, today: date) -> list[tuple[V, bool]]:
    """A policy's versions newest first, each with whether it is the one in force today: the newest whose
    `valid_from` is not in the future (one added later for the same day wins)."""
    mine = sorted((r for r in rows if r.kind == kind), key=lambda r: (r.valid_from, r.created_at), reverse=True)
    current = next((r for r in mine if r.valid_from <= today.isoformat()), None)
    return [(r, r is current) for r in mine]


def check_valid_from(valid_from: date, today: date) -> None:
    """A version applies from 2000 up to two years ahead (422 `valid_from_out_of_range`)."""
    if not EARLIEST_VALID_FROM <= valid_from <= today + AHEAD:
        raise RuleBroken("valid_from_out_of_range", errors=[
            {"loc": ["body", "valid_from"], "msg": "from 2000 up to two years ahead"}])


def check_policy_file(content_type: str) -> None:
    """A policy is a PDF (422 `not_a_pdf`)."""
    if content_type != PDF:
        raise RuleBroken("not_a_pdf", detail_key="messaging.attachment.not_a_pdf",
                         errors=[{"loc": ["body", "attachment_id"], "msg": "a policy is a PDF"}])


def policy_owner(location_id: str, kind: str, version: str) -> str:
    """The owner id of a policy version's PDF (`<loc>:<kind>:<version>`)."""
    return f"{location_id}:{kind}:{version}"


def policy_readable(role: str, locations: Iterable[str], owner_id: str) -> bool:
    """Whoever may read the location page may read its policies: its people, and the admins."""
    location_id = owner_id.split(":", 1)[0]
    return role == "admin" or location_id in set(locations)


def opening_hours(spans: Sequence[Any]) -> list[dict[str, Any]]:
    """Opening hours as kept and shown: per weekday, in the order of the day."""
    return sorted(({"weekday": h.weekday, "open": h.open, "close": h.close} for h in spans),
                  key=lambda h: (h["weekday"], h["open"]))
