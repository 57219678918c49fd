"""One WSGI application in front of all five apps: what API Gateway and its base-path mappings do in AWS.

`/auth/...`, `/timeline/...`, `/messaging/...`, `/planning/...` and `/exports/...` go, with the prefix
stripped, to a `chalice.local.LocalGateway` for that app (routing, the built-in token authorizer, the
Lambda proxy event); everything else goes to a fallback (the dev pages and static files) or gets a
404. The gateway's own errors leave as `application/problem+json`, like the apps' errors:

| LocalGateway says | answer |
|---|---|
| `AccessDeniedException` (the token authorizer denied: invalid or expired token) | 401 |
| `UnauthorizedException` without Authorization header on a protected route | 401 |
| no route matches ("Missing Authentication Token", "Authorization header requires …") | 404 |
| anything else | its own code |

Bodies above API Gateway's 10 MB limit get 413 without being read; otherwise at most 1 MiB + 1 bytes
are read and handed on, so the app's own (smaller) limit answers 413 for anything bigger.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from chalice.config import Config
from chalice.local import LocalChalice, LocalGateway, LocalGatewayException
from werkzeug.wrappers import Request, Response

from portal_common import errors, i18n

log = logging.getLogger("infra.local")

API_GATEWAY_MAX_BODY = 10 * 1024 * 1024   # API Gateway refuses larger payloads itself
READ_CAP = 1024 * 1024 + 1                 # more than any app accepts, so the app's limit answers
PROBLEM = errors.PROBLEM_CONTENT_TYPE
_NO_ROUTE_MARKERS = (b"Missing Authentication Token", b"Authorization header requires")
_local = threading.local()


def gateway_error_status(exc: LocalGatewayException) -> int:
    """The status API Gateway (as configured for this project) answers for a LocalGateway error."""
    kind = (exc.headers or {}).get("x-amzn-ErrorType", "")
    body = exc.body or b""
    if any(marker in body for marker in _NO_ROUTE_MARKERS):
        return 404
    if kind in ("AccessDeniedException", "UnauthorizedException"):
        return 401
    return int(exc.CODE) or 500


def problem_response(status: int, lang: str = i18n.DEFAULT_LANGUAGE, headers: dict[str, str] | None = None,
                     detail: str | None = None) -> Response:
    response = Response(errors.problem_body(status, lang, detail), status=status, content_type=PROBLEM)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def gateway_error_response(exc: LocalGatewayException, lang: str = i18n.DEFAULT_LANGUAGE) -> Response:
    status = gateway_error_status(exc)
    headers = {}
    request_id = (exc.headers or {}).get("x-amzn-RequestId")
    if request_id:
        headers["x-amzn-RequestId"] = request_id
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return problem_response(status, lang, headers)


class ServiceGateway(LocalGateway):
    """LocalGateway that puts the real client address and a request id into the Lambda event."""

    def __init__(self, service: str, app: Any) -> None:
        super().__init__(app, Config.create(chalice_stage="local", app_name=service, lambda_timeout=30,
                                            lambda_memory_size=512))
        self.service = service
        self.app = app

    def call(self, method: str, path: str, headers: dict[str, str], body: bytes | None,
             source_ip: str) -> dict[str, Any]:
        _local.source_ip = source_ip
        _local.request_id = str(uuid.uuid4())
        return self.handle_request(method, path, headers, body)

    def _generate_lambda_event(self, method: str, path: str, headers: dict[str, Any],
                               body: bytes | None) -> dict[str, Any]:
        event = super()._generate_lambda_event(method, path, headers, body)
        context = event["requestContext"]
        context["identity"]["sourceIp"] = getattr(_local, "source_ip", None) or context["identity"]["sourceIp"]
        context["requestId"] = getattr(_local, "request_id", None) or str(uuid.uuid4())
        context["stage"] = "local"
        context["requestTimeEpoch"] = int(time.time() * 1000)
        return event


def make_thread_safe(app: Any) -> type:
    """Give the app a per-thread `current_request` (as `chalice local` does); returns the old class."""
    original = type(app)
    if not issubclass(original, LocalChalice):
        app.__class__ = type(f"Local{original.__name__}", (LocalChalice, original), {})
    return original


def _raw_target(request: Request) -> str:
    """The request target as sent (still percent-encoded), with its query string."""
    environ = request.environ
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        if not raw.startswith("/"):
            parts = urlsplit(raw)
            raw = parts.path + (f"?{parts.query}" if parts.query else "")
        query = environ.get("QUERY_STRING")
        if query and "?" not in raw:  # a server (werkzeug's test client) that keeps the query out of it
            raw = f"{raw}?{query}"
        return str(raw)
    query = environ.get("QUERY_STRING")
    return quote(request.path) + (f"?{query}" if query else "")


def _proxy_response(result: dict[str, Any], request_id: str | None) -> Response:
    body = result.get("body")
    if body is None:
        data = b""
    elif result.get("isBase64Encoded"):
        data = base64.b64decode(body)
    else:
        data = body if isinstance(body, bytes) else str(body).encode("utf-8")
    response = Response(data, status=int(result["statusCode"]))
    response.headers.pop("Content-Type", None)
    headers = dict(result.get("headers") or {})
    for name, value in headers.items():
        response.headers[name] = str(value)
    for name, values in (result.get("multiValueHeaders") or {}).items():
        for value in values if isinstance(values, list) else [values]:
            response.headers.add(name, str(value))
    if "Content-Type" not in response.headers:  # case-insensitive
        response.headers["Content-Type"] = "application/json"
    if request_id:
        response.headers.setdefault("x-amzn-RequestId", request_id)
    return response


Fallback = Callable[[Request], Response | None]


class Dispatcher:
    """The WSGI application: service prefixes to their gateways, the rest to `fallback`."""

    def __init__(self, apps: dict[str, Any], fallback: Fallback | None = None, *, access_log: bool = True) -> None:
        # A threaded server runs requests side by side: each app needs a per-thread current_request.
        self._classes = {name: make_thread_safe(app) for name, app in apps.items()}
        self.gateways = {name: ServiceGateway(name, app) for name, app in apps.items()}
        self.fallback = fallback
        self.access_log = access_log

    def close(self) -> None:
        """Give the apps their own class back (in-process users that outlive the gateway)."""
        for name, gateway in self.gateways.items():
            gateway.app.__class__ = self._classes[name]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        started = time.perf_counter()
        try:
            response = self.dispatch(request)
        except Exception:
            log.exception("gateway error on %s %s", request.method, request.path)
            response = problem_response(500)
        if self.access_log:
            elapsed = (time.perf_counter() - started) * 1000
            log.info("%s %s %d %.0f ms", request.method, request.path, response.status_code, elapsed)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        lang = i18n.negotiate(request.headers.get("Accept-Language"))
        segment = request.path.lstrip("/").split("/", 1)[0]
        gateway = self.gateways.get(segment)
        if gateway is None:
            found = self.fallback(request) if self.fallback else None
            return found if found is not None else problem_response(404, lang)
        return self.to_service(gateway, request, lang)

    def to_service(self, gateway: ServiceGateway, request: Request, lang: str) -> Response:
        length = request.content_length
        if length is not None and length > API_GATEWAY_MAX_BODY:
            return problem_response(413, lang, {"Connection": "close"})
        body = request.stream.read(READ_CAP) if (length or request.environ.get("wsgi.input_terminated")) else b""
        target = _raw_target(request)
        prefix = "/" + gateway.service
        if not target.startswith(prefix):  # an encoded prefix ("/%61uth"): fall back to the decoded path
            query = request.environ.get("QUERY_STRING")
            target = quote(request.path) + (f"?{query}" if query else "")
        rest = target[len(prefix):]
        if not rest.startswith("/"):
            rest = "/" + rest
        headers = {name.lower(): value for name, value in request.headers.items()}
        source_ip = request.remote_addr or "127.0.0.1"
        try:
            result = gateway.call(request.method, rest, headers, body or None, source_ip)
        except LocalGatewayException as exc:
            return gateway_error_response(exc, lang)
        return _proxy_response(result, getattr(_local, "request_id", None))
