"""The Lambda entry of the exports service: Chalice packages this module and points every Lambda at
`app.<name>`, so every handler the app registers is named here (the service itself is the
`exports_service` package; tests/test_guards.py checks this list against the app)."""

from exports_service.app import app, chase_purges, expire_archives

token_authorizer, on_events, relay_outbox = app.entry_points(
    "token_authorizer", "on_events", "relay_outbox")

__all__ = ["app", "chase_purges", "expire_archives", "on_events", "relay_outbox", "token_authorizer"]
