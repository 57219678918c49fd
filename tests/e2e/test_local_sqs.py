"""The local stack's SQS consumer against a real moto server: delivery, partial failures, retries, DLQ.

Queues, DLQs and subscriptions are made by `portal_common.resources.create_all`, as in the stack.
"""

from __future__ import annotations

import json
import time
import uuid

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from infra.local.sqs import QueuePoller
from portal_common import resources
from portal_common.settings import get_settings

pytestmark = pytest.mark.e2e
TYPE = "test.thing.happened"


@pytest.fixture(scope="module")
def moto_url():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    yield url
    requests.post(f"{url}/moto-api/reset", timeout=5)
    server.stop()


@pytest.fixture
def aws(moto_url):
    """A fresh queue (with DLQ and SNS subscription) per test, named after a fresh service."""
    service = f"sqs{uuid.uuid4().hex[:8]}"
    clients = {name: boto3.client(name, region_name="eu-west-1", endpoint_url=moto_url,
                                  aws_access_key_id="local", aws_secret_access_key="local")
               for name in ("dynamodb", "sns", "sqs", "s3")}
    settings = get_settings()
    queue = resources.QueueSpec(settings.queue_name(service), settings.dlq_name(service), (TYPE,))
    resources.create_all([resources.ServiceResources(service, [], queue)], clients)
    sqs = clients["sqs"]

    class Aws:
        sqs = clients["sqs"]
        topic_arn = clients["sns"].create_topic(Name=settings.topic_name)["TopicArn"]
        queue_url = sqs.get_queue_url(QueueName=queue.name)["QueueUrl"]
        dlq_url = sqs.get_queue_url(QueueName=queue.dlq_name)["QueueUrl"]

        @staticmethod
        def publish(event_type: str = TYPE) -> str:
            body = json.dumps({"event_id": uuid.uuid4().hex, "type": event_type})
            clients["sns"].publish(TopicArn=Aws.topic_arn, Message=body, MessageAttributes={
                "type": {"DataType": "String", "StringValue": event_type},
                "tenant": {"DataType": "String", "StringValue": "t1"}})
            return body

        @staticmethod
        def count(url: str) -> int:
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

        @staticmethod
        def poller(handler, **kwargs) -> QueuePoller:
            kwargs.setdefault("backoff", lambda count: 0)
            kwargs.setdefault("wait_seconds", 0)
            return QueuePoller(f"{service}.on_events", handler, sqs, Aws.queue_url, region="eu-west-1", **kwargs)

    return Aws


def poll_until(poller: QueuePoller, done, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        poller.poll_once()


def test_a_message_that_always_fails_is_delivered_max_receive_count_times_then_lands_in_the_dlq(aws):
    deliveries = []

    def always_fails(event, context):
        deliveries.extend(event["Records"])
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]]}

    body = aws.publish()
    aws.publish("test.other.type")  # filtered out by the subscription: never delivered
    poller = aws.poller(always_fails)
    poll_until(poller, lambda: aws.count(aws.dlq_url) == 1)

    assert [int(r["attributes"]["ApproximateReceiveCount"]) for r in deliveries] == list(
        range(1, resources.MAX_RECEIVE_COUNT + 1))
    assert {r["body"] for r in deliveries} == {body}  # the other type never reached this queue
    record = deliveries[0]
    assert record["body"] == body  # raw delivery: the envelope itself, no SNS wrapper
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(":" + aws.queue_url.rsplit("/", 1)[-1])
    assert record["awsRegion"] == "eu-west-1"
    assert record["messageAttributes"]["type"] == {
        "stringValue": TYPE, "binaryValue": None, "stringListValues": [], "binaryListValues": [], "dataType": "String"}
    assert aws.count(aws.queue_url) == 0
    dead = aws.sqs.receive_message(QueueUrl=aws.dlq_url, WaitTimeSeconds=0)["Messages"]
    assert [m["Body"] for m in dead] == [body]


def test_handled_messages_are_deleted(aws):
    seen = []

    def succeeds(event, context):
        seen.extend(r["body"] for r in event["Records"])
        return {"batchItemFailures": []}

    bodies = {aws.publish() for _ in range(3)}
    poller = aws.poller(succeeds)
    poll_until(poller, lambda: len(seen) >= 3)
    assert set(seen) == bodies and len(seen) == 3
    assert aws.count(aws.queue_url) == 0
    assert poller.poll_once() == 0


def test_only_the_reported_failures_are_retried(aws):
    first, second = aws.publish(), aws.publish()
    seen = []

    def fails_first_once(event, context):
        failures = []
        for record in event["Records"]:
            seen.append(record["body"])
            if record["body"] == first and seen.count(first) == 1:
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    poller = aws.poller(fails_first_once)
    poll_until(poller, lambda: aws.count(aws.queue_url) == 0)
    assert sorted(seen) == sorted([first, first, second])
    assert aws.count(aws.dlq_url) == 0


def test_a_handler_that_raises_fails_the_whole_batch_and_retries_it(aws):
    body = aws.publish()
    attempts = []

    def raises_then_succeeds(event, context):
        attempts.append([r["body"] for r in event["Records"]])
        if len(attempts) == 1:
            raise RuntimeError("database down")
        return None  # a handler without batch reporting: success means all done

    poller = aws.poller(raises_then_succeeds)
    poll_until(poller, lambda: aws.count(aws.queue_url) == 0)
    assert attempts == [[body], [body]]


def test_an_unknown_failure_id_fails_the_whole_batch(aws):
    body = aws.publish()
    attempts = []

    def reports_nonsense(event, context):
        attempts.append(event["Records"][0]["body"])
        return {"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]} if len(attempts) == 1 else {}

    poller = aws.poller(reports_nonsense)
    poll_until(poller, lambda: aws.count(aws.queue_url) == 0)
    assert attempts == [body, body]


def test_failed_messages_wait_a_little_longer_each_time(aws):
    aws.publish()
    delays = []

    def backoff(count: int) -> int:
        delays.append(count)
        return 1

    poller = aws.poller(lambda event, context: {"batchItemFailures": [
        {"itemIdentifier": r["messageId"]} for r in event["Records"]]}, backoff=backoff)
    assert poller.poll_once() == 1
    assert poller.poll_once() == 0  # invisible for the backoff second
    time.sleep(1.1)
    assert poller.poll_once() == 1
    assert delays == [1, 2]


def test_the_poller_thread_consumes_and_stops_within_its_long_poll(aws):
    seen = []
    poller = aws.poller(lambda event, context: seen.extend(event["Records"]), wait_seconds=1)
    poller.start()
    try:
        aws.publish()
        deadline = time.monotonic() + 5
        while not seen and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(seen) == 1
    finally:
        started = time.monotonic()
        poller.stop()
        poller.join(5)
    assert time.monotonic() - started < 2.5
    assert not poller._thread.is_alive()
