"""The tracking's events: a child's retention falling due opens its purge (with this service's own purge on
the same request), and each service's confirmation of a round is kept and may move the purge on."""

from __future__ import annotations

import logging
from typing import Any

from exports_service.producers import FAMILIES
from exports_service.purges import rules, store, tracking
from portal_common import events
from portal_common.contracts.auth import ChildRetentionDue
from portal_common.contracts.retention import ChildPurged
from portal_common.events import Envelope
from portal_common.outbox import Outbox
from portal_common.retention import SERVICES

log = logging.getLogger("exports.purges")


def handlers(outbox: Outbox, own: dict[str, Any]) -> dict[str, Any]:
    """The tracking of every service's confirmations, with this service's own purge (`own`, from
    `retention.purge_handlers`) on the same request."""
    purge_own = own["auth.child.retention_due"]

    def on_retention_due(env: Envelope, due: ChildRetentionDue) -> None:
        # Not when redelivered after the end (audited), nor when the purge is open already (redelivered).
        if not store.audited(env.tenant, due.child_id, due.access_until) and store.open_purge(
                env.tenant, due.child_id, due.access_until, list(due.guardian_ids)):
            tracking.advance(outbox, env.tenant, due.child_id)  # confirmations may have come first
        purge_own(env)

    def on_confirmed(env: Envelope, confirmed: ChildPurged) -> None:
        service = env.type.split(".", 1)[0]
        if not rules.confirmed_by_a_service(service, env.source, SERVICES):
            log.warning("purge confirmation from an unknown service", extra={"type": env.type, "source": env.source})
            return
        if store.audited(env.tenant, confirmed.child_id, confirmed.access_until):
            return
        store.save_confirmation(env.tenant, confirmed.child_id, service, confirmed.round,
                                deleted=dict(confirmed.deleted), left=confirmed.left,
                                kept=[k.model_dump() for k in confirmed.kept])
        tracking.advance(outbox, env.tenant, confirmed.child_id)

    return {**own, **events.handlers((ChildRetentionDue, on_retention_due),
                                     *((family.ChildPurged, on_confirmed) for family in FAMILIES.values()))}
