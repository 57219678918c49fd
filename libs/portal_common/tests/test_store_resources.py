"""Keys, table specs, and the resources of a service created in moto."""

from __future__ import annotations

import json

import boto3
import pytest
from chalice.test import Client
from moto import mock_aws
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from portal_common import events, settings, store
from portal_common.resources import MAX_RECEIVE_COUNT, TableSpec, create_all, describe
from portal_common.service import PortalApp
from portal_common.store import MainItem, table_meta

TYPES = ("pctest.a.happened", "pctest.b.happened")


def test_key_is_tenant_prefixed():
    assert store.key("t1", "CHILD", "c1") == "t1#CHILD#c1"
    assert store.key("t1") == "t1"
    assert store.key("t1", "DAY", 2026) == "t1#DAY#2026"  # type: ignore[arg-type]


@pytest.mark.parametrize("tenant,parts", [("", ()), ("t#1", ()), ("#", ("x",)), ("t1", ("a#b",)),
                                          ("t1", ("ok", "#"))])
def test_key_refuses_empty_tenants_and_separators(tenant, parts):
    with pytest.raises(ValueError):
        store.key(tenant, *parts)


def test_is_live_filters_expired_items():
    class Item:
        expires_at = 100

    assert store.is_live(Item(), 99) and not store.is_live(Item(), 100)
    assert store.is_live(object(), 10**12)


def test_table_meta_follows_the_settings():
    meta = table_meta("pctest", "uploads")
    assert meta.table_name == "test-pctest-uploads"
    assert meta.region == "eu-west-1"
    assert not hasattr(meta, "host")  # no endpoint configured: real AWS (or moto in-process)


def test_table_meta_uses_the_endpoint_when_set(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    settings.reset_settings()
    assert table_meta("pctest").host == "http://127.0.0.1:5000"


def main_model(service: str = "pctest") -> type[MainItem]:
    class Item(MainItem):
        Meta = table_meta(service)
        value = UnicodeAttribute(null=True)

    return Item


def test_table_spec_from_a_main_item_model():
    spec = TableSpec.from_model(main_model())
    assert spec.name == "test-pctest-main"
    assert spec.key_schema == [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert {g["IndexName"]: g["KeySchema"] for g in spec.gsis} == {
        "gsi1": [{"AttributeName": "gsi1pk", "KeyType": "HASH"}, {"AttributeName": "gsi1sk", "KeyType": "RANGE"}],
        "gsi2": [{"AttributeName": "gsi2pk", "KeyType": "HASH"}, {"AttributeName": "gsi2sk", "KeyType": "RANGE"}],
    }
    assert all(g["Projection"] == {"ProjectionType": "ALL"} for g in spec.gsis)
    assert sorted(a["AttributeName"] for a in spec.attribute_definitions) == [
        "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "pk", "sk"]
    assert spec.ttl_attribute == "expires_at"
    kwargs = spec.create_kwargs()
    assert kwargs["BillingMode"] == "PAY_PER_REQUEST" and len(kwargs["GlobalSecondaryIndexes"]) == 2


def test_table_spec_of_a_plain_model_has_no_indexes_or_ttl():
    class Plain(Model):
        class Meta:
            table_name = "test-pctest-plain"
            region = "eu-west-1"

        id = UnicodeAttribute(hash_key=True)

    spec = TableSpec.from_model(Plain)
    assert spec.gsis == [] and spec.ttl_attribute is None
    assert "GlobalSecondaryIndexes" not in spec.create_kwargs()


@pytest.fixture
def app(clock) -> PortalApp:
    app = PortalApp("pcres", tables=[main_model("pcres"), main_model("pcres")], buckets=["photos"])
    app.consume({kind: lambda env: None for kind in TYPES})
    app.publishes()
    return app


def test_describe(app):
    res = describe(app)
    assert res.service == "pcres"
    assert [t.name for t in res.tables] == ["test-pcres-main"]  # two models of one table: one table
    assert res.queue is not None
    assert (res.queue.name, res.queue.dlq_name) == ("test-pcres-events", "test-pcres-events-dlq")
    assert json.loads(res.queue.filter_policy) == {"type": sorted(TYPES)}
    assert res.buckets == ["test-ouderportaal-pcres-photos"]
    assert res.schedules == ["relay_outbox"]


def test_describe_an_app_that_consumes_nothing(clock):
    res = describe(PortalApp("pcquiet"))
    assert res.queue is None and res.tables == [] and res.buckets == [] and res.schedules == []


def test_create_all(app, aws):
    clients = {name: aws(name) for name in ("dynamodb", "sns", "sqs", "s3", "ses")}
    create_all([describe(app)], clients)
    s = settings.get_settings()

    table = clients["dynamodb"].describe_table(TableName="test-pcres-main")["Table"]
    assert {g["IndexName"] for g in table["GlobalSecondaryIndexes"]} == {"gsi1", "gsi2"}
    ttl = clients["dynamodb"].describe_time_to_live(TableName="test-pcres-main")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}

    sqs = clients["sqs"]
    url = sqs.get_queue_url(QueueName="test-pcres-events")["QueueUrl"]
    dlq_url = sqs.get_queue_url(QueueName="test-pcres-events-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert json.loads(attrs["RedrivePolicy"]) == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}

    (sub,) = clients["sns"].list_subscriptions_by_topic(TopicArn=s.topic_arn)["Subscriptions"]
    assert sub["Endpoint"] == attrs["QueueArn"] and sub["Protocol"] == "sqs"
    sub_attrs = clients["sns"].get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])["Attributes"]
    assert json.loads(sub_attrs["FilterPolicy"]) == {"type": sorted(TYPES)}
    assert sub_attrs["RawMessageDelivery"] == "true"

    clients["s3"].head_bucket(Bucket="test-ouderportaal-pcres-photos")
    assert s.mail_sender in clients["ses"].list_identities()["Identities"]


def test_created_resources_carry_events_end_to_end(app, aws, clock):
    """An event published on the bus reaches the app's queue and its consumer processes it once."""
    received: list[str] = []
    app.event_handlers[TYPES[0]] = lambda env: received.append(env.event_id)
    clients = {name: aws(name) for name in ("dynamodb", "sns", "sqs", "s3")}
    create_all([describe(app)], clients)
    env = events.Envelope(event_id="e1", type=TYPES[0], version=1, tenant="t1",
                          occurred_at=clock.now(), source="pctest", payload={})
    events.SnsBus().publish([env, env])
    url = clients["sqs"].get_queue_url(QueueName="test-pcres-events")["QueueUrl"]
    messages = clients["sqs"].receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 2
    records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                "attributes": {}, "messageAttributes": {}, "eventSourceARN": "arn:x", "eventSource": "aws:sqs"}
               for m in messages]
    with Client(app) as client:
        result = client.lambda_.invoke("on_events", {"Records": records}).payload
    assert result == {"batchItemFailures": []}
    assert received == ["e1"]


def test_create_all_in_us_east_1(monkeypatch, clock):
    """us-east-1 is many developers' default region, and S3 refuses a LocationConstraint for it."""
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    settings.reset_settings()
    with mock_aws():
        app = PortalApp("pcres", buckets=["photos"])
        clients = {name: boto3.client(name, region_name="us-east-1") for name in ("dynamodb", "sns", "sqs", "s3")}
        create_all([describe(app)], clients)
        clients["s3"].head_bucket(Bucket="test-ouderportaal-pcres-photos")
