"""The exports service's copy of auth's facts: children's names (archive file names) and placements (the
periods a diary export may cover), kept from events, order-tolerant (newest event wins)."""

from __future__ import annotations

from chalicelib.store import ChildCopyItem, PlacementCopyItem
from portal_common import store
from portal_common.events import Envelope


def _pk(tenant: str, child_id: str) -> str:
    return store.key(tenant, "CHILD", child_id)


def on_child_updated(env: Envelope) -> None:
    p = env.payload
    store.save_unless_older(ChildCopyItem(_pk(env.tenant, p["child_id"]), "CHILD", child_id=p["child_id"],
                                          name=p["child_name"], as_of=env.occurred_at.isoformat()))


def on_child_placed(env: Envelope) -> None:
    on_child_updated(env)
    _save_placement(env)


def on_placement_changed(env: Envelope) -> None:
    p = env.payload
    if p.get("previous_start") and p["previous_start"] != p["start"]:
        PlacementCopyItem(_pk(env.tenant, p["child_id"]), f"PLACEMENT#{p['previous_start']}").delete()
    _save_placement(env)


def _save_placement(env: Envelope) -> None:
    p = env.payload
    store.save_unless_older(PlacementCopyItem(
        _pk(env.tenant, p["child_id"]), f"PLACEMENT#{p['start']}", child_id=p["child_id"], group_id=p["group_id"],
        start=p["start"], end=p.get("end"), as_of=env.occurred_at.isoformat()))


def placements(tenant: str, child_id: str) -> list[PlacementCopyItem]:
    return list(PlacementCopyItem.query(_pk(tenant, child_id), PlacementCopyItem.sk.startswith("PLACEMENT#")))


def child_name(tenant: str, child_id: str) -> str | None:
    try:
        return str(ChildCopyItem.get(_pk(tenant, child_id), "CHILD").name)
    except ChildCopyItem.DoesNotExist:
        return None


HANDLERS = {"auth.child.placed": on_child_placed, "auth.child.updated": on_child_updated,
            "auth.placement.changed": on_placement_changed}
