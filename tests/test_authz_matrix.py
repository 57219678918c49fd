"""The authorization matrix, generated from the route table of all five apps (tests/matrix_probes.py).

For every protected route, every real object of the victim's it can name (Sanne's family: Noor in
Rupsen, Daan in Vlinders, at loc-zonnebloem; their photos, diary, conversations, requests, invoices,
documents, exports, device; see tests/matrix_world.py) and every caller below, the rules of
`portal_common.authz` pin the answer:

- a role the action does not list → 403 `action_not_allowed` (before anything else is looked at);
- an object the caller has no relation to, another organisation's included → 404 (it looks absent);
- both as `application/problem+json` that names nothing of the victim's but what the caller sent.

Callers, all signed in for real: a parent of another family (parent3, Bijen; parent4, whose Yara is in
Noor's group), staff of another group (staff3), a manager of another location (manager2), the victim's
own parent, staff and manager on routes their role may not use, and the parent, staff, manager and admin
of another organisation (whose ids mirror the demo's: their admin naming child-noor reaches their own
Noor, so such a probe checks only that nothing of the demo's Noor comes back). For that admin the whole of
their own organisation is theirs, so a victim id they name must get exactly the answer an id naming
nothing gets (a control probe with a made-up id): 404 in a path, 422 `unknown_*` in a body ("absent").

Routes whose action has relation SELF (or TENANT) and that name no object (GET /auth/me,
GET /messaging/unread, GET /timeline/feed without child_id, one's own exports, ...) cannot be refused:
for them the probe checks that the foreign caller's 2xx answer contains nothing of the victim. A route
the generator cannot fill (a new path parameter, a body it cannot build) fails the gate, saying what to add.
"""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest

from portal_common.errors import PROBLEM_CONTENT_TYPE
from portal_common.service import RouteSpec
from tests import matrix_probes as mp
from tests import matrix_world as mw
from tests.matrix_world import Victim

MIN_PROBES = 1000


def protected_routes(services):
    return [(name, spec) for name, svc in services.items() for spec in svc.app.portal_routes if not spec.public]


def plan(services, victims, callers) -> tuple[list[mp.Probe], list[str]]:
    probes, unfillable = [], []
    for name, spec in protected_routes(services):
        try:
            requests = mp.requests_of(name, spec, victims)
        except mp.Unfillable as missing:
            unfillable.append(str(missing))
            continue
        for request in requests:
            for caller in callers:
                expect = mp.expectation(request, caller)
                if expect is not None:
                    probes.append(mp.Probe(request, caller, expect))
    return probes, unfillable


def check(api, probe: mp.Probe, every_victim: list[Victim]) -> str | None:
    """Run one probe; a line describing what went wrong, or None."""
    r = probe.request
    answer = api.open(r.url, method=r.method, headers=probe.caller.headers, json=r.body)
    text = answer.get_data(as_text=True)
    said = f"{answer.status_code} {text[:160]}"
    victims = ", ".join(v.label for v in r.victims)
    where = f"{r.method} {r.url} as {probe.caller.name} ({probe.caller.column}; {victims})"
    if probe.expect in ("403", "404"):
        if str(answer.status_code) != probe.expect:
            return f"{where}: expected {probe.expect}, got {said}"
        if not answer.headers.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE):
            return f"{where}: a {probe.expect} that is not problem+json: {said}"
        if probe.expect == "403" and answer.json.get("code") != "action_not_allowed":
            return f"{where}: a 403 with code {answer.json.get('code')!r}, not 'action_not_allowed'"
    elif probe.expect == "absent":
        control = _with_nothing_for_the_victims(api, probe)
        if (answer.status_code, (answer.json or {}).get("code")) != control or answer.status_code not in (404, 422):
            return f"{where}: answered {said}, where an id that names nothing gets {control}"
    elif probe.expect == "self" and not 200 <= answer.status_code < 300:
        return (f"{where}: one's own route answered {said} (if the role must name a filter there, add it to "
                f"ROLE_FILTERS in tests/matrix_probes.py)")
    elif answer.status_code >= 500:
        return f"{where}: {said}"
    leaked = [s for s in mp.leak_strings(probe.caller, every_victim, r.sent) if s in text]
    return f"{where}: the answer names {leaked}: {said}" if leaked else None


def _with_nothing_for_the_victims(api, probe: mp.Probe) -> tuple[int, str | None]:
    """The status and code of the same request with every victim id replaced by one that names nothing."""
    r = probe.request
    url, body = r.url, json.dumps(r.body)
    for victim in r.victims:
        url, body = url.replace(victim.value, "nothing-here"), body.replace(victim.value, "nothing-here")
    answer = api.open(url, method=r.method, headers=probe.caller.headers, json=json.loads(body))
    return answer.status_code, (answer.json or {}).get("code")


def test_every_protected_route_refuses_every_foreign_caller_and_leaks_nothing(world, services, record_property):
    started = time.monotonic()
    mw.seed(world, services)
    victims = mw.victims(world, services)
    callers = mw.callers(world)
    probes, unfillable = plan(services, victims, callers)
    assert not unfillable, "routes the authorization matrix cannot probe:\n" + "\n".join(unfillable)
    every_victim = [v for vs in victims.values() for v in vs]
    failures = [f for p in sorted(probes, key=mp.order) if (f := check(world, p, every_victim))]
    routes = {p.request.route for p in probes}
    kinds = Counter(p.expect for p in probes)
    line = (f"authorization matrix: {len(probes)} probes over {len(routes)} routes "
            f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}) in {time.monotonic() - started:.1f} s")
    record_property("authorization_matrix", line)  # shown in the summary by tests/conftest.py
    unprobed = {f"{n} {s.method} {s.path}" for n, s in protected_routes(services)} - routes
    assert not unprobed, f"routes no caller of the matrix is foreign to: {sorted(unprobed)}"
    assert len(probes) >= MIN_PROBES
    assert not failures, f"{len(failures)} of {len(probes)} probes failed:\n" + "\n".join(failures)


def test_a_route_the_matrix_cannot_fill_fails_with_what_to_add():
    from pydantic import BaseModel

    class GadgetIn(BaseModel):
        child_id: str
        serial: str

    victims = {"child_id": [Victim("child_id", "child-noor", "Noor", mw.Relation.CHILD, (mw.NOOR,))]}
    new_param = RouteSpec("/gadgets/{gadget_id}", "GET", "gadget", "child.calendar.read", False, None, None, None,
                          200, "")
    with pytest.raises(mp.Unfillable, match=r"no victim for 'gadget_id'.*tests/matrix_world\.py"):
        mp.requests_of("planning", new_param, victims)
    new_body = RouteSpec("/gadgets", "POST", "gadgets", "child.calendar.read", False, GadgetIn, None, None, 201, "")
    with pytest.raises(mp.Unfillable, match=r'GadgetIn\.serial is required.*add a value for "GadgetIn\.serial"'):
        mp.requests_of("planning", new_body, victims)
    # Filled, the route is probed with the victim in its body.
    mp.SAMPLES["GadgetIn.serial"] = "X-1"
    try:
        [request] = mp.requests_of("planning", new_body, victims)
    finally:
        del mp.SAMPLES["GadgetIn.serial"]
    assert request.body == {"child_id": "child-noor", "serial": "X-1"}
