"""SQS consumers of the local stack: what Lambda's event source mapping does in AWS.

One thread per queue polls moto (long polls of 1 s, up to 10 messages), hands the batch to the app's
`@app.on_sqs_message` handler as a Lambda SQS event, deletes what succeeded and makes the reported
failures (`batchItemFailures`) visible again after a short, growing delay, so retries happen within
seconds locally instead of after the queue's 180 s visibility timeout. A handler that raises fails
the whole batch, as does a failure id that is not in the batch (Lambda's rule). After
`maxReceiveCount` deliveries moto itself moves the message to the DLQ on the next receive, as SQS does.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from chalice.local import LambdaContext

log = logging.getLogger("infra.local")


def default_backoff(receive_count: int) -> int:
    """Seconds before a failed message is visible again: 1, 2, 3… up to 10."""
    return max(0, min(receive_count, 10))


def lambda_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One SQS API message as a Lambda SQS event record."""
    attributes = {}
    for name, attr in (message.get("MessageAttributes") or {}).items():
        attributes[name] = {
            "stringValue": attr.get("StringValue"),
            "binaryValue": attr.get("BinaryValue"),
            "stringListValues": attr.get("StringListValues", []),
            "binaryListValues": attr.get("BinaryListValues", []),
            "dataType": attr.get("DataType"),
        }
    body = message.get("Body", "")
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": body,
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": attributes,
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def failed_ids(result: Any, batch_ids: set[str]) -> set[str]:
    """Which message ids a handler's answer reports as failed (Lambda's ReportBatchItemFailures rules)."""
    if not isinstance(result, dict) or "batchItemFailures" not in result:
        return set()
    failures = result.get("batchItemFailures") or []
    ids = set()
    for item in failures:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not ident or ident not in batch_ids:
            return set(batch_ids)  # a malformed answer fails the whole batch
        ids.add(ident)
    return ids


class QueuePoller:
    """Polls one queue and feeds one handler `(event, context) -> {"batchItemFailures": [...]}`."""

    def __init__(self, name: str, handler: Callable[[dict[str, Any], Any], Any], sqs: Any, queue_url: str, *,
                 region: str, batch_size: int = 10, wait_seconds: int = 1,
                 backoff: Callable[[int], int] = default_backoff) -> None:
        self.name = name
        self._handler = handler
        self._sqs = sqs
        self.queue_url = queue_url
        self.queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self._region = region
        self._batch_size = max(1, min(batch_size, 10))
        self._wait = wait_seconds
        self._backoff = backoff
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.batches = 0

    def poll_once(self) -> int:
        """Receive one batch and process it; returns how many messages it held."""
        messages = self._sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=self._batch_size, WaitTimeSeconds=self._wait,
            AttributeNames=["All"], MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        records = [lambda_record(m, self.queue_arn, self._region) for m in messages]
        batch_ids = {r["messageId"] for r in records}
        context = LambdaContext(function_name=self.name, memory_size=512, max_runtime_ms=60_000)
        try:
            failed = failed_ids(self._handler({"Records": records}, context), batch_ids)
        except Exception:
            log.exception("consumer %s raised; the whole batch will be retried", self.name)
            failed = set(batch_ids)
        self.batches += 1
        done = [m for m in messages if m["MessageId"] not in failed]
        retry = [m for m in messages if m["MessageId"] in failed]
        if done:
            self._sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
        if retry:
            self._sqs.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"],
                 "VisibilityTimeout": self._backoff(int(m.get("Attributes", {}).get("ApproximateReceiveCount", 1)))}
                for i, m in enumerate(retry)])
            log.info("consumer %s: %d of %d messages failed, retried later", self.name, len(retry), len(messages))
        return len(messages)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:
                if self._stop.is_set():
                    break
                log.exception("polling %s failed", self.name)
                self._stop.wait(1.0)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"sqs:{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
