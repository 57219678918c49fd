"""`PortalApp`: a Chalice app with the project's conventions built in.

    app = PortalApp("planning", tables=[store.PlanningItem])

    @app.endpoint("/absences", "POST", action="child.absence.create", body=AbsenceIn, status=201)
    def report_absence(req: Req) -> AbsenceOut:
        req.authorize(Target.child(req.principal.tenant, ...))
        ...

Every route names an action from the catalogue (`authz.ACTIONS`) or says `public=True`; protected
routes sit behind the built-in token authorizer, and the view must call `req.authorize(target)` for
an action scoped to an object, or the request fails closed. Errors of every kind leave as
`application/problem+json`. Each app serves `GET /health` and `GET /openapi.json`.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from chalice import AuthResponse, Chalice, Response
from pydantic import BaseModel

from . import authz, clock, errors, i18n, ids, logs, paging
from .authz import Principal, Relation, Target
from .parsing import parse_body, parse_query
from .settings import get_settings

log = logging.getLogger("portal.http")
AUTHORIZER_NAME = "token"
# API Gateway caches an authorizer's answer per token. Set explicitly (its default is 300 s): at most a
# minute of a revoked key or a changed policy, and never past the token's own `exp`, which every view
# checks again (`Principal.expired`). ADR 0002 says why 60 s rather than 0.
AUTHORIZER_CACHE_SECONDS = 60
JSON = "application/json"


@dataclass(frozen=True)
class RouteSpec:
    path: str
    method: str
    name: str
    action: str | None
    public: bool
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    summary: str
    max_body: int | None = None
    tags: tuple[str, ...] = ()
    also: tuple[int, ...] = ()  # other statuses the view answers itself (201 for a PUT that created, 410...)


@dataclass
class Req:
    """What a view gets: the caller, the parsed input, and the authorization and paging helpers."""

    app: PortalApp
    spec: RouteSpec
    request: Any
    lang: str
    _principal: Principal | None = None
    body: Any = None
    query: Any = None
    authorized: bool = field(default=False)

    @property
    def principal(self) -> Principal:
        if self._principal is None:
            raise errors.Unauthorized(detail_key="error.unauthorized.detail")
        return self._principal

    def authorize(self, target: Target | None = None, *, action: str | None = None) -> None:
        """The object-level check of this route's action (or of `action`, for a list route that reaches
        objects of different kinds: a parent's own requests, a group's). Raises 403/404; nothing leaks."""
        if self.spec.action is None:
            raise errors.Problem(code="public_route_cannot_authorize")
        authz.authorize(self.principal, action or self.spec.action, target)
        self.authorized = True

    @property
    def source_ip(self) -> str:
        identity = (self.request.context or {}).get("identity") or {}
        return str(identity.get("sourceIp") or "unknown")

    # Paging: cursors are sealed to this route and this caller.
    @property
    def _cursor_scope(self) -> str:
        return f"{self.app.service}:{self.spec.name}"

    def page_position(self, cursor: str | None) -> dict[str, Any] | None:
        if not cursor:
            return None
        p = self.principal
        return paging.open_cursor(cursor, scope=self._cursor_scope, tenant=p.tenant, subject=p.user_id)

    def page_body(self, items: list[Any], next_position: dict[str, Any] | None) -> dict[str, Any]:
        p = self.principal
        page: paging.Page[Any] = paging.Page(items, next_position)
        return page.to_body(scope=self._cursor_scope, tenant=p.tenant, subject=p.user_id)


def _json_default(value: Any) -> Any:
    # Views return plain dicts holding response models (a page of items) and instants; `str()` would
    # give a model's repr and "2026-03-03 09:00:00+01:00" instead of JSON and ISO 8601.
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, (date, time)):  # datetime is a date
        return value.isoformat()
    return str(value)


def json_response(body: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    """A view's answer with a status other than its route's (e.g. 201 for a PUT that created)."""
    return _json_response(body, status, headers)


def _json_response(body: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    if isinstance(body, BaseModel):
        payload = body.model_dump_json(by_alias=True)
    else:
        payload = json.dumps(body, ensure_ascii=False, default=_json_default)
    return Response(body=payload, status_code=status, headers={"Content-Type": JSON, **(headers or {})})


def problem_response(problem: errors.Problem, lang: str) -> Response:
    return Response(
        body=json.dumps(problem.to_dict(lang), ensure_ascii=False),
        status_code=problem.status,
        headers={"Content-Type": errors.PROBLEM_CONTENT_TYPE, **problem.headers},
    )


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}


def _language(request: Any) -> str:
    headers = getattr(request, "headers", None) or {}
    return i18n.negotiate(headers.get("accept-language"))


class PortalApp(Chalice):
    def __init__(self, service: str, *, tables: list[type] | None = None, buckets: list[str] | None = None,
                 delivers_into: list[tuple[str, str, str]] | None = None, push: str | None = None,
                 title: str | None = None, version: str = "0.1.0") -> None:
        super().__init__(app_name=service)
        # The module that builds the app (its app.py). `chalice package` points every Lambda handler
        # at `app.<function name>`, so handlers the library defines are exported into that module.
        self._entry_namespace: dict[str, Any] = sys._getframe(1).f_globals
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

    # -- authentication ----------------------------------------------------------------------
    def _make_authorizer(self) -> Any:
        @self.authorizer(name=AUTHORIZER_NAME, ttl_seconds=AUTHORIZER_CACHE_SECONDS)
        def token_authorizer(auth_request: Any) -> AuthResponse:
            from .tokens import InvalidToken, get_verifier  # keeps PyJWT off public-only cold paths

            deny = AuthResponse(routes=[], principal_id="anonymous")
            raw = (auth_request.token or "").strip()
            scheme, _, token = raw.partition(" ")
            if scheme.lower() != "bearer" or not token or len(token) > 8192:
                return deny
            try:
                principal = get_verifier().verify(token.strip())
            except InvalidToken:
                return deny
            # Authorizer context values must be strings: the claims travel as one JSON string.
            claims = {**principal.to_claims(), "exp": principal.expires_at}
            return AuthResponse(routes=["*"], principal_id=principal.user_id, context={"claims": json.dumps(claims)})

        self._export("token_authorizer", token_authorizer)
        return token_authorizer

    def _export(self, name: str, handler: Any) -> None:
        self._entry_namespace.setdefault(name, handler)

    def _principal_of(self, request: Any) -> Principal | None:
        context = (request.context or {}).get("authorizer") or {}
        raw = context.get("claims")
        if not raw:
            return None
        principal = Principal.from_claims(json.loads(raw))
        if principal.expired(clock.utcnow().timestamp()):
            return None  # a cached authorizer answer outliving the token: 401 like any expired token
        return principal

    # -- errors ------------------------------------------------------------------------------
    def _problem_middleware(self, event: Any, get_response: Callable[[Any], Response]) -> Response:
        logs.clear()
        context = getattr(event, "context", None) or {}
        logs.bind(service=self.service, request_id=context.get("requestId"))
        lang = _language(event)
        try:
            response = get_response(event)
        except errors.Problem as raised:
            response = problem_response(raised, lang)
        except Exception:
            log.exception("unhandled error")
            response = problem_response(errors.Problem(), lang)
        content_type = str({k.lower(): v for k, v in response.headers.items()}.get("content-type", ""))
        if response.status_code >= 400 and not content_type.startswith(errors.PROBLEM_CONTENT_TYPE):
            # Chalice's own errors (405, 415, 500) become problem documents too.
            cls = errors.BY_STATUS.get(response.status_code, errors.Problem)
            converted = cls.__new__(cls)
            errors.Problem.__init__(converted, None)
            if cls is errors.Problem:
                converted.status = response.status_code
            if response.status_code == 415:
                converted.detail_key = "error.unsupported_media_type.detail"
            keep = {k: v if isinstance(v, str) else ", ".join(v) for k, v in response.headers.items()
                    if k.lower() in ("allow", "retry-after")}
            converted.headers = keep
            response = problem_response(converted, lang)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    # -- routes ------------------------------------------------------------------------------
    def endpoint(self, path: str, method: str, *, action: str | None = None, public: bool = False,
                 body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
                 response: type[BaseModel] | None = None, status: int = 200, summary: str = "",
                 max_body: int | None = None, tags: tuple[str, ...] = (),
                 also: tuple[int, ...] = ()) -> Callable[[Callable[..., Any]], Any]:
        if public == (action is not None):
            raise ValueError(f"{method} {path}: name exactly one of action=… or public=True")
        if action is not None and action not in authz.ACTIONS:
            raise ValueError(f"{method} {path}: unknown action {action!r}")

        def decorate(fn: Callable[..., Any]) -> Any:
            spec = RouteSpec(path, method.upper(), fn.__name__, action, public, body, query, response, status,
                             summary or (fn.__doc__ or "").strip().split("\n")[0], max_body, tags, also)
            needs_target = action is not None and authz.ACTIONS[action].relation is not Relation.SELF

            @functools.wraps(fn)
            def view(**params: str) -> Response:
                request = self.current_request
                assert request is not None  # Chalice sets it before calling a view
                req = Req(self, spec, request, _language(request))
                try:
                    if not public:
                        req._principal = self._principal_of(request)
                        principal = req.principal  # 401 when the gateway let nothing through
                        logs.bind(tenant=principal.tenant, user_id=principal.user_id)
                        # The language the user chose in their account wins over the device's header.
                        req.lang = i18n.negotiate(request.headers.get("accept-language"), principal.language)
                        authz.check_role(principal, action)  # type: ignore[arg-type]
                    if not all(ids.is_id(value) for value in params.values()):
                        # Every path parameter is an id (dates, periods and secrets fit the same alphabet):
                        # anything else names nothing that exists, and never reaches a key.
                        raise errors.NotFound()
                    if query is not None:
                        req.query = parse_query(request, query)
                    elif request.query_params:
                        raise errors.BadRequest(code="validation_error", detail_key="error.validation", errors=[
                            {"loc": ["query", k], "msg": "unknown parameter"} for k in request.query_params])
                    if body is not None:
                        req.body = parse_body(request, body, max_body or get_settings().max_body_bytes)
                    result = fn(req, **params)
                    if needs_target and not req.authorized:
                        # Fail closed: an object-scoped action whose view never checked the object.
                        log.error("view did not authorize its target", extra={"route": spec.name})
                        raise errors.Problem(code="authorization_not_checked")
                except errors.Problem as problem:
                    return problem_response(problem, req.lang)
                except Exception:
                    # Chalice would catch this itself and log it as plain text without the request's
                    # ids; log it here as a JSON line with tenant and user bound, answer a bare 500.
                    log.exception("unhandled error", extra={"route": spec.name})
                    return problem_response(errors.Problem(), req.lang)
                if isinstance(result, Response):
                    return result
                if result is None:
                    return Response(body="", status_code=204 if status in (200, 204) else status)
                return _json_response(result, status)

            self.route(path, methods=[spec.method], authorizer=None if public else self._token_authorizer,
                       content_types=[JSON])(view)
            self.portal_routes.append(spec)
            return view

        return decorate

    def _add_standard_routes(self) -> None:
        @self.endpoint("/health", "GET", public=True, summary="Liveness of the service")
        def health(req: Req) -> dict[str, str]:
            return {"status": "ok"}

        @self.endpoint("/openapi.json", "GET", public=True, summary="This service's OpenAPI 3.1 document")
        def openapi(req: Req) -> dict[str, Any]:
            from .openapi import build_openapi

            return build_openapi(self)

    # -- events and schedules ----------------------------------------------------------------
    def consume(self, handlers: dict[str, Callable[[Any], None]]) -> None:
        """Subscribe this service's queue to `handlers`' event types; idempotent on `event_id`."""
        from .consumer import Inbox, handle_batch

        self.inbox = Inbox(self.service)
        self.event_handlers = dict(handlers)
        self.consumed_event_types |= set(handlers)

        @self.on_sqs_message(queue=get_settings().queue_name(self.service), batch_size=10, name="on_events")
        def on_events(event: Any) -> dict[str, Any]:
            return handle_batch(self.inbox, event, self.event_handlers)

        self._export("on_events", on_events)

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
        self._export(name, self.on_sqs_message(queue=queue, batch_size=10, name=name)(on_bucket_objects))

    def publishes(self) -> Any:
        """Give this service a transactional outbox, relayed every minute for what a crash left behind."""
        from chalice import Rate

        from .outbox import Outbox

        self.outbox = Outbox(self.service)

        @self.schedule(Rate(1, unit=Rate.MINUTES), name="relay_outbox")
        def relay_outbox(event: Any) -> int:
            return self.outbox.relay()

        self._export("relay_outbox", relay_outbox)

        return self.outbox
