"""What AWS resources each service owns, derived from the app itself.

One description feeds the local stack (created in moto), the tests (created in-process) and the
deploy templates (CloudFormation merged into `chalice package` output), so they cannot drift apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .settings import get_settings
from .store import TTL_ATTRIBUTE

if TYPE_CHECKING:
    from .service import PortalApp

MAX_RECEIVE_COUNT = 5          # deliveries before a message moves to the DLQ
VISIBILITY_TIMEOUT = 180       # seconds; six times the consumer Lambda's timeout is AWS's advice for batches
DLQ_RETENTION = 14 * 24 * 3600


@dataclass(frozen=True)
class TableSpec:
    name: str
    key_schema: list[dict[str, str]]
    attribute_definitions: list[dict[str, str]]
    gsis: list[dict[str, Any]]
    ttl_attribute: str | None

    @classmethod
    def from_model(cls, model: type) -> TableSpec:
        schema = model._get_schema()  # type: ignore[attr-defined]
        attrs = {a["AttributeName"]: a for a in schema["attribute_definitions"]}
        gsis = []
        for g in schema.get("global_secondary_indexes", []):
            for a in g.get("attribute_definitions", []):
                attrs[a["AttributeName"]] = a
            gsis.append({"IndexName": g["index_name"], "KeySchema": g["key_schema"], "Projection": g["projection"]})
        names = set(model.get_attributes())  # type: ignore[attr-defined]
        return cls(
            name=model.Meta.table_name,  # type: ignore[attr-defined]
            key_schema=schema["key_schema"],
            attribute_definitions=list(attrs.values()),
            gsis=gsis,
            ttl_attribute=TTL_ATTRIBUTE if TTL_ATTRIBUTE in names else None,
        )

    def create_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeySchema": self.key_schema,
            "AttributeDefinitions": self.attribute_definitions,
            "BillingMode": "PAY_PER_REQUEST",
        }
        if self.gsis:
            kwargs["GlobalSecondaryIndexes"] = self.gsis
        return kwargs


@dataclass(frozen=True)
class QueueSpec:
    name: str
    dlq_name: str
    event_types: tuple[str, ...]

    @property
    def filter_policy(self) -> str:
        return json.dumps({"type": sorted(self.event_types)})


@dataclass(frozen=True)
class BucketQueueSpec:
    """The queue S3 notifies of objects created in `bucket` (full names), consumed by Lambda `function`."""

    name: str
    dlq_name: str
    bucket: str
    function: str
    events: tuple[str, ...] = ("s3:ObjectCreated:*",)


@dataclass(frozen=True)
class ServiceResources:
    service: str
    tables: list[TableSpec]
    queue: QueueSpec | None
    buckets: list[str] = field(default_factory=list)
    schedules: list[str] = field(default_factory=list)
    bucket_queues: list[BucketQueueSpec] = field(default_factory=list)
    drop_boxes: list[str] = field(default_factory=list)  # "<bucket name>/<prefix>" written into, put only
    push: str | None = None  # "register" or "send": SNS mobile push (see PortalApp)


def describe(app: PortalApp) -> ServiceResources:
    settings = get_settings()
    seen: dict[str, TableSpec] = {}
    for model in app.tables:
        spec = TableSpec.from_model(model)
        seen.setdefault(spec.name, spec)
    queue = None
    if app.consumed_event_types:
        queue = QueueSpec(settings.queue_name(app.service), settings.dlq_name(app.service),
                          tuple(sorted(app.consumed_event_types)))
    schedules = [getattr(src, "name", "") for src in app.event_sources
                 if type(src).__name__ == "ScheduledEventConfig"]
    return ServiceResources(
        service=app.service,
        tables=list(seen.values()),
        queue=queue,
        buckets=[settings.bucket_name(app.service, b) for b in app.buckets],
        schedules=schedules,
        bucket_queues=[BucketQueueSpec(settings.bucket_queue_name(app.service, b),
                                       settings.bucket_dlq_name(app.service, b),
                                       settings.bucket_name(app.service, b), function)
                       for b, function in app.bucket_consumers],
        drop_boxes=[f"{settings.bucket_name(svc, b)}/{prefix}" for svc, b, prefix in app.delivers_into],
        push=app.push,
    )


def _create_queue(sqs: Any, name: str, dlq_name: str) -> str:
    """A queue with its DLQ (redrive after MAX_RECEIVE_COUNT deliveries); returns the queue's ARN."""
    dlq_url = sqs.create_queue(QueueName=dlq_name,
                               Attributes={"MessageRetentionPeriod": str(DLQ_RETENTION)})["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": str(VISIBILITY_TIMEOUT),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}),
    })["QueueUrl"]
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def create_all(resources: list[ServiceResources], clients: dict[str, Any]) -> None:
    """Create tables, the topic, queues with DLQs and subscriptions, buckets and the queues their
    notifications go to (local stack, tests)."""
    settings = get_settings()
    ddb, sns, sqs, s3 = clients["dynamodb"], clients["sns"], clients["sqs"], clients["s3"]
    topic_arn = sns.create_topic(Name=settings.topic_name)["TopicArn"]
    for res in resources:
        for table in res.tables:
            ddb.create_table(**table.create_kwargs())
            if table.ttl_attribute:
                ddb.update_time_to_live(TableName=table.name, TimeToLiveSpecification={
                    "Enabled": True, "AttributeName": table.ttl_attribute})
        if res.queue:
            arn = _create_queue(sqs, res.queue.name, res.queue.dlq_name)
            sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes={
                "RawMessageDelivery": "true", "FilterPolicy": res.queue.filter_policy})
        for bucket in res.buckets:
            # S3 refuses a LocationConstraint of us-east-1 (its default region): leave it out there.
            location = {} if settings.region == "us-east-1" else {
                "CreateBucketConfiguration": {"LocationConstraint": settings.region}}
            s3.create_bucket(Bucket=bucket, **location)
        for bq in res.bucket_queues:  # after the buckets: the notification is configured on the bucket
            arn = _create_queue(sqs, bq.name, bq.dlq_name)
            s3.put_bucket_notification_configuration(Bucket=bq.bucket, NotificationConfiguration={
                "QueueConfigurations": [{"QueueArn": arn, "Events": list(bq.events)}]})
    ses = clients.get("ses")
    if ses is not None:
        ses.verify_email_identity(EmailAddress=settings.mail_sender)
