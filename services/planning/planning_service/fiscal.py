"""Fiscal retention: invoices and annual statements outlive the purge of the child they name, then go.

Dutch tax law (AWR art. 52, "fiscale bewaarplicht") makes the organisation keep its bookkeeping for 7
years, so a retention purge keeps a purged child's invoices and annual statements (the document row as
issued, its PDF, and the child's claim on it) instead of deleting them. Each kept document gets
`retain_until`: 1 January of the 8th year after its year, the later of its period's year and the year it
was issued (an invoice of 2026-10 → 2034-01-01; a December invoice issued in January counts from
January's year, so it is never deleted early). The document also gets a row in the sparse index
`_DOC_RETENTION` (gsi2, `<until>#<tenant>#<doc>`): the daily job `expire_fiscal_documents` reads that
index up to today (one Query, no Scan, before any tenant is known) and deletes each document that is
due: its PDF, every guardian's row of it, the claims that carry a retention day, and the document last,
so a job that stops half-way finds it again the next day.

Claims of children that were not purged stay: they keep a later billing run from invoicing that month
again. A document naming a purged child and a sibling still in care goes on the same day.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import cast

from pynamodb.exceptions import DeleteError, UpdateError

from planning_service import documents
from planning_service.store import ClaimItem, DocumentAccessItem, DocumentItem
from portal_common import aws, store

RETENTION_INDEX = "_DOC_RETENTION"
KINDS = (documents.INVOICE, documents.STATEMENT)
REASON = "fiscal retention (AWR art. 52)"
YEARS_KEPT = 7


def retain_until(doc: DocumentItem) -> date:
    """The day a fiscal document may go: 1 January of the 8th year after the year it belongs to."""
    year = max(int(doc.period[:4]), int(doc.created_at[:4]))
    return date(year + YEARS_KEPT + 1, 1, 1)


def claim_key(tenant: str, doc: DocumentItem, child_id: str) -> tuple[str, str]:
    return store.key(tenant, "CLAIM", doc.kind, doc.period), child_id


def is_kept(doc: DocumentItem) -> bool:
    """A fiscal document marked for the retention job (its day recorded and indexed)."""
    return (doc.kind in KINDS and bool(doc.retain_until) and doc.gsi2pk == RETENTION_INDEX
            and doc.retain_until == retain_until(doc).isoformat())


def mark(tenant: str, doc: DocumentItem, child_id: str) -> str:
    """Record the document's retention day on it and on the purged child's claim; idempotent."""
    until = retain_until(doc).isoformat()
    if not is_kept(doc):
        try:
            doc.update(actions=[DocumentItem.retain_until.set(until), DocumentItem.gsi2pk.set(RETENTION_INDEX),
                                DocumentItem.gsi2sk.set(f"{until}#{tenant}#{doc.doc_id}")],
                       condition=DocumentItem.pk.exists())
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise  # otherwise the job deleted it meanwhile: nothing left to mark
    try:
        ClaimItem(*claim_key(tenant, doc, child_id)).update(
            actions=[ClaimItem.retain_until.set(until)],
            condition=ClaimItem.pk.exists() & (ClaimItem.doc_id == doc.doc_id))
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise  # otherwise no claim of this child on it: nothing to mark
    return until


def drop(tenant: str, doc: DocumentItem) -> None:
    """Delete a fiscal document whose retention has passed, and what belongs to it; idempotent."""
    aws.client("s3").delete_object(Bucket=documents.bucket(), Key=doc.s3_key)
    with DocumentAccessItem.batch_write() as batch:
        for user_id in doc.guardian_ids or []:
            batch.delete(documents.access_row(tenant, doc, user_id))
    for child_id in doc.child_ids or []:
        try:
            ClaimItem(*claim_key(tenant, doc, child_id)).delete(
                condition=(ClaimItem.doc_id == doc.doc_id) & ClaimItem.retain_until.exists())
        except DeleteError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise  # otherwise a child still in care, or gone: its claim stays (no second invoice)
    doc.delete()


def due(today: date) -> Iterator[DocumentItem]:
    """Kept documents whose day has come (today included), oldest first."""
    tomorrow = (today + timedelta(days=1)).isoformat()
    for row in DocumentItem.gsi2.query(RETENTION_INDEX, DocumentItem.gsi2sk < tomorrow, page_size=100):
        yield cast(DocumentItem, row)  # the index is declared on the base item; it returns DocumentItems


def expire_due(today: date) -> int:
    """The daily job: delete every kept fiscal document whose day has come; safe when runs overlap."""
    dropped = 0
    for doc in due(today):
        drop(doc.pk.split(store.SEPARATOR)[0], doc)
        dropped += 1
    return dropped
