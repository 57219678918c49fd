"""The local stack's gateway in-process: routing by prefix, the token authorizer's answers, body limits.

A small PortalApp defined here stands in for a service with a protected route and a body route, so
the gateway's mapping is checked against the real Chalice authorizer and the real PortalApp errors.
"""

from __future__ import annotations

import io
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
import requests
from chalice.local import ForbiddenError, InvalidAuthorizerError, NotAuthorizedError
from pydantic import Field
from werkzeug.serving import make_server
from werkzeug.test import Client, EnvironBuilder, run_wsgi_app
from werkzeug.wrappers import Response

from infra.local.gateway import Dispatcher, gateway_error_status
from portal_common import clock, tokens
from portal_common.authz import Principal, Role
from portal_common.parsing import Body
from portal_common.service import PortalApp, Req

pytestmark = pytest.mark.e2e
PROBLEM = "application/problem+json"


class EchoIn(Body):
    text: str = Field(max_length=20)


def _make_app() -> PortalApp:
    app = PortalApp("gwtest")

    def dawdle(event, get_response):
        time.sleep(0.005)  # widens the window in which a shared current_request would be overwritten
        return get_response(event)

    app.register_middleware(dawdle, "http")

    @app.endpoint("/whoami", "GET", action="me.read", summary="who is calling")
    def whoami(req: Req) -> dict[str, str]:
        return {"user_id": req.principal.user_id, "source_ip": req.source_ip}

    @app.endpoint("/echo", "POST", public=True, body=EchoIn, summary="echo")
    def echo(req: Req) -> dict[str, str]:
        return {"text": req.body.text}

    return app


@pytest.fixture(scope="module")
def dispatcher():
    previous = clock.set_clock(clock.SystemClock())
    fallback_hits = []

    def fallback(request):
        fallback_hits.append(request.path)

    gateway = Dispatcher({"gwtest": _make_app()}, fallback, access_log=False)
    gateway.fallback_hits = fallback_hits
    yield gateway
    gateway.close()
    clock.set_clock(previous)


@pytest.fixture
def client(dispatcher):
    return Client(dispatcher)


def token(user_id: str = "u-1", issued: datetime | None = None) -> str:
    principal = Principal("t1", user_id, Role.PARENT, language="en")
    if issued is None:
        return tokens.get_signer().sign(principal)
    previous = clock.set_clock(clock.ManualClock(issued))
    try:
        return tokens.get_signer().sign(principal)
    finally:
        clock.set_clock(previous)


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith(PROBLEM)
    body = json.loads(response.get_data())
    assert body["status"] == status
    return body


@pytest.mark.parametrize(("error", "status"), [
    (ForbiddenError({"x-amzn-ErrorType": "AccessDeniedException"},
                    b'{"Message": "User is not authorized to access this resource"}'), 401),
    (NotAuthorizedError({"x-amzn-ErrorType": "UnauthorizedException"}, b'{"message":"Unauthorized"}'), 401),
    (ForbiddenError({"x-amzn-ErrorType": "UnauthorizedException"}, b'{"message": "Missing Authentication Token"}'),
     404),
    (ForbiddenError({"x-amzn-ErrorType": "UnauthorizedException"},
                    b'{"message": "Authorization header requires \'Credential\' parameter."}'), 404),
    (InvalidAuthorizerError({"x-amzn-ErrorType": "AuthorizerConfigurationException"}, b'{"message":null}'), 500),
])
def test_gateway_errors_map_to_the_statuses_clients_expect(error, status):
    assert gateway_error_status(error) == status


def test_a_valid_token_reaches_the_view_with_the_callers_address(dispatcher):
    client = Client(dispatcher)
    answer = client.get("/gwtest/whoami", headers={"Authorization": f"Bearer {token('u-42')}"},
                        environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert answer.status_code == 200
    assert answer.get_json() == {"user_id": "u-42", "source_ip": "203.0.113.7"}


def test_missing_invalid_and_expired_tokens_get_401(client):
    problem(client.get("/gwtest/whoami"), 401)
    problem(client.get("/gwtest/whoami", headers={"Authorization": "Bearer not-a-token"}), 401)
    problem(client.get("/gwtest/whoami", headers={"Authorization": "Basic dXNlcjpwdw=="}), 401)
    expired = token(issued=datetime.now(clock.AMSTERDAM) - timedelta(hours=2))
    answer = client.get("/gwtest/whoami", headers={"Authorization": f"Bearer {expired}"})
    problem(answer, 401)
    assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_unknown_routes_are_404_with_or_without_a_token(client, dispatcher):
    problem(client.get("/gwtest/nope"), 404)
    problem(client.get("/gwtest/nope", headers={"Authorization": f"Bearer {token()}"}), 404)
    problem(client.get("/gwtest"), 404)
    problem(client.get("/unknown/thing"), 404)
    assert "/unknown/thing" in dispatcher.fallback_hits  # non-service paths go to the dev pages and files


def test_the_prefix_is_stripped_and_the_query_string_kept(client):
    answer = client.get("/gwtest/whoami?x=1", headers={"Authorization": f"Bearer {token()}"})
    body = problem(answer, 400)
    assert body["errors"] == [{"loc": ["query", "x"], "msg": "unknown parameter"}]
    assert client.get("/gwtest/health/").get_json() == {"status": "ok"}


def test_bodies_reach_the_app_which_answers_its_own_errors(client):
    assert client.post("/gwtest/echo", json={"text": "hallo"}).get_json() == {"text": "hallo"}
    assert problem(client.post("/gwtest/echo", data="{nope", content_type="application/json"), 400)["code"] == \
        "malformed_json"
    problem(client.post("/gwtest/echo", data="text=hallo", content_type="application/x-www-form-urlencoded"), 415)
    problem(client.post("/gwtest/echo", json={"text": "x" * 21}), 422)
    too_big = client.post("/gwtest/echo", data=b'{"text": "' + b"x" * (3 * 1024 * 1024) + b'"}',
                          content_type="application/json")
    assert problem(too_big, 413)["code"] == "payload_too_large"


def test_a_body_above_api_gateways_limit_is_refused_unread(dispatcher):
    stream = io.BytesIO(b"{}")
    environ = EnvironBuilder(path="/gwtest/echo", method="POST", input_stream=stream,
                             content_type="application/json").get_environ()
    environ["CONTENT_LENGTH"] = str(10 * 1024 * 1024 + 1)
    app_iter, status, headers = run_wsgi_app(dispatcher, environ)
    answer = Response(b"".join(app_iter), status=status, headers=headers)
    problem(answer, 413)
    assert stream.tell() == 0


def test_concurrent_requests_each_see_their_own_caller(dispatcher):
    server = make_server("127.0.0.1", 0, dispatcher, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    users = [f"u-{n}" for n in range(24)]
    tokens_by_user = {user: token(user) for user in users}

    def call(user: str) -> str:
        answer = requests.get(f"{base}/gwtest/whoami", headers={"Authorization": f"Bearer {tokens_by_user[user]}"},
                              timeout=10)
        return answer.json()["user_id"]

    try:
        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(call, users * 3)) == users * 3
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_a_token_signed_after_the_dev_clock_moved_forward_is_accepted(client):
    dev_clock = clock.OffsetClock()
    previous = clock.set_clock(dev_clock)
    try:
        dev_clock.move_to(dev_clock.now() + timedelta(days=1))
        answer = client.get("/gwtest/whoami", headers={"Authorization": f"Bearer {token('u-7')}"})
        assert answer.status_code == 200, answer.get_data(as_text=True)
    finally:
        clock.set_clock(previous)
