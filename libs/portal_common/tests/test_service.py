"""PortalApp through Chalice's test client: authentication, fail-closed authorization, problem documents."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client
from pc_app import build_app

from portal_common import errors, logs, tokens
from portal_common.app_http import SECURITY_HEADERS
from portal_common.authz import Principal, Role
from portal_common.service import PortalApp

PROBLEM = "application/problem+json"


@pytest.fixture
def app(clock):
    return build_app()


@pytest.fixture
def http(app):
    with Client(app[0]) as client:
        yield client.http


@pytest.fixture
def reached(app) -> list[str]:
    return app[1]


def principal(role: Role = Role.PARENT, *, tenant: str = "t1", user: str = "u1", children=("c1",),
              groups=("g1",), locations=("l1",), lang: str = "nl") -> Principal:
    return Principal(tenant, user, role, frozenset(children), frozenset(groups), frozenset(locations), lang, "s1")


def auth(p: Principal | None = None, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.get_signer().sign(p or principal())}", **headers}


def problem_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.body
    assert response.headers["Content-Type"].startswith(PROBLEM)
    body = json.loads(response.body)
    assert body["status"] == status and body["type"].startswith(errors.TYPE_PREFIX)
    assert body["title"] and body["detail"] and body["code"]
    return body


def post_json(http: Any, path: str, value: Any, headers: dict[str, str], content_type: str = "application/json"):
    raw = value if isinstance(value, (bytes, str)) else json.dumps(value)
    return http.post(path, body=raw, headers={"Content-Type": content_type, **headers})


# -- standard routes -------------------------------------------------------------------------------

def test_health(http):
    response = http.get("/health")
    assert response.status_code == 200 and json.loads(response.body) == {"status": "ok"}


def test_openapi_document_is_served(http):
    response = http.get("/openapi.json")
    assert response.status_code == 200
    assert response.json_body["openapi"] == "3.1.0"


def test_a_domain_refusal_leaves_the_edge_as_problem_json_with_its_code(http):
    refused = problem_of(http.post("/rule", body="{}", headers={"Content-Type": "application/json"}), 422)
    assert refused["code"] == "day_closed" and refused["errors"] == [{"loc": ["body", "days", 0], "msg": "closed"}]
    stale = problem_of(http.post("/stale", body="{}", headers={"Content-Type": "application/json"}), 409)
    assert stale["code"] == "not_pending"


def test_public_route_needs_no_token(http, reached):
    assert http.get("/public").status_code == 200 and reached == ["public"]


# -- authentication --------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": ""},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer not-a-token"},
    {"Authorization": "Basic dTpw"},
    {"Authorization": "Token abc.def.ghi"},
])
def test_missing_or_invalid_token_is_denied_before_the_view(http, reached, headers):
    # Chalice's test client answers a denying authorizer with 403 (the local stack maps it to 401).
    response = http.get("/me", headers=headers)
    assert response.status_code in (401, 403)
    assert reached == []


def test_token_in_another_scheme_case_is_accepted(http):
    token = tokens.get_signer().sign(principal())
    assert http.get("/me", headers={"Authorization": f"bearer {token}"}).status_code == 200


def test_expired_token_is_denied(http, reached, clock):
    headers = auth()
    clock.advance(timedelta(seconds=tokens.get_settings().access_token_ttl + 60))
    assert http.get("/me", headers=headers).status_code in (401, 403)
    assert reached == []


def test_oversized_token_is_denied(http, reached):
    assert http.get("/me", headers={"Authorization": "Bearer " + "a" * 9000}).status_code in (401, 403)
    assert reached == []


def test_valid_token_reaches_the_view(http, reached):
    response = http.get("/me", headers=auth())
    assert response.status_code == 200
    assert response.json_body == {"user_id": "u1", "tenant": "t1", "lang": "nl"}
    assert reached == ["me"]


# -- authorization ---------------------------------------------------------------------------------

def test_parent_reaches_own_child(http):
    response = http.get("/children/c1", headers=auth())
    assert response.status_code == 200 and response.json_body["child_id"] == "c1"


@pytest.mark.parametrize("who,child", [
    (principal(), "c2"),                                              # another family
    (principal(), "c9"),                                              # another tenant
    (principal(tenant="t2", children=("c1",)), "c1"),                 # the same id in another tenant's token
    (principal(Role.STAFF, children=(), groups=("g2",), locations=("l1",)), "c1"),
    (principal(Role.ADMIN, tenant="t2"), "c1"),
    (principal(), "does-not-exist"),
])
def test_not_yours_is_404_like_not_there(http, who, child):
    body = problem_of(http.get(f"/children/{child}", headers=auth(who)), 404)
    assert body["code"] == "not_found"
    assert "diary" not in json.dumps(body)


@pytest.mark.parametrize("who", [principal(Role.STAFF, children=(), groups=("g1",)), principal(Role.ADMIN),
                                 principal(Role.MANAGER, children=(), groups=(), locations=("l1",))])
def test_staff_side_reaches_children_it_is_related_to(http, who):
    assert http.get("/children/c1", headers=auth(who)).status_code == 200


def test_role_not_allowed_is_403_before_the_view(http, reached):
    body = problem_of(http.post("/children/c1/decision", headers=auth()), 403)
    assert body["code"] == "action_not_allowed"
    assert reached == []


def test_forgotten_authorize_fails_closed(http, reached):
    response = http.get("/forgetful/c2", headers=auth())
    body = problem_of(response, 500)
    assert body["code"] == "authorization_not_checked"
    assert b"diary" not in response.body
    assert reached == ["forgetful"]  # the view ran, its answer was thrown away


@pytest.fixture
def log_lines():
    """JSON lines of everything the portal loggers write, formatted while the request's context is bound."""
    lines: list[dict[str, Any]] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(self.format(record)))

    handler = Keep()
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("portal")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def test_forgotten_authorize_is_logged_with_the_caller(http, log_lines):
    http.get("/forgetful/c1", headers=auth())
    (line,) = [line for line in log_lines if line.get("route") == "forgetful"]
    assert line["level"] == "ERROR"
    assert (line["service"], line["tenant"], line["user_id"]) == ("pctest", "t1", "u1")


def test_log_context_does_not_leak_into_the_next_request(http, log_lines):
    http.get("/forgetful/c1", headers=auth())
    http.get("/boom")
    (line,) = [line for line in log_lines if line["msg"] == "unhandled error"]
    assert line["service"] == "pctest" and "user_id" not in line and "tenant" not in line
    assert "hunter2" in line["exc"]  # the operator sees the cause; the caller does not


def test_unhandled_error_in_a_protected_view_is_logged_with_the_caller(http, log_lines):
    response = http.get("/crash", headers=auth())
    problem_of(response, 500)
    assert b"secret" not in response.body
    (line,) = [line for line in log_lines if line["msg"] == "unhandled error"]
    assert (line["level"], line["route"], line["tenant"], line["user_id"]) == ("ERROR", "crash", "t1", "u1")
    assert "the secret key" in line["exc"]


def test_models_and_instants_inside_plain_answers_are_json(http):
    body = http.get("/mixed").json_body
    assert body["items"] == [{"id": "d-1", "platform": "ios"}]
    assert body["at"] == "2026-03-03T09:00:00+01:00"  # ISO 8601 with offset, as the API promises


def test_no_content_answer(http, reached):
    response = http.delete("/nothing", headers=auth())
    assert response.status_code == 204 and response.body in (b"", "")
    assert reached == ["nothing"]


# -- errors ----------------------------------------------------------------------------------------

def test_problem_raised_in_a_view(http):
    body = problem_of(http.post("/conflict", body=b"", headers={"Content-Type": "application/json"}), 409)
    assert body["detail"] == "request is no longer pending"
    assert body["title"] == "Conflict met de huidige toestand"


def test_too_many_requests_keeps_retry_after(http):
    response = http.get("/slow-down")
    problem_of(response, 429)
    assert response.headers["Retry-After"] == "42"


def test_unhandled_error_is_a_500_problem_without_internals(http):
    response = http.get("/boom")
    body = problem_of(response, 500)
    assert body["code"] == "internal"
    assert b"hunter2" not in response.body and b"Traceback" not in response.body


def test_wrong_method_is_405_problem_with_allow(http):
    response = http.post("/health", body=b"{}", headers={"Content-Type": "application/json"})
    body = problem_of(response, 405)
    assert body["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_wrong_content_type_is_415_problem(http, reached):
    response = http.post("/devices", body=b"token=x", headers={**auth(), "Content-Type": "text/plain"})
    body = problem_of(response, 415)
    assert body["code"] == "unsupported_media_type"
    assert reached == []


def test_body_is_validated(http, reached):
    ok = post_json(http, "/devices", {"token": "abc", "platform": "ios"}, auth())
    assert ok.status_code == 201 and ok.json_body == {"id": "d-1", "platform": "ios"}
    unknown = problem_of(post_json(http, "/devices", {"token": "abc", "platform": "ios", "admin": True}, auth()), 400)
    assert unknown["errors"][0]["loc"] == ["body", "admin"]
    rule = problem_of(post_json(http, "/devices", {"token": "abc", "platform": "symbian"}, auth()), 422)
    assert rule["errors"][0]["loc"] == ["body", "platform"]
    malformed = problem_of(post_json(http, "/devices", b'{"token":', auth()), 400)
    assert malformed["code"] == "malformed_json"
    assert problem_of(post_json(http, "/devices", {"token": "x" * 300, "platform": "ios"}, auth()), 413)
    assert reached == ["devices"]


def test_json_with_charset_is_accepted(http):
    response = post_json(http, "/devices", {"token": "abc", "platform": "web"}, auth(),
                         content_type="application/json; charset=utf-8")
    assert response.status_code == 201


@pytest.mark.parametrize("path", ["/me?debug=1", "/public?x=y"])
def test_unknown_query_parameter_on_a_route_without_query_is_400(http, reached, path):
    body = problem_of(http.get(path, headers=auth()), 400)
    assert body["errors"][0]["loc"][0] == "query"
    assert reached == []


def test_unknown_query_parameter_on_a_route_with_query_is_400(http):
    body = problem_of(http.get("/items?limit=2&tenant=t2", headers=auth()), 400)
    assert body["errors"] == [{"loc": ["query", "tenant"], "msg": body["errors"][0]["msg"], "type": "extra_forbidden"}]


def test_bad_query_value_is_a_problem(http):
    assert problem_of(http.get("/items?limit=abc", headers=auth()), 400)
    assert problem_of(http.get("/items?limit=0", headers=auth()), 422)


# -- languages and headers -------------------------------------------------------------------------

def test_english_for_a_user_who_chose_english(http):
    body = problem_of(http.get("/children/c2", headers=auth(principal(lang="en"))), 404)
    assert body["title"] == "Not found"
    body = problem_of(http.get("/children/c2", headers=auth()), 404)
    assert body["title"] == "Niet gevonden"


def test_english_for_chalice_errors_too(http):
    response = http.post("/health", body=b"{}", headers={"Content-Type": "application/json", "Accept-Language": "en"})
    assert problem_of(response, 405)["title"] == "Method not allowed"


def test_the_language_chosen_in_the_account_wins_over_the_devices_header(http):
    assert http.get("/me", headers=auth(principal(lang="en"))).json_body["lang"] == "en"
    assert http.get("/me", headers=auth(principal(lang="en"), **{"Accept-Language": "nl"})).json_body["lang"] == "en"


@pytest.mark.parametrize("method,path,with_auth", [
    ("GET", "/health", False), ("GET", "/me", True), ("GET", "/children/c2", True), ("GET", "/boom", False),
    ("POST", "/health", False), ("GET", "/forgetful/c1", True),
])
def test_security_headers_on_every_answer(http, method, path, with_auth):
    headers = {"Content-Type": "application/json", **(auth() if with_auth else {})}
    response = http.request(method, path, headers=headers, body=b"{}" if method == "POST" else b"")
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


# -- paging ----------------------------------------------------------------------------------------

def test_paging_walks_every_item_once(http):
    seen, cursor = [], None
    for _ in range(5):
        path = "/items?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = http.get(path, headers=auth()).json_body
        seen += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"item-{i}" for i in range(7)]


@pytest.mark.parametrize("other", [principal(user="u2"), principal(tenant="t2")])
def test_cursor_of_one_user_is_refused_for_another(http, other):
    cursor = http.get("/items?limit=3", headers=auth()).json_body["next_cursor"]
    body = problem_of(http.get(f"/items?cursor={cursor}", headers=auth(other)), 400)
    assert body["code"] == "invalid_cursor"
    assert http.get(f"/items?cursor={cursor}", headers=auth()).status_code == 200


def test_cursor_from_another_app_is_refused(http, clock):
    other, _ = build_app()
    other.service = "other"  # the same route name in another service
    with Client(other) as client:
        cursor = client.http.get("/items?limit=3", headers=auth()).json_body["next_cursor"]
    assert problem_of(http.get(f"/items?cursor={cursor}", headers=auth()), 400)["code"] == "invalid_cursor"


# -- route declarations ----------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,message", [
    ({}, "exactly one"),
    ({"action": "me.read", "public": True}, "exactly one"),
    ({"action": "child.everything.delete"}, "unknown action"),
])
def test_endpoint_refuses_bad_declarations(kwargs, message):
    app = PortalApp("pctest")
    with pytest.raises(ValueError, match=message):
        app.endpoint("/x", "GET", **kwargs)
