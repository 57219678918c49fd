"""Family documents: invoices, annual statements and files an admin uploads, stored in S3, reached by
guardians only through short-lived links.

- The file lives in the service's documents bucket (private, encrypted at rest with SSE; every write
  also asks for it). Nothing is ever served through the API: a download is a presigned GET valid for
  `LINK_SECONDS`, answered only after the per-object check below.
- A document is one row (`<t>#DOC#<id>`) plus one row per guardian it is addressed to
  (`<t>#USER#<user>` / `DOC#<kind>#<period>#<id>`): a guardian's list is one Query, newest period first.
- **Who may see it** (`visible_to`): a parent who is one of its guardians *and* still holds one of its
  children in their token (an unlinked guardian, or one whose access ended, loses it). Anyone else,
  including another family and another tenant, gets 404: the answer never reveals it exists.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from planning_service.child_access import valid_id
from planning_service.store import DocumentAccessItem, DocumentItem
from portal_common import aws, clock, errors, files, store
from portal_common.authz import Principal, Role
from portal_common.settings import get_settings

BUCKET = "documents"
LINK_SECONDS = 300  # a download link works for 5 minutes
SSE = files.SSE
INVOICE, STATEMENT, UPLOAD = "invoice", "annual_statement", "document"


def bucket() -> str:
    return get_settings().bucket_name("planning", BUCKET)


def doc_key(tenant: str, doc_id: str) -> tuple[str, str]:
    return store.key(tenant, "DOC", doc_id), "DOC"


def access_sk(kind: str, period: str, doc_id: str) -> str:
    return f"DOC#{kind}#{period}#{doc_id}"


def upload_prefix(tenant: str, child_id: str) -> str:
    """Where the files uploaded about a child live: one prefix per child, so its purge can list them."""
    return f"{tenant}/documents/{child_id}/"


def upload_key(tenant: str, child_id: str, doc_id: str) -> str:
    return f"{upload_prefix(tenant, child_id)}{doc_id}.pdf"


def child_index(tenant: str, child_id: str, doc_id: str) -> tuple[str, str]:
    """The index keys (gsi1) of an upload about one child: the child's uploads are one Query."""
    return store.key(tenant, "CHILDDOCS", child_id), f"DOC#{doc_id}"


def put_file(s3_key: str, data: bytes, content_type: str = "application/pdf") -> None:
    aws.client("s3").put_object(Bucket=bucket(), Key=s3_key, Body=data, ContentType=content_type,
                                ServerSideEncryption=SSE)


def access_row(tenant: str, doc: DocumentItem, user_id: str) -> DocumentAccessItem:
    return DocumentAccessItem(store.key(tenant, "USER", user_id), access_sk(doc.kind, doc.period, doc.doc_id),
                              doc_id=doc.doc_id, kind=doc.kind, period=doc.period, title=doc.title,
                              amount_cents=doc.amount_cents, child_ids=list(doc.child_ids),
                              created_at=doc.created_at)


def get(tenant: str, doc_id: str) -> DocumentItem | None:
    try:
        return DocumentItem.get(*doc_key(tenant, valid_id(doc_id)))
    except DocumentItem.DoesNotExist:
        return None


def visible_to(principal: Principal, doc: DocumentItem | None, kind: str) -> DocumentItem:
    """The document when this parent may see it, else 404 (also for a document of another kind)."""
    if (doc is None or doc.kind != kind or doc.status != "available" or principal.role is not Role.PARENT
            or principal.user_id not in doc.guardian_ids or not set(doc.child_ids) & principal.children):
        raise errors.NotFound()
    return doc


def page_of(principal: Principal, kind: str, limit: int, after: str | None) -> tuple[list[DocumentAccessItem],
                                                                                  str | None]:
    """A parent's documents of one kind, newest period first, `limit` at most; the next page's position.

    Rows of children the parent no longer holds are left out (their guardianship or access ended)."""
    pk = store.key(principal.tenant, "USER", principal.user_id)
    prefix = f"DOC#{kind}#"
    condition = (DocumentAccessItem.sk.startswith(prefix) if after is None
                 else DocumentAccessItem.sk.between(prefix, after))
    items: list[DocumentAccessItem] = []
    last: str | None = None
    for row in DocumentAccessItem.query(pk, condition, scan_index_forward=False, page_size=limit + 1):
        if row.sk == after:
            continue
        if len(items) == limit:
            return items, last
        last = row.sk
        if set(row.child_ids) & principal.children:
            items.append(row)
    return items, None


def download_link(doc: DocumentItem) -> tuple[str, datetime]:
    """A presigned GET that downloads the file as an attachment, valid for `LINK_SECONDS`."""
    url = files.download_url(bucket(), doc.s3_key, seconds=LINK_SECONDS, file_name=doc.filename,
                             content_type=doc.content_type)
    return url, clock.now() + timedelta(seconds=LINK_SECONDS)


def upload_form(s3_key: str, max_size: int) -> tuple[str, dict[str, str]]:
    """A presigned POST for one PDF of at most `max_size` bytes, encrypted at rest, valid `LINK_SECONDS`."""
    return files.upload_form(bucket(), s3_key, content_type="application/pdf", max_bytes=max_size,
                             seconds=LINK_SECONDS)


def uploaded_pdf_size(s3_key: str, max_size: int) -> int | None:
    """The uploaded file's size when it is there, within the size given, and really a PDF; else None.

    The browser's Content-Type is not trusted: the file must start with the PDF signature."""
    s3 = aws.client("s3")
    try:
        head = s3.head_object(Bucket=bucket(), Key=s3_key)
        start = s3.get_object(Bucket=bucket(), Key=s3_key, Range="bytes=0-4")["Body"].read()
    except s3.exceptions.ClientError:
        return None
    size = int(head["ContentLength"])
    return size if 0 < size <= max_size and start == b"%PDF-" else None


def delete_file(s3_key: str) -> None:
    aws.client("s3").delete_object(Bucket=bucket(), Key=s3_key)
