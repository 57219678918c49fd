"""Auth's copy of planning's contract periods: the 8-week access window counts from their last end.

`planning.contract.started`, `.changed` and `.ended` carry a contract's start and end. The copy keeps
the newest (by the event's `occurred_at`: an older or redelivered event never undoes a newer change),
then the guardians' links and the access-window index are recomputed (`Directory.refresh_links`).
An event about a child auth does not hold (purged at the end of its retention) is ignored.
"""

from __future__ import annotations

from pynamodb.exceptions import PutError

from auth_service.directory import Directory
from auth_service.store import ChildItem, ContractCopyItem
from portal_common import store
from portal_common.events import Envelope
from portal_common.outbox import Outbox

_directory = Directory(Outbox("auth"))  # refresh_links writes links only; it publishes nothing


def on_contract(env: Envelope) -> None:
    payload = env.payload
    if not _child_known(env.tenant, payload["child_id"]):
        return  # a child purged (retention) before a late event arrived: no copy, no access window again
    as_of = env.occurred_at.isoformat()
    item = ContractCopyItem(store.key(env.tenant, "CHILD", payload["child_id"]), f"CONTRACT#{payload['contract_id']}",
                            contract_id=payload["contract_id"], child_id=payload["child_id"], start=payload["start"],
                            end=payload.get("end"), as_of=as_of)
    try:
        item.save(condition=ContractCopyItem.pk.does_not_exist() | (ContractCopyItem.as_of <= as_of))
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return  # an older event than the copy
    _directory.refresh_links(env.tenant, payload["child_id"])


def _child_known(tenant: str, child_id: str) -> bool:
    try:
        ChildItem.get(store.key(tenant, "CHILD", child_id), "CHILD")
    except ChildItem.DoesNotExist:
        return False
    return True


HANDLERS = dict.fromkeys(("planning.contract.started", "planning.contract.changed", "planning.contract.ended"),
                         on_contract)
