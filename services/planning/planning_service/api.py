"""Request and response models of the planning service's routes."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from portal_common.ids import Id
from portal_common.parsing import Out, Query

MAX_CALENDAR_DAYS = 400


class CalendarQuery(Query):
    from_: date = Field(alias="from", description="first day, YYYY-MM-DD")
    to: date = Field(description="last day, YYYY-MM-DD (at most 400 days after `from`)")
    child_id: Id | None = None

    @model_validator(mode="after")
    def _range(self) -> CalendarQuery:
        if self.to < self.from_:
            raise ValueError("`to` is before `from`")
        if (self.to - self.from_).days >= MAX_CALENDAR_DAYS:
            raise ValueError(f"at most {MAX_CALENDAR_DAYS} days at a time")
        return self


class CalendarItem(Out):
    kind: Literal["care", "extra", "flex", "absence"]
    start: str
    end: str
    status: str = Field(description="care: planned or cancelled (absent); absence: reported; extra and flex: "
                                    "pending or approved")
    hours: float
    request_id: str | None = Field(default=None, description="the absence or request this day belongs to")


class CalendarChild(Out):
    child_id: str
    items: list[CalendarItem]
    closed: bool = Field(default=False, description="closed for this child (also the location's own closing days)")
    closed_reason: str | None = None


class CalendarDay(Out):
    date: str
    closed: bool
    closed_reason: str | None = Field(description="the closing day's name in the caller's language")
    closed_code: str | None = Field(description="stable reason: a holiday key, `location` or `weekend`")
    children: list[CalendarChild]


class CalendarOut(Out):
    days: list[CalendarDay]
