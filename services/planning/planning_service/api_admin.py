"""Models of planning's admin routes: contracts, closing days, settings."""

from __future__ import annotations

from datetime import date as Day
from typing import Literal

from pydantic import Field, model_validator

from portal_common.parsing import Body, Out, Query

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"
ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"
Weekday = Literal["1", "2", "3", "4", "5", "6", "7"]


class CareTimes(Body):
    """Either times (`start`, `end`) or a part of the day (`part`: morning, afternoon, whole_day)."""

    start: str | None = Field(default=None, pattern=HHMM)
    end: str | None = Field(default=None, pattern=HHMM)
    part: Literal["morning", "afternoon", "whole_day"] | None = None

    @model_validator(mode="after")
    def _one_way(self) -> CareTimes:
        if self.part is not None and (self.start or self.end):
            raise ValueError("give times or a part of the day, not both")
        if self.part is None and not (self.start and self.end):
            raise ValueError("give `start` and `end`, or `part`")
        if self.start and self.end and self.start >= self.end:
            raise ValueError("care must end after it starts")
        return self


class ContractTerms(Body):
    group_id: str = Field(min_length=1, max_length=64, pattern=ID_PATTERN)
    end: Day | None = Field(default=None, description="last day of care (none: open-ended)")
    hourly_rate_cents: int = Field(ge=0, le=100_000)
    days: dict[Weekday, CareTimes] = Field(default_factory=dict, description='ISO weekday ("1" = Monday) → care')
    flex_hours_per_year: int = Field(default=0, ge=0, le=3000)


class ContractIn(ContractTerms):
    product: Literal["regular", "flex"]
    start: Day


class ContractOut(Out):
    id: str
    child_id: str
    product: str
    group_id: str
    location_id: str
    start: str
    end: str | None
    hourly_rate_cents: int
    days: dict[str, dict[str, str]]
    flex_hours_per_year: int


class ContractsPage(Out):
    items: list[ContractOut]
    next_cursor: str | None


class ClosureIn(Body):
    description: str = Field(min_length=1, max_length=200, description="shown as the closed day's name")


class ClosureOut(Out):
    location_id: str
    date: str
    description: str


class ClosuresQuery(Query):
    from_: Day = Field(alias="from")
    to: Day

    @model_validator(mode="after")
    def _range(self) -> ClosuresQuery:
        if self.to < self.from_ or (self.to - self.from_).days > 400:
            raise ValueError("`to` must be on or after `from`, at most 400 days later")
        return self


class ClosuresPage(Out):
    items: list[ClosureOut]
    next_cursor: str | None


class SettingsIn(Body):
    swap_hours_notice_hours: int = Field(ge=0, le=24 * 14)
    swap_hours_validity_days: int = Field(ge=1, le=3 * 366)
    request_min_days_ahead: int = Field(ge=0, le=60)
    request_max_days_ahead: int = Field(ge=1, le=366)
    request_max_days: int = Field(ge=1, le=31)
    absence_max_days: int = Field(ge=1, le=366)

    @model_validator(mode="after")
    def _window(self) -> SettingsIn:
        if self.request_max_days_ahead < self.request_min_days_ahead:
            raise ValueError("the request window ends before it starts")
        return self


class SettingsOut(Out):
    swap_hours_notice_hours: int
    swap_hours_validity_days: int
    request_min_days_ahead: int
    request_max_days_ahead: int
    request_max_days: int
    absence_max_days: int
