"""Billing runs: a month's invoices per family, a year's annual statement per child.

**Invoices** (`run_invoices`) for month M, once M has ended (billable days approved late land on the
next month's invoice, see `requests.billables`). Reads, for the whole organisation: the contracts
running in M (one Query of the tenant-wide contract index), M's billable days (one Query), the
children already invoiced for M (one Query of the claims), every guardian link (one Query), and the
children's and locations' names (BatchGetItem). Each family with something to bill then gets its
invoice in one transaction: the next invoice number (conditioned on the number read: no gaps, no
repeats), the document, a row per guardian, and a claim per child under `attribute_not_exists`; a
child is on exactly one invoice of a month, however often and however concurrently M is run.

**Annual statements** (`run_statements`) for year Y are the sum of Y's issued invoices per child: hours,
hourly rate and amount per location and kind of care, with the location's LRK number, as the
childcare benefit asks. One per child and year, by the same kind of claim.

The PDF is stored first and the transaction written after it: a run that loses a claim race deletes
its file; a crash in between leaves an unreferenced object (never a document without its file).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError

from planning_service import billing, billing_profile, contracts, directory_copy, documents, families, pdf
from planning_service.billing import Line
from planning_service.billing_profile import BillingProfile
from planning_service.store import BillableItem, ClaimItem, CounterItem, DocumentItem, RunItem
from portal_common import clock, files, ids, store
from portal_common.contracts import planning as events
from portal_common.outbox import Changes, Outbox

INVOICES, STATEMENTS = "invoices", "annual_statements"
log = logging.getLogger("planning.invoicing")


@dataclass
class RunResult:
    created: int = 0
    already_done: int = 0  # children invoiced (or stated) before this run
    nothing_to_bill: int = 0
    without_guardian: list[str] = field(default_factory=list)
    lost_race: int = 0
    finished: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "already_done": self.already_done, "nothing_to_bill": self.nothing_to_bill,
                "without_guardian": len(self.without_guardian), "lost_race": self.lost_race}


class ProfileMissing(Exception):
    """The organisation has no billing profile with a name: nothing can be issued."""


def claims(tenant: str, kind: str, period: str) -> dict[str, str]:
    """child id → document id of the children already on a document of this kind and period."""
    return {c.sk: c.doc_id for c in ClaimItem.query(store.key(tenant, "CLAIM", kind, period), consistent_read=True)}


def _claim(tenant: str, kind: str, period: str, child_id: str, doc_id: str) -> ClaimItem:
    return ClaimItem(store.key(tenant, "CLAIM", kind, period), child_id, doc_id=doc_id)


def invoiceable(period: str, today: date) -> bool:
    """A month can be invoiced once it has ended."""
    return billing.month_bounds(period)[1] < today


# -- invoices ------------------------------------------------------------------------------------
def run_invoices(outbox: Outbox, tenant: str, period: str, *, deadline: float | None = None) -> RunResult:
    """Issue the month's invoices that do not exist yet; stop early (finished False) at `deadline`
    (a `time.monotonic()` value) so the caller can continue in a fresh invocation."""
    profile = billing_profile.load(tenant)
    if not profile.complete:
        raise ProfileMissing()
    first, last = billing.month_bounds(period)
    running = contracts.running_between(tenant, first, last)
    billables = list(BillableItem.query(store.key(tenant, "BILL", period)))
    done = claims(tenant, "invoice", period)
    result = RunResult(already_done=len(done))
    todo = ({c.child_id for c in running} | {b.child_id for b in billables}) - set(done)
    groups, result.without_guardian = families.families(families.all_links(tenant), todo)
    kids = directory_copy.children(tenant, todo)
    issued_here = 0
    for family in groups:
        lines = billing.lines_for(family.child_ids, period, running, billables, profile.weeks_per_year)
        if not lines:
            result.nothing_to_bill += 1
            continue
        # Every invocation issues at least one invoice before it may stop: a continuation always progresses.
        if deadline is not None and issued_here and time.monotonic() > deadline:
            result.finished = False
            break
        issued_here += 1
        if _issue_invoice(outbox, tenant, period, profile, family, lines, kids):
            result.created += 1
        else:
            result.lost_race += 1
    return result


def _describe(line: Line, child_name: str) -> str:
    if line.kind == billing.CARE:
        start, end = date.fromisoformat(line.start or ""), date.fromisoformat(line.end or "")
        return f"Opvang {child_name}, contract {pdf.dutch_date(start)} t/m {pdf.dutch_date(end)}"
    label = "Extra dag" if line.kind == billing.EXTRA else "Flexopvang"
    return f"{label} {child_name}, {pdf.dutch_date(date.fromisoformat(line.date or ''))}"


def _issuer(profile: BillingProfile) -> Any:
    return pdf.Issuer(name=profile.name, kvk_number=profile.kvk_number, address_lines=profile.address_lines,
                      iban=profile.iban, email=profile.email)


def _issue_invoice(outbox: Outbox, tenant: str, period: str, profile: BillingProfile, family: families.Family,
                   lines: list[Line], kids: dict[str, Any]) -> bool:
    """One family's invoice: number, PDF, document and claims. False when another run billed them first."""
    names = {c: (kids[c].name if c in kids else c) for c in family.child_ids}
    doc_id = f"inv-{ids.new_id().lower()}"
    s3_key = f"{tenant}/invoices/{period}/{doc_id}.pdf"
    total = billing.total(lines)
    today = clock.today()
    year = period[:4]
    counter_key = (store.key(tenant, "ORG"), f"INVNO#{year}")
    for _attempt in range(10):
        try:
            current = int(CounterItem.get(*counter_key, consistent_read=True).value)
        except CounterItem.DoesNotExist:
            current = 0
        number = f"{year}-{current + 1:05d}"
        body = pdf.render_invoice(pdf.InvoicePdf(
            issuer=_issuer(profile), number=number, issue_date=today, period=period,
            addressees=family.guardian_names, children=tuple(names[c] for c in family.child_ids),
            lines=tuple(pdf.Line(description=_describe(line, names[line.child_id]), minutes=line.minutes,
                                 rate_cents=line.rate_cents, amount_cents=line.amount_cents) for line in lines),
            total_cents=total, payment_days=profile.payment_days,
            due_date=today + timedelta(days=profile.payment_days)))
        documents.put_file(s3_key, body)
        doc = DocumentItem(*documents.doc_key(tenant, doc_id), doc_id=doc_id, kind=documents.INVOICE,
                           period=period, title=f"Factuur {number}", number=number, amount_cents=total,
                           child_ids=list(family.child_ids), guardian_ids=list(family.guardian_ids),
                           lines=[line.as_dict() for line in lines], s3_key=s3_key,
                           filename=f"factuur-{number}.pdf", size=len(body), created_at=clock.now().isoformat(),
                           created_by="billing-run")
        ch = Changes(outbox, tenant, "planning")
        # First in the transaction, so its cancellation reason is the first one.
        ch.save(CounterItem(*counter_key, value=current + 1),
                (CounterItem.value == current) if current else CounterItem.pk.does_not_exist())
        _stage_document(ch, tenant, doc, [_claim(tenant, "invoice", period, c, doc_id) for c in family.child_ids])
        try:
            ch.commit()
            return True
        except TransactWriteError as exc:
            codes = [r.code if r is not None else None for r in exc.cancellation_reasons or []]
            if "ConditionalCheckFailed" in codes[1:]:
                documents.delete_file(s3_key)  # a claim was taken: another run billed (part of) this family
                return False
            if not codes or (codes[0] != "ConditionalCheckFailed" and "TransactionConflict" not in codes):
                raise
            # the number was taken by a concurrent invoice: read the counter again and renumber
    raise RuntimeError("could not take an invoice number after 10 attempts")


def _stage_document(ch: Changes, tenant: str, doc: DocumentItem, claim_rows: list[ClaimItem]) -> None:
    ch.save(doc, DocumentItem.pk.does_not_exist())
    for user_id in doc.guardian_ids:
        ch.save(documents.access_row(tenant, doc, user_id))
    for claim in claim_rows:
        ch.save(claim, ClaimItem.pk.does_not_exist())
    ch.emit(events.DocumentPublished(document_id=doc.doc_id, kind=doc.kind, period=doc.period, title=doc.title,
                                     amount_cents=doc.amount_cents, guardian_ids=list(doc.guardian_ids)))


# -- annual statements ---------------------------------------------------------------------------
def run_statements(outbox: Outbox, tenant: str, year: int, *, deadline: float | None = None) -> RunResult:
    """One statement per child invoiced in `year`, summing that child's invoice lines of the year."""
    profile = billing_profile.load(tenant)
    if not profile.complete:
        raise ProfileMissing()
    period = str(year)
    invoice_ids: set[str] = set()
    for month in range(1, 13):
        invoice_ids |= set(claims(tenant, "invoice", f"{year}-{month:02d}").values())
    invoices = list(DocumentItem.batch_get([documents.doc_key(tenant, d) for d in sorted(invoice_ids)]))
    lines_of: dict[str, list[Line]] = {}
    for invoice in invoices:
        for raw in invoice.lines or []:
            line = Line.from_dict(raw)
            lines_of.setdefault(line.child_id, []).append(line)
    done = claims(tenant, "annual_statement", period)
    result = RunResult(already_done=len(done))
    todo = sorted(set(lines_of) - set(done))
    links = families.all_links(tenant)
    kids = directory_copy.children(tenant, set(todo))
    places = directory_copy.locations(tenant, {line.location_id for c in todo for line in lines_of[c]})
    issued_here = 0
    for child_id in todo:
        guardians = sorted(links.get(child_id, []), key=lambda g: g.user_id)
        if not guardians:
            result.without_guardian.append(child_id)
            continue
        if deadline is not None and issued_here and time.monotonic() > deadline:  # as for invoices
            result.finished = False
            break
        issued_here += 1
        if _issue_statement(outbox, tenant, year, profile, child_id, guardians, lines_of[child_id], kids, places):
            result.created += 1
        else:
            result.lost_race += 1
    return result


def _issue_statement(outbox: Outbox, tenant: str, year: int, profile: BillingProfile, child_id: str,
                     guardians: list[Any], lines: list[Line], kids: dict[str, Any], places: dict[str, Any]) -> bool:
    rows = billing.statement_rows(lines)
    child = kids.get(child_id)
    name = child.name if child else child_id
    doc_id = f"jo-{ids.new_id().lower()}"
    s3_key = f"{tenant}/annual-statements/{year}/{doc_id}.pdf"
    total_minutes, total_cents = sum(r.minutes for r in rows), sum(r.amount_cents for r in rows)
    body = pdf.render_statement(pdf.StatementPdf(
        issuer=_issuer(profile), year=year, issue_date=clock.today(), child_name=name,
        child_birth_date=date.fromisoformat(child.birth_date) if child else date(year, 1, 1),
        addressees=tuple(g.name for g in guardians),
        rows=tuple(pdf.StatementRow(
            location_name=places[r.location_id].name if r.location_id in places else r.location_id,
            registration_number=(places[r.location_id].registration_number or "") if r.location_id in places else "",
            kind="Flexibele dagopvang" if r.kind == billing.FLEX else "Dagopvang", minutes=r.minutes,
            rate_cents=r.rate_cents, amount_cents=r.amount_cents) for r in rows),
        total_minutes=total_minutes, total_cents=total_cents))
    documents.put_file(s3_key, body)
    doc = DocumentItem(*documents.doc_key(tenant, doc_id), doc_id=doc_id, kind=documents.STATEMENT,
                       period=str(year), title=f"Jaaropgave {year} {name}", amount_cents=total_cents,
                       child_ids=[child_id], guardian_ids=[g.user_id for g in guardians],
                       lines=[{"location_id": r.location_id, "kind": r.kind, "rate_cents": r.rate_cents,
                               "minutes": r.minutes, "amount_cents": r.amount_cents} for r in rows],
                       s3_key=s3_key, filename=f"jaaropgave-{year}-{files.slug(name)}.pdf", size=len(body),
                       created_at=clock.now().isoformat(), created_by="billing-run")
    ch = Changes(outbox, tenant, "planning")
    _stage_document(ch, tenant, doc, [_claim(tenant, "annual_statement", str(year), child_id, doc_id)])
    try:
        ch.commit()
        return True
    except TransactWriteError:
        documents.delete_file(s3_key)
        return False


# -- runs ----------------------------------------------------------------------------------------
def run_key(tenant: str, kind: str, period: str) -> tuple[str, str]:
    return store.key(tenant, "ORG"), f"RUN#{kind}#{period}"


def execute(outbox: Outbox, tenant: str, kind: str, period: str, *, budget_seconds: float | None = None,
            continuation: bool = False) -> RunResult:
    """Run (or continue) a billing run and record its state for operators; returns what this part did.

    A continuation adds to the run's counts: `created` and `lost_race` are sums over its parts,
    `already_done` is what was done before the run began, the others are the latest part's."""
    key = run_key(tenant, kind, period)
    previous = _run_of(key) if continuation else None
    started = previous.started_at if previous and previous.started_at else clock.now().isoformat()
    deadline = time.monotonic() + budget_seconds if budget_seconds else None
    RunItem(*key, kind=kind, period=period, status="running", started_at=started,
            counts=dict(previous.counts or {}) if previous else {}).save()
    try:
        if kind == INVOICES:
            result = run_invoices(outbox, tenant, period, deadline=deadline)
        else:
            result = run_statements(outbox, tenant, int(period), deadline=deadline)
    except ProfileMissing:
        RunItem(*key, kind=kind, period=period, status="failed", started_at=started,
                finished_at=clock.now().isoformat(), counts={"reason": "billing_profile_missing"}).save()
        log.warning("billing run without a billing profile", extra={"tenant": tenant, "kind": kind})
        return RunResult(finished=True)
    counts = result.as_dict()
    if previous and previous.counts:
        before = previous.counts
        counts.update(created=int(before.get("created", 0)) + result.created,
                      lost_race=int(before.get("lost_race", 0)) + result.lost_race,
                      already_done=int(before.get("already_done", 0)))
    RunItem(*key, kind=kind, period=period, status="done" if result.finished else "running", started_at=started,
            finished_at=clock.now().isoformat() if result.finished else None, counts=counts).save()
    return result


def _run_of(key: tuple[str, str]) -> RunItem | None:
    try:
        return RunItem.get(*key, consistent_read=True)
    except RunItem.DoesNotExist:
        return None
