"""Planning's copy of the directory facts it needs, kept from auth's events (never read from auth's table).

Handlers are idempotent (the consumer already skips a seen event id) and order-tolerant: an event
older than the copy it would overwrite is ignored, so a late redelivery cannot undo a newer change.
"""

from __future__ import annotations

from pynamodb.exceptions import PutError

from chalicelib.store import GroupCopyItem
from portal_common import store
from portal_common.events import Envelope


def on_group_changed(env: Envelope) -> None:
    payload = env.payload
    as_of = env.occurred_at.isoformat()
    item = GroupCopyItem(store.key(env.tenant, "GRP", payload["group_id"]), "GROUP", group_id=payload["group_id"],
                         location_id=payload["location_id"], name=payload["name"],
                         capacity={k: int(v) for k, v in payload["capacity"].items()}, as_of=as_of)
    try:
        item.save(condition=GroupCopyItem.pk.does_not_exist() | (GroupCopyItem.as_of <= as_of))
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise  # an older event than the copy: nothing to do


def group(tenant: str, group_id: str) -> GroupCopyItem | None:
    try:
        return GroupCopyItem.get(store.key(tenant, "GRP", group_id), "GROUP")
    except GroupCopyItem.DoesNotExist:
        return None


HANDLERS = {"auth.group.changed": on_group_changed}
