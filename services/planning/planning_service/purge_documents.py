"""The family documents that name a child being purged, found by the child's and its guardians' keys.

Three ways in, because no single key lists them all: the child's claims (one per invoiced month and per
statement year, read in one BatchGetItem over the years the child could have been billed), the
guardians' own document rows (`<t>#USER#<user>`, which name the children of each document), and the
child's upload index (gsi1 `<t>#CHILDDOCS#<child>`, which also finds an upload never completed).
Together they find every invoice, statement and upload of the child, also on a repeated purge after the
guardian links are gone (the claims of kept documents stay with them, see `fiscal.py`).

A guardian's row of a kept document stays only while the guardian can still see that document: they
are not being removed and still hold another child it names (a sibling on a family invoice). Every
other row naming the child is stale and goes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import cast

from planning_service import documents, fiscal
from planning_service.store import ClaimItem, DocumentAccessItem, DocumentItem, GuardianCopyItem
from portal_common import store


@dataclass
class ChildDocuments:
    documents: list[DocumentItem] = field(default_factory=list)  # every document naming the child
    orphan_claims: list[ClaimItem] = field(default_factory=list)  # the child's claims on documents gone
    claims: dict[str, ClaimItem] = field(default_factory=dict)  # doc id → the child's claim on it
    stale_rows: list[DocumentAccessItem] = field(default_factory=list)

    @property
    def fiscal(self) -> list[DocumentItem]:
        return [d for d in self.documents if d.kind in fiscal.KINDS]

    @property
    def uploads(self) -> list[DocumentItem]:
        return [d for d in self.documents if d.kind not in fiscal.KINDS]


def claim_keys(tenant: str, child_id: str, first_year: int, today: date) -> list[tuple[str, str]]:
    """Where the child's claims can be: every month's invoices and every year's statement since `first_year`."""
    keys = []
    for year in range(first_year, today.year + 1):
        keys.append((store.key(tenant, "CLAIM", documents.STATEMENT, str(year)), child_id))
        keys += [(store.key(tenant, "CLAIM", documents.INVOICE, f"{year}-{month:02d}"), child_id)
                 for month in range(1, 13)]
    return keys


def _rows_of(tenant: str, user_id: str) -> list[DocumentAccessItem]:
    return list(DocumentAccessItem.query(store.key(tenant, "USER", user_id), DocumentAccessItem.sk.startswith("DOC#")))


class _Links:
    """Whether a guardian still holds a child (planning's copy of auth's links), read once per pair."""

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.known: dict[tuple[str, str], bool] = {}

    def holds(self, user_id: str, child_id: str) -> bool:
        pair = (child_id, user_id)
        if pair not in self.known:
            try:
                row = GuardianCopyItem.get(store.key(self.tenant, "GUARDIANS"), f"{child_id}#{user_id}")
                self.known[pair] = bool(row.linked)
            except GuardianCopyItem.DoesNotExist:
                self.known[pair] = False
        return self.known[pair]


def find(tenant: str, child_id: str, guardians: Iterable[str], removed: Iterable[str], first_year: int,
         today: date) -> ChildDocuments:
    """The child's documents, its claims on them, and the guardians' rows of them that must go.

    `guardians`: every guardian planning knows of the child (former ones too); `removed`: those whose
    accounts go with this purge (all their rows go; `purge.py` deletes them)."""
    found = ChildDocuments()
    claims = list(ClaimItem.batch_get(claim_keys(tenant, child_id, first_year, today)))
    doc_ids = {c.doc_id for c in claims}
    rows: dict[str, list[DocumentAccessItem]] = {}
    for user_id in sorted(set(guardians)):
        rows[user_id] = _rows_of(tenant, user_id)
        doc_ids |= {r.doc_id for r in rows[user_id] if child_id in (r.child_ids or [])}
    doc_ids |= {cast(DocumentItem, d).doc_id for d in DocumentItem.gsi1.query(store.key(tenant, "CHILDDOCS", child_id))}
    loaded = DocumentItem.batch_get([documents.doc_key(tenant, d) for d in sorted(doc_ids)]) if doc_ids else []
    found.documents = sorted((d for d in loaded if child_id in (d.child_ids or [])), key=lambda d: d.doc_id)
    present = {d.doc_id for d in found.documents}
    for claim in claims:
        if claim.doc_id in present:
            found.claims[claim.doc_id] = claim
        else:
            found.orphan_claims.append(claim)
    for doc in found.documents:  # addressees planning no longer knows as guardians (e.g. purged before)
        for user_id in doc.guardian_ids or []:
            if user_id not in rows:
                rows[user_id] = _rows_of(tenant, user_id)
    links, gone = _Links(tenant), set(removed)
    fiscal_docs = {d.doc_id: d for d in found.fiscal}
    for user_id, user_rows in sorted(rows.items()):
        if user_id in gone:
            continue  # every row of a removed guardian goes with their partition
        for row in user_rows:
            if child_id not in (row.child_ids or []):
                continue
            kept = fiscal_docs.get(row.doc_id)
            still_seen = kept is not None and any(
                links.holds(user_id, other) for other in kept.child_ids or [] if other != child_id)
            if not still_seen:
                found.stale_rows.append(row)
    return found
