"""The rules of an upload, as pure functions: the day a photo may be dated, who may be tagged in it, and
whose missing consent blocks it.

- A photo is of today or of the past `DAYS_BACK` days (422 `date_out_of_range`): photos of the past week
  can still be added, none of the future.
- Each tagged child was placed in the photo's group on its day (422 `child_not_in_group`, naming each).
- When the file has been checked, a photo tagging a child without photo consent *now* is blocked (naming
  the children) and nothing of it is kept: consent is judged at publication, not at the request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from portal_common.domain import RuleBroken

DAYS_BACK = 7  # photos of the past week can still be added


def photo_day(asked: date | None, today: date) -> date:
    """The day a new photo is of: the one asked for (today when left out), today or up to `DAYS_BACK` back."""
    day = asked or today
    if not today - timedelta(days=DAYS_BACK) <= day <= today:
        raise RuleBroken("date_out_of_range", errors=[
            {"loc": ["body", "date"], "msg": f"a photo of today or the past {DAYS_BACK} days"}])
    return day


def check_tagged(child_ids: Sequence[str], group_id: str, groups_on_day: Mapping[str, set[str]]) -> None:
    """Every tagged child was placed in the group that day (`groups_on_day`: each child's groups of the day)."""
    strangers = [c for c in child_ids if group_id not in groups_on_day.get(c, set())]
    if strangers:
        raise RuleBroken("child_not_in_group", errors=[
            {"loc": ["body", "child_ids", list(child_ids).index(c)], "msg": "not placed in this group on that day"}
            for c in strangers])


def blocked_children(child_ids: Sequence[str], consents: Mapping[str, Any]) -> list[str]:
    """The tagged children whose photo consent does not hold now, in the order tagged (none: publish)."""
    return [c for c in child_ids if not (consents.get(c) is not None and consents[c].photos)]
