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
   `FAST_ROUNDS` rounds that still leave data the purge is `stuck`: logged as an error for an operator
   and retried with a new round each hour.
4. The finished purge leaves a `PurgeAuditItem` keyed by a hash of tenant, child and access end (an
   auditor holding the child's id can find it; the record itself names nobody), with per service what was
   deleted and what the law keeps, and the tracking rows go.

Confirmations may arrive before the request (queues do not order across services) and any event may come
twice: rows are keyed by round and service, a round advances on a condition, and a purge already audited
is not opened again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

from exports_service.store import PurgeAuditItem, PurgeItem, PurgeRoundItem
from portal_common import clock, store
from portal_common.contracts import exports as events
from portal_common.events import Envelope
from portal_common.outbox import Changes, Outbox
from portal_common.retention import SERVICES

OPEN_INDEX = "_PURGE_OPEN"
ASK_AGAIN_AFTER = timedelta(hours=1)
FAST_ROUNDS = 4  # rounds chained at once; past it a purge that keeps finding data goes hourly
log = logging.getLogger("exports.purges")


def _pk(tenant: str, child_id: str) -> str:
    return store.key(tenant, "PURGE", child_id)


def audit_ref(tenant: str, child_id: str, access_until: str) -> str:
    return hashlib.sha256(f"{tenant}\n{child_id}\n{access_until}".encode()).hexdigest()[:32]


def _audited(tenant: str, child_id: str, access_until: str) -> bool:
    try:
        PurgeAuditItem.get(store.key(tenant, "PURGEAUDIT"), audit_ref(tenant, child_id, access_until))
        return True
    except PurgeAuditItem.DoesNotExist:
        return False


def handlers(outbox: Outbox, own: dict[str, Callable[[Envelope], None]]) -> dict[str, Callable[[Envelope], None]]:
    """The tracking of every service's confirmations, with this service's own purge (`own`, from
    `retention.purge_handlers`) on the same request."""
    opened = on_retention_due(outbox)

    def due(env: Envelope) -> None:
        opened(env)
        own["auth.child.retention_due"](env)

    return {**own, "auth.child.retention_due": due, **{f"{s}.child.purged": on_confirmed(outbox) for s in SERVICES}}


def on_retention_due(outbox: Outbox) -> Callable[[Envelope], None]:
    def handle(env: Envelope) -> None:
        p, tenant, now = env.payload, env.tenant, clock.now().isoformat()
        if _audited(tenant, p["child_id"], p["access_until"]):
            return  # redelivered after the purge finished
        item = PurgeItem(_pk(tenant, p["child_id"]), "PURGE", child_id=p["child_id"], access_until=p["access_until"],
                         guardian_ids=list(p.get("guardian_ids", [])), round=0, status="open", requested_at=now,
                         asked_at=now, attempts=1, gsi2pk=OPEN_INDEX, gsi2sk=f"{now}#{tenant}#{p['child_id']}")
        try:
            item.save(condition=PurgeItem.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            return  # redelivered: the purge is open already
        advance(outbox, tenant, p["child_id"])  # confirmations may have come first
    return handle


def on_confirmed(outbox: Outbox) -> Callable[[Envelope], None]:
    def handle(env: Envelope) -> None:
        p, service = env.payload, env.type.split(".", 1)[0]
        if service not in SERVICES or env.source != service:
            log.warning("purge confirmation from an unknown service", extra={"type": env.type, "source": env.source})
            return
        if _audited(env.tenant, p["child_id"], p["access_until"]):
            return
        number = int(p.get("round", 0))
        PurgeRoundItem(_pk(env.tenant, p["child_id"]), f"ROUND#{number:02d}#{service}", service=service,
                       round=number, deleted=dict(p.get("deleted", {})), left=int(p.get("left", 0)),
                       kept=list(p.get("kept", [])), confirmed_at=clock.now().isoformat()).save()
        advance(outbox, env.tenant, p["child_id"])
    return handle


def _rows(tenant: str, child_id: str) -> tuple[PurgeItem | None, list[PurgeRoundItem]]:
    rounds = list(PurgeRoundItem.query(_pk(tenant, child_id), PurgeRoundItem.sk.startswith("ROUND#"),
                                       consistent_read=True))
    try:
        return PurgeItem.get(_pk(tenant, child_id), "PURGE", consistent_read=True), rounds
    except PurgeItem.DoesNotExist:
        return None, rounds


def advance(outbox: Outbox, tenant: str, child_id: str) -> str:
    """Move the purge on if its round is complete: the next round, or the end. What it did, for logs."""
    purge, rounds = _rows(tenant, child_id)
    if purge is None or purge.status != "open":
        return "waiting"
    current = {r.service: r for r in rounds if r.round == purge.round}
    if set(current) != set(SERVICES):
        return "waiting"
    clean = all(r.left == 0 for r in current.values())
    if clean and purge.round >= 1:
        return _finish(purge, rounds)
    if purge.round + 1 >= FAST_ROUNDS and not clean:
        log.error("purge keeps finding data left", extra={"tenant": tenant, "round": purge.round,
                                                           "services": sorted(s for s, r in current.items() if r.left)})
        _set(purge, [PurgeItem.status.set("stuck")], PurgeItem.round == purge.round)
        return "stuck"
    return _next_round(outbox, purge, SERVICES)


def _set(purge: PurgeItem, actions: list[Any], condition: Any) -> bool:
    try:
        purge.update(actions=actions, condition=condition)
        return True
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False


def _next_round(outbox: Outbox, purge: PurgeItem, services: tuple[str, ...] | list[str]) -> str:
    number = purge.round + 1
    ch = Changes(outbox, purge.pk.split("#", 1)[0], "exports")
    ch.update(purge, [PurgeItem.round.set(number), PurgeItem.status.set("open"),
                      PurgeItem.asked_at.set(clock.now().isoformat()), PurgeItem.attempts.set(1)],
              condition=PurgeItem.round == purge.round)
    ch.emit(events.PurgeRequested(child_id=purge.child_id, access_until=purge.access_until,
                                  guardian_ids=list(purge.guardian_ids or []), services=list(services), round=number))
    try:
        ch.commit()
    except TransactWriteError:
        return "waiting"  # another confirmation moved it on first
    return f"round {number}"


def _finish(purge: PurgeItem, rounds: list[PurgeRoundItem]) -> str:
    tenant = purge.pk.split("#", 1)[0]
    services: dict[str, Any] = {}
    for r in sorted(rounds, key=lambda r: r.round):
        entry = services.setdefault(r.service, {"deleted": {}, "kept": []})
        for kind, count in (r.deleted or {}).items():
            entry["deleted"][kind] = entry["deleted"].get(kind, 0) + int(count)
        entry["kept"] = r.kept or entry["kept"]
    ref = audit_ref(tenant, purge.child_id, purge.access_until)
    audit = PurgeAuditItem(store.key(tenant, "PURGEAUDIT"), ref, ref=ref, access_until=purge.access_until,
                           requested_at=purge.requested_at, completed_at=clock.now().isoformat(),
                           rounds=purge.round + 1, guardians_removed=len(purge.guardian_ids or []), services=services)
    try:
        with store.transaction() as tx:
            tx.save(audit, condition=PurgeAuditItem.pk.does_not_exist())
            tx.delete(purge, condition=PurgeItem.round == purge.round)
            for r in rounds:
                tx.delete(r)
    except TransactWriteError:
        return "waiting"  # finished by a concurrent confirmation
    log.info("purge verified and audited", extra={"tenant": tenant, "ref": ref, "rounds": purge.round + 1})
    return "finished"


def chase(outbox: Outbox) -> int:
    """Hourly: ask the services whose confirmation of the current round is missing again (a stuck purge
    gets a whole new round); how many purges were chased. One Query of the open-purge index."""
    chased = 0
    for listed in PurgeItem.gsi2.query(OPEN_INDEX):
        if not _due(listed.asked_at):
            continue
        tenant = listed.pk.split("#", 1)[0]
        purge, rounds = _rows(tenant, listed.child_id)
        if purge is None:
            continue
        if purge.status == "stuck":
            chased += _next_round(outbox, purge, SERVICES) != "waiting"
            continue
        confirmed = {r.service for r in rounds if r.round == purge.round}
        missing = [s for s in SERVICES if s not in confirmed]
        if not missing:
            advance(outbox, tenant, purge.child_id)
            continue
        if purge.attempts >= 3:
            log.error("purge confirmation still missing", extra={"tenant": tenant, "services": missing,
                                                                  "attempts": purge.attempts})
        ch = Changes(outbox, tenant, "exports")
        ch.update(purge, [PurgeItem.asked_at.set(clock.now().isoformat()), PurgeItem.attempts.add(1)],
                  condition=(PurgeItem.round == purge.round) & (PurgeItem.asked_at == purge.asked_at))
        ch.emit(events.PurgeRequested(child_id=purge.child_id, access_until=purge.access_until,
                                      guardian_ids=list(purge.guardian_ids or []), services=missing,
                                      round=purge.round))
        try:
            ch.commit()
        except TransactWriteError:
            continue  # an overlapping run asked first
        chased += 1
    return chased


def audits(tenant: str, *, limit: int, start: dict[str, Any] | None) -> tuple[list[PurgeAuditItem], Any]:
    found = PurgeAuditItem.query(store.key(tenant, "PURGEAUDIT"), limit=limit,
                                 **({"last_evaluated_key": start} if start else {}))
    return list(found), found.last_evaluated_key


def _due(asked_at: str) -> bool:
    return datetime.fromisoformat(asked_at) + ASK_AGAIN_AFTER <= clock.now()
