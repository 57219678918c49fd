"""Request parsing: JSON bodies and query strings into pydantic models.

- body over `max_body_bytes` → 413; not `application/json` → 415; not JSON → 400;
- missing fields, wrong types, unknown fields → 400 with field paths;
- well-typed values that break a constraint (too long, out of range, a validator) → 422.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from . import errors

M = TypeVar("M", bound=BaseModel)

# pydantic error types that mean "the shape is wrong" (400) rather than "a value breaks a rule" (422).
_STRUCTURAL = {
    "missing", "extra_forbidden", "json_invalid", "json_type", "model_type", "model_attributes_type",
    "dict_type", "list_type", "tuple_type", "set_type", "string_type", "int_type", "int_from_float",
    "float_type", "bool_type", "date_type", "datetime_type", "time_type", "decimal_type",
    "literal_error", "enum", "union_tag_invalid", "union_tag_not_found", "is_instance_of",
    "int_parsing", "float_parsing", "bool_parsing", "date_from_datetime_parsing", "date_parsing",
    "datetime_parsing", "datetime_from_date_parsing", "time_parsing", "uuid_type", "uuid_parsing",
    "bytes_type", "none_required", "frozen_set_type", "string_unicode", "iterable_type",
}


class Body(BaseModel):
    """Base of every request model: unknown fields are refused, values are not coerced."""

    # defer_build: validators are built on first use, not at import (cold starts).
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class Query(BaseModel):
    """Base of every query-string model: strings are converted (`?limit=20`), unknown keys refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Out(BaseModel):
    """Base of every response model."""

    model_config = ConfigDict(frozen=True, defer_build=True)


def _loc(loc: tuple[Any, ...], prefix: str) -> list[Any]:
    return [prefix, *loc] if prefix else list(loc)


def validation_problem(exc: ValidationError, prefix: str = "body") -> errors.Problem:
    items = []
    structural = False
    for err in exc.errors(include_url=False):
        kind = err.get("type", "")
        if kind in _STRUCTURAL or kind.endswith("_type") or kind.endswith("_parsing"):
            structural = True
        msg = err.get("msg", "invalid")
        if kind == "json_invalid":
            msg = "malformed JSON"
        items.append({"loc": _loc(tuple(err.get("loc", ())), prefix), "msg": msg, "type": kind})
    cls = errors.BadRequest if structural else errors.Unprocessable
    return cls(code="validation_error", errors=items, detail_key="error.validation")


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return True  # API Gateway and Chalice treat a missing content type as JSON
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def raw_body(request: Any) -> bytes:
    raw = request.raw_body
    if raw is None:
        return b""
    return raw if isinstance(raw, bytes) else raw.encode()


def parse_body(request: Any, model: type[M], max_bytes: int) -> M:
    """Parse and validate a JSON request body. The caller's size limit applies to the raw bytes."""
    body = raw_body(request)
    if len(body) > max_bytes:
        raise errors.PayloadTooLarge(detail_key="error.too_large.detail", detail_values={"limit": max_bytes})
    if not _is_json(request.headers.get("content-type")):
        raise errors.UnsupportedMediaType(detail_key="error.unsupported_media_type.detail")
    if not body.strip():
        raise errors.BadRequest(
            code="validation_error",
            errors=[{"loc": ["body"], "msg": "a JSON object is required", "type": "missing"}],
            detail_key="error.validation",
        )
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            raise errors.BadRequest(
                code="malformed_json",
                errors=[{"loc": ["body"], "msg": "malformed JSON", "type": "json_invalid"}],
                detail_key="error.malformed_json",
            ) from None
        raise validation_problem(exc) from None


def parse_query(request: Any, model: type[M]) -> M:
    params = dict(request.query_params or {})
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        raise validation_problem(exc, prefix="query") from None
