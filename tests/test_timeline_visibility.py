"""Who sees which photo and diary entry, judged the same way by every list and every item route.

The invariant: whatever a caller finds in a list they may read (the feed with and without `child_id`, a
child's diary, a group's day), each photo and diary entry in it, and each photo inside a diary entry,
answers 200 on its own route for the same caller. It is checked for the demo's callers over the demo's
two weeks' worth of photos and reports (two days of them), before and after a child moves: from one group
to another at the same location, and from one location to another.

Noor (parent1 Sanne's) moves from the Rupsen (staff1) to the Bijen (staff3, with Liam, parent3 Emma's)
on Wednesday 25 November 2026; the clock stands on Tuesday the 24th.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from infra.local import demo_data as d
from portal_common import clock as business_clock
from tests.auth_helpers import demo_login_header, seed_second_location
from tests.test_timeline_feed import consent, feed_ids, publish

CHILDREN = [c.id for family in d.FAMILIES for c in family.children]
GROUPS = [g["id"] for g in d.GROUPS]
DEMO_CALLERS = ["parent1", "parent3", "staff1", "staff2", "staff3", "manager", "admin"]
MOVE_DAY = "2026-11-25"


@pytest.fixture
def timeline(services):
    return services["timeline"]


def _all_pages(world, headers, path: str) -> tuple[int, list[dict]]:
    """The status of a list's first page and the items of all its pages (followed by cursor)."""
    items, url = [], path
    for _ in range(200):  # a list that never ends is a failure too
        answer = world.get(url, headers=headers)
        if answer.status_code != 200:
            assert not items, (path, answer.status_code)  # a later page never turns into a refusal
            return answer.status_code, []
        items += answer.json["items"]
        cursor = answer.json.get("next_cursor")
        if not cursor:
            return 200, items
        url = f"{path}{'&' if '?' in path else '?'}cursor={cursor}"
    raise AssertionError(f"{path} pages without end")


def _refused_with(role: str, path: str) -> int | None:
    """How a list refuses a caller (None: it never does): staff, managers and admins name the child of a feed
    (422); a parent is no group's reader (403); another family's child or a group not one's own looks absent."""
    if path.startswith("/timeline/feed") and "child_id=" not in path:
        return None if role == "parent" else 422
    if path.startswith("/timeline/groups/") and role == "parent":
        return 403
    return 404


def readable_lists(world, headers, days: list[str], children=CHILDREN, groups=GROUPS, *,
                   role: str) -> dict[str, list[dict]]:
    """Every list of the timeline the caller (of `role`) may read, with all its items; a list that refuses them
    answers the one status `_refused_with` names for it."""
    paths = ["/timeline/feed?limit=3"]
    paths += [f"/timeline/feed?limit=3&child_id={c}" for c in children]
    paths += [f"/timeline/children/{c}/diary?limit=3" for c in children]
    paths += [f"/timeline/groups/{g}/diary?date={day}" for g in groups for day in days]
    lists = {}
    for path in paths:
        status, items = _all_pages(world, headers, path)
        assert status == 200 or status == _refused_with(role, path), (path, status)
        if status == 200:
            lists[path] = items
    return lists


def _routes(item: dict) -> list[str]:
    own = f"/timeline/photos/{item['id']}" if item["kind"] == "photo" else f"/timeline/diary/{item['id']}"
    photos = [p["id"] for p in item.get("photos", [])] + list(item.get("photo_ids", []))
    return [own] + [f"/timeline/photos/{p}" for p in photos if p != item["id"]]


def assert_every_listed_item_opens(world, headers, lists: dict[str, list[dict]]) -> set[str]:
    """Each listed item (and each photo in a listed diary entry) opens for the caller; the ids seen."""
    answers: dict[str, int] = {}
    refused = []
    for path, items in lists.items():
        for item in items:
            for route in _routes(item):
                if route not in answers:
                    answers[route] = world.get(route, headers=headers).status_code
                if answers[route] != 200:
                    refused.append((path, route, answers[route]))
    assert refused == [], "\n".join(map(str, refused))
    return {route.rsplit("/", 1)[1] for route in answers}


def check_callers(world, days: list[str], logins=DEMO_CALLERS, **kwargs) -> dict[str, dict[str, list[dict]]]:
    seen = {}
    for login in logins:
        headers = demo_login_header(world, f"{login}@{d.DOMAIN}")
        lists = readable_lists(world, headers, days, **kwargs, role=login.rstrip("0123456789"))
        assert lists, login
        assert_every_listed_item_opens(world, headers, lists)
        seen[login] = lists
    return seen


def _ids(items: list[dict]) -> set[str]:
    return {i["id"] for i in items}


def _move_noor(world, group_id: str, clock) -> None:
    admin = demo_login_header(world, f"admin@{d.DOMAIN}")
    moved = world.post("/auth/admin/children/child-noor/placements", headers=admin,
                       json={"group_id": group_id, "start": MOVE_DAY})
    assert moved.status_code == 201, moved.json
    clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=business_clock.AMSTERDAM))


def _report(world, headers, child_id: str, day: str, photo_ids=(), text="Een fijne dag.") -> str:
    written = world.post("/timeline/diary", headers=headers, json={"child_id": child_id, "date": day, "text": text,
                                                                   "photo_ids": list(photo_ids)})
    assert written.status_code == 201, written.json
    return str(written.json["id"])


def test_every_listed_item_opens_for_its_caller_before_and_after_a_move_between_groups(world, timeline, clock):
    from infra.local.demo_photos import seed_photos

    seed_photos(days=2)  # the demo's photos and reports, of Monday 23 and Tuesday 24 November
    staff1 = demo_login_header(world, f"staff1@{d.DOMAIN}")
    rupsen_both = publish(world, staff1, timeline, ["child-noor", "child-yara"])
    rupsen_group = publish(world, staff1, timeline, [])
    rupsen_report = "child-noor.2026-11-24.staff"
    before = check_callers(world, ["2026-11-23", "2026-11-24"])
    assert {rupsen_both, rupsen_group, rupsen_report} <= _ids(before["staff1"]["/timeline/feed?limit=3&child_id="
                                                                               "child-noor"])
    assert "/timeline/feed?limit=3&child_id=child-noor" not in before["staff3"]

    _move_noor(world, "grp-bijen", clock)
    staff3 = demo_login_header(world, f"staff3@{d.DOMAIN}")
    bijen_noor = publish(world, staff3, timeline, ["child-noor"], group="grp-bijen")
    bijen_both = publish(world, staff3, timeline, ["child-noor", "child-liam"], group="grp-bijen")
    bijen_group = publish(world, staff3, timeline, [], group="grp-bijen")
    bijen_report = _report(world, staff3, "child-noor", MOVE_DAY, [bijen_noor, bijen_both])
    sanne = demo_login_header(world, f"parent1@{d.DOMAIN}")
    sannes_entry = _report(world, sanne, "child-noor", MOVE_DAY, text="Eerste dag bij de Bijen!")
    after = check_callers(world, ["2026-11-23", "2026-11-24", MOVE_DAY])

    # staff3 sees in Noor's feed only what was made in the Bijen, and nothing of Noor's Rupsen diary.
    bijen = {bijen_noor, bijen_both, bijen_group, bijen_report, sannes_entry}
    assert _ids(after["staff3"]["/timeline/feed?limit=3&child_id=child-noor"]) == bijen
    assert _ids(after["staff3"]["/timeline/children/child-noor/diary?limit=3"]) == {bijen_report, sannes_entry}
    for old in (rupsen_both, rupsen_group):
        assert world.get(f"/timeline/photos/{old}", headers=staff3).status_code == 404
    assert world.get(f"/timeline/diary/{rupsen_report}", headers=staff3).status_code == 404
    # staff1 no longer reaches Noor, but keeps the Rupsen's own photos and days.
    staff1 = demo_login_header(world, f"staff1@{d.DOMAIN}")
    assert world.get("/timeline/feed?child_id=child-noor", headers=staff1).status_code == 404
    assert world.get("/timeline/children/child-noor/diary", headers=staff1).status_code == 404
    assert {rupsen_both, rupsen_group} <= _ids(after["staff1"]["/timeline/feed?limit=3&child_id=child-yara"])
    assert rupsen_report in _ids(after["staff1"]["/timeline/groups/grp-rupsen/diary?date=2026-11-24"])
    assert world.get(f"/timeline/photos/{rupsen_both}", headers=staff1).status_code == 200
    assert not bijen & set().union(*(_ids(items) for items in after["staff1"].values()))
    # Sanne sees all of Noor's, old and new; Emma sees the photo of Liam with Noor, and only Liam's id in it.
    assert bijen | {rupsen_both, rupsen_group, rupsen_report} <= _ids(after["parent1"]["/timeline/feed?limit=3"])
    emmas = {i["id"]: i for i in after["parent3"]["/timeline/feed?limit=3"]}
    assert bijen_both in emmas and emmas[bijen_both]["child_ids"] == ["child-liam"]
    assert not {bijen_noor, bijen_report, sannes_entry, rupsen_both} & set(emmas)


def test_managers_see_a_moved_childs_items_of_their_own_location_only(world, services, timeline, clock, tokens):
    seed_second_location(services["auth"].module.directory)
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    consent(world, "parent4@demo.ouderportaal.nl", "child-yara")
    staff1 = demo_login_header(world, f"staff1@{d.DOMAIN}")
    old_noor = publish(world, staff1, timeline, ["child-noor"])
    old_both = publish(world, staff1, timeline, ["child-noor", "child-yara"])
    old_group = publish(world, staff1, timeline, [])
    old_report = _report(world, staff1, "child-noor", "2026-11-24", [old_noor])

    _move_noor(world, "grp-elders", clock)  # to Kindcentrum Elders, another location
    manager2 = tokens.header(role="manager", user_id="user-manager2", locations=("loc-elders",))
    new_noor = publish(world, manager2, timeline, ["child-noor"], group="grp-elders")
    new_group = publish(world, manager2, timeline, [], group="grp-elders")
    new_report = _report(world, manager2, "child-noor", MOVE_DAY, [new_noor])
    new = {new_noor, new_group, new_report}
    old = {old_noor, old_both, old_group, old_report}

    manager = demo_login_header(world, f"manager@{d.DOMAIN}")
    assert world.get("/timeline/feed?child_id=child-noor", headers=manager).status_code == 404
    assert world.get("/timeline/children/child-noor/diary", headers=manager).status_code == 404
    for photo in (new_noor, new_group):
        assert world.get(f"/timeline/photos/{photo}", headers=manager).status_code == 404
    assert world.get(f"/timeline/diary/{new_report}", headers=manager).status_code == 404
    assert world.get(f"/timeline/photos/{old_noor}", headers=manager).status_code == 200
    assert world.get("/timeline/groups/grp-elders/diary", headers=manager).status_code == 404
    assert old_both in feed_ids(world, manager, "?child_id=child-yara")
    assert old_report in _ids(world.get("/timeline/groups/grp-rupsen/diary?date=2026-11-24",
                                        headers=manager).json["items"])

    assert set(feed_ids(world, manager2, "?child_id=child-noor")) == new
    listed = world.get("/timeline/children/child-noor/diary", headers=manager2).json["items"]
    assert _ids(listed) == {new_report}
    for photo in (old_noor, old_both, old_group):
        assert world.get(f"/timeline/photos/{photo}", headers=manager2).status_code == 404
    assert world.get(f"/timeline/diary/{old_report}", headers=manager2).status_code == 404

    days = ["2026-11-24", MOVE_DAY]
    children, groups = ["child-noor", "child-yara", "child-elders"], [*GROUPS, "grp-elders"]
    seen = check_callers(world, days, ["manager", "admin", "parent1"], children=children, groups=groups)
    assert not new & set().union(*(_ids(items) for items in seen["manager"].values()))
    assert new | old <= set().union(*(_ids(items) for items in seen["admin"].values()))
    lists = readable_lists(world, manager2, days, children=children, groups=groups, role="manager")
    assert not old & assert_every_listed_item_opens(world, manager2, lists)


def _history(timeline, days: int) -> None:
    """`days` days of Noor's history before today, written straight into the table: a photo of her, a group
    photo and her report with its photo a day; every other day stored as before entries carried a location."""
    from datetime import date, timedelta

    from portal_common import store as keys

    entry = timeline.lib.feed.store.FeedEntryItem
    with entry.batch_write() as batch:
        for n in range(days):
            day = (date(2026, 11, 24) - timedelta(days=n + 1)).isoformat()
            at, located = f"{day}T10:00:00+01:00", {"location_id": "loc-zonnebloem"} if n % 2 else {}
            common = {"date": day, "group_id": "grp-rupsen", "published_at": at, **located}
            photo = f"pho-{n:026d}"
            batch.save(entry(keys.key("demo", "CHILDFEED", "child-noor"), f"{day}#{photo}", kind="photo",
                             item_id=photo, child_ids=["child-noor"], **common))
            batch.save(entry(keys.key("demo", "GROUPFEED", "grp-rupsen"), f"{day}#pho-g{n:025d}", kind="photo",
                             item_id=f"pho-g{n:025d}", child_ids=[], **common))
            batch.save(entry(keys.key("demo", "CHILDFEED", "child-noor"), f"{day}#diary#staff", kind="diary",
                             item_id=f"child-noor.{day}.staff", child_ids=["child-noor"], diary_kind="report",
                             text="Fijne dag.", photos=[{"id": photo, "child_ids": ["child-noor"],
                                                         "published_at": at}], **common))


def test_a_feed_page_costs_a_few_dynamodb_calls_for_every_caller_however_long_the_history(world, timeline):
    from portal_common.testing.calls import count_calls, total

    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    callers = {login: demo_login_header(world, f"{login}@{d.DOMAIN}") for login in ("parent1", "staff1", "manager",
                                                                                    "admin")}
    paths = {"parent1": "/timeline/feed?limit=20"}  # Noor's and Daan's merged
    costs = {}
    for days in (5, 200):
        _history(timeline, days)
        for login, headers in callers.items():
            with count_calls() as calls:
                answer = world.get(paths.get(login, "/timeline/feed?limit=20&child_id=child-noor"), headers=headers)
            assert answer.status_code == 200 and len(answer.json["items"]) == min(20, 3 * days), login
            costs[(login, days)] = total(calls, "dynamodb")
    # Per child a Query of its placements, its own partition and its group's; one BatchGetItem of consents;
    # for a manager one of the groups of entries stored without their location.
    assert costs == {(login, days): cost for days in (5, 200)
                     for login, cost in {"parent1": 7, "staff1": 4, "manager": 5, "admin": 4}.items()}
