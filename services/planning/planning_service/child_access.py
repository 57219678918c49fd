"""Which contract governs a child, and the object-level check every child route starts with.

Planning authorizes a child by the group and location of its latest contract: the staff of that group
and the location's manager reach it; a parent reaches it when the child is theirs (the token says so).
A child without any contract in this tenant does not exist for planning: 404, like another family's.
"""

from __future__ import annotations

import re
from datetime import date

from planning_service import care, contracts
from planning_service.store import ContractItem
from portal_common import errors
from portal_common.authz import Target
from portal_common.service import Req

_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def valid_id(value: str) -> str:
    """An id from a path or query, or 404: a key part never holds "#" or odd characters."""
    if not is_valid_id(value):
        raise errors.NotFound()
    return value


def is_valid_id(value: str) -> bool:
    """Whether an id (also one from an event) can be part of a key at all."""
    return bool(_ID.fullmatch(value or ""))


def latest(child_contracts: list[ContractItem]) -> ContractItem:
    return max(child_contracts, key=lambda c: c.start)


def on(child_contracts: list[ContractItem], day: date) -> ContractItem | None:
    """The contract in force on `day`, if any."""
    for contract in child_contracts:
        if care.within(day, contract.start, contract.end):
            return contract
    return None


def authorize_child(req: Req, child_id: str, action: str | None = None) -> list[ContractItem]:
    """The child's contracts, after checking the caller may do this route's action (or `action`) on it."""
    tenant = req.principal.tenant
    found = contracts.contracts_of_child(tenant, valid_id(child_id))
    if not found:
        raise errors.NotFound()
    newest = latest(found)
    req.authorize(Target.child(tenant, child_id, {newest.group_id}, {newest.location_id}), action=action)
    return found
