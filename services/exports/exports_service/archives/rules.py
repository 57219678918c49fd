"""The rules of an export's archive, as pure functions: what state a job is in as its owner sees it, how far
it is, how long its archive may be downloaded, and one export at a time.

The moment (`now`) and the job's stored facts come in as arguments; refusals go out as
`portal_common.domain` exceptions with the codes of the API contract.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Literal

from portal_common.domain import StateConflict

AVAILABLE_DAYS = 7
ROW_DAYS = 30  # the job's row outlives its archive, so a late click says "expired" rather than "not found"
ACTIVE = ("queued", "running")
STALLED_AFTER = timedelta(hours=6)  # a job not finished by then counts as failed (its messages were lost)


def status(stored: str, created_at: str, available_until: str | None, now: datetime) -> str:
    """The state its owner sees: `expired` from the moment a ready archive's days are over, `failed` for a
    job that never finished (the guardian may ask again), else the stored one."""
    if stored == "ready" and available_until and now.isoformat() >= available_until:
        return "expired"
    if stored in ACTIVE and datetime.fromisoformat(created_at) + STALLED_AFTER < now:
        return "failed"
    return stored


def percent(status: str, done: int, total: int) -> int:
    """How far the job is: 100 once its archive was made, else the share of steps done."""
    if status in ("ready", "expired"):
        return 100
    return done * 100 // total if total else 0


def available_until(ready_at: datetime) -> datetime:
    """An archive can be downloaded for `AVAILABLE_DAYS` from the moment it is ready."""
    return ready_at + timedelta(days=AVAILABLE_DAYS)


def row_expiry(created_at: datetime) -> datetime:
    """When the job's row itself goes (DynamoDB's TTL)."""
    return created_at + timedelta(days=ROW_DAYS)


def check_not_running(statuses: Iterable[str], detail: str) -> None:
    """One export of a kind (a child's diary, one's personal data) at a time: 409 `export_running` while one
    of `statuses` (those of the same kind, as their owner sees them) is still queued or running."""
    if any(s in ACTIVE for s in statuses):
        raise StateConflict("export_running", detail=detail)


def download(status: str) -> Literal["ready", "expired", "not_ready"]:
    """What a download link does: redirect to a ready archive; an expired one is gone (410 `export_expired`);
    anything else is not ready yet (409 `export_not_ready`)."""
    if status == "expired":
        return "expired"
    return "ready" if status == "ready" else "not_ready"
