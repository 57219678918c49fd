"""The timeline's one visibility rule, on its own: who sees a photo, a report or a parent's entry.

Pure: these tests import `timeline_service.visibility` and nothing of AWS, the apps or the demo. Facts are
plain records with the attributes the rule reads (a consent's `photos`, `diary`, `photos_from`, `as_of`; a
placement's `child_id`, `group_id`, `start`, `end`). The route-level invariant (every listed item opens on
its own route, before and after a move) is `tests/test_timeline_visibility.py`.
"""

from __future__ import annotations

from types import SimpleNamespace as Facts

import pytest

from timeline_service import visibility as v

PUBLISHED = "2026-11-24T10:00:00+01:00"
NOOR, YARA, DAAN = "child-noor", "child-yara", "child-daan"


def consent(photos=True, diary=True, photos_from=None, as_of="2026-11-01T09:00:00+01:00"):
    return Facts(photos=photos, diary=diary, photos_from=photos_from, as_of=as_of)


def placement(child_id, group_id="grp-rupsen", start="2025-09-01", end=None):
    return Facts(child_id=child_id, group_id=group_id, start=start, end=end)


def photo(*child_ids, group="grp-rupsen", location="loc-zonnebloem", day="2026-11-24", published=PUBLISHED):
    return v.Item(v.PHOTO, group, location, day, tuple(child_ids), published)


def report(child_id=NOOR, group="grp-rupsen", location="loc-zonnebloem", day="2026-11-24"):
    return v.Item(v.DIARY, group, location, day, (child_id,), PUBLISHED)


def parent_of(*children):
    return v.Principal("demo", "user-parent", v.Role.PARENT, children=frozenset(children))


STAFF_RUPSEN = v.Principal("demo", "user-staff1", v.Role.STAFF, groups=frozenset({"grp-rupsen"}))
STAFF_BIJEN = v.Principal("demo", "user-staff3", v.Role.STAFF, groups=frozenset({"grp-bijen"}))
MANAGER = v.Principal("demo", "user-manager", v.Role.MANAGER, locations=frozenset({"loc-zonnebloem"}))
MANAGER_ELSEWHERE = v.Principal("demo", "user-manager2", v.Role.MANAGER, locations=frozenset({"loc-elders"}))
ADMIN = v.Principal("demo", "user-admin", v.Role.ADMIN)
EVERYONE_CONSENTS = {NOOR: consent(), YARA: consent(), DAAN: consent()}


# -- consent ------------------------------------------------------------------------------------
def test_a_photo_of_two_children_shows_only_while_both_consents_hold():
    both = photo(NOOR, YARA)
    assert v.may_see(parent_of(NOOR), both, EVERYONE_CONSENTS)
    yara_withdrew = {**EVERYONE_CONSENTS, YARA: consent(photos=False)}
    assert not v.may_see(parent_of(NOOR), both, yara_withdrew)  # Noor's own parent loses it too
    assert not v.may_see(STAFF_RUPSEN, both, yara_withdrew)
    assert not v.may_see(ADMIN, both, yara_withdrew)  # nobody is above consent
    assert not v.may_see(parent_of(NOOR), both, {NOOR: consent()})  # no consent kept for Yara at all


def test_consent_given_again_shows_only_photos_published_from_then_on():
    regiven = {NOOR: consent(photos_from="2026-11-24T12:00:00+01:00")}
    assert not v.may_see(parent_of(NOOR), photo(NOOR, published="2026-11-24T11:59:59+01:00"), regiven)
    assert v.may_see(parent_of(NOOR), photo(NOOR, published="2026-11-24T12:00:00+01:00"), regiven)
    assert v.may_see(parent_of(NOOR), photo(NOOR, published="2026-11-25T08:00:00+01:00"), regiven)


def test_an_untagged_group_photo_needs_nobodys_photo_consent():
    group_photo = photo()
    assert v.photo_consent((), PUBLISHED, {})
    assert v.may_see(STAFF_RUPSEN, group_photo, {})


def test_a_diary_entry_shows_only_with_its_childs_diary_consent_whatever_the_photo_consent():
    assert v.may_see(parent_of(NOOR), report(), {NOOR: consent(photos=False, diary=True)})
    assert not v.may_see(parent_of(NOOR), report(), {NOOR: consent(photos=True, diary=False)})
    assert not v.may_see(STAFF_RUPSEN, report(), {})
    assert not v.consent_holds(v.Item(v.DIARY, "grp-rupsen", None, "2026-11-24", ()), EVERYONE_CONSENTS)


@pytest.mark.parametrize("previous, photos, moment, expected", [
    (None, True, "2026-11-24T12:00:00+01:00", None),  # first consent: every photo since placement counts
    (consent(photos=False), True, "2026-11-24T12:00:00+01:00", "2026-11-24T12:00:00+01:00"),  # given again
    (consent(photos=True), True, "2026-11-24T12:00:00+01:00", None),  # still given: nothing restarts
    (consent(photos=True, photos_from="2026-11-20T08:00:00+01:00"), False, "2026-11-24T12:00:00+01:00",
     "2026-11-20T08:00:00+01:00"),  # withdrawn: the earlier restart is kept
    (consent(photos=False, as_of="2026-11-24T12:00:00+01:00"), True, "2026-11-24T11:00:00+01:00", None),  # older
])
def test_photos_from_restarts_only_when_a_withdrawn_photo_consent_is_given_again(previous, photos, moment,
                                                                                 expected):
    assert v.photos_from_after(previous, photos, moment) == expected


# -- the caller's relation to the item ----------------------------------------------------------
def test_a_guardian_sees_their_own_childs_tagged_items_and_never_another_familys():
    assert v.may_see(parent_of(NOOR, DAAN), photo(NOOR), EVERYONE_CONSENTS)
    assert v.may_see(parent_of(NOOR), report(NOOR), EVERYONE_CONSENTS)
    assert not v.may_see(parent_of(YARA), photo(NOOR), EVERYONE_CONSENTS)
    assert not v.may_see(parent_of(YARA), report(NOOR), EVERYONE_CONSENTS)
    assert v.via_child(parent_of(YARA), photo(NOOR, YARA)) == YARA  # through the child of their own


@pytest.mark.parametrize("stay, sees", [
    (placement(NOOR), True),                                          # placed in the group that day
    (placement(NOOR, end="2026-11-24"), True),                        # the placement's last day counts
    (placement(NOOR, start="2026-11-24"), True),                      # and its first
    (placement(NOOR, end="2026-11-23"), False),                       # left the day before
    (placement(NOOR, start="2026-11-25"), False),                     # came the day after
    (placement(NOOR, group_id="grp-vlinders"), False),                # another group that day
    (placement(YARA), False),                                         # another family's child placed there
])
def test_an_untagged_group_photo_reaches_the_guardians_of_the_children_placed_in_its_group_that_day(stay, sees):
    assert v.may_see(parent_of(NOOR), photo(), {}, [stay]) is sees


def test_staff_see_the_items_of_the_group_they_were_made_in_not_the_childs_group_now():
    made_in_rupsen = photo(NOOR, group="grp-rupsen")
    assert v.may_see(STAFF_RUPSEN, made_in_rupsen, EVERYONE_CONSENTS)
    assert not v.may_see(STAFF_BIJEN, made_in_rupsen, EVERYONE_CONSENTS)  # Noor's new group after a move
    assert v.may_see(STAFF_BIJEN, report(NOOR, group="grp-bijen"), EVERYONE_CONSENTS)
    assert v.via_child(STAFF_RUPSEN, made_in_rupsen) is None  # staff read as the group's, not as a guardian


def test_a_manager_sees_the_items_of_their_locations_and_nothing_whose_location_is_unknown():
    assert v.may_see(MANAGER, photo(NOOR), EVERYONE_CONSENTS)
    assert not v.may_see(MANAGER_ELSEWHERE, photo(NOOR), EVERYONE_CONSENTS)
    assert not v.may_see(MANAGER, photo(NOOR, location=None), EVERYONE_CONSENTS)


def test_an_admin_sees_every_item_of_the_tenant_with_consent():
    assert v.may_see(ADMIN, photo(NOOR, group="grp-anything", location=None), EVERYONE_CONSENTS)
    assert v.may_see(ADMIN, report(DAAN), EVERYONE_CONSENTS)


# -- what of an item a caller is shown, and the facts of stored items ------------------------------
def test_a_parent_is_shown_only_their_own_childrens_ids_and_staff_all_of_them():
    assert v.shown_children(parent_of(YARA), [NOOR, YARA]) == [YARA]
    assert v.shown_children(parent_of(DAAN), [NOOR, YARA]) == []
    assert v.shown_children(STAFF_RUPSEN, [NOOR, YARA]) == [NOOR, YARA]


def test_placed_on_names_the_placements_of_a_day_with_both_ends_included():
    old, new = placement(NOOR, end="2026-11-24"), placement(NOOR, "grp-bijen", start="2026-11-24")
    assert v.placed_on([old, new], "2026-11-24") == [old, new]  # the day of a move: both groups
    assert v.placed_on([old, new], "2026-11-25") == [new]
    assert v.placed_on([old, new], "2025-08-31") == []


def test_a_photo_in_a_report_stored_before_it_carried_its_facts_counts_as_of_the_reports_group_and_day():
    entry = report(NOOR, group="grp-rupsen", location="loc-zonnebloem", day="2026-11-20")
    old_ref = {"id": "pho-1", "child_ids": [NOOR], "published_at": PUBLISHED}
    assert v.of_photo_ref(old_ref, entry) == v.Item(v.PHOTO, "grp-rupsen", "loc-zonnebloem", "2026-11-20", (NOOR,),
                                                    PUBLISHED)
    full_ref = {**old_ref, "group_id": "grp-bijen", "location_id": "loc-elders", "date": "2026-11-19"}
    assert v.of_photo_ref(full_ref, entry) == v.Item(v.PHOTO, "grp-bijen", "loc-elders", "2026-11-19", (NOOR,),
                                                     PUBLISHED)
    assert not v.may_see(STAFF_RUPSEN, v.of_photo_ref(full_ref, entry), EVERYONE_CONSENTS)


def test_the_archive_reads_as_the_childs_guardian_and_nobody_elses():
    guardian = v.guardian_of("demo", NOOR)
    assert guardian.role is v.Role.PARENT and guardian.children == frozenset({NOOR})
    assert v.may_see(guardian, photo(NOOR, YARA), EVERYONE_CONSENTS)
    assert not v.may_see(guardian, photo(YARA), EVERYONE_CONSENTS)
