"""The rules of attachments, as pure functions: which file is accepted (judged by its bytes, never its name or
declared type), how long an upload stays claimable, whose uploads an owner may claim and who may download.

Refusals are `portal_common.domain.RuleBroken` with the codes of the API contract; the moment comes in as an
argument. Cleaning an image (decoding and re-encoding it) is `images.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from portal_common import i18n
from portal_common.domain import RuleBroken

MAX_BYTES = 10 * 1024 * 1024  # 10 MB: a scanned letter or a phone photo; more belongs in a link
MAX_PIXELS = 40_000_000       # checked from the header before decoding (decompression bombs)
CLAIMABLE = timedelta(days=1)
UPLOADING, READY, REJECTED = "uploading", "ready", "rejected"
PDF = "application/pdf"
IMAGE_KINDS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
EXTENSIONS = {PDF: (".pdf",), "image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",), "image/webp": (".webp",)}

# What the uploader reads when a file is refused (`code` stays the machine's key).
i18n.register({f"messaging.attachment.{code}": {"nl": nl, "en": en} for code, nl, en in (
    ("not_a_pdf", "Het bestand is geen PDF.", "The file is not a PDF."),
    ("type_mismatch", "Het bestand is niet van het opgegeven type.", "The file is not of the type declared."),
    ("too_large", "Het bestand is groter dan opgegeven of dan 10 MB.", "The file is larger than declared or 10 MB."),
    ("not_uploaded", "Het bestand is nog niet geüpload.", "The file has not been uploaded yet."),
    ("unreadable_image", "De afbeelding is beschadigd of onleesbaar.", "The image is damaged or unreadable."),
    ("too_many_pixels", "De afbeelding heeft te veel pixels.", "The image has too many pixels."),
    ("unknown_attachment", "Een bijlage is onbekend, niet van u of al gebruikt.",
     "An attachment is unknown, not yours or already used."),
)})


class Upload(Protocol):
    """What the rules read of an attachment row."""

    status: str
    uploaded_by: str
    owner_kind: str | None
    claimable_until: int | None


def refusal(code: str) -> RuleBroken:
    """The 422 of a refused file, with the uploader's text (`messaging.attachment.<code>`)."""
    return RuleBroken(code, detail_key=f"messaging.attachment.{code}", errors=[{"loc": ["file"], "msg": code}])


def claimable_until(now: datetime) -> datetime:
    """An upload nobody attached goes a day after it was asked for."""
    return now + CLAIMABLE


def claimable(upload: Upload, now: datetime) -> bool:
    """Not attached to anything yet, and still within its day."""
    return upload.owner_kind is None and (upload.claimable_until or 0) > now.timestamp()


def check_extension(file_name: str, content_type: str) -> None:
    """The file's name ends as its type's does (the bytes are judged later, at completion)."""
    if not file_name.lower().endswith(EXTENSIONS[content_type]):
        raise RuleBroken("extension_mismatch", errors=[
            {"loc": ["body", "file_name"], "msg": f"a {content_type} file ends in "
                                                  f"{' or '.join(EXTENSIONS[content_type])}"}])


def sniff(data: bytes) -> str | None:
    """The type the bytes are, from their first ones (PDF, JPEG, PNG, WebP), or None."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def judge(data: bytes, declared: str, size: int) -> None:
    """Accept the uploaded bytes or refuse them: at most the declared size and 10 MB, and of the declared type
    (`too_large`, `not_a_pdf`, `type_mismatch`)."""
    if len(data) > min(size, MAX_BYTES):
        raise refusal("too_large")
    if sniff(data) != declared:
        raise refusal("not_a_pdf" if declared == PDF else "type_mismatch")


def visible_to_uploader(upload: Upload, user_id: str, now: datetime) -> bool:
    """Their own upload: attached already (they see how it went), or still claimable."""
    return upload.uploaded_by == user_id and bool(upload.owner_kind or claimable(upload, now))


def may_download(upload: Upload, user_id: str, now: datetime, owner_readable: bool) -> bool:
    """A ready file: for whoever may read what it is attached to, or, before that, for its uploader while
    it is still claimable."""
    if upload.status != READY:
        return False
    if upload.owner_kind:
        return owner_readable
    return upload.uploaded_by == user_id and claimable(upload, now)


def check_claim(attachment_ids: Sequence[str], found: Mapping[str, Upload], user_id: str, now: datetime,
                loc: list[Any] | None = None) -> None:
    """An owner may claim the caller's own ready uploads that nobody claimed yet, each once; 422
    `unknown_attachment` with a `loc` per bad id (listed twice, unknown, someone else's, used or expired)."""
    bad = [n for n, a in enumerate(attachment_ids) if a in attachment_ids[:n] or not (
        (one := found.get(a)) and one.status == READY and one.uploaded_by == user_id and claimable(one, now))]
    if bad:
        raise RuleBroken("unknown_attachment", detail_key="messaging.attachment.unknown_attachment",
                         errors=[{"loc": loc or ["body", "attachment_ids", n],
                                  "msg": "not a ready, unused upload of yours"} for n in bad])
