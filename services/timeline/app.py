"""The Lambda entry of the timeline service: Chalice packages this module and points every Lambda at
`app.<name>`, so every handler the app registers is named here (the service itself is the
`timeline_service` package; tests/test_guards.py checks this list against the app)."""

from timeline_service.app import app

token_authorizer, on_events, relay_outbox, process_uploads = app.entry_points(
    "token_authorizer", "on_events", "relay_outbox", "process_uploads")

__all__ = ["app", "on_events", "process_uploads", "relay_outbox", "token_authorizer"]
