"""The rules of a diary export, as pure functions: which periods may be exported.

A period is two days, both included. It must not be reversed, not end after `today`, and lie within the
child's placements (from the first start to the last end; a placement without an end runs on). `today` and
the child's placements come in as arguments; refusals are `portal_common.domain` exceptions with the codes of
the API contract.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from portal_common.domain import Missing, RuleBroken

OPEN_END = "9999-12-31"  # a placement without an end, compared as an ISO day


def check_period(start: date, end: date, today: date, placements: Iterable[tuple[str, str | None]]) -> None:
    """Refuse a period that may not be exported: `period_reversed`, `period_in_future`, `outside_placement`
    (422), or 404 for a child the copy knows no placement of. `placements`: (start, end or None) ISO days."""
    if end < start:
        raise RuleBroken("period_reversed", errors=[{"loc": ["body", "to"], "msg": "the period ends before it starts"}])
    if end > today:
        raise RuleBroken("period_in_future", errors=[{"loc": ["body", "to"], "msg": "the period ends after today"}])
    spans = list(placements)
    if not spans:
        raise Missing("not_found")
    first = min(s for s, _ in spans)
    last = max((e or OPEN_END) for _, e in spans)
    if start.isoformat() < first or end.isoformat() > last:
        raise RuleBroken("outside_placement", errors=[
            {"loc": ["body"], "msg": f"the child was placed from {first}" + (
                f" until {last}" if last != OPEN_END else "")}])
