"""Models of the requests overview and the staff's group day."""

from __future__ import annotations

from datetime import date as Day
from typing import Literal

from pydantic import Field

from portal_common.parsing import Out, Query

ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"
Status = Literal["reported", "pending", "approved", "rejected", "expired", "cancelled"]


class OverviewQuery(Query):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2048)
    child_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=ID_PATTERN,
                                 description="one of the parent's children (parents)")
    group_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=ID_PATTERN,
                                 description="the group whose requests to list (staff: required)")
    status: Status | None = Field(default=None, description="only requests with this status")


class OverviewDay(Out):
    date: str
    start: str
    end: str
    hours: float


class OverviewItem(Out):
    id: str
    kind: Literal["absence", "extra", "flex"]
    child_id: str
    group_id: str
    status: str
    days: list[OverviewDay]
    hours: float = Field(description="absence: hours deregistered; a request: hours requested")
    swap_hours_earned: float | None = Field(description="absences only")
    payment: str | None
    reason: str | None = Field(description="absence: sick, holiday or other")
    comment: str | None
    expires_at: str | None
    created_at: str
    decided_at: str | None
    decision_reason: str | None


class OverviewPage(Out):
    items: list[OverviewItem]
    next_cursor: str | None


class GroupDayQuery(Query):
    date: Day


class PartPlaces(Out):
    capacity: int
    expected: int
    extra: int
    free: int


class ExpectedChild(Out):
    child_id: str
    name: str | None
    start: str
    end: str
    absent: bool


class BookedDay(Out):
    request_id: str
    child_id: str
    name: str | None
    kind: str
    status: str
    start: str
    end: str


class GroupDayOut(Out):
    group_id: str
    date: str
    closed: bool
    closed_reason: str | None
    places: dict[str, PartPlaces]
    children: list[ExpectedChild]
    requests: list[BookedDay]
