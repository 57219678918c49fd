"""Models of the family-document routes: invoices, annual statements, uploaded documents, billing."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from portal_common.parsing import Body, Out, Query

ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class PageQuery(Query):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2048)


class DocumentSummary(Out):
    id: str
    kind: str = Field(description="invoice, annual_statement or document")
    period: str = Field(description="invoice: yyyy-mm; statement: yyyy; document: its upload date")
    title: str
    amount_cents: int | None = Field(description="invoices and statements: the total, in cents")
    child_ids: list[str]
    created_at: str


class DocumentsPage(Out):
    items: list[DocumentSummary]
    next_cursor: str | None


class LineOut(Out):
    child_id: str | None = None
    kind: str = Field(description="care (contracted, a monthly part), extra, flex")
    date: str | None = Field(default=None, description="extra and flex: the day of care")
    start: str | None = Field(default=None, description="care: first day of the month the line covers")
    end: str | None = Field(default=None, description="care: last day it covers")
    location_id: str | None = None
    hours: float
    rate_cents: int
    amount_cents: int


class DocumentOut(DocumentSummary):
    number: str | None = Field(description="invoice number")
    lines: list[LineOut]
    filename: str
    size: int


class DownloadOut(Out):
    url: str = Field(description="a presigned link that downloads the PDF; valid for 5 minutes")
    expires_at: str


class BillingProfileIO(Body):
    name: str = Field(min_length=1, max_length=200, description="the legal name on invoices")
    kvk_number: str = Field(default="", pattern=r"^([0-9]{8})?$", description="Chamber of Commerce number")
    address_lines: list[str] = Field(default_factory=list, max_length=4)
    iban: str = Field(default="", pattern=r"^([A-Z]{2}[0-9]{2}[A-Z0-9]{10,30})?$")
    email: str = Field(default="", max_length=254, pattern=r"^([^@\s]+@[^@\s]+\.[^@\s]+)?$")
    weeks_per_year: int = Field(default=52, ge=1, le=53)
    payment_days: int = Field(default=14, ge=0, le=90)


class BillingProfileOut(Out):
    name: str
    kvk_number: str
    address_lines: list[str]
    iban: str
    email: str
    weeks_per_year: int
    payment_days: int


class RunIn(Body):
    kind: Literal["invoices", "annual_statements"]
    period: str = Field(pattern=r"^[0-9]{4}(-(0[1-9]|1[0-2]))?$",
                        description="invoices: the month (yyyy-mm); annual statements: the year (yyyy)")


class RunOut(Out):
    kind: str
    period: str
    status: str = Field(description="queued, running, done or failed")
    started_at: str | None = None
    finished_at: str | None = None
    counts: dict[str, int | str] = Field(default_factory=dict)


class UploadIn(Body):
    child_id: str = Field(min_length=1, max_length=64, pattern=ID_PATTERN,
                          description="the family: every current guardian of this child")
    title: str = Field(min_length=1, max_length=200)
    filename: str = Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9 ._()-]+\.pdf$")
    content_type: Literal["application/pdf"]
    size: int = Field(ge=1, le=MAX_UPLOAD_BYTES)


class UploadOut(Out):
    id: str
    url: str = Field(description="presigned POST: send `fields` and then the file as form data")
    fields: dict[str, str]
    expires_at: str


class UploadStatusOut(Out):
    id: str
    status: str = Field(description="uploading (waiting for the file) or available")
    title: str
    child_ids: list[str]
    guardian_ids: list[str]
    size: int
