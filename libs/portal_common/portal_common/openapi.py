"""OpenAPI 3.1 documents generated from route metadata and the pydantic models."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from . import authz

if TYPE_CHECKING:
    from .service import PortalApp

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


def _problem(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def build_openapi(app: PortalApp) -> dict[str, Any]:
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
        params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                  for n in _PARAM.findall(spec.path)]
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
            op["responses"]["400"] = _problem("malformed JSON, unknown field or wrong type")
            op["responses"]["413"] = _problem("body too large")
            op["responses"]["415"] = _problem("not application/json")
            op["responses"]["422"] = _problem("valid JSON that breaks a rule")
        ok: dict[str, Any] = {"description": "success"}
        if spec.response is not None:
            ok["content"] = {"application/json": {"schema": refs[(spec.response, "serialization")]}}
        op["responses"][str(spec.status)] = ok
        if not spec.public:
            op["responses"]["401"] = _problem("missing, invalid or expired token")
            op["responses"]["403"] = _problem("the role may not do this")
            op["responses"]["404"] = _problem("not found, or not yours")
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
