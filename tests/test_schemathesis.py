"""Gate: Schemathesis against the OpenAPI document of every service, on the in-process stack.

Every operation of the five documents (each app's `/openapi.json`) gets generated requests, valid ones
and invalid ones, through the local stack's WSGI gateway behind moto with the demo organisation seeded,
signed in as a parent, a staff member or the admin (real demo sign-ins, so the requests get past the
authorizer; path ids are drawn from the demo's own ids as well as generated ones, so they reach
objects too). Every answer must:

- never be a server error (no 5xx at all);
- have a status code the operation documents;
- have the content type and body the document gives for that status (problem+json for errors).

Generation is derandomized (a fixed seed) with a bounded number of examples per operation, so CI runs
the same requests every time. The numbers of cases show in pytest's output.
"""

from __future__ import annotations

import pytest

from tests.schemathesis_gate import SERVICES, Fuzzer

pytestmark = pytest.mark.slow

CALLERS = {"parent": "parent1@demo.ouderportaal.nl", "staff": "staff1@demo.ouderportaal.nl",
           "admin": "admin@demo.ouderportaal.nl"}


def test_every_operation_answers_as_its_openapi_document_says(world, gateway, report_line):
    from tests.auth_helpers import demo_login_header

    fuzzer = Fuzzer(gateway, {email.split("@")[0]: (role, demo_login_header(world, email))
                              for role, email in CALLERS.items()})
    for service in SERVICES:
        document = world.get(f"/{service}/openapi.json")
        assert document.status_code == 200, service
        fuzzer.run_document(service, document.json)
    for line in fuzzer.summary():
        report_line(line)
    assert fuzzer.operations >= 100, fuzzer.operations  # the documents were read and walked
    assert not fuzzer.failures, fuzzer.describe_failures()
