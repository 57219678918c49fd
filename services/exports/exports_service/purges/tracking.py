"""Retention purges, tracked to the end: every service confirms, a second round verifies, an audit remains.

1. `auth.child.retention_due` (contract end + 8 weeks) reaches every service at once; each deletes the
   child's data (and the data of the guardians it names, left with no children) and confirms with
   `<service>.child.purged` (see portal_common.retention). Here it opens the child's purge, round 0.
2. When every service has confirmed a round, the next round asks them all again
   (`exports.purge.requested`): the purge repeated is the verification, each service checking its own
   tables and buckets (only the owner may read them). A round in which every service found nothing left
   after its work finishes the purge; data that came back meanwhile (a late copy) is deleted in that round
   and counted in the audit.
3. A confirmation missing for an hour is asked for again, hourly, naming the silent services only. After
   `rules.FAST_ROUNDS` rounds that still leave data the purge is `stuck`: logged as an error for an operator
   and retried with a new round each hour.
4. The finished purge leaves a `store.PurgeAuditItem` keyed by a hash of tenant, child and access end (an
   auditor holding the child's id can find it; the record itself names nobody), with per service what was
   deleted and what the law keeps, and the tracking rows go.

Confirmations may arrive before the request (queues do not order across services) and any event may come
twice: rows are keyed by round and service, a round advances on a condition, and a purge already audited
is not opened again. When a purge is complete or stuck, and whom to ask again, are `rules.py`'s decisions.
"""

from __future__ import annotations

import logging

from exports_service.purges import rules, store
from portal_common import clock
from portal_common.outbox import Outbox
from portal_common.retention import SERVICES

log = logging.getLogger("exports.purges")


def advance(outbox: Outbox, tenant: str, child_id: str) -> str:
    """Move the purge on if its round is complete: the next round, or the end. What it did, for logs."""
    purge, rounds = store.rows(tenant, child_id)
    if purge is None:
        return "waiting"
    left = {r.service: int(r.left) for r in rounds if r.round == purge.round}
    step = rules.next_step(purge.status, purge.round, left, SERVICES)
    if step == "finish":
        ref = store.finish(purge, rounds)
        if ref is None:
            return "waiting"  # finished by a concurrent confirmation
        log.info("purge verified and audited", extra={"tenant": tenant, "ref": ref, "rounds": purge.round + 1})
        return "finished"
    if step == "stuck":
        log.error("purge keeps finding data left", extra={"tenant": tenant, "round": purge.round,
                                                           "services": rules.still_finding(left)})
        store.mark_stuck(purge)
        return "stuck"
    if step == "next_round":
        return store.next_round(outbox, purge, SERVICES)
    return "waiting"


def chase(outbox: Outbox) -> int:
    """Hourly: ask the services whose confirmation of the current round is missing again (a stuck purge
    gets a whole new round); how many purges were chased. One Query of the open-purge index."""
    chased = 0
    now = clock.now()
    for listed in store.open_purges():
        if not rules.due_to_ask_again(listed.asked_at, now):
            continue
        tenant = store.tenant_of(listed)
        purge, rounds = store.rows(tenant, listed.child_id)
        if purge is None:
            continue
        if purge.status == rules.STUCK:
            chased += store.next_round(outbox, purge, SERVICES) != "waiting"
            continue
        missing = rules.missing((r.service for r in rounds if r.round == purge.round), SERVICES)
        if not missing:
            advance(outbox, tenant, purge.child_id)
            continue
        if rules.alarm(purge.attempts):
            log.error("purge confirmation still missing", extra={"tenant": tenant, "services": missing,
                                                                  "attempts": purge.attempts})
        if store.ask_again(outbox, purge, missing):
            chased += 1
        # else: an overlapping run asked first
    return chased
