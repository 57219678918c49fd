"""What every service does for a retention purge and for a personal-data export (issue 8), in one place.

**Purge.** `auth.child.retention_due` (8 weeks after the contract ended) asks every service that holds
data of the child to delete it: its items, S3 objects and derivatives, and the data of the payload's
`guardian_ids` (guardians left with no children, whose accounts go too). The exports service tracks the
confirmations and, where one is missing or reports something left, asks that service again with
`exports.purge.requested` (same payload plus `services`). Each service then checks what it still holds
of the child (queries of its own keys, never a Scan) and confirms with `<service>.child.purged`: what it
deleted (counts), how much its check found left (0 when complete) and what it keeps because the law says
so (`kept`: kind, count, until, reason; e.g. invoices for the fiscal retention). Deleting is idempotent,
so a repeated, late or out-of-order request deletes what is there and confirms again.

**Personal-data export** (the right of access). `exports.personal_data.requested` asks every service for
its part: everything it holds about the guardian (`user_id`) and their children (`child_ids`), as JSON
plus files, written into the exports service's drop box under `<prefix><service>/`; `<service>.personal_data.delivered`
says it is there. The exports service packs the parts into one ZIP and mails the link.

A service wires both with `purge_handlers` and `personal_data_handlers` and two event types of its own
(subclasses of `contracts.retention.ChildPurged` and `.PersonalDataDelivered`, registered with `event_type`).
The requests are parsed into their contracts (`contracts.auth.ChildRetentionDue`,
`contracts.exports.PurgeRequested`, `contracts.exports.PersonalDataRequested`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import aws, events
from .contracts.auth import ChildRetentionDue
from .contracts.exports import PersonalDataRequested, PurgeRequested
from .contracts.retention import ChildPurged, Kept, PersonalDataDelivered
from .events import Envelope, make_event
from .files import SSE
from .outbox import Outbox

SERVICES = ("auth", "timeline", "messaging", "planning", "exports")  # every service holding a family's data
Handler = Callable[[Envelope], None]
log = logging.getLogger("portal.retention")


# -- purge ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PurgeRequest:
    tenant: str
    child_id: str
    access_until: str
    guardian_ids: tuple[str, ...] = ()
    round: int = 0


@dataclass
class PurgeResult:
    deleted: dict[str, int] = field(default_factory=dict)
    left: list[str] = field(default_factory=list)  # what the service's own check found afterwards
    kept: list[Kept] = field(default_factory=list)


def purge_handlers(service: str, outbox: Outbox, purge: Callable[[PurgeRequest], PurgeResult],
                   confirmation: type[ChildPurged]) -> dict[str, Handler]:
    """Handlers of both purge requests: delete, check, confirm (also when there was nothing to delete)."""

    def run(request: PurgeRequest) -> None:
        result = purge(request)
        if result.left:  # the exports service sees the count and asks again; the keys go to the log only
            log.warning("purge left data behind", extra={"service": service, "left": result.left[:20]})
        event = make_event(confirmation(child_id=request.child_id, access_until=request.access_until,
                                        deleted=result.deleted, left=len(result.left), kept=result.kept,
                                        round=request.round),
                           tenant=request.tenant, source=service)
        outbox.add([event])
        outbox.flush([event])

    def on_retention_due(env: Envelope, due: ChildRetentionDue) -> None:
        run(PurgeRequest(env.tenant, due.child_id, due.access_until, tuple(due.guardian_ids)))

    def on_purge_requested(env: Envelope, asked: PurgeRequested) -> None:
        if service in asked.services:  # a re-ask of other services only is not this one's
            run(PurgeRequest(env.tenant, asked.child_id, asked.access_until, tuple(asked.guardian_ids), asked.round))

    return events.handlers((ChildRetentionDue, on_retention_due), (PurgeRequested, on_purge_requested))


# -- personal-data export -----------------------------------------------------------------------
@dataclass(frozen=True)
class PersonalDataRequest:
    tenant: str
    export_id: str
    user_id: str
    child_ids: tuple[str, ...]
    language: str
    bucket: str
    prefix: str  # "personal/<tenant>/<export>/": the part goes under "<prefix><service>/"


class Part:
    """One service's part of a personal-data export, written (put only) into the exports drop box."""

    def __init__(self, request: PersonalDataRequest, service: str) -> None:
        self.request = request
        self.root = f"{request.prefix}{service}/"
        self.files = 0
        self.bytes = 0

    def _put(self, path: str, body: bytes, content_type: str) -> None:
        aws.client("s3").put_object(Bucket=self.request.bucket, Key=self.root + path, Body=body,
                                    ContentType=content_type, ServerSideEncryption=SSE)
        self.files += 1
        self.bytes += len(body)

    def json(self, name: str, data: Any) -> None:
        """`<service>/<name>.json`, readable: indented, UTF-8, dates as ISO text."""
        body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode("utf-8")
        self._put(f"{name}.json", body, "application/json")

    def file(self, path: str, body: bytes, content_type: str) -> None:
        self._put(path, body, content_type)

    def copy(self, bucket: str, key: str, path: str) -> None:
        """A file the service keeps in S3 (a photo, a PDF), copied server-side: no bytes pass through here."""
        s3 = aws.client("s3")
        size = int(s3.head_object(Bucket=bucket, Key=key)["ContentLength"])  # its own bucket: the drop box is put only
        s3.copy_object(Bucket=self.request.bucket, Key=self.root + path, CopySource={"Bucket": bucket, "Key": key},
                       ServerSideEncryption=SSE)
        self.files += 1
        self.bytes += size


def personal_data_handlers(service: str, outbox: Outbox, write: Callable[[Part], None],
                           delivered: type[PersonalDataDelivered]) -> dict[str, Handler]:
    """The handler of `exports.personal_data.requested`: write the part, say it is there. A redelivered
    request writes the same keys again and says so again (the exports service counts each service once)."""

    def on_requested(env: Envelope, asked: PersonalDataRequested) -> None:
        request = PersonalDataRequest(env.tenant, asked.export_id, asked.user_id, tuple(asked.child_ids),
                                      asked.language, asked.bucket, asked.prefix)
        part = Part(request, service)
        write(part)
        event = make_event(delivered(export_id=request.export_id, files=part.files, bytes=part.bytes),
                           tenant=env.tenant, source=service)
        outbox.add([event])
        outbox.flush([event])

    return events.handlers((PersonalDataRequested, on_requested))
