"""Where a photo's files live in the photos bucket, and the short-lived links to them.

Derivatives are keyed by tenant and photo (`<t>/<photo>/<thumb|medium|full>.jpg`); rendered downloads and
archive state under `tmp/`, which the bucket's lifecycle rule empties after a day.
"""

from __future__ import annotations

from portal_common import files
from portal_common.settings import get_settings

URL_SECONDS = 600  # image links live 10 minutes (at most 15)
PHOTOS = "photos"
TEMPORARY = "tmp"  # objects under tmp/ expire after a day (the buckets' lifecycle rule)


def photos_bucket() -> str:
    return get_settings().bucket_name("timeline", PHOTOS)


def photo_key(tenant: str, photo_id: str, derivative: str) -> str:
    """Where a photo's derivative (thumb, medium, full) lives in the photos bucket."""
    return f"{tenant}/{photo_id}/{derivative}.jpg"


def download_key(tenant: str, child_id: str, diary_id: str) -> str:
    """Where a diary report's download page is rendered (temporary; the child's purge takes it too)."""
    return f"{TEMPORARY}/{tenant}/diary/{child_id}/{diary_id}.html"


def url(key: str, *, download_as: str | None = None) -> str:
    return files.download_url(photos_bucket(), key, seconds=URL_SECONDS, file_name=download_as)
