"""The public API conventions through the gateway, in-process (the same mapping as `make run`)."""

from __future__ import annotations

import pytest

from portal_common.settings import SERVICES


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_answers_health_and_its_openapi_document(api, service):
    health = api.get(f"/{service}/health")
    assert health.status_code == 200 and health.json == {"status": "ok"}
    doc = api.get(f"/{service}/openapi.json").json
    assert doc["openapi"] == "3.1.0" and doc["servers"] == [{"url": f"/{service}"}]


@pytest.mark.parametrize("path", ["/nothing/here", "/planning/nothing", "/auth/health/extra"])
def test_an_unknown_path_is_a_404_problem(api, path):
    answer = api.get(path)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json["status"] == 404 and answer.json["code"]


def test_a_wrong_method_is_a_405_problem_with_allow(api):
    answer = api.post("/auth/health", json={})
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "GET"
    assert answer.json["code"] == "method_not_allowed"


def test_problems_speak_english_on_request(api):
    dutch = api.get("/auth/nothing").json
    english = api.get("/auth/nothing", headers={"Accept-Language": "en-GB,en;q=0.9"}).json
    assert dutch["title"] == "Niet gevonden" and english["title"] == "Not found"


def test_responses_carry_the_security_headers(api):
    headers = api.get("/timeline/health").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
