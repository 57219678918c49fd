"""Events the planning service publishes (schemas in /openapi.json's event catalogue).

Each event carries what its consumers need without reading planning's tables: the absence
confirmation e-mail is written from `planning.absence.reported` alone (auth adds the guardians'
addresses and languages, which planning never holds).
"""

from __future__ import annotations

from portal_common.contracts import retention
from portal_common.events import EventPayload, event_type

OWNER = "planning"


class DayLine(EventPayload):
    date: str
    start: str
    end: str
    hours: str  # decimal hours, e.g. "5.50" (a string: exact, never a float)


class AbsenceDay(DayLine):
    earned_hours: str
    earned_minutes: int  # exact (the hours are rounded to hundredths for people)
    outcome: str  # earned | late (reported after the notice deadline: accepted, earns nothing)
    valid_until: str | None = None


@event_type("planning.contract.started", owner=OWNER)
class ContractStarted(EventPayload):
    """A contract was registered (or its dates, days or rate changed: `planning.contract.changed`)."""

    contract_id: str
    child_id: str
    product: str
    group_id: str
    location_id: str
    start: str
    end: str | None = None


@event_type("planning.contract.changed", owner=OWNER)
class ContractChanged(ContractStarted):
    """A contract's period, days, group or rate changed; `end` set means it ends (auth's access window)."""


@event_type("planning.contract.ended", owner=OWNER)
class ContractEnded(ContractStarted):
    """A contract got an end date (the 8-week access window counts from the last contract's end)."""


@event_type("planning.absence.reported", owner=OWNER)
class AbsenceReported(EventPayload):
    """A parent (or staff) reported a child absent: everything the confirmation e-mail lists."""

    request_id: str
    child_id: str
    group_id: str
    reported_by: str
    reported_by_role: str
    reason: str
    days: list[AbsenceDay]
    hours_deregistered: str
    swap_hours_earned: str


@event_type("planning.request.submitted", owner=OWNER)
class RequestSubmitted(EventPayload):
    """An extra or flex-day request awaits a decision by the group's staff."""

    request_id: str
    kind: str  # extra | flex
    child_id: str
    group_id: str
    location_id: str
    requested_by: str
    requested_by_role: str
    payment: str
    days: list[DayLine]
    expires_at: str | None = None
    comment: str | None = None


@event_type("planning.request.decided", owner=OWNER)
class RequestDecided(EventPayload):
    """A request was approved, rejected, cancelled by the parent or expired unanswered."""

    request_id: str
    kind: str
    child_id: str
    group_id: str
    status: str  # approved | rejected | cancelled | expired
    requested_by: str
    decided_by: str | None = None  # None when it expired
    reason: str | None = None
    payment: str
    days: list[DayLine]


@event_type("planning.closure.changed", owner=OWNER)
class ClosureChanged(EventPayload):
    """A location's extra closing day was added or removed."""

    location_id: str
    date: str
    closed: bool
    description: str | None = None


@event_type("planning.billing_run.requested", owner=OWNER)
class BillingRunRequested(EventPayload):
    """Produce a month's invoices or a year's annual statements (the monthly job, an admin, or a run
    continuing where the previous invocation stopped). Runs are idempotent: claims make repeats no-ops."""

    kind: str  # invoices | annual_statements
    period: str  # yyyy-mm | yyyy
    requested_by: str | None = None
    continuation: bool = False  # a run that stopped at its time budget, continuing (its counts add up)


@event_type("planning.document.published", owner=OWNER)
class DocumentPublished(EventPayload):
    """An invoice, annual statement or uploaded document is ready for these guardians (auth mails them)."""

    document_id: str
    kind: str  # invoice | annual_statement | document
    period: str
    title: str
    amount_cents: int | None = None
    guardian_ids: list[str]


@event_type("planning.child.purged", owner=OWNER)
class ChildPurged(retention.ChildPurged):
    """Planning deleted the child's contracts, requests, swap hours, calendar rows, uploads and copies (and
    the removed guardians' data); `kept` counts the invoices and annual statements the fiscal retention keeps."""


@event_type("planning.personal_data.delivered", owner=OWNER)
class PersonalDataDelivered(retention.PersonalDataDelivered):
    """Planning's part of a personal-data export (contracts, requests, swap hours, calendar, invoices and
    statements with their PDFs) is in the exports drop box."""


PUBLISHES = (ContractStarted, ContractChanged, ContractEnded, AbsenceReported, RequestSubmitted, RequestDecided,
             ClosureChanged, BillingRunRequested, DocumentPublished, ChildPurged, PersonalDataDelivered)
