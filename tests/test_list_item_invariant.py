"""A list never shows what its item route refuses: for every list a demo caller can read (feeds, inboxes,
overviews, admin lists) and every item in it, the item's own route answers 200 for the same caller.

List routes are the GET routes that answer a page (`items`). Their item route is derived from the route
table where the path says it (GET /x and GET /x/{param}); `IRREGULAR` names the others (the feed, whose
items are photos or diary entries; a child's or group's diary), and `NO_ITEM_ROUTE` the lists whose items
have no route of their own, each with its reason. A list route in none of these fails the gate.

Every list is read as each demo caller (each parent, each staff member, the manager, the admin) without
its optional filters and with each value the demo has for them (a child, a group, a location); a list
the caller may not read (403/404/422) is skipped. All of it runs again after Noor moved from the Rupsen
to the Bijen today: her earlier items stay the Rupsen's, her new group's staff must not see them listed.
"""

from __future__ import annotations

import re
from typing import Any

from infra.local import demo_data as d
from tests import matrix_world as mw

# List route → item route per kind of item ("*": every item), for lists the path does not pair.
IRREGULAR: dict[tuple[str, str], dict[str, str]] = {
    ("timeline", "/feed"): {"photo": "/photos/{photo_id}", "diary": "/diary/{diary_id}"},
    ("timeline", "/children/{child_id}/diary"): {"*": "/diary/{diary_id}"},
    ("timeline", "/groups/{group_id}/diary"): {"*": "/diary/{diary_id}"},
}
NO_ITEM_ROUTE: dict[tuple[str, str], str] = {
    ("auth", "/admin/users"): "a person has no GET route of their own; the list is the directory's view",
    ("planning", "/requests"): "a request is shown in the overview only (its decision and cancel are POSTs)",
    ("planning", "/admin/locations/{location_id}/closures"): "a closing day is set and removed, never read alone",
    ("planning", "/admin/children/{child_id}/contracts"): "a contract is changed with PUT, read in the list",
    ("timeline", "/children/{child_id}/photo-access"): "an access log entry is a line of the log",
    ("messaging", "/conversations/{conversation_id}/messages"): "a message is read in its conversation",
    ("exports", "/purges"): "a purge's audit is a line of the audit",
}
CHILDREN = [c.id for family in d.FAMILIES for c in family.children]
# The demo's values for a list's path parameters and optional filters (the photos' and diaries' days too).
FILTER_VALUES = {"child_id": CHILDREN, "group_id": [g["id"] for g in d.GROUPS], "location_id": [d.LOCATION_ID],
                 "date": ["2026-11-23", "2026-11-24"]}


def list_routes(services) -> dict[tuple[str, str], Any]:
    return {(name, spec.path): spec for name, svc in services.items() for spec in svc.app.portal_routes
            if spec.method == "GET" and not spec.public and spec.response is not None
            and "items" in spec.response.model_fields}


def item_routes(services) -> tuple[dict[tuple[str, str], dict[str, str]], list[str]]:
    """Each list route's item route per kind of item, and the list routes that have neither."""
    gets = {(name, spec.path) for name, svc in services.items() for spec in svc.app.portal_routes
            if spec.method == "GET"}
    pairs, missing = {}, []
    for name, path in list_routes(services):
        derived = [p for n, p in gets if n == name and re.fullmatch(re.escape(path.rstrip("/")) + r"/\{\w+\}", p)]
        if (name, path) in IRREGULAR:
            pairs[(name, path)] = IRREGULAR[(name, path)]
        elif len(derived) == 1:
            pairs[(name, path)] = {"*": derived[0]}
        elif (name, path) not in NO_ITEM_ROUTE:
            missing.append(f"{name} GET {path}")
    return pairs, missing


def _urls(name: str, path: str, spec: Any) -> list[str]:
    """The list read without its filters and with each demo value for each (path parameters: each value)."""
    base = [f"/{name}{path}"]
    for param in re.findall(r"{(\w+)}", path):
        assert param in FILTER_VALUES, f"{name} GET {path}: add the demo's values for {param!r} to FILTER_VALUES"
        base = [u.replace(f"{{{param}}}", v) for u in base for v in FILTER_VALUES[param]]
    fields = spec.query.model_fields if spec.query is not None else {}
    filters = [f"{f}={v}" for f in fields if f in FILTER_VALUES for v in FILTER_VALUES[f]]
    return [u + (f"?{q}" if q else "") for u in base for q in ["", *filters]]


def _items(api, url: str, headers) -> list[dict[str, Any]] | None:
    """Every item of the list over all its pages; None when the caller may not read it."""
    found, cursor = [], None
    for _page in range(50):
        sep = "&" if "?" in url else "?"
        answer = api.get(url + (f"{sep}cursor={cursor}" if cursor else ""), headers=headers)
        if answer.status_code in (403, 404, 422):
            return None
        assert answer.status_code == 200, (url, answer.status_code, answer.json)
        found += answer.json["items"]
        cursor = answer.json.get("next_cursor")
        if not cursor:
            return found
    raise AssertionError(f"{url}: more than 50 pages")


def _item_urls(name: str, item: dict[str, Any], routes: dict[str, str]) -> list[str]:
    route = routes.get(item.get("kind", "*"), routes.get("*"))
    assert route, f"{name}: no item route for an item of kind {item.get('kind')!r}"
    ids = [p["id"] for p in item["photos"]] if item.get("kind") == "photo" else [item["id"]]
    return [f"/{name}" + re.sub(r"\{\w+\}", i, route) for i in ids]


def broken_pairs(api, services, callers: dict[str, dict[str, str]]) -> tuple[list[str], int]:
    """Every (caller, list, item) whose item route does not answer 200, and how many items were checked."""
    pairs, _missing = item_routes(services)
    specs = list_routes(services)
    failures, checked = [], set()
    for who, headers in callers.items():
        for (name, path), routes in pairs.items():
            for url in _urls(name, path, specs[(name, path)]):
                for item in _items(api, url, headers) or []:
                    for item_url in _item_urls(name, item, routes):
                        if (who, item_url) in checked:
                            continue
                        checked.add((who, item_url))
                        answer = api.get(item_url, headers=headers)
                        if answer.status_code != 200:
                            failures.append(f"{who}: GET {url} lists {item_url}, which answers "
                                            f"{answer.status_code} {answer.get_data(as_text=True)[:80]}")
    return failures, len(checked)


def demo_callers(api) -> dict[str, dict[str, str]]:
    return {login.split("@")[0]: mw.sign_in(api, login, n=40 + n) for n, login in enumerate(d.logins())}


def test_every_list_route_has_an_item_route_or_a_reason(services):
    _pairs, missing = item_routes(services)
    assert not missing, (f"list routes without an item route: {missing}; add the pair to IRREGULAR or the reason "
                         "to NO_ITEM_ROUTE in tests/test_list_item_invariant.py")
    stale = (set(IRREGULAR) | set(NO_ITEM_ROUTE)) - set(list_routes(services))
    assert not stale, f"entries for list routes that no longer exist: {stale}"


def test_every_listed_item_opens_for_whoever_sees_it_listed(world, services):
    mw.seed(world, services)
    mw.victims(world, services)
    failures, checked = broken_pairs(world, services, demo_callers(world))
    assert not failures, f"{len(failures)} of {checked} listed items refused:\n" + "\n".join(failures)
    assert checked > 300, checked  # the demo's lists were not empty


def test_after_a_move_every_listed_item_still_opens_for_whoever_sees_it_listed(world, services):
    mw.seed(world, services)
    mw.victims(world, services)
    admin = mw.sign_in(world, d.email("admin"), n=90)
    moved = world.post("/auth/admin/children/child-noor/placements", headers=admin,
                       json={"group_id": "grp-bijen", "start": "2026-11-24"})
    assert moved.status_code == 201, moved.json
    failures, checked = broken_pairs(world, services, demo_callers(world))  # signed in again: new groups
    assert not failures, f"{len(failures)} of {checked} listed items refused:\n" + "\n".join(failures)
    assert checked > 300, checked  # the demo's lists were not empty
