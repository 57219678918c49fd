"""HTTP routing of a `PortalApp`: routes that name an action, parsed input, problem+json for every error.

    @app.endpoint("/absences", "POST", action="child.absence.create", body=AbsenceIn, status=201)
    def report_absence(req: Req) -> AbsenceOut:
        req.authorize(Target.child(req.principal.tenant, ...))
        ...

Every route names an action from the catalogue (`authz.ACTIONS`) or says `public=True`; protected routes sit
behind the token authorizer (`app_authorizer.py`), and the view must call `req.authorize(target)` for an
action scoped to an object, or the request fails closed. Every path parameter is an id (`ids.is_id`).
Errors of every kind leave as `application/problem+json`. Each app serves `GET /health` and
`GET /openapi.json`.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from chalice import Chalice, Response
from pydantic import BaseModel

from . import authz, errors, i18n, ids, logs, paging
from .authz import Principal, Relation, Target
from .domain import DomainError
from .parsing import parse_body, parse_query
from .settings import get_settings

log = logging.getLogger("portal.http")
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

    app: HttpRoutes
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




class HttpRoutes(Chalice):
    """The HTTP part of `PortalApp` (which sets `service`, `portal_routes` and `_token_authorizer`)."""

    service: str
    title: str
    version: str
    portal_routes: list[RouteSpec]
    _token_authorizer: Any
    _principal_of: Callable[[Any], Principal | None]  # the authorizer part's (app_authorizer.py)

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
                except DomainError as refused:  # a rule said no: the edge says it in HTTP
                    return problem_response(errors.from_domain(refused), req.lang)
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
