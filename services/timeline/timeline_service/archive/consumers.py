"""The archive's event handlers, each parsing its payload into the producer's contract.

- `exports.diary.requested`: first note the archive in the child's partition (its job row is keyed by the
  export alone, so the child's purge finds it only this way), then start it (`steps.start`);
- `timeline.archive.continue` (to itself): run the step it names (`steps.run_step`).
"""

from __future__ import annotations

from collections.abc import Callable

from portal_common import events
from portal_common.contracts import exports
from portal_common.contracts import timeline as contracts
from portal_common.events import Envelope
from portal_common.outbox import Outbox
from timeline_service.archive import steps, store


def handlers(outbox: Outbox) -> dict[str, Callable[[Envelope], None]]:
    def on_requested(env: Envelope, request: exports.DiaryExportRequested) -> None:
        store.remember(env.tenant, request.child_id, request.export_id)
        steps.start(outbox, env, request)

    def on_continue(env: Envelope, step: contracts.ArchiveContinue) -> None:
        steps.run_step(outbox, env.tenant, step.export_id, int(step.step))

    return events.handlers((exports.DiaryExportRequested, on_requested), (contracts.ArchiveContinue, on_continue))
