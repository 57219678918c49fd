"""Who a child's guardians are (planning's copy of auth's links) and how children form billing families.

A family, for invoices, is the children that share exactly the same guardians: every guardian who
receives an invoice is a guardian of every child on it, so no invoice shows a child to someone who is
not that child's guardian (step-families get one invoice per set of guardians).

The copy is one partition per tenant (`<t>#GUARDIANS`), so the monthly run reads every link in one
paged Query. Handlers are order-tolerant: an unlink leaves a tombstone, and an event older than the
row it would overwrite is ignored.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from planning_service.store import GuardianCopyItem
from portal_common import store
from portal_common.events import Envelope


@dataclass(frozen=True)
class Family:
    guardian_ids: tuple[str, ...]  # sorted
    guardian_names: tuple[str, ...]  # in the same order
    child_ids: tuple[str, ...]  # sorted


def _partition(tenant: str) -> str:
    return store.key(tenant, "GUARDIANS")


def _save(env: Envelope, *, linked: bool) -> None:
    payload: dict[str, Any] = env.payload
    previous_name = ""
    if not linked:  # keep the name a tombstone had (the unlink event carries none)
        found = guardians_of(env.tenant, payload["child_id"], include_unlinked=True)
        previous_name = next((g.name for g in found if g.user_id == payload["user_id"]), "")
    item = GuardianCopyItem(_partition(env.tenant), f"{payload['child_id']}#{payload['user_id']}",
                            child_id=payload["child_id"], user_id=payload["user_id"],
                            name=payload.get("user_name") or previous_name, linked=linked,
                            as_of=env.occurred_at.isoformat())
    store.save_unless_older(item)


def on_linked(env: Envelope) -> None:
    _save(env, linked=True)


def on_gone(env: Envelope) -> None:
    """Unlinked, or access ended (8 weeks after the last contract): no further documents for them."""
    _save(env, linked=False)


def guardians_of(tenant: str, child_id: str, *, include_unlinked: bool = False) -> list[GuardianCopyItem]:
    rows = GuardianCopyItem.query(_partition(tenant), GuardianCopyItem.sk.startswith(f"{child_id}#"),
                                  consistent_read=True)
    return [g for g in rows if include_unlinked or g.linked]


def all_links(tenant: str) -> dict[str, list[GuardianCopyItem]]:
    """child id → its current guardians, for the whole organisation (one paged Query)."""
    found: dict[str, list[GuardianCopyItem]] = defaultdict(list)
    for row in GuardianCopyItem.query(_partition(tenant)):
        if row.linked:
            found[row.child_id].append(row)
    return found


def families(links: dict[str, list[GuardianCopyItem]], child_ids: set[str]) -> tuple[list[Family], list[str]]:
    """The billing families of `child_ids`, and the children no guardian can receive anything for."""
    by_guardians: dict[tuple[str, ...], list[str]] = defaultdict(list)
    names: dict[str, str] = {}
    orphans = []
    for child_id in sorted(child_ids):
        guardians = links.get(child_id, [])
        if not guardians:
            orphans.append(child_id)
            continue
        for g in guardians:
            names[g.user_id] = g.name or names.get(g.user_id, "")
        by_guardians[tuple(sorted(g.user_id for g in guardians))].append(child_id)
    found = [Family(key, tuple(names[u] for u in key), tuple(children)) for key, children in by_guardians.items()]
    return sorted(found, key=lambda f: f.child_ids), orphans


HANDLERS = {"auth.guardian.linked": on_linked, "auth.guardian.unlinked": on_gone,
            "auth.guardian.access_ended": on_gone}
