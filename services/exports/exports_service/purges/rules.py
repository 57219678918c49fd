"""The rules of a retention purge's tracking, as pure functions: when a purge is complete, when it is stuck,
when to ask again and whom, and what its audit record says.

A purge runs in rounds: round 0 is the purge itself, later rounds repeat it to verify. The services, the
confirmations of the current round and the moment come in as arguments; nothing here reads the store or
the clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

ASK_AGAIN_AFTER = timedelta(hours=1)
FAST_ROUNDS = 4  # rounds chained at once; past it a purge that keeps finding data goes hourly
ALARM_AFTER = 3  # asks for a missing confirmation before an operator is alerted
OPEN, STUCK = "open", "stuck"

Step = Literal["waiting", "finish", "stuck", "next_round"]


class Confirmation(Protocol):
    """What the rules read of a service's confirmation of a round."""

    service: str
    round: int
    deleted: dict[str, Any]
    kept: list[Any]


def audit_ref(tenant: str, child_id: str, access_until: str) -> str:
    """The audit record's key: a hash an auditor holding the child's id can recompute; it names nobody."""
    return hashlib.sha256(f"{tenant}\n{child_id}\n{access_until}".encode()).hexdigest()[:32]


def confirmed_by_a_service(service: str, source: str, services: Sequence[str]) -> bool:
    """A confirmation counts when a service holding a family's data says it about its own part."""
    return service in services and source == service


def next_step(status: str, round_: int, left: Mapping[str, int], services: Sequence[str]) -> Step:
    """What the purge does now, given the data each service that confirmed the current round still found
    (`left`: service → count). Waiting until every service confirmed; a round after the first in which
    nobody found anything left finishes it; a purge still finding data after `FAST_ROUNDS` rounds is stuck
    (retried hourly, an operator alerted); else the next round asks everyone again."""
    if status != OPEN or set(left) != set(services):
        return "waiting"
    clean = all(n == 0 for n in left.values())
    if clean and round_ >= 1:
        return "finish"
    if round_ + 1 >= FAST_ROUNDS and not clean:
        return "stuck"
    return "next_round"


def still_finding(left: Mapping[str, int]) -> list[str]:
    """The services that found data left (for the operator's log)."""
    return sorted(s for s, n in left.items() if n)


def missing(confirmed: Iterable[str], services: Sequence[str]) -> list[str]:
    """The services whose confirmation of the current round is missing, in the order of `services`."""
    have = set(confirmed)
    return [s for s in services if s not in have]


def due_to_ask_again(asked_at: str, now: datetime) -> bool:
    """A round's request is repeated once it went unanswered for `ASK_AGAIN_AFTER`."""
    return datetime.fromisoformat(asked_at) + ASK_AGAIN_AFTER <= now


def alarm(attempts: int) -> bool:
    """Asked this often without an answer: an operator should look."""
    return attempts >= ALARM_AFTER


def audit_services(rounds: Iterable[Confirmation]) -> dict[str, Any]:
    """Per service, what the audit keeps: the counts deleted, summed over the rounds, and what the law keeps
    (as the latest round that said anything about it said)."""
    services: dict[str, Any] = {}
    for r in sorted(rounds, key=lambda r: r.round):
        entry = services.setdefault(r.service, {"deleted": {}, "kept": []})
        for kind, count in (r.deleted or {}).items():
            entry["deleted"][kind] = entry["deleted"].get(kind, 0) + int(count)
        entry["kept"] = r.kept or entry["kept"]
    return services
