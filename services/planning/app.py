"""The Lambda entry of the planning service: Chalice packages this module and points every Lambda at
`app.<name>`, so every handler the app registers is named here (the service itself is the
`planning_service` package; tests/test_guards.py checks this list against the app)."""

from planning_service.app import app, expire_fiscal_documents, expire_requests, expire_swap_hours, monthly_billing

token_authorizer, on_events, relay_outbox = app.entry_points(
    "token_authorizer", "on_events", "relay_outbox")

__all__ = ["app", "expire_fiscal_documents", "expire_requests", "expire_swap_hours", "monthly_billing", "on_events",
           "relay_outbox", "token_authorizer"]
