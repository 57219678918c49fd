"""Models of absences and the swap-hour balance."""

from __future__ import annotations

from datetime import date as Day
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from portal_common.parsing import Body, Out, Query

ChildId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class AbsenceIn(Body):
    child_ids: list[ChildId] = Field(min_length=1, max_length=10)
    from_: Day = Field(alias="from", description="first absent day")
    to: Day = Field(description="last absent day (inclusive)")
    reason: Literal["sick", "holiday", "other"]
    comment: str | None = Field(default=None, max_length=500)

    @field_validator("child_ids")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a child is named twice")
        return value

    @model_validator(mode="after")
    def _order(self) -> AbsenceIn:
        if self.to < self.from_:
            raise ValueError("`to` is before `from`")
        return self


class AbsenceDayOut(Out):
    date: str
    start: str
    end: str
    hours_deregistered: float
    swap_hours_earned: float
    outcome: Literal["earned", "late"] = Field(description="late: reported after the notice deadline, no hours")
    valid_until: str | None = Field(description="last day the earned hours can be used")


class AbsenceChildOut(Out):
    child_id: str
    request_id: str
    days: list[AbsenceDayOut]


class SkippedDay(Out):
    child_id: str
    date: str
    reason: Literal["not_contracted", "closed", "already_reported"] = Field(
        description="not_contracted: no care that day; closed: a holiday or closing day; already_reported")


class AbsenceOut(Out):
    id: str = Field(description="the report (one per submission, shared by its children's absences)")
    hours_deregistered: float
    swap_hours_earned: float
    children: list[AbsenceChildOut]
    skipped: list[SkippedDay] = Field(description="weekdays of the range that were not deregistered, and why")


class SwapHoursQuery(Query):
    child_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    date: Day | None = Field(default=None, description="the day hours must be valid on (default today)")


class SwapEntryOut(Out):
    kind: Literal["earned", "held", "released", "spent", "expired"]
    hours: float
    valid_until: str | None
    at: str
    ref: str | None = Field(description="the absence that earned the hours, or the request they were held, "
                                        "released or spent for")


class SwapLotOut(Out):
    valid_until: str
    earned_hours: float
    remaining_hours: float
    held_hours: float


class SwapHoursOut(Out):
    child_id: str
    date: str
    balance_hours: float = Field(description="earned minus spent and expired (held hours included)")
    available_hours: float = Field(description="valid on `date`, neither held, spent nor expired")
    held_hours: float
    lots: list[SwapLotOut] = Field(description="what is left of each earning, oldest validity first")
    entries: list[SwapEntryOut] = Field(description="every change, newest first")
