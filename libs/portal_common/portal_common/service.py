"""`PortalApp`: a Chalice app with the project's conventions built in, made of four parts:

- `app_http.HttpRoutes`: routes that name an action, parsed input, problem+json, `/health`, `/openapi.json`;
- `app_authorizer.TokenAuthorizer`: the built-in token authorizer and the caller of each request;
- `app_consumers.EventConsumers`: the service's event queue and the queues of its buckets' notices;
- `app_outbox.OutboxRelay`: the transactional outbox and its relay.

    app = PortalApp("planning", tables=[store.PlanningItem])
    outbox = app.publishes()
    app.consume({...})

`chalice package` points every Lambda at `app.<function name>` of the service's `app.py`. That module
names them itself (`app.entry_points(...)` for the ones the library registers; a guard test and the
packager check that every handler the app registers is there).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import logs
from .app_authorizer import AUTHORIZER_CACHE_SECONDS, AUTHORIZER_NAME, TokenAuthorizer
from .app_consumers import EventConsumers
from .app_http import HttpRoutes, Req, RouteSpec, json_response, problem_response
from .app_outbox import OutboxRelay
from .settings import get_settings

__all__ = ["AUTHORIZER_CACHE_SECONDS", "AUTHORIZER_NAME", "PortalApp", "Req", "RouteSpec", "json_response",
           "problem_response"]


class PortalApp(HttpRoutes, TokenAuthorizer, EventConsumers, OutboxRelay):
    def __init__(self, service: str, *, tables: list[type] | None = None, buckets: list[str] | None = None,
                 delivers_into: list[tuple[str, str, str]] | None = None, push: str | None = None,
                 title: str | None = None, version: str = "0.1.0") -> None:
        super().__init__(app_name=service)
        self.service = service
        self.title = title or f"ouderportaal {service} service"
        self.version = version
        self.tables = list(tables or [])
        self.buckets = list(buckets or [])
        # (service, bucket, key prefix) of another service's bucket this one writes files into (a drop
        # box: put and abort a multipart upload under the prefix, nothing else), e.g. the timeline
        # building a diary archive where the exports service hands it out.
        self.delivers_into = list(delivers_into or [])
        # Mobile push through SNS platform endpoints: "register" (creates and deletes endpoints of the
        # platform applications: auth) or "send" (publishes to endpoints: the notifications).
        self.push = push
        self.consumed_event_types: set[str] = set()
        self.bucket_consumers: list[tuple[str, str]] = []  # (bucket, function name): S3 → SQS → handler
        self.portal_routes: list[RouteSpec] = []
        logs.configure(get_settings().log_level)
        self.register_middleware(self._problem_middleware, "http")
        self._token_authorizer = self._make_authorizer()
        self._add_standard_routes()

    def lambda_handlers(self) -> dict[str, Callable[..., Any]]:
        """Every Lambda handler this app registers (authorizer, queues, schedules), by the name `chalice
        package` gives it in the service's `app.py` (`app.<name>`)."""
        found: dict[str, Callable[..., Any]] = {}
        sources: list[Any] = [*self.builtin_auth_handlers, *self.event_sources]
        for source in sources:
            found[source.handler_string.removeprefix("app.")] = self.handler_map[source.name]
        return found

    def entry_points(self, *names: str) -> tuple[Callable[..., Any], ...]:
        """The handlers called `names`, for the service's `app.py`, where `chalice package` looks for them:

            token_authorizer, on_events = app.entry_points("token_authorizer", "on_events")
        """
        handlers = self.lambda_handlers()
        unknown = [n for n in names if n not in handlers]
        if unknown:
            raise KeyError(f"{self.service} registers no Lambda handler called {', '.join(unknown)}")
        return tuple(handlers[n] for n in names)
