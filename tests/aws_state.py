"""Snapshots of moto's in-process AWS, so a test starts from a known state in milliseconds.

Creating every table, topic, queue and bucket takes about a second, and seeding the demo world about three;
both once per worker instead of once per test is most of what keeps the suite in minutes. A snapshot is a
deep copy of the moto backends' state (DynamoDB tables with their items, S3 buckets with their objects,
SES's sent mail); restoring one puts a fresh copy back. SQS queues hold locks and cannot be copied: they
are emptied instead (the in-process tests deliver events through a recording bus, not queues); SNS's one
topic and its subscriptions never change after they are created.

A test that starts a `mock_aws()` of its own (the shared library's tests do) resets every backend; the
next restore rebuilds the whole state from the snapshot, tables and queues included.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ACCOUNT = "123456789012"
# Whole backends are copied. SQS is emptied instead (its queues hold locks), and SNS is left alone: tests never
# change its topic and subscriptions, and a copied topic would publish through a copy of its backend.
_COPIED = ("dynamodb", "s3", "ses")


def _backends(region: str) -> dict[str, Any]:
    from moto.dynamodb.models import dynamodb_backends
    from moto.s3.models import s3_backends
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends
    from moto.sqs.models import sqs_backends

    return {"dynamodb": dynamodb_backends[ACCOUNT][region], "s3": s3_backends[ACCOUNT]["aws"],
            "sns": sns_backends[ACCOUNT][region], "ses": ses_backends[ACCOUNT][region],
            "sqs": sqs_backends[ACCOUNT][region]}


@dataclass
class Snapshot:
    state: dict[str, dict[str, Any]]  # backend name → its __dict__
    queues: frozenset[str]


class AwsState:
    """The worker's moto state: `take()` a snapshot, `restore(snapshot)` it."""

    def __init__(self, region: str, create_resources: Callable[[], None]) -> None:
        self.region = region
        self._create_resources = create_resources

    def take(self) -> Snapshot:
        backends = _backends(self.region)
        state = {name: copy.deepcopy(backends[name].__dict__) for name in _COPIED}
        return Snapshot(state, frozenset(backends["sqs"].queues))

    def restore(self, snapshot: Snapshot) -> None:
        backends = _backends(self.region)
        if set(backends["sqs"].queues) != set(snapshot.queues):
            # A nested mock_aws() reset every backend (or a test made queues of its own): start over.
            for backend in backends.values():
                backend.reset()
            self._create_resources()
        for queue in backends["sqs"].queues.values():
            with queue._messages_lock:
                queue._messages.clear()
        for name, state in snapshot.state.items():
            backends[name].__dict__.update(copy.deepcopy(state))
