"""DynamoDB items of the planning service: one main table, every key prefixed with the tenant id.

| item | pk | sk | gsi1 (pk / sk) | gsi2 (pk / sk) |
|---|---|---|---|---|
| contract | `<t>#CHILD#<child>` | `CONTRACT#<start>#<id>` | `<t>#GRP#<group>` / `CONTRACT#<start>#<id>` | |
| group (copy of auth's) | `<t>#GRP#<group>` | `GROUP` | | |
| child (copy of auth's) | `<t>#CHILD#<child>` | `CHILD` | | |
| location (copy of auth's) | `<t>#LOC#<location>` | `LOCATION` | | |
| swap-hour lot | `<t>#SWAP#<child>` | `L#<valid_until>#<lot>` | | `_LOT_EXPIRY` / `<valid_until>#<t>#<child>#<lot>` |
| swap-hour hold | `<t>#SWAP#<child>` | `H#<request>` | | |
| swap-hour operation | `<t>#SWAP#<child>` | `O#<op id>` | | |
| request | `<t>#CHILD#<child>` | `REQ#<ulid>` | `<t>#GRP#<group>` / `REQ#<ulid>` | `_REQ_EXPIRY` / `<at>#<t>#<id>` |
| submission marker (swap hours) | `<t>#CHILD#<child>` | `REQ_SUBMIT#<ulid>` | | `_REQ_EXPIRY` / `<at>#<t>#<id>` |
| request day | `<t>#CHILD#<child>` | `DAY#<date>#<request>` | `<t>#GRP#<group>` / `DAY#<date>#<child>#<request>` | |
| location closing day | `<t>#LOC#<location>` | `CLOSED#<date>` | | |
| organisation settings | `<t>#ORG` | `SETTINGS` | | |
| calendar feed of a guardian | `<t>#USER#<user>` | `FEED` | | |
| feed secret (SHA-256 of the URL's secret) | `_FEED#<sha256>` | `_` | | |
| flex-hours pot of a year | `<t>#CHILD#<child>` | `FLEXPOT#<year>` | | |
| billable item (invoice-paid day) | `<t>#BILL#<yyyy-mm>` | `<child>#<request>#<date>` | | |
| contract (tenant-wide, for billing) | | | | `<t>#CONTRACTS` / `<end or 9999-12-31>#<id>` |
| tenant with contracts (billing jobs) | `_TENANTS` | `<t>` | | |
| guardian of a child (copy of auth's links) | `<t>#GUARDIANS` | `<child>#<user>` | | |
| billing profile (issuer, numbers) | `<t>#ORG` | `BILLING` | | |
| family document (invoice, statement) | `<t>#DOC#<id>` | `DOC` | | `_DOC_RETENTION` / `<until>#<t>#<id>` (kept) |
| family document (upload about one child) | `<t>#DOC#<id>` | `DOC` | `<t>#CHILDDOCS#<child>` / `DOC#<id>` | |
| a guardian's view of a document | `<t>#USER#<user>` | `DOC#<kind>#<period>#<id>` | | |
| claim: a child on a month's invoice or a year's statement | `<t>#CLAIM#<kind>#<period>` | `<child>` | | |
| invoice number counter of a year | `<t>#ORG` | `INVNO#<yyyy>` | | |
| billing run (progress, counts) | `<t>#ORG` | `RUN#<kind>#<period>` | | |

The swap-hour ledger (`ledger.py`) keeps one child's lots, holds and operations in one partition, told
apart by `ledger_kind`: the state an operation needs (lots and holds, `sk < "O#"`) is one Query, the
history (operations with their entries) the rest of it. A child's partition `<t>#CHILD#<child>` holds
its contracts, requests and request days, so the calendar of a child is one Query; the group index
(`gsi1`, `<t>#GRP#<group>`) gives the group's contracts, requests and per-day entries for staff views
and capacity. A request's id names its child, `<child>.<ulid>` (ULID from the business clock), so one
GetItem finds it and `REQ#` sorts newest last; only pending requests with an expiry moment have a row
in the sparse `_REQ_EXPIRY` index, which the expiry job reads. A lot's row in the sparse `_LOT_EXPIRY` index
(a system key: the expiry job runs before any tenant is known) stays until its validity has passed
and nothing is left in it, so the job finds due lots without a Scan.

A retention purge (`purge.py`) deletes the child's partitions and every row that names it, except the
invoices and annual statements the fiscal retention keeps (`fiscal.py`): those (and the child's claims on
them) carry `retain_until`, and the documents sit in the sparse `_DOC_RETENTION` index until that day.
An upload about a child is in the child's own document index (gsi1), its file under
`<t>/documents/<child>/`, so a purge finds both by the child's keys.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from portal_common.directory_copies import copy_items
from portal_common.store import MainItem, table_meta


class PlanningItem(MainItem):
    """Base of every item in the planning service's main table."""

    Meta = table_meta("planning")


# The copies of auth's directory (declared once, in portal_common.directory_copies), on this table.
_COPIES = copy_items(PlanningItem)


class ContractItem(PlanningItem):
    """A placement contract: which days and times a child comes, from when until when, at what rate."""

    contract_id = UnicodeAttribute()
    child_id = UnicodeAttribute()
    product = UnicodeAttribute()  # regular | flex
    location_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute(null=True)
    hourly_rate_cents = NumberAttribute()
    days = JSONAttribute(default=dict)  # ISO weekday (1 = Monday) → {"start": "07:30", "end": "18:30"}
    flex_hours_per_year = NumberAttribute(default=0)


class SwapLedgerItem(PlanningItem):
    """Base of the swap-hour ledger's items; a Query on it returns lots, holds and operations."""

    ledger_kind = DiscriminatorAttribute()
    tenant = UnicodeAttribute()
    child_id = UnicodeAttribute()


class SwapLotItem(SwapLedgerItem, discriminator="lot"):
    """Hours earned by one absence. Amounts in whole minutes: free + held = what is left of `earned_min`.

    `free_min` (neither held nor spent nor expired) and `held_min` change only by relative updates
    (`SET free_min = free_min - :x`) under a condition that keeps them ≥ 0; `version` grows by one with
    every change (expiry is conditioned on it).
    """

    lot_id = UnicodeAttribute()
    valid_until = UnicodeAttribute()  # ISO date, the last day the hours can be used
    earned_min = NumberAttribute()
    free_min = NumberAttribute()
    held_min = NumberAttribute(default=0)
    version = NumberAttribute(default=0)
    source = UnicodeAttribute(null=True)  # e.g. the absence that earned it
    earned_at = UnicodeAttribute()  # ISO instant
    earned_op = UnicodeAttribute()


class SwapHoldItem(SwapLedgerItem, discriminator="hold"):
    """Hours reserved for one request: held, then released or spent (once)."""

    request_id = UnicodeAttribute()
    on_date = UnicodeAttribute()  # ISO date of the first day the hours are for
    days = JSONAttribute(default=list)  # [[ISO date, minutes], ...] in date order
    minutes = NumberAttribute()  # in all
    allocations = JSONAttribute(default=list)  # [[lot_id, valid_until, minutes], ...], oldest first
    status = UnicodeAttribute()  # held | released | spent
    held_at = UnicodeAttribute()
    hold_op = UnicodeAttribute()
    settled_at = UnicodeAttribute(null=True)
    settled_op = UnicodeAttribute(null=True)


class SwapOpItem(SwapLedgerItem, discriminator="op"):
    """One applied ledger operation (idempotency key and journal): its entries and its outcome."""

    op_id = UnicodeAttribute()
    verb = UnicodeAttribute()  # earn | hold | release | spend | expire
    ref = UnicodeAttribute(null=True)  # request id, source, lot id
    seq = UnicodeAttribute()  # ULID from the business clock: the journal's order
    at = UnicodeAttribute()  # ISO instant
    lines = JSONAttribute(default=list)  # [{"kind", "minutes", "lot_id", "valid_until"}, ...]
    outcome = JSONAttribute(default=dict)


class GroupCopyItem(_COPIES.group):
    """Planning's copy of a group, with its capacity per part of day, kept from `auth.group.changed`."""

    capacity = JSONAttribute(default=dict)


class RequestItem(PlanningItem):
    """An absence report or an extra/flex-day request for one child, with its days (`DayItem` rows).

    Status: absence `reported`; extra and flex `pending` → `approved`, `rejected`, `expired` or
    `cancelled`. Every status change updates the request and its day rows in one transaction,
    conditioned on `version` (optimistic locking).
    """

    request_id = UnicodeAttribute()
    child_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # absence | extra | flex
    status = UnicodeAttribute()
    group_id = UnicodeAttribute()
    location_id = UnicodeAttribute()
    days = JSONAttribute(default=list)  # [{"date", "start", "end", "minutes"}], date order
    payment = UnicodeAttribute(null=True)  # swap_hours | invoice (extra); flex_pot (flex); None (absence)
    reason = UnicodeAttribute(null=True)  # absence: sick | holiday | other
    comment = UnicodeAttribute(null=True)
    expires_at = UnicodeAttribute(null=True)  # ISO instant with offset
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_by_role = UnicodeAttribute()
    decided_at = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    decision_reason = UnicodeAttribute(null=True)
    deregistered_min = NumberAttribute(default=0)  # absence: contracted care cancelled
    earned_min = NumberAttribute(default=0)  # absence: swap hours earned
    version = NumberAttribute(default=0)


class DayItem(PlanningItem):
    """One day of a request or absence, for the child's calendar and the group's day (gsi1)."""

    request_id = UnicodeAttribute()
    child_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # absence | extra | flex
    status = UnicodeAttribute()  # mirrors the request's status
    date = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute()
    minutes = NumberAttribute()
    group_id = UnicodeAttribute()


class ClosureItem(PlanningItem):
    """An extra closing day a manager set for a location (holidays come from `opening_days`)."""

    location_id = UnicodeAttribute()
    date = UnicodeAttribute()
    description = UnicodeAttribute()  # the manager's own words, shown as the closed day's name
    created_by = UnicodeAttribute()


class SettingsItem(PlanningItem):
    """An organisation's planning settings (`settings.py` holds the defaults and their meaning)."""

    values = JSONAttribute(default=dict)


class BillableItem(PlanningItem):
    """An approved invoice-paid extra day: a line for the month's invoice (issue 5 reads these)."""

    child_id = UnicodeAttribute()
    request_id = UnicodeAttribute()
    date = UnicodeAttribute()
    minutes = NumberAttribute()
    hourly_rate_cents = NumberAttribute()
    amount_cents = NumberAttribute()
    kind = UnicodeAttribute()  # extra | flex
    location_id = UnicodeAttribute(null=True)


class ChildCopyItem(_COPIES.child):
    """Planning's copy of a child (name for staff views; contracts need a known child), from auth."""

    birth_date = UnicodeAttribute()


class LocationCopyItem(PlanningItem):
    """Planning's copy of a location (closing days need a known location; statements its LRK number)."""

    location_id = UnicodeAttribute()
    name = UnicodeAttribute()
    registration_number = UnicodeAttribute(null=True)
    as_of = UnicodeAttribute()


class FeedItem(PlanningItem):
    """A guardian's secret calendar feed: whose children it shows and the hash of its current secret."""

    user_id = UnicodeAttribute()
    secret_hash = UnicodeAttribute()
    children = JSONAttribute(default=list)  # kept in step with auth's guardian links (events)
    language = UnicodeAttribute(default="nl")
    created_at = UnicodeAttribute()


class FeedSecretItem(PlanningItem):
    """Finds a feed by its secret (a system key: the feed URL carries no tenant). Only the hash is stored."""

    tenant = UnicodeAttribute()
    user_id = UnicodeAttribute()


class FlexPotItem(PlanningItem):
    """A child's flex-hours pot for one calendar year (`<t>#CHILD#<child>` / `FLEXPOT#<year>`).

    free + held + used = total, in minutes. Holds and settlements are relative updates with conditions
    (`free_min >= m`, `held_min >= m`), written in the same transaction as the request they belong to.
    `total_min` follows the flex contracts: each hold first moves `free_min` by the change in total.
    """

    year = NumberAttribute()
    total_min = NumberAttribute()
    free_min = NumberAttribute()
    held_min = NumberAttribute(default=0)
    used_min = NumberAttribute(default=0)


class TenantItem(PlanningItem):
    """An organisation planning holds contracts for (`_TENANTS` / `<t>`): the monthly billing job's list."""

    tenant = UnicodeAttribute()


class GuardianCopyItem(PlanningItem):
    """A guardian of a child, kept from auth's link events; one partition per tenant for the billing run.

    An unlink leaves the row with `linked` false (a tombstone), so a late redelivered link cannot revive it.
    """

    child_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    name = UnicodeAttribute(default="")
    linked = BooleanAttribute(default=True)
    as_of = UnicodeAttribute()


class BillingProfileItem(PlanningItem):
    """What invoices and annual statements say about the organisation, and the billing numbers."""

    values = JSONAttribute(default=dict)


class DocumentItem(PlanningItem):
    """A family document: an invoice, an annual statement or a file an admin uploaded.

    The PDF lives in S3 under `s3_key` (encrypted at rest); guardians reach it only through a short-lived
    presigned link after the per-object check (`documents.visible_to`). `guardian_ids` are the guardians
    it is addressed to; `child_ids` the children it is about (a guardian must still hold one of them).
    """

    doc_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # invoice | annual_statement | document
    period = UnicodeAttribute()  # yyyy-mm (invoice), yyyy (statement), yyyy-mm-dd of upload (document)
    title = UnicodeAttribute()
    status = UnicodeAttribute(default="available")  # uploading → available (uploads only)
    number = UnicodeAttribute(null=True)  # invoice number
    amount_cents = NumberAttribute(null=True)
    child_ids = JSONAttribute(default=list)
    guardian_ids = JSONAttribute(default=list)
    lines = JSONAttribute(default=list)  # invoice/statement lines (cents, minutes), for the API and audits
    s3_key = UnicodeAttribute()
    filename = UnicodeAttribute()
    content_type = UnicodeAttribute(default="application/pdf")
    size = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    retain_until = UnicodeAttribute(null=True)  # fiscal document of a purged child: the day it may go (fiscal.py)


class DocumentAccessItem(PlanningItem):
    """One guardian's row for a document (`<t>#USER#<user>` / `DOC#<kind>#<period>#<id>`): their lists."""

    doc_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    period = UnicodeAttribute()
    title = UnicodeAttribute()
    amount_cents = NumberAttribute(null=True)
    child_ids = JSONAttribute(default=list)
    created_at = UnicodeAttribute()


class ClaimItem(PlanningItem):
    """A child is on exactly one invoice per month and one statement per year: written with the document
    under `attribute_not_exists`, so a second run (or two at once) never bills a child twice."""

    doc_id = UnicodeAttribute()
    retain_until = UnicodeAttribute(null=True)  # a purged child's claim on a kept fiscal document goes with it


class CounterItem(PlanningItem):
    """The last invoice number of a year; bumped in the invoice's own transaction (no gaps, no repeats)."""

    value = NumberAttribute(default=0)


class RunItem(PlanningItem):
    """A billing run's state for operators: when it started and finished, and what it did."""

    kind = UnicodeAttribute()  # invoices | annual_statements
    period = UnicodeAttribute()
    status = UnicodeAttribute()  # queued | running | done
    requested_by = UnicodeAttribute(null=True)
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    counts = JSONAttribute(default=dict)
