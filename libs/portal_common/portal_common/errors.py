"""`application/problem+json` errors (RFC 9457).

Views raise a `Problem` (or one of its subclasses); the app's middleware turns it, and every error
Chalice produces itself (405, 415, unhandled exceptions), into a problem document:
`{"type", "title", "status", "detail", "code", "errors": [{"loc", "msg"}]}`.
`code` is the stable machine-readable slug; `title`/`detail` follow the caller's language.
"""

from __future__ import annotations

import json
from typing import Any

from . import i18n

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:ouderportaal:problem:"


class Problem(Exception):
    status = 500
    code = "internal"
    title_key = "error.internal"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        detail_key: str | None = None,
        detail_values: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or code or self.code)
        self.detail = detail
        if code:
            self.code = code
        self.errors = errors
        self.headers = headers or {}
        self.detail_key = detail_key
        self.detail_values = detail_values or {}
        self.extra = extra or {}

    def to_dict(self, lang: str = i18n.DEFAULT_LANGUAGE) -> dict[str, Any]:
        detail = self.detail
        if self.detail_key:
            detail = i18n.t(self.detail_key, lang, **self.detail_values)
        body: dict[str, Any] = {
            "type": TYPE_PREFIX + self.code,
            "title": i18n.t(self.title_key, lang),
            "status": self.status,
            "code": self.code,
            "detail": detail or i18n.t(self.title_key, lang),
        }
        if self.errors is not None:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class BadRequest(Problem):
    status, code, title_key = 400, "bad_request", "error.bad_request"


class Unauthorized(Problem):
    status, code, title_key = 401, "unauthorized", "error.unauthorized"


class Forbidden(Problem):
    status, code, title_key = 403, "forbidden", "error.forbidden"


class NotFound(Problem):
    """Also the answer for another family's or tenant's object: existence is never revealed."""

    status, code, title_key = 404, "not_found", "error.not_found"


class MethodNotAllowed(Problem):
    status, code, title_key = 405, "method_not_allowed", "error.method_not_allowed"


class Conflict(Problem):
    status, code, title_key = 409, "conflict", "error.conflict"


class Gone(Problem):
    """It existed and was the caller's, but is no more (an export's archive past its days)."""

    status, code, title_key = 410, "gone", "error.gone"


class PayloadTooLarge(Problem):
    status, code, title_key = 413, "payload_too_large", "error.too_large"


class UnsupportedMediaType(Problem):
    status, code, title_key = 415, "unsupported_media_type", "error.unsupported_media_type"


class Unprocessable(Problem):
    """Valid JSON that breaks a rule (dates, hours, capacity…)."""

    status, code, title_key = 422, "unprocessable", "error.unprocessable"


class TooManyRequests(Problem):
    status, code, title_key = 429, "too_many_requests", "error.too_many_requests"

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, int(retry_after)))})


BY_STATUS: dict[int, type[Problem]] = {
    cls.status: cls
    for cls in (
        BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, Conflict,
        PayloadTooLarge, UnsupportedMediaType, Unprocessable, TooManyRequests, Problem,
    )
}


def from_domain(error: Any) -> Problem:
    """The problem document of a domain exception (`portal_common.domain`): 422, 409 or 404, same code."""
    from . import domain

    cls: type[Problem] = Unprocessable
    if isinstance(error, domain.StateConflict):
        cls = Conflict
    elif isinstance(error, domain.Missing):
        cls = NotFound
    return cls(error.detail, code=error.code, errors=error.errors, detail_key=error.detail_key,
               detail_values=error.detail_values, extra=error.extra)


def problem_body(status: int, lang: str = i18n.DEFAULT_LANGUAGE, detail: str | None = None) -> str:
    """A problem document for a bare status (used by gateways that produce errors themselves)."""
    cls = BY_STATUS.get(status, Problem)
    problem = cls.__new__(cls)
    Problem.__init__(problem, detail)
    if cls is Problem:
        problem.status = status
    return json.dumps(problem.to_dict(lang))
