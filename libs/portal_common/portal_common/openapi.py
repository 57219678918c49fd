"""OpenAPI 3.1 documents generated from route metadata and the pydantic models."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from . import authz, ids

if TYPE_CHECKING:
    from .app_http import RouteSpec


class DocumentedApp(Protocol):
    """What a document is made of: a `PortalApp`'s name, title, version and routes."""

    service: str
    title: str
    version: str
    portal_routes: list[RouteSpec]

PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string", "description": "stable machine-readable reason"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {"type": "object", "properties": {"loc": {"type": "array"}, "msg": {"type": "string"}}},
        },
    },
}
_PARAM = re.compile(r"{(\w+)}")
# Every path parameter is an id (`portal_common.ids`): anything else is a 404 before anything is read.
PATH_ID_SCHEMA = {"type": "string", "minLength": 1, "maxLength": ids.ID_MAX_LENGTH, "pattern": ids.ID_PATTERN}
_ROUTE_PROBLEMS = {409: "conflicts with the object's current state", 410: "existed, but is gone",
                   429: "too many requests; see Retry-After"}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _problems(spec: RouteSpec, has_path_params: bool) -> dict[int, str]:
    """The problem+json answers an operation can give, from what the route takes and who may call it."""
    found = {400: "malformed request: an unknown query parameter, a missing field or a wrong type"}
    writes = spec.method not in ("GET", "HEAD")
    if spec.body is not None:
        found[413] = "body too large"
        found[415] = "not application/json"
    if spec.body is not None or spec.query is not None or has_path_params or writes:
        found[422] = "well-formed, but breaks a rule (a value, or the object's state)"
    if has_path_params:
        found[404] = "not found, or not yours"
    if spec.public:
        if writes:  # sign-in and recovery: credentials or a link's token, throttled
            found[401] = "credentials or token not accepted"
            found[429] = "too many attempts; see Retry-After"
    else:
        found[401] = "missing, invalid or expired token"
        found[403] = "the role may not do this"
        found[404] = "not found, or not yours"
        if writes:
            found[409] = "conflicts with the object's current state or a concurrent change"
    found.update({s: _ROUTE_PROBLEMS.get(s, "see the description") for s in spec.also if s >= 400})
    return found


def build_openapi(app: DocumentedApp) -> dict[str, Any]:
    models: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = []
    for spec in app.portal_routes:
        if spec.body is not None:
            models.append((spec.body, "validation"))
        if spec.response is not None:
            models.append((spec.response, "serialization"))
    refs, schema = models_json_schema(models, ref_template="#/components/schemas/{model}")
    components = dict(schema.get("$defs", {}))
    components["Problem"] = PROBLEM_SCHEMA

    paths: dict[str, dict[str, Any]] = {}
    for spec in app.portal_routes:
        op: dict[str, Any] = {
            "operationId": f"{app.service}_{spec.name}",
            "summary": spec.summary,
            "tags": list(spec.tags) or [app.service],
            "responses": {},
        }
        if spec.public:
            op["security"] = []
        else:
            action = authz.ACTIONS[spec.action or ""]
            op["x-action"] = action.name
            op["x-roles"] = sorted(r.value for r in action.roles)
            op["x-relation"] = action.relation.value
            op["description"] = f"Action `{action.name}`: {action.description}."
        path_params = _PARAM.findall(spec.path)
        params = [{"name": n, "in": "path", "required": True, "schema": dict(PATH_ID_SCHEMA)} for n in path_params]
        if spec.query is not None:
            qschema = spec.query.model_json_schema()
            required = set(qschema.get("required", []))
            for name, prop in qschema.get("properties", {}).items():
                params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
        if params:
            op["parameters"] = params
        if spec.body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": refs[(spec.body, "validation")]}}}
        ok: dict[str, Any] = {"description": "success"}
        if spec.response is not None:
            ok["content"] = {"application/json": {"schema": refs[(spec.response, "serialization")]}}
        for status in sorted({spec.status, *(s for s in spec.also if s < 400)}):
            op["responses"][str(status)] = ok
        for status, description in sorted(_problems(spec, bool(path_params)).items()):
            op["responses"][str(status)] = _problem(description)
        paths.setdefault(spec.path, {})[spec.method.lower()] = op

    return {
        "openapi": "3.1.0",
        "info": {"title": app.title, "version": app.version},
        "servers": [{"url": f"/{app.service}"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (EdDSA)"}},
        },
        "security": [{"bearer": []}],
    }
