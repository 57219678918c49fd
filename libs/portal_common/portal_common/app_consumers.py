"""The event consumers of a `PortalApp`: its SQS queue of events (idempotent on `event_id`) and the queues S3
notifies of objects created in its buckets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice import Chalice

from .settings import get_settings


class EventConsumers(Chalice):
    """The consumer part of `PortalApp` (which sets `service`, `buckets`, `consumed_event_types` and
    `bucket_consumers`)."""

    service: str
    buckets: list[str]
    consumed_event_types: set[str]
    bucket_consumers: list[tuple[str, str]]

    def consume(self, handlers: dict[str, Callable[[Any], None]]) -> None:
        """Subscribe this service's queue to `handlers`' event types; idempotent on `event_id`."""
        from .consumer import Inbox, handle_batch

        self.inbox = Inbox(self.service)
        self.event_handlers = dict(handlers)
        self.consumed_event_types |= set(handlers)

        @self.on_sqs_message(queue=get_settings().queue_name(self.service), batch_size=10, name="on_events")
        def on_events(event: Any) -> dict[str, Any]:
            return handle_batch(self.inbox, event, self.event_handlers)


    def consume_bucket_objects(self, bucket: str, handler: Callable[[dict[str, Any]], None], *, name: str) -> None:
        """Call `handler(notice)` with every S3 event notification of objects created in `bucket` (one of
        this app's `buckets`). S3 notifies a queue of the service's own (`bucket_queue_name`), which a
        Lambda named `name` consumes: `chalice package` cannot package `on_s3_event` for CloudFormation.

        There is no inbox here (S3 gives no stable event id): the handler must be idempotent, since S3
        may notify twice and a failed record is retried (then left in the DLQ after MAX_RECEIVE_COUNT).
        """
        if bucket not in self.buckets:
            raise ValueError(f"{self.service}: bucket {bucket!r} is not one of the app's buckets {self.buckets}")
        if any(b == bucket for b, _ in self.bucket_consumers):
            raise ValueError(f"{self.service}: bucket {bucket!r} already has a consumer")
        self.bucket_consumers.append((bucket, name))
        queue = get_settings().bucket_queue_name(self.service, bucket)

        def on_bucket_objects(event: Any) -> dict[str, Any]:
            from .consumer import handle_object_notices

            return handle_object_notices(event, handler)

        # Chalice names the Lambda handler after the function (`app.<__name__>`): give it the export's name.
        on_bucket_objects.__name__ = on_bucket_objects.__qualname__ = name
        self.on_sqs_message(queue=queue, batch_size=10, name=name)(on_bucket_objects)
