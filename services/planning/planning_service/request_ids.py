"""Request ids name their child: `<child_id>.<ulid>`, so one GetItem finds a request (no lookup index).

Ids are opaque to clients; the ULID comes from the business clock, so a child's requests sort by time.
"""

from __future__ import annotations

import re

from portal_common import errors, ids

_REQUEST_ID = re.compile(r"^([A-Za-z0-9_.:-]{1,64})\.([0-9A-Za-z]{26})$")


def new(child_id: str, ulid: str | None = None) -> str:
    """A new request id for a child; pass `ulid` to give several children's requests one report id."""
    return f"{child_id}.{ulid or ids.new_id()}"


def parse(request_id: str) -> tuple[str, str]:
    """(child_id, ulid) of a request id from a URL, or 404: nothing malformed ever becomes a key."""
    match = _REQUEST_ID.fullmatch(request_id or "")
    if not match:
        raise errors.NotFound()
    return match.group(1), match.group(2)
