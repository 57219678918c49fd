"""The feed's paging rules, on their own: whose feed is read, which part of each partition a page reads, and
what of the examined window a page shows (filtered by the visibility rule, so a page may be short, and its
cursor still moves on).

Pure: these tests import `timeline_service.feed.rules` only; entries, placements and consents are plain
records with the attributes the rules read. The routes' behaviour is `tests/test_timeline_feed.py`.
"""

from __future__ import annotations

from types import SimpleNamespace as Facts

import pytest

from timeline_service.feed import rules

TODAY = "2026-11-24"
NOOR, DAAN, YARA = "child-noor", "child-daan", "child-yara"
AT = "2026-11-24T10:00:00+01:00"


def entry(day, item_id, *, kind="photo", child_ids=(NOOR,), group="grp-rupsen", location="loc-zonnebloem",
          photos=(), sk=None):
    return Facts(sk=sk or f"{day}#{item_id}", item_id=item_id, kind=kind, date=day, child_ids=list(child_ids),
                 group_id=group, location_id=location, published_at=AT, photos=list(photos))


def placement(child_id=NOOR, group="grp-rupsen", location="loc-zonnebloem", start="2025-09-01", end=None):
    return Facts(child_id=child_id, group_id=group, location_id=location, start=start, end=end)


def consent(photos=True, diary=True):
    return Facts(photos=photos, diary=diary, photos_from=None)


def principal(role, **relations):
    return rules.Principal("demo", f"user-{role}", rules.Role(role),
                           **{k: frozenset(v) for k, v in relations.items()})


SANNE = principal("parent", children={NOOR, DAAN})
STAFF = principal("staff", groups={"grp-rupsen"})
MANAGER = principal("manager", locations={"loc-zonnebloem"})
ADMIN = principal("admin")


# -- whose feed, and what to read -----------------------------------------------------------------
def test_a_parent_reads_all_their_children_and_everyone_else_names_the_child():
    assert rules.children_to_read(SANNE, None) == [DAAN, NOOR]
    assert rules.children_to_read(SANNE, NOOR) == [NOOR]
    assert rules.children_to_read(STAFF, YARA) == [YARA]
    for caller in (STAFF, MANAGER, ADMIN):
        with pytest.raises(rules.RuleBroken) as refused:
            rules.children_to_read(caller, None)
        assert refused.value.code == "child_id_required"
        assert refused.value.errors == [{"loc": ["query", "child_id"], "msg": "staff name the child"}]


def test_a_first_page_reads_up_to_the_end_of_today_and_a_later_one_from_its_cursor():
    assert rules.top(None, TODAY) == "2026-11-24#~"
    assert rules.top(("2026-11-20#pho-5", "pho-5"), TODAY) == "2026-11-20#pho-5"
    assert rules.top(None, TODAY) > f"{TODAY}#pho-zzzzzzzz" > f"{TODAY}#diary#staff"  # after every id of today


@pytest.mark.parametrize("stay, top, expected", [
    (placement(), "2026-11-24#~", ("2025-09-01", "2026-11-24#~")),                       # placed: up to today
    (placement(end="2026-11-20"), "2026-11-24#~", ("2025-09-01", "2026-11-20#~")),        # never after its end
    (placement(end="2027-01-31"), "2026-11-24#~", ("2025-09-01", "2026-11-24#~")),        # never after today
    (placement(), "2026-10-01#pho-1", ("2025-09-01", "2026-10-01#pho-1")),                # from the cursor on
    (placement(start="2026-11-01"), "2026-10-31#pho-1", None),                            # cursor before its start
])
def test_a_placements_group_photos_are_read_only_for_the_days_the_child_was_there(stay, top, expected):
    assert rules.group_span(stay, top, TODAY, SANNE) == expected


def test_staff_and_managers_read_no_group_partition_they_could_see_nothing_of():
    elsewhere = placement(group="grp-elders", location="loc-elders")
    assert rules.group_span(elsewhere, "2026-11-24#~", TODAY, STAFF) is None
    assert rules.group_span(elsewhere, "2026-11-24#~", TODAY, MANAGER) is None
    assert rules.group_span(elsewhere, "2026-11-24#~", TODAY, ADMIN) is not None
    assert rules.group_span(placement(), "2026-11-24#~", TODAY, STAFF) is not None
    assert rules.group_span(placement(), "2026-11-24#~", TODAY, MANAGER) is not None


# -- the window and the next page ---------------------------------------------------------------
def test_a_window_merges_the_childrens_entries_newest_first_and_shows_a_photo_of_two_siblings_once():
    shared = entry("2026-11-23", "pho-b", child_ids=(NOOR, DAAN))
    noors = [entry("2026-11-24", "pho-c"), shared, entry("2026-11-20", "pho-a")]
    daans = [entry("2026-11-23", "pho-b", child_ids=(NOOR, DAAN)), entry("2026-11-22", "pho-x", child_ids=(DAAN,))]
    examined, after = rules.window([noors, daans], 3)
    assert [e.item_id for e in examined] == ["pho-c", "pho-b", "pho-x"] and examined[1] is shared
    assert after == ("2026-11-22#pho-x", "pho-x")
    everything, last = rules.window([noors, daans], 4)
    assert [e.item_id for e in everything] == ["pho-c", "pho-b", "pho-x", "pho-a"] and last is None


def test_two_childrens_reports_of_one_day_share_a_sort_key_and_neither_is_skipped_at_a_page_edge():
    noors = entry(TODAY, f"{NOOR}.{TODAY}.staff", kind="diary", sk=f"{TODAY}#diary#staff")
    daans = entry(TODAY, f"{DAAN}.{TODAY}.staff", kind="diary", child_ids=(DAAN,), sk=f"{TODAY}#diary#staff")
    first, cursor = rules.window([[noors], [daans]], 1)
    assert [e.item_id for e in first] == [noors.item_id] and cursor == (f"{TODAY}#diary#staff", noors.item_id)
    second, end = rules.window([rules.after([noors], cursor), rules.after([daans], cursor)], 1)
    assert [e.item_id for e in second] == [daans.item_id] and end is None


def test_after_keeps_only_what_lies_past_the_cursor():
    entries = [entry(TODAY, "pho-3"), entry(TODAY, "pho-2"), entry("2026-11-23", "pho-9")]
    assert rules.after(entries, None) == entries
    assert [e.item_id for e in rules.after(entries, (f"{TODAY}#pho-2", "pho-2"))] == ["pho-9"]


# -- what a page shows --------------------------------------------------------------------------
def test_the_rule_filters_the_window_so_a_page_may_be_short_and_a_shared_photo_leaves_a_report_not_the_report():
    mine, theirs = entry(TODAY, "pho-1"), entry(TODAY, "pho-2", child_ids=(YARA,))
    shared = {"id": "pho-3", "child_ids": [NOOR, YARA], "published_at": AT}
    own = {"id": "pho-1", "child_ids": [NOOR], "published_at": AT}
    report = entry(TODAY, f"{NOOR}.{TODAY}.staff", kind="diary", photos=[own, shared], sk=f"{TODAY}#diary#staff")
    consents = {NOOR: consent(), YARA: consent(photos=False)}
    kept, photos = rules.shown(SANNE, [report, theirs, mine], consents, {}, [])
    assert [e.item_id for e in kept] == [report.item_id, "pho-1"]  # Yara's photo is another family's
    assert photos == {report.item_id: ["pho-1"], "pho-1": ["pho-1"]}  # Yara's withdrawal: the shared photo goes
    assert rules.shown(SANNE, [report], {NOOR: consent(diary=False)}, {}, [])[0] == []  # no diary consent
    assert rules.children_of(report) == {NOOR, YARA}


def test_a_manager_looks_up_only_the_locations_of_entries_stored_before_they_carried_one():
    old, new = entry(TODAY, "pho-1", location=None), entry(TODAY, "pho-2")
    assert rules.unlocated_groups(MANAGER, [old, new]) == {"grp-rupsen"}
    assert rules.unlocated_groups(STAFF, [old, new]) == set() and rules.unlocated_groups(ADMIN, [old]) == set()
    assert rules.shown(MANAGER, [old], {NOOR: consent()}, {}, [])[0] == []
    assert rules.shown(MANAGER, [old], {NOOR: consent()}, {"grp-rupsen": "loc-zonnebloem"}, [])[0] == [old]
