"""A parent's invoices, annual statements and other documents: lists, details, download links.

Every route is a parent's own (`family.documents.read`); a document of another family, another
tenant or another kind answers 404 (see `documents.visible_to`). Downloads are presigned S3 links
valid for five minutes; the API never carries the file.
"""

from __future__ import annotations

from typing import Any

from planning_service import care, documents
from planning_service.api_documents import DocumentOut, DocumentsPage, DocumentSummary, DownloadOut, LineOut, PageQuery
from planning_service.store import DocumentAccessItem, DocumentItem
from portal_common.service import PortalApp, Req

# URL segment → document kind; the three lists share their code and differ only in this.
KINDS = {"invoices": documents.INVOICE, "annual-statements": documents.STATEMENT, "documents": documents.UPLOAD}
NOUNS = {"invoices": "invoices", "annual-statements": "annual statements (jaaropgaven)",
         "documents": "other family documents (e.g. the signed contract)"}


def summary(row: DocumentAccessItem | DocumentItem) -> DocumentSummary:
    return DocumentSummary(id=row.doc_id, kind=row.kind, period=row.period, title=row.title,
                           amount_cents=None if row.amount_cents is None else int(row.amount_cents),
                           child_ids=list(row.child_ids), created_at=row.created_at)


def detail(doc: DocumentItem) -> DocumentOut:
    lines = [LineOut(**{k: v for k, v in raw.items() if k not in ("minutes",)},
                     hours=float(care.to_hours(int(raw.get("minutes", 0))))) for raw in doc.lines or []]
    return DocumentOut(**summary(doc).model_dump(), number=doc.number, lines=lines, filename=doc.filename,
                       size=int(doc.size or 0))


def register(app: PortalApp) -> None:
    for segment, kind in KINDS.items():
        _register_kind(app, segment, kind)


def _register_kind(app: PortalApp, segment: str, kind: str) -> None:
    noun = NOUNS[segment]
    name = segment.replace("-", "_")

    def list_view(req: Req) -> dict[str, Any]:
        req.authorize()
        position = req.page_position(req.query.cursor)
        rows, last = documents.page_of(req.principal, kind, req.query.limit, position["sk"] if position else None)
        return req.page_body([summary(r) for r in rows], {"sk": last} if last else None)

    def detail_view(req: Req, doc_id: str) -> DocumentOut:
        req.authorize()
        return detail(documents.visible_to(req.principal, documents.get(req.principal.tenant, doc_id), kind))

    def download_view(req: Req, doc_id: str) -> DownloadOut:
        req.authorize()
        doc = documents.visible_to(req.principal, documents.get(req.principal.tenant, doc_id), kind)
        url, expires = documents.download_link(doc)
        return DownloadOut(url=url, expires_at=expires.isoformat())

    for fn, suffix in ((list_view, "list"), (detail_view, "get"), (download_view, "download")):
        fn.__name__ = f"{name}_{suffix}"
    app.endpoint(f"/{segment}", "GET", action="family.documents.read", query=PageQuery, response=DocumentsPage,
                 summary=f"One's {noun}, newest period first")(list_view)
    app.endpoint(f"/{segment}/{{doc_id}}", "GET", action="family.documents.read", response=DocumentOut,
                 summary=f"One of one's {noun} with its lines (hours, rate and amount in cents)")(detail_view)
    app.endpoint(f"/{segment}/{{doc_id}}/download", "GET", action="family.documents.read", response=DownloadOut,
                 summary=f"A five-minute link that downloads one of one's {noun} as a PDF")(download_view)
