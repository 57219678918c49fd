"""The Lambda entry of the messaging service: Chalice packages this module and points every Lambda at
`app.<name>`, so every handler the app registers is named here (the service itself is the
`messaging_service` package; tests/test_guards.py checks this list against the app)."""

from messaging_service.app import app, deliver_notifications, expire_attachments, publish_due

token_authorizer, on_events, relay_outbox = app.entry_points(
    "token_authorizer", "on_events", "relay_outbox")

__all__ = ["app", "deliver_notifications", "expire_attachments", "on_events", "publish_due", "relay_outbox",
           "token_authorizer"]
