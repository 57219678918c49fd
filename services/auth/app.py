"""The Lambda entry of the auth service: Chalice packages this module and points every Lambda at
`app.<name>`, so every handler the app registers is named here (the service itself is the
`auth_service` package; tests/test_guards.py checks this list against the app)."""

from auth_service.app import app, close_access_windows, send_due_activations

token_authorizer, on_events, relay_outbox = app.entry_points(
    "token_authorizer", "on_events", "relay_outbox")

__all__ = ["app", "close_access_windows", "on_events", "relay_outbox", "send_due_activations", "token_authorizer"]
