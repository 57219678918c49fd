"""Models of extra-day requests, decisions and availability."""

from __future__ import annotations

from datetime import date as Day
from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from portal_common.parsing import Body, Out, Query

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"
ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"


class DayIn(Body):
    date: Day
    start: str = Field(pattern=HHMM, description="HH:MM, Europe/Amsterdam")
    end: str = Field(pattern=HHMM)


class RequestIn(Body):
    child_id: str = Field(min_length=1, max_length=64, pattern=ID_PATTERN)
    days: list[DayIn] = Field(min_length=1, max_length=31)
    payment: Literal["swap_hours", "invoice"] = Field(description="entirely swap hours or entirely on invoice")
    expires_at: datetime | None = Field(default=None, description="the moment a pending request lapses (with offset)")
    comment: str | None = Field(default=None, max_length=500, description="for the group's staff")

    @field_validator("days")
    @classmethod
    def _distinct(cls, value: list[DayIn]) -> list[DayIn]:
        if len({d.date for d in value}) != len(value):
            raise ValueError("a date is named twice")
        return sorted(value, key=lambda d: d.date)

    @field_validator("expires_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give the moment with its offset, e.g. 2026-12-01T18:00:00+01:00")
        return value


class DecisionIn(Body):
    decision: Literal["approve", "reject"]
    reason: str | None = Field(default=None, max_length=500, description="shown to the parent")


class AvailabilityQuery(Query):
    child_id: str = Field(min_length=1, max_length=64, pattern=ID_PATTERN)
    date: Day


class AvailabilityOption(Out):
    part: Literal["morning", "afternoon", "whole_day"]
    start: str
    end: str
    available: bool
    free_places: int = Field(description="free places in the child's group (the fewest of the halves it spans)")
    reason: Literal["closed", "already_attends", "no_capacity", "out_of_range", "no_contract"] | None


class AvailabilityOut(Out):
    date: str
    child_id: str
    group_id: str
    closed_reason: str | None
    options: list[AvailabilityOption]


class FlexRequestIn(Body):
    child_id: str = Field(min_length=1, max_length=64, pattern=ID_PATTERN)
    days: list[DayIn] = Field(min_length=1, max_length=31)
    expires_at: datetime | None = Field(default=None, description="the moment a pending request lapses (with offset)")
    comment: str | None = Field(default=None, max_length=500, description="for the group's staff")

    _distinct = field_validator("days")(RequestIn._distinct.__func__)  # type: ignore[attr-defined]
    _aware = field_validator("expires_at")(RequestIn._aware.__func__)  # type: ignore[attr-defined]


class FlexPotQuery(Query):
    child_id: str = Field(min_length=1, max_length=64, pattern=ID_PATTERN)
    year: int | None = Field(default=None, ge=2000, le=2100, description="calendar year (default: this year)")


class FlexPotOut(Out):
    child_id: str
    year: int
    total_hours: float = Field(description="the year's flex hours (pro rata for part of a year)")
    used_hours: float = Field(description="approved flex days")
    held_hours: float = Field(description="pending flex requests")
    available_hours: float
    first_open_month: str = Field(description="YYYY-MM: the first month whose days can still be requested")
