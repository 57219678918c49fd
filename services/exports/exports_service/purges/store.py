"""A purge's rows: the purge in progress, each service's confirmation of each round, and the audit that
remains of a finished one; and the writes that move a purge on, each conditioned on the round it saw.

| item | pk | sk |
|---|---|---|
| a retention purge in progress | `<t>#PURGE#<child>` | `PURGE` |
| (gsi2) purges not yet verified, all tenants | `_PURGE_OPEN` | `<requested_at>#<t>#<child>` |
| a service's confirmation of a purge round | `<t>#PURGE#<child>` | `ROUND#<nn>#<service>` |
| the audit record of a finished purge (no personal data) | `<t>#PURGEAUDIT` | `<ref>` |
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

from exports_service.purges import rules
from exports_service.store import ExportsItem
from portal_common import clock, store
from portal_common.contracts import exports as events
from portal_common.outbox import Changes, Outbox

OPEN_INDEX = "_PURGE_OPEN"


class PurgeItem(ExportsItem):
    """A child's purge: `open` while rounds run (the first deletes, later ones verify), `stuck` when a round
    keeps finding data left (retried hourly and logged as an error for an operator)."""

    child_id = UnicodeAttribute()
    access_until = UnicodeAttribute()
    guardian_ids = JSONAttribute(default=list)
    round = NumberAttribute(default=0)
    status = UnicodeAttribute(default="open")
    requested_at = UnicodeAttribute()
    asked_at = UnicodeAttribute()
    attempts = NumberAttribute(default=1)


class PurgeRoundItem(ExportsItem):
    """One service's confirmation of one round: what it deleted, left and keeps by law."""

    service = UnicodeAttribute()
    round = NumberAttribute()
    deleted = JSONAttribute(default=dict)
    left = NumberAttribute(default=0)
    kept = JSONAttribute(default=list)
    confirmed_at = UnicodeAttribute()


class PurgeAuditItem(ExportsItem):
    """What remains of a finished purge: a reference that is not the child's id (a hash an auditor can
    recompute from it), dates, and per service the counts deleted and what is kept by law. No names."""

    ref = UnicodeAttribute()
    access_until = UnicodeAttribute()
    requested_at = UnicodeAttribute()
    completed_at = UnicodeAttribute()
    rounds = NumberAttribute()
    guardians_removed = NumberAttribute(default=0)
    services = JSONAttribute(default=dict)


def pk(tenant: str, child_id: str) -> str:
    return store.key(tenant, "PURGE", child_id)


def tenant_of(purge: PurgeItem) -> str:
    return purge.pk.split("#", 1)[0]


def audited(tenant: str, child_id: str, access_until: str) -> bool:
    try:
        PurgeAuditItem.get(store.key(tenant, "PURGEAUDIT"), rules.audit_ref(tenant, child_id, access_until))
        return True
    except PurgeAuditItem.DoesNotExist:
        return False


def open_purge(tenant: str, child_id: str, access_until: str, guardian_ids: list[str]) -> bool:
    """Open the child's purge at round 0; False when it is open already (a redelivered request)."""
    now = clock.now().isoformat()
    item = PurgeItem(pk(tenant, child_id), "PURGE", child_id=child_id, access_until=access_until,
                     guardian_ids=guardian_ids, round=0, status=rules.OPEN, requested_at=now, asked_at=now,
                     attempts=1, gsi2pk=OPEN_INDEX, gsi2sk=f"{now}#{tenant}#{child_id}")
    try:
        item.save(condition=PurgeItem.pk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def save_confirmation(tenant: str, child_id: str, service: str, round_: int, *, deleted: dict[str, int],
                      left: int, kept: list[dict[str, Any]]) -> None:
    """A service's confirmation of a round (the same one again overwrites it: keyed by round and service)."""
    PurgeRoundItem(pk(tenant, child_id), f"ROUND#{round_:02d}#{service}", service=service, round=round_,
                   deleted=deleted, left=left, kept=kept, confirmed_at=clock.now().isoformat()).save()


def rows(tenant: str, child_id: str) -> tuple[PurgeItem | None, list[PurgeRoundItem]]:
    rounds = list(PurgeRoundItem.query(pk(tenant, child_id), PurgeRoundItem.sk.startswith("ROUND#"),
                                       consistent_read=True))
    try:
        return PurgeItem.get(pk(tenant, child_id), "PURGE", consistent_read=True), rounds
    except PurgeItem.DoesNotExist:
        return None, rounds


def open_purges() -> Iterable[PurgeItem]:
    """Every purge not yet verified, all tenants (one Query of the open-purge index)."""
    return PurgeItem.gsi2.query(OPEN_INDEX)  # type: ignore[no-any-return]


def mark_stuck(purge: PurgeItem) -> bool:
    try:
        purge.update(actions=[PurgeItem.status.set(rules.STUCK)], condition=PurgeItem.round == purge.round)
        return True
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False


def next_round(outbox: Outbox, purge: PurgeItem, services: Iterable[str]) -> str:
    """Ask `services` to purge again in the next round; "waiting" when another confirmation moved it first."""
    number = purge.round + 1
    ch = Changes(outbox, tenant_of(purge), "exports")
    ch.update(purge, [PurgeItem.round.set(number), PurgeItem.status.set(rules.OPEN),
                      PurgeItem.asked_at.set(clock.now().isoformat()), PurgeItem.attempts.set(1)],
              condition=PurgeItem.round == purge.round)
    ch.emit(events.PurgeRequested(child_id=purge.child_id, access_until=purge.access_until,
                                  guardian_ids=list(purge.guardian_ids or []), services=list(services), round=number))
    try:
        ch.commit()
    except TransactWriteError:
        return "waiting"  # another confirmation moved it on first
    return f"round {number}"


def ask_again(outbox: Outbox, purge: PurgeItem, services: list[str]) -> bool:
    """Ask the silent `services` again for the current round; False when an overlapping run asked first."""
    ch = Changes(outbox, tenant_of(purge), "exports")
    ch.update(purge, [PurgeItem.asked_at.set(clock.now().isoformat()), PurgeItem.attempts.add(1)],
              condition=(PurgeItem.round == purge.round) & (PurgeItem.asked_at == purge.asked_at))
    ch.emit(events.PurgeRequested(child_id=purge.child_id, access_until=purge.access_until,
                                  guardian_ids=list(purge.guardian_ids or []), services=services,
                                  round=purge.round))
    try:
        ch.commit()
    except TransactWriteError:
        return False
    return True


def finish(purge: PurgeItem, rounds: list[PurgeRoundItem]) -> str | None:
    """The audit record in, the tracking rows out, in one transaction; its ref, or None when a concurrent
    confirmation finished it first."""
    tenant = tenant_of(purge)
    ref = rules.audit_ref(tenant, purge.child_id, purge.access_until)
    audit = PurgeAuditItem(store.key(tenant, "PURGEAUDIT"), ref, ref=ref, access_until=purge.access_until,
                           requested_at=purge.requested_at, completed_at=clock.now().isoformat(),
                           rounds=purge.round + 1, guardians_removed=len(purge.guardian_ids or []),
                           services=rules.audit_services(rounds))
    try:
        with store.transaction() as tx:
            tx.save(audit, condition=PurgeAuditItem.pk.does_not_exist())
            tx.delete(purge, condition=PurgeItem.round == purge.round)
            for r in rounds:
                tx.delete(r)
    except TransactWriteError:
        return None
    return ref


def audits(tenant: str, *, limit: int, start: dict[str, Any] | None) -> tuple[list[PurgeAuditItem], Any]:
    found = PurgeAuditItem.query(store.key(tenant, "PURGEAUDIT"), limit=limit,
                                 **({"last_evaluated_key": start} if start else {}))
    return list(found), found.last_evaluated_key
