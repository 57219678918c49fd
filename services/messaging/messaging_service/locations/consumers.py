"""A location's name, address, contact details and team are auth's facts, kept from `auth.location.changed`
(newest event wins, `store.save_unless_older`)."""

from __future__ import annotations

from messaging_service.locations.store import LocationCopyItem, pk
from portal_common import events, store
from portal_common.contracts.auth import LocationChanged
from portal_common.events import Envelope


def on_location_changed(env: Envelope, changed: LocationChanged) -> None:
    store.save_unless_older(LocationCopyItem(
        pk(env.tenant, changed.location_id), "LOCATION", location_id=changed.location_id, name=changed.name,
        address=dict(changed.address or {}), contact=dict(changed.contact or {}),
        team=[{"name": m.get("name", ""), "role": m.get("role", "")} for m in changed.team or []],
        as_of=env.occurred_at.isoformat()))


HANDLERS = events.handlers((LocationChanged, on_location_changed))
