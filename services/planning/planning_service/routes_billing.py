"""An admin's billing: the organisation's billing profile, billing runs, and uploading family documents.

Runs are asynchronous: `POST /admin/billing-runs` answers 202 and publishes
`planning.billing_run.requested`, which planning's own consumer executes (and continues in a fresh
invocation when a large organisation needs more time). `GET /admin/billing-runs/{kind}/{period}`
shows its state. A month can be invoiced once it has ended; a year's statements from 1 January on.

An upload is two steps: `POST /admin/documents` gives a presigned POST for one PDF (at most the size
declared, at most 10 MB, encrypted at rest), then `POST /admin/documents/{id}/complete` checks that
the file is there and is a PDF, and publishes it to the child's guardians.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError

from planning_service import billing_profile, directory_copy, documents, families, invoicing
from planning_service.api_documents import (
    BillingProfileIO,
    BillingProfileOut,
    RunIn,
    RunOut,
    UploadIn,
    UploadOut,
    UploadStatusOut,
)
from planning_service.billing_profile import BillingProfile
from planning_service.child_access import valid_id
from planning_service.store import DocumentItem, RunItem
from portal_common import clock, errors, ids
from portal_common.authz import Target
from portal_common.contracts import planning as events
from portal_common.outbox import Changes, Outbox
from portal_common.service import PortalApp, Req

# Per event: the consumer takes up to 10 events a batch within its 30 s timeout, so one run event
# works 2.5 s (about 50 invoices on AWS) and then publishes its own continuation.
RUN_BUDGET_SECONDS = 2.5


def run_out(item: RunItem) -> RunOut:
    return RunOut(kind=item.kind, period=item.period, status=item.status, started_at=item.started_at,
                  finished_at=item.finished_at, counts=dict(item.counts or {}))


def check_period(kind: str, period: str) -> None:
    today = clock.today()
    if kind == invoicing.INVOICES:
        if len(period) != 7:
            raise errors.Unprocessable(code="invalid_period", errors=[
                {"loc": ["body", "period"], "msg": "invoices are per month: yyyy-mm"}])
        if not invoicing.invoiceable(period, today):
            raise errors.Unprocessable(code="month_not_over", errors=[
                {"loc": ["body", "period"], "msg": "a month is invoiced once it has ended"}])
    else:
        if len(period) != 4:
            raise errors.Unprocessable(code="invalid_period", errors=[
                {"loc": ["body", "period"], "msg": "annual statements are per year: yyyy"}])
        if int(period) >= today.year:
            raise errors.Unprocessable(code="year_not_over", errors=[
                {"loc": ["body", "period"], "msg": "a year's statements are made from 1 January of the next"}])


def on_run_requested(outbox: Outbox) -> Any:
    """The consumer of `planning.billing_run.requested`: run within a time budget, then continue."""
    def handle(env: Any) -> None:
        payload = env.payload
        result = invoicing.execute(outbox, env.tenant, payload["kind"], payload["period"],
                                   budget_seconds=RUN_BUDGET_SECONDS, continuation=payload.get("continuation", False))
        follow_up = None
        if not result.finished:
            follow_up = events.BillingRunRequested(kind=payload["kind"], period=payload["period"],
                                                   requested_by=payload.get("requested_by"), continuation=True)
        elif payload["kind"] == invoicing.INVOICES and payload["period"].endswith("-12"):
            # December is invoiced: the year is complete, so its annual statements can be made.
            follow_up = events.BillingRunRequested(kind=invoicing.STATEMENTS, period=payload["period"][:4],
                                                   requested_by=payload.get("requested_by"))
        if follow_up is not None:
            ch = Changes(outbox, env.tenant, "planning")
            ch.emit(follow_up)
            ch.commit()
    return handle


def register(app: PortalApp, outbox: Outbox) -> None:
    @app.endpoint("/admin/billing-profile", "GET", action="family.documents.manage", response=BillingProfileOut,
                  summary="What invoices and annual statements say about the organisation, and billing numbers")
    def get_profile(req: Req) -> BillingProfileOut:
        req.authorize(Target.organisation(req.principal.tenant))
        return BillingProfileOut(**billing_profile.load(req.principal.tenant).as_dict())

    @app.endpoint("/admin/billing-profile", "PUT", action="family.documents.manage", body=BillingProfileIO,
                  response=BillingProfileOut, summary="Set the organisation's billing profile")
    def put_profile(req: Req) -> BillingProfileOut:
        req.authorize(Target.organisation(req.principal.tenant))
        body: BillingProfileIO = req.body
        profile = BillingProfile(**{**body.model_dump(), "address_lines": tuple(body.address_lines)})
        billing_profile.save(req.principal.tenant, profile)
        return BillingProfileOut(**profile.as_dict())

    @app.endpoint("/admin/billing-runs", "POST", action="family.documents.manage", body=RunIn, response=RunOut,
                  status=202, summary="Produce a month's invoices or a year's annual statements (asynchronous; "
                                      "running a period again only adds what is missing)")
    def start_run(req: Req) -> RunOut:
        tenant, body = req.principal.tenant, req.body
        req.authorize(Target.organisation(tenant))
        check_period(body.kind, body.period)
        if not billing_profile.load(tenant).complete:
            raise errors.Unprocessable(code="billing_profile_missing",
                                       detail="set the billing profile (at least the name) first")
        item = RunItem(*invoicing.run_key(tenant, body.kind, body.period), kind=body.kind, period=body.period,
                       status="queued", requested_by=req.principal.user_id)
        ch = Changes(outbox, tenant, "planning")
        ch.save(item)
        ch.emit(events.BillingRunRequested(kind=body.kind, period=body.period, requested_by=req.principal.user_id))
        ch.commit()
        return run_out(item)

    @app.endpoint("/admin/billing-runs/{kind}/{period}", "GET", action="family.documents.manage", response=RunOut,
                  summary="A billing run's state and what it did")
    def get_run(req: Req, kind: str, period: str) -> RunOut:
        tenant = req.principal.tenant
        req.authorize(Target.organisation(tenant))
        if kind not in (invoicing.INVOICES, invoicing.STATEMENTS):
            raise errors.NotFound()
        try:
            return run_out(RunItem.get(*invoicing.run_key(tenant, kind, valid_id(period)), consistent_read=True))
        except RunItem.DoesNotExist:
            raise errors.NotFound() from None

    @app.endpoint("/admin/documents", "POST", action="family.documents.manage", body=UploadIn, response=UploadOut,
                  status=201, summary="Upload a PDF for a family (e.g. the signed contract): a presigned POST")
    def start_upload(req: Req) -> UploadOut:
        tenant, body = req.principal.tenant, req.body
        req.authorize(Target.organisation(tenant))
        if directory_copy.child(tenant, body.child_id) is None:
            raise errors.NotFound()
        guardians = families.guardians_of(tenant, body.child_id)
        if not guardians:
            raise errors.Unprocessable(code="no_guardians", errors=[
                {"loc": ["body", "child_id"], "msg": "the child has no guardian to share it with"}])
        doc_id = f"doc-{ids.new_id().lower()}"
        s3_key = documents.upload_key(tenant, body.child_id, doc_id)
        index_pk, index_sk = documents.child_index(tenant, body.child_id, doc_id)  # the child's purge finds it
        now = clock.now()
        DocumentItem(*documents.doc_key(tenant, doc_id), doc_id=doc_id, kind=documents.UPLOAD,
                     period=now.date().isoformat(), title=body.title, status="uploading",
                     child_ids=[body.child_id], guardian_ids=sorted(g.user_id for g in guardians), s3_key=s3_key,
                     filename=body.filename, size=body.size, created_at=now.isoformat(),
                     created_by=req.principal.user_id, gsi1pk=index_pk,
                     gsi1sk=index_sk).save(DocumentItem.pk.does_not_exist())
        url, fields = documents.upload_form(s3_key, body.size)
        return UploadOut(id=doc_id, url=url, fields=fields,
                         expires_at=(now + timedelta(seconds=documents.LINK_SECONDS)).isoformat())

    @app.endpoint("/admin/documents/{doc_id}/complete", "POST", action="family.documents.manage",
                  response=UploadStatusOut, summary="Check the uploaded file and share it with the family")
    def complete_upload(req: Req, doc_id: str) -> UploadStatusOut:
        tenant = req.principal.tenant
        req.authorize(Target.organisation(tenant))
        doc = documents.get(tenant, doc_id)
        if doc is None or doc.kind != documents.UPLOAD:
            raise errors.NotFound()
        if doc.status == "available":
            return status_out(doc)  # completing twice is harmless
        size = documents.uploaded_pdf_size(doc.s3_key, int(doc.size))
        if size is None:
            raise errors.Unprocessable(code="upload_not_a_pdf", detail="no PDF within the declared size was "
                                                                       "uploaded for this document")
        ch = Changes(outbox, tenant, "planning")
        ch.update(doc, [DocumentItem.status.set("available"), DocumentItem.size.set(size)],
                  condition=DocumentItem.status == "uploading")
        doc.status, doc.size = "available", size
        for user_id in doc.guardian_ids:
            ch.save(documents.access_row(tenant, doc, user_id))
        ch.emit(events.DocumentPublished(document_id=doc.doc_id, kind=doc.kind, period=doc.period, title=doc.title,
                                         guardian_ids=list(doc.guardian_ids)))
        try:
            ch.commit()
        except TransactWriteError:
            raise errors.Conflict(code="already_completed") from None
        return status_out(doc)

    @app.endpoint("/admin/documents/{doc_id}", "GET", action="family.documents.manage", response=UploadStatusOut,
                  summary="An uploaded document's state")
    def get_upload(req: Req, doc_id: str) -> UploadStatusOut:
        tenant = req.principal.tenant
        req.authorize(Target.organisation(tenant))
        doc = documents.get(tenant, doc_id)
        if doc is None:
            raise errors.NotFound()
        return status_out(doc)

    @app.endpoint("/admin/documents/{doc_id}", "DELETE", action="family.documents.manage", status=204,
                  summary="Withdraw an uploaded document: the file and every guardian's row go")
    def delete_upload(req: Req, doc_id: str) -> None:
        tenant = req.principal.tenant
        req.authorize(Target.organisation(tenant))
        doc = documents.get(tenant, doc_id)
        if doc is None:
            raise errors.NotFound()
        if doc.kind != documents.UPLOAD:
            raise errors.Unprocessable(code="issued_documents_stay",
                                       detail="invoices and annual statements are records; correct them with a "
                                              "new document")
        ch = Changes(outbox, tenant, "planning")
        ch.delete(doc)
        for user_id in doc.guardian_ids:
            ch.delete(documents.access_row(tenant, doc, user_id))
        ch.commit()
        documents.delete_file(doc.s3_key)


def status_out(doc: DocumentItem) -> UploadStatusOut:
    return UploadStatusOut(id=doc.doc_id, status=doc.status, title=doc.title, child_ids=list(doc.child_ids),
                           guardian_ids=list(doc.guardian_ids), size=int(doc.size or 0))
