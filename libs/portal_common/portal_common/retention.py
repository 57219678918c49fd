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
(subclasses of `ChildPurged` and `PersonalDataDelivered`, registered with `event_type`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from . import aws
from .events import Envelope, EventPayload, make_event
from .files import SSE
from .outbox import Outbox

SERVICES = ("auth", "timeline", "messaging", "planning", "exports")  # every service holding a family's data
PURGE_REQUESTED = ("auth.child.retention_due", "exports.purge.requested")
PERSONAL_DATA_REQUESTED = "exports.personal_data.requested"
Handler = Callable[[Envelope], None]
log = logging.getLogger("portal.retention")


# -- purge ---------------------------------------------------------------------------------------
class Kept(BaseModel):
    """Data a service keeps after the purge because the law requires it, and until when."""

    kind: str
    count: int
    until: str  # ISO day from which it goes too
    reason: str


class ChildPurged(EventPayload):
    """Base of `<service>.child.purged`: the service deleted the child's (and the guardians') data."""

    child_id: str
    access_until: str
    deleted: dict[str, int] = {}
    left: int = 0
    kept: list[Kept] = []
    round: int = 0  # of the request answered: 0 the purge itself, later rounds verify (exports counts them)


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


def purge_request(service: str, env: Envelope) -> PurgeRequest | None:
    """The request in either event, or None when a re-ask names other services only."""
    p = env.payload
    if env.type == "exports.purge.requested" and service not in p.get("services", []):
        return None
    return PurgeRequest(env.tenant, str(p["child_id"]), str(p["access_until"]),
                        tuple(str(g) for g in p.get("guardian_ids", [])), int(p.get("round", 0)))


def purge_handlers(service: str, outbox: Outbox, purge: Callable[[PurgeRequest], PurgeResult],
                   confirmation: type[ChildPurged]) -> dict[str, Handler]:
    """Handlers of both purge requests: delete, check, confirm (also when there was nothing to delete)."""

    def handle(env: Envelope) -> None:
        request = purge_request(service, env)
        if request is None:
            return
        result = purge(request)
        if result.left:  # the exports service sees the count and asks again; the keys go to the log only
            log.warning("purge left data behind", extra={"service": service, "left": result.left[:20]})
        event = make_event(confirmation(child_id=request.child_id, access_until=request.access_until,
                                        deleted=result.deleted, left=len(result.left), kept=result.kept,
                                        round=request.round),
                           tenant=request.tenant, source=service)
        outbox.add([event])
        outbox.flush([event])

    return dict.fromkeys(PURGE_REQUESTED, handle)


# -- personal-data export -----------------------------------------------------------------------
class PersonalDataDelivered(EventPayload):
    """Base of `<service>.personal_data.delivered`: the service's part is in the drop box."""

    export_id: str
    files: int
    bytes: int


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


def personal_data_request(env: Envelope) -> PersonalDataRequest:
    p = env.payload
    return PersonalDataRequest(env.tenant, str(p["export_id"]), str(p["user_id"]),
                               tuple(str(c) for c in p.get("child_ids", [])), str(p.get("language", "nl")),
                               str(p["bucket"]), str(p["prefix"]))


def personal_data_handlers(service: str, outbox: Outbox, write: Callable[[Part], None],
                           delivered: type[PersonalDataDelivered]) -> dict[str, Handler]:
    """The handler of `exports.personal_data.requested`: write the part, say it is there. A redelivered
    request writes the same keys again and says so again (the exports service counts each service once)."""

    def handle(env: Envelope) -> None:
        part = Part(personal_data_request(env), service)
        write(part)
        event = make_event(delivered(export_id=part.request.export_id, files=part.files, bytes=part.bytes),
                           tenant=env.tenant, source=service)
        outbox.add([event])
        outbox.flush([event])

    return {PERSONAL_DATA_REQUESTED: handle}
