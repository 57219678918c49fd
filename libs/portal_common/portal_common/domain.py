"""Domain exceptions: what a business rule raises when it says no, knowing nothing of HTTP.

Rules (pure functions in a feature's `rules.py`) and the store functions below them raise these; the HTTP
edge (`app_http`) maps them to problem+json (`RuleBroken` → 422, `StateConflict` → 409, `Missing` → 404)
with the same stable `code`, and an event handler that meets one fails its event like any other error.

    raise RuleBroken("not_enough_swap_hours", detail_key="planning.not_enough_swap_hours",
                     errors=[{"loc": ["body", "payment"], "msg": "not enough swap hours"}])
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of the domain's refusals: a stable `code`, a text key for people, the fields concerned."""

    def __init__(self, code: str, *, detail_key: str | None = None, detail_values: dict[str, Any] | None = None,
                 errors: list[dict[str, Any]] | None = None, detail: str | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.detail_key = detail_key
        self.detail_values = detail_values or {}
        self.errors = errors
        self.detail = detail
        self.extra = extra or {}


class RuleBroken(DomainError):
    """The request is understood but a rule says no (a date out of range, too few swap hours, no capacity)."""


class StateConflict(DomainError):
    """The object's current state does not allow it (no longer pending, changed concurrently)."""


class Missing(DomainError):
    """The object does not exist, or is not the caller's (never revealed which)."""
