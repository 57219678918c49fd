"""The security matrix: for every protected route, who must be refused.

Each entry maps (service, method, path) to the test that proves a guardian of another family, staff
of another group and any user of another tenant are refused on that route (404 or 403, nothing
leaked). `test_guards.py` fails when a protected route has no entry here.
"""

from __future__ import annotations

# (service, method, path) → "tests/<file>::<test>" proving the refusals.
CASES: dict[tuple[str, str, str], str] = {
    ("auth", "GET", "/me"):
        "tests/test_auth_session.py::test_self_routes_reach_only_the_callers_own_account_in_their_own_tenant",
    ("auth", "POST", "/logout-all"):
        "tests/test_auth_session.py::test_self_routes_reach_only_the_callers_own_account_in_their_own_tenant",
    ("auth", "POST", "/password/change"):
        "tests/test_auth_session.py::test_self_routes_reach_only_the_callers_own_account_in_their_own_tenant",
}
