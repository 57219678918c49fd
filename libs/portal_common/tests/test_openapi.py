"""The OpenAPI 3.1 document generated from the routes and pydantic models."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pc_app import build_app

from portal_common.openapi import build_openapi


@pytest.fixture
def app():
    return build_app()[0]


@pytest.fixture
def doc(app) -> dict[str, Any]:
    return build_openapi(app)


def resolve(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    assert ref.startswith("#/")
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def refs_in(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in refs_in(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs_in(v)]
    return []


def test_version_and_info(doc, app):
    assert doc["openapi"] == "3.1.0"
    assert doc["info"] == {"title": app.title, "version": app.version}
    assert doc["servers"] == [{"url": "/pctest"}]
    assert doc["security"] == [{"bearer": []}]
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    json.dumps(doc)  # serialisable as is


def test_every_route_is_listed_with_a_unique_operation_id(doc, app):
    ids = []
    for spec in app.portal_routes:
        op = doc["paths"][spec.path][spec.method.lower()]
        ids.append(op["operationId"])
        assert str(spec.status) in op["responses"]
    assert len(ids) == len(set(ids)) == len(app.portal_routes)
    assert {"/health", "/openapi.json", "/me", "/devices", "/items"} <= set(doc["paths"])


def test_protected_routes_name_their_action(doc, app):
    for spec in app.portal_routes:
        op = doc["paths"][spec.path][spec.method.lower()]
        if spec.public:
            assert op["security"] == [] and "x-action" not in op
            # only a public write (sign-in, recovery: credentials in the body) answers 401
            assert ("401" in op["responses"]) is (spec.method != "GET")
        else:
            assert op["x-action"] == spec.action
            assert "security" not in op  # inherits the document's bearer requirement
            assert {"401", "403", "404"} <= set(op["responses"])
    child = doc["paths"]["/children/{child_id}"]["get"]
    assert child["x-relation"] == "child" and "parent" in child["x-roles"]


def test_request_body_schema_resolves(doc):
    op = doc["paths"]["/devices"]["post"]
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    target = resolve(doc, schema["$ref"])
    assert set(target["properties"]) == {"token", "platform"}
    assert target.get("additionalProperties") is False
    assert {"400", "413", "415", "422", "201"} <= set(op["responses"])
    response = op["responses"]["201"]["content"]["application/json"]["schema"]
    assert set(resolve(doc, response["$ref"])["properties"]) == {"id", "platform"}


def test_every_reference_resolves(doc):
    refs = refs_in(doc)
    assert "#/components/schemas/Problem" in refs
    for ref in refs:
        assert resolve(doc, ref)


def test_query_and_path_parameters(doc):
    params = {(p["name"], p["in"]): p for p in doc["paths"]["/items"]["get"]["parameters"]}
    assert set(params) == {("limit", "query"), ("cursor", "query")}
    assert params[("limit", "query")]["required"] is False
    assert params[("limit", "query")]["schema"]["maximum"] == 100
    path_params = doc["paths"]["/children/{child_id}"]["get"]["parameters"]
    assert path_params == [{"name": "child_id", "in": "path", "required": True, "schema": {
        "type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[A-Za-z0-9_.:-]+$"}}]
    assert "parameters" not in doc["paths"]["/me"]["get"]


def test_every_operation_documents_its_problem_answers(doc, app):
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for spec in app.portal_routes:
        responses = doc["paths"][spec.path][spec.method.lower()]["responses"]
        errors = {int(s) for s in responses if int(s) >= 400}
        assert 400 in errors  # an unknown query parameter, everywhere
        assert all(responses[str(s)]["content"] == problem for s in errors)
        assert not any(s >= 500 for s in errors)  # a 5xx is a bug, never a documented answer
        if spec.body is not None:
            assert {413, 415, 422} <= errors
        if "{" in spec.path:
            assert {404, 422} <= errors
        if not spec.public and spec.method != "GET":
            assert 409 in errors
    assert set(doc["paths"]["/health"]["get"]["responses"]) == {"200", "400"}


def test_a_route_documents_the_other_statuses_its_view_answers(clock):
    from portal_common.service import PortalApp

    app = PortalApp("pcalso")

    @app.endpoint("/things/{thing_id}", "PUT", action="me.read", status=200, also=(201, 410))
    def put(req, thing_id):
        return None

    responses = build_openapi(app)["paths"]["/things/{thing_id}"]["put"]["responses"]
    assert responses["200"] == responses["201"] == {"description": "success"}
    assert responses["410"]["content"]["application/problem+json"]


def test_shared_models_aliases_and_required_query_fields(clock):
    from datetime import date

    from pydantic import Field

    from portal_common.parsing import Body, Query
    from portal_common.service import PortalApp

    class NoteIn(Body):
        text: str

    class RangeQuery(Query):
        from_: date = Field(alias="from")
        to: date

    app = PortalApp("pcshared")

    @app.endpoint("/a", "POST", action="me.read", body=NoteIn, response=NoteIn)
    def a(req):
        return req.body

    @app.endpoint("/b", "PUT", action="me.read", body=NoteIn)
    def b(req):
        return None

    @app.endpoint("/calendar", "GET", action="me.read", query=RangeQuery)
    def calendar(req):
        return {}

    doc = build_openapi(app)
    for ref in refs_in(doc):
        assert resolve(doc, ref)
    params = {p["name"]: p for p in doc["paths"]["/calendar"]["get"]["parameters"]}
    assert set(params) == {"from", "to"}  # the names a client sends
    assert params["from"]["required"] is True and params["from"]["schema"]["format"] == "date"
