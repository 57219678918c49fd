"""The parts of a personal-data export as the services deliver them (each counted once; the last one starts
the packing), and the packing's next step (this service to itself)."""

from __future__ import annotations

from typing import Any

from exports_service import jobs
from exports_service.personal_data import packing, rules, store
from exports_service.producers import FAMILIES
from portal_common import events
from portal_common.contracts.exports import PersonalDataContinue
from portal_common.contracts.retention import PersonalDataDelivered
from portal_common.events import Envelope
from portal_common.outbox import Outbox
from portal_common.retention import SERVICES


def handlers(outbox: Outbox) -> dict[str, Any]:
    def on_delivered(env: Envelope, delivered: PersonalDataDelivered) -> None:
        """`<service>.personal_data.delivered`: count the part once; the last one starts the packing."""
        service = env.type.split(".", 1)[0]
        if not rules.counts_as_part(service, env.source, SERVICES) or not jobs.EXPORT_ID.fullmatch(
                delivered.export_id):
            return
        fresh = store.count_part(env.tenant, delivered.export_id, service, files=delivered.files,
                                 size=delivered.bytes)
        if fresh is not None and rules.all_parts_in(int(fresh.done or 0), SERVICES):
            packing.start_packing(outbox, fresh)

    def on_continue(env: Envelope, step: PersonalDataContinue) -> None:
        packing.run_step(outbox, env.tenant, step.export_id, step.step)

    delivered = [(family.PersonalDataDelivered, on_delivered) for family in FAMILIES.values()]
    return events.handlers(*delivered, (PersonalDataContinue, on_continue))
