"""Retention purge (issue 8): everything planning holds of a child, and of the guardians whose accounts go.

Consumed through `retention.purge_handlers` (`auth.child.retention_due`, `exports.purge.requested`).
`purge(request)` surveys what planning holds of the child by its own keys (Queries, GetItems,
BatchGetItems and S3 listings; never a Scan), deletes it, surveys again and reports what that second
look still found (`left`), what it deleted and what the law makes it keep.

**Deleted now**
- the child's partition `<t>#CHILD#<child>`: contracts (and so their rows in the group's and the
  tenant's contract indexes), absences and extra, flex and swap-hour requests with their decisions,
  submission markers, request days (the calendar rows, past and future), flex-hours pots and planning's
  copy of the child;
- the swap-hour ledger `<t>#SWAP#<child>`: lots (and their rows in the expiry index), holds, operations;
- billable days of the child's approved invoice and flex requests (`<t>#BILL#<month>`);
- uploads about the child (the document, its file, every guardian's row of it) and anything under the
  child's upload prefix in the documents bucket;
- guardians' document rows that name the child and no other child they still hold;
- planning's copy of the child's guardian links, and the child in other guardians' calendar feeds;
- for every guardian in `guardian_ids` (their accounts are being removed): their partition
  `<t>#USER#<user>` (calendar feed and its secret's pointer, document rows) and their guardian links to
  any other child (one Query of the tenant's link partition, filtered on those users).

Capacity keeps no counters: a group's free places are computed from its contracts and request days on
each read (`capacity.py`), so deleting the child's rows frees its future places at once, and no past
day names it any more.

**Kept** (`kept` in the confirmation): invoices and annual statements naming the child, for the fiscal
retention (AWR art. 52): the document as issued (the payer's name and address as printed are the fiscal
record), its PDF and the child's claim on it, until 1 January of the 8th year after its year, when the
daily job `expire_fiscal_documents` deletes them (`fiscal.py`). One already past that day goes now.

**Checked**: the second survey lists anything still there; a kept document counts as kept only when it
carries its retention day and sits in the retention index, else it is listed as left too. Repeating the
purge finds less, deletes that and confirms again; a child planning never knew finds nothing and
confirms all the same.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from planning_service import documents, fiscal, purge_documents, requests
from planning_service.child_access import is_valid_id
from planning_service.store import BillableItem, FeedItem, FeedSecretItem, GuardianCopyItem, PlanningItem, RequestItem
from portal_common import aws, clock, retention, store

LOOKBACK_YEARS = 10  # claims are read at least this far back: anything older is past its fiscal retention
log = logging.getLogger("planning.purge")

# Sort-key prefix of a row → the kind counted in the confirmation (longest prefixes first).
ROW_KINDS = (("REQ_SUBMIT#", "request_markers"), ("CONTRACT#", "contracts"), ("REQ#", "requests"),
             ("DAY#", "calendar_days"), ("FLEXPOT#", "flex_pots"), ("CHILD", "child_copies"),
             ("L#", "swap_lots"), ("H#", "swap_holds"), ("O#", "swap_operations"), ("FEED", "calendar_feeds"),
             ("DOC#", "document_rows"))


@dataclass
class Scope:
    """Where to look; a survey widens it with what it learns (guardians, months, secrets, files), so the
    check after the deletion still looks where the deleted rows pointed."""

    tenant: str
    child_id: str
    removed: tuple[str, ...]  # guardians whose accounts go with this purge
    guardians: set[str] = field(default_factory=set)
    billing_months: set[str] = field(default_factory=set)
    first_year: int = 0
    feed_secrets: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)


@dataclass
class Survey:
    child_rows: list[Any]
    ledger_rows: list[Any]
    billables: list[BillableItem]
    links: list[GuardianCopyItem]  # the child's guardian links
    user_rows: list[Any]  # removed guardians' partitions
    user_links: list[GuardianCopyItem]  # removed guardians' links to other children
    secrets: list[FeedSecretItem]
    feeds: list[FeedItem]  # other guardians' feeds still showing the child
    docs: purge_documents.ChildDocuments
    objects: list[str]


def _kind(sk: str) -> str:
    return next((kind for prefix, kind in ROW_KINDS if sk.startswith(prefix)), "other_rows")


def _contract_years(rows: Iterable[Any]) -> list[int]:
    return [int(r.sk.split("#")[1][:4]) for r in rows if r.sk.startswith("CONTRACT#")]


def _billing_months(tenant: str, child_id: str) -> set[str]:
    """The months the child's approved invoice and flex days were filed under (see `requests.billables`)."""
    months: set[str] = set()
    approved = RequestItem.query(store.key(tenant, "CHILD", child_id), RequestItem.sk.startswith("REQ#"),
                                 filter_condition=RequestItem.status == "approved", consistent_read=True)
    for request in approved:
        if request.payment not in (requests.INVOICE, requests.FLEX_POT):
            continue
        for day in request.days or []:
            month = day["date"][:7]
            months |= {month, max(month, (request.decided_at or "")[:7])}
    return months


def _objects(scope: Scope) -> list[str]:
    s3, bucket = aws.client("s3"), documents.bucket()
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=documents.upload_prefix(scope.tenant, scope.child_id)):
        found += [o["Key"] for o in page.get("Contents", [])]
    for key in sorted(scope.files - set(found)):  # uploads from before files lived under the child's prefix
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1).get("Contents", [])
        found += [o["Key"] for o in listed if o["Key"] == key]
    return found


def _removed_users(scope: Scope) -> tuple[list[Any], list[FeedSecretItem]]:
    rows: list[Any] = []
    for user_id in scope.removed:
        pk = store.key(scope.tenant, "USER", user_id)
        rows += PlanningItem.query(pk, consistent_read=True)
        try:
            scope.feed_secrets.add(FeedItem.get(pk, "FEED", consistent_read=True).secret_hash)
        except FeedItem.DoesNotExist:
            pass
    secrets = []
    for digest in sorted(scope.feed_secrets):
        try:
            pointer = FeedSecretItem.get(f"_FEED#{digest}", "_", consistent_read=True)
        except FeedSecretItem.DoesNotExist:
            continue
        if pointer.tenant == scope.tenant and pointer.user_id in scope.removed:
            secrets.append(pointer)
    return rows, secrets


def _feeds_showing(scope: Scope) -> list[FeedItem]:
    found = []
    for user_id in sorted(scope.guardians - set(scope.removed)):
        try:
            feed = FeedItem.get(store.key(scope.tenant, "USER", user_id), "FEED", consistent_read=True)
        except FeedItem.DoesNotExist:
            continue
        if scope.child_id in (feed.children or []):
            found.append(feed)
    return found


def survey(scope: Scope, today: date) -> Survey:
    """What planning holds of the child (and of the removed guardians) now, by their keys."""
    tenant, child_id = scope.tenant, scope.child_id
    child_rows = list(PlanningItem.query(store.key(tenant, "CHILD", child_id), consistent_read=True))
    scope.first_year = min([scope.first_year or today.year - LOOKBACK_YEARS, *_contract_years(child_rows)])
    scope.billing_months |= _billing_months(tenant, child_id)
    guardian_partition = store.key(tenant, "GUARDIANS")
    links = list(GuardianCopyItem.query(guardian_partition, GuardianCopyItem.sk.startswith(f"{child_id}#"),
                                        consistent_read=True))
    scope.guardians |= {link.user_id for link in links} | set(scope.removed)
    user_links = [] if not scope.removed else [
        link for link in GuardianCopyItem.query(guardian_partition, consistent_read=True,
                                                filter_condition=GuardianCopyItem.user_id.is_in(*scope.removed))
        if link.child_id != child_id]
    user_rows, secrets = _removed_users(scope)
    docs = purge_documents.find(tenant, child_id, scope.guardians, scope.removed, scope.first_year, today)
    scope.files |= {d.s3_key for d in docs.uploads}
    return Survey(
        child_rows=child_rows,
        ledger_rows=list(PlanningItem.query(store.key(tenant, "SWAP", child_id), consistent_read=True)),
        billables=[b for month in sorted(scope.billing_months) for b in BillableItem.query(
            store.key(tenant, "BILL", month), BillableItem.sk.startswith(f"{child_id}#"), consistent_read=True)],
        links=links, user_rows=user_rows, user_links=user_links, secrets=secrets, feeds=_feeds_showing(scope),
        docs=docs, objects=_objects(scope))


def _delete(rows: Iterable[Any], counts: Counter[str], kind: str | None = None) -> None:
    with PlanningItem.batch_write() as batch:
        for row in rows:
            batch.delete(row)
            counts[kind or _kind(row.sk)] += 1


def act(scope: Scope, found: Survey, today: date) -> Counter[str]:
    """Delete what the survey found (keeping the fiscal documents), in an order that lets a repeated
    purge find the rest: what leads to other rows (requests, guardian links) goes last."""
    counts: Counter[str] = Counter()
    tenant, s3, bucket = scope.tenant, aws.client("s3"), documents.bucket()
    for doc in found.docs.fiscal:
        if fiscal.mark(tenant, doc, scope.child_id) <= today.isoformat():
            fiscal.drop(tenant, doc)  # already past its retention: nothing keeps it
            counts[f"{doc.kind}s"] += 1
    for doc in found.docs.uploads:
        s3.delete_object(Bucket=bucket, Key=doc.s3_key)
        doc.delete()
        counts["documents"] += 1
    for key in found.objects:
        s3.delete_object(Bucket=bucket, Key=key)
        counts["files"] += 1
    _delete(found.docs.stale_rows, counts, "document_rows")
    _delete(found.docs.orphan_claims, counts, "claims")
    _delete(found.billables, counts, "billable_days")
    for feed in found.feeds:
        feed.update(actions=[FeedItem.children.set(sorted(set(feed.children) - {scope.child_id}))],
                    condition=FeedItem.pk.exists())
        counts["calendar_feed_links"] += 1
    _delete(found.secrets, counts, "calendar_feed_secrets")
    _delete(found.user_rows, counts)
    _delete(found.user_links, counts, "guardian_copies")
    _delete(found.ledger_rows, counts)
    _delete(found.child_rows, counts)
    _delete(found.links, counts, "guardian_copies")
    return counts


def describe(found: Survey, today: date) -> list[str]:
    """What a survey after the purge still found: empty when the purge is complete."""
    rows = [*found.child_rows, *found.ledger_rows, *found.billables, *found.links, *found.user_rows,
            *found.user_links, *found.secrets, *found.docs.stale_rows, *found.docs.orphan_claims]
    left = [f"row {r.pk}/{r.sk}" for r in rows]
    left += [f"calendar feed of {feed.user_id} shows the child" for feed in found.feeds]
    for doc in found.docs.documents:
        claim = found.docs.claims.get(doc.doc_id)
        if not fiscal.is_kept(doc):
            left.append(f"{doc.kind} {doc.doc_id} without a retention day" if doc.kind in fiscal.KINDS
                        else f"{doc.kind} {doc.doc_id}")
        elif str(doc.retain_until) <= today.isoformat():
            left.append(f"{doc.kind} {doc.doc_id} past its retention day")
        elif claim is not None and claim.retain_until != doc.retain_until:
            left.append(f"claim {claim.pk}/{claim.sk} without its document's retention day")
    return left + [f"object {key}" for key in found.objects]


def kept(found: Survey, today: date) -> list[retention.Kept]:
    """The fiscal documents kept, per kind, with the latest day one of them may go."""
    result = []
    for kind in fiscal.KINDS:
        days = [str(d.retain_until) for d in found.docs.documents
                if d.kind == kind and fiscal.is_kept(d) and str(d.retain_until) > today.isoformat()]
        if days:
            result.append(retention.Kept(kind=kind, count=len(days), until=max(days), reason=fiscal.REASON))
    return result


def purge(request: retention.PurgeRequest) -> retention.PurgeResult:
    """Delete everything planning holds of the child and of `request.guardian_ids`, then check."""
    if not all(is_valid_id(value) for value in (request.tenant, request.child_id)):
        return retention.PurgeResult()  # no key of planning's can hold such an id: nothing to delete
    today = clock.today()
    scope = Scope(request.tenant, request.child_id, tuple(g for g in request.guardian_ids if is_valid_id(g)))
    deleted = act(scope, survey(scope, today), today)
    after = survey(scope, today)
    result = retention.PurgeResult(deleted=dict(sorted(deleted.items())), left=describe(after, today),
                                   kept=kept(after, today))
    log.info("child purged from planning", extra={"deleted": result.deleted, "left": len(result.left),
                                                  "kept": [k.model_dump() for k in result.kept]})
    return result
