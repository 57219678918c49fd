"""Objects created in a service's bucket reach its handler: S3 → SQS → `PortalApp.consume_bucket_objects`.

The timeline's uploads bucket notifies its own queue; the Lambda on that queue (`process_uploads`)
processes each uploaded photo. Here the queue is read by hand and its messages handed to the exported
handler as the Lambda SQS event would be.
"""

from __future__ import annotations

import json

import pytest
import requests
from chalice.local import LambdaContext

from infra.local.sqs import lambda_record
from portal_common import resources
from portal_common.consumer import handle_object_notices
from portal_common.settings import get_settings
from tests.test_timeline_uploads import ask, jpeg_with_gps

REGION = "eu-west-1"


@pytest.fixture
def timeline(services):
    return services["timeline"]


def _queue(aws) -> tuple[str, str]:
    settings = get_settings()
    url = aws["sqs"].get_queue_url(QueueName=settings.bucket_queue_name("timeline", "uploads"))["QueueUrl"]
    arn = aws["sqs"].get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _receive(aws) -> list[dict]:
    url, _ = _queue(aws)
    return aws["sqs"].receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])


def _record(message_id: str, body: str, queue_arn: str) -> dict:
    return lambda_record({"MessageId": message_id, "ReceiptHandle": f"rh-{message_id}", "Body": body},
                         queue_arn, REGION)


def _invoke(timeline, records: list[dict]) -> dict:
    context = LambdaContext(function_name="timeline-test-process_uploads", memory_size=512)
    return timeline.app.lambda_handlers()["process_uploads"]({"Records": records}, context)


def test_the_uploads_bucket_notifies_its_own_queue_with_a_dead_letter_queue(aws, timeline):
    settings = get_settings()
    (described,) = resources.describe(timeline.app).bucket_queues
    assert (described.name, described.dlq_name, described.bucket, described.function) == (
        settings.bucket_queue_name("timeline", "uploads"), settings.bucket_dlq_name("timeline", "uploads"),
        settings.bucket_name("timeline", "uploads"), "process_uploads")
    config = aws["s3"].get_bucket_notification_configuration(Bucket=settings.bucket_name("timeline", "uploads"))
    (queue_config,) = config["QueueConfigurations"]
    url, arn = _queue(aws)
    assert queue_config["QueueArn"] == arn and queue_config["Events"] == ["s3:ObjectCreated:*"]
    attributes = aws["sqs"].get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(":" + settings.bucket_dlq_name("timeline", "uploads"))
    assert int(redrive["maxReceiveCount"]) == resources.MAX_RECEIVE_COUNT
    assert int(attributes["VisibilityTimeout"]) == resources.VISIBILITY_TIMEOUT
    # The photos bucket (derivatives the service writes itself) notifies nobody.
    photos = aws["s3"].get_bucket_notification_configuration(Bucket=settings.bucket_name("timeline", "photos"))
    assert not photos.get("QueueConfigurations")


def test_an_uploaded_photo_is_processed_from_the_notice_s3_sends(world, staff, parent, timeline, aws, bus):
    assert world.put("/auth/children/child-noor/consents", headers=parent,
                     json={"photos": True, "diary": True, "outings": True}).status_code in (200, 204)
    _, arn = _queue(aws)
    for message in _receive(aws):  # the test message S3 sent when the notification was configured
        assert json.loads(message["Body"])["Event"] == "s3:TestEvent"
        assert _invoke(timeline, [lambda_record(message, arn, REGION)]) == {"batchItemFailures": []}
    started = ask(world, staff)
    assert started.status_code == 201, started.json
    form = started.json
    sent = requests.post(form["url"], data=form["fields"], files={"file": ("photo.jpg", jpeg_with_gps())}, timeout=10)
    assert sent.status_code in (200, 204), sent.text
    assert world.get(f"/timeline/uploads/{form['upload_id']}", headers=staff).json["status"] == "processing"

    (message,) = _receive(aws)  # what S3 sent: the key URL-encoded, as in a real notification
    notice = json.loads(message["Body"])
    assert notice["Records"][0]["eventName"].startswith("ObjectCreated:")
    assert _invoke(timeline, [lambda_record(message, arn, REGION)]) == {"batchItemFailures": []}
    state = world.get(f"/timeline/uploads/{form['upload_id']}", headers=staff).json
    assert state["status"] == "published" and state["photo_id"].startswith("pho-")
    assert [e.payload["photo_id"] for e in bus.of_type("timeline.photo.published")] == [state["photo_id"]]

    # A redelivered notice (S3 may notify twice) changes nothing.
    assert _invoke(timeline, [_record("again", message["Body"], arn)]) == {"batchItemFailures": []}
    again = world.get(f"/timeline/uploads/{form['upload_id']}", headers=staff).json
    assert (again["status"], again["photo_id"]) == ("published", state["photo_id"])


def test_unreadable_bodies_are_left_for_the_dead_letter_queue_and_test_events_acknowledged(aws, timeline):
    _, arn = _queue(aws)
    records = [
        _record("m-garbage", "this is no JSON", arn),
        _record("m-list", "[1, 2]", arn),
        _record("m-no-records", json.dumps({"Service": "Amazon S3"}), arn),
        _record("m-test", json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent",
                                      "Bucket": get_settings().bucket_name("timeline", "uploads")}), arn),
        _record("m-unknown-key", json.dumps({"Records": [{"s3": {"object": {"key": "demo%2Fpho-1%2Fthumb.jpg"}}}]}),
                arn),
        _record("m-no-upload", json.dumps({"Records": [{"s3": {"object": {"key": "demo%2Fupl-nothing"}}}]}), arn),
    ]
    result = _invoke(timeline, records)
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-garbage"}, {"itemIdentifier": "m-list"},
                                            {"itemIdentifier": "m-no-records"}]}


def test_a_handler_that_raises_fails_only_its_own_record():
    seen = []

    def handler(notice: dict) -> None:
        seen.append(notice["n"])
        if notice["n"] == 2:
            raise RuntimeError("boom")

    records = [{"messageId": f"m-{n}", "body": json.dumps({"Records": [], "n": n})} for n in (1, 2, 3)]
    records.append({"messageId": "m-test", "body": json.dumps({"Event": "s3:TestEvent"})})
    assert handle_object_notices(records, handler) == {"batchItemFailures": [{"itemIdentifier": "m-2"}]}
    assert seen == [1, 2, 3]
