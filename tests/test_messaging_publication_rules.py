"""The rules of news, newsletters and location pages, tested as plain functions: no AWS, no app, only
`messaging_service.publications.rules` and `messaging_service.locations.rules`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from messaging_service.locations import rules as locations
from messaging_service.publications import rules
from portal_common.domain import RuleBroken

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # Tuesday 24 November 2026, 09:00 in Amsterdam
OUT = "2026-11-24T08:00:00Z"  # published at this very moment
LATER = "2026-11-24T08:00:01Z"


# -- publications: who writes, who reads, when ---------------------------------------------------------
def test_admins_write_anything_and_managers_only_their_locations_items():
    assert rules.may_write("admin", (), None) and rules.may_write("admin", (), "loc-elders")
    assert rules.may_write("manager", {"loc-zonnebloem"}, "loc-zonnebloem")
    assert not rules.may_write("manager", {"loc-zonnebloem"}, "loc-elders")
    assert not rules.may_write("manager", {"loc-zonnebloem"}, None)  # the organisation's: admins only
    assert not rules.may_write("parent", {"loc-zonnebloem"}, "loc-zonnebloem")
    assert not rules.may_write("staff", {"loc-zonnebloem"}, "loc-zonnebloem")


def test_readers_see_their_locations_and_the_organisations_items_once_they_are_out():
    for location_id in (None, "loc-zonnebloem"):
        assert rules.may_read("parent", {"loc-zonnebloem"}, location_id, OUT, NOW)
        assert not rules.may_read("parent", {"loc-zonnebloem"}, location_id, LATER, NOW)  # scheduled
    assert not rules.may_read("staff", {"loc-zonnebloem"}, "loc-elders", OUT, NOW)


def test_writers_see_an_item_before_its_moment():
    assert rules.may_read("manager", {"loc-zonnebloem"}, "loc-zonnebloem", LATER, NOW)
    assert rules.may_read("admin", (), None, LATER, NOW)
    assert not rules.may_read("manager", {"loc-zonnebloem"}, None, LATER, NOW)  # not the organisation's


def test_an_item_is_out_from_its_moment_on():
    assert rules.is_out(OUT, NOW) and rules.status(OUT, NOW) == rules.PUBLISHED
    assert not rules.is_out(LATER, NOW) and rules.status(LATER, NOW) == rules.SCHEDULED


def test_a_page_without_a_location_reads_the_organisations_list_and_each_of_the_readers():
    assert rules.visible_scopes("parent", {"loc-b", "loc-a"}) == ["ORG", "loc-a", "loc-b"]
    assert rules.visible_scopes("staff", ()) == ["ORG"]
    assert rules.visible_scopes("admin", {"loc-a"}) is None  # the whole tenant's index
    assert rules.scope_of(None) == "ORG" and rules.scope_of("loc-a") == "loc-a"


# -- publications: moments ------------------------------------------------------------------------------
def test_a_publish_moment_is_at_most_a_year_ahead():
    rules.check_publish_at(None, NOW)
    rules.check_publish_at(NOW + rules.HORIZON, NOW)
    with pytest.raises(RuleBroken) as refused:
        rules.check_publish_at(NOW + rules.HORIZON + timedelta(seconds=1), NOW)
    assert refused.value.code == "publish_at_out_of_range"
    assert refused.value.errors[0]["loc"] == ["body", "publish_at"]


def test_a_new_item_goes_out_at_its_moment_or_now_never_in_the_past():
    assert rules.first_moment(None, NOW) == NOW
    assert rules.first_moment(NOW - timedelta(days=3), NOW) == NOW
    assert rules.first_moment(NOW + timedelta(days=3), NOW) == NOW + timedelta(days=3)


def test_a_scheduled_item_may_move_but_not_into_the_past():
    scheduled = "2026-12-01T08:00:00Z"
    assert rules.moved_moment(datetime(2026, 12, 2, 8, tzinfo=UTC), scheduled, NOW) == "2026-12-02T08:00:00Z"
    assert rules.moved_moment(NOW - timedelta(days=1), scheduled, NOW) == OUT  # the past is now
    assert rules.moved_moment(None, scheduled, NOW) == scheduled


def test_a_published_item_keeps_its_moment_and_an_edit_naming_another_is_refused():
    assert rules.moved_moment(None, OUT, NOW) == OUT
    assert rules.moved_moment(NOW, OUT, NOW) == OUT  # naming the same moment is no change
    with pytest.raises(RuleBroken) as refused:
        rules.moved_moment(NOW + timedelta(days=1), OUT, NOW)
    assert refused.value.code == "already_published" and refused.value.errors[0]["loc"] == ["body", "publish_at"]


def test_an_edit_keeps_adds_and_drops_attachments_by_the_ids_it_names():
    current = [{"id": "att-a", "file_name": "a.pdf"}, {"id": "att-b", "file_name": "b.pdf"}]
    change = rules.attachment_change(current, ["att-b", "att-c"])
    assert change.kept == [{"id": "att-b", "file_name": "b.pdf"}]
    assert (change.added, change.removed) == (["att-c"], ["att-a"])
    assert rules.attachment_change(current, []).removed == ["att-a", "att-b"]


def test_an_excerpt_is_one_line_cut_at_a_word():
    assert rules.excerpt("Kort\n\nbericht.") == "Kort bericht."
    long = rules.excerpt("Sinterklaas komt op bezoek, met pieten. " * 10)
    assert len(long) <= rules.EXCERPT + 1 and long.endswith("…") and not long[:-1].endswith((" ", ",", "."))


# -- location pages --------------------------------------------------------------------------------------
@dataclass
class Version:
    kind: str
    valid_from: str
    created_at: str
    version: str = ""


def test_the_version_in_force_is_the_newest_that_is_not_in_the_future():
    rows = [Version("safety_health", "2025-01-01", "a", "2025"), Version("safety_health", "2026-01-01", "b", "2026"),
            Version("safety_health", "2027-01-01", "c", "2027"), Version("pedagogical", "2026-06-01", "d", "p")]
    found = locations.versions(rows, "safety_health", date(2026, 11, 24))
    assert [(v.version, current) for v, current in found] == [("2027", False), ("2026", True), ("2025", False)]
    assert [(v.version, current) for v, current in locations.versions(rows, "pedagogical", date(2026, 5, 31))] == [
        ("p", False)]  # none in force yet


def test_of_two_versions_from_the_same_day_the_one_added_later_is_in_force():
    rows = [Version("pedagogical", "2026-01-01", "2026-01-01T09:00", "a"),
            Version("pedagogical", "2026-01-01", "2026-01-02T09:00", "b")]
    assert [(v.version, current) for v, current in locations.versions(rows, "pedagogical", date(2026, 2, 1))] == [
        ("b", True), ("a", False)]


def test_a_version_applies_from_2000_up_to_two_years_ahead():
    today = date(2026, 11, 24)
    for valid_from in (date(2000, 1, 1), today, today + timedelta(days=730)):
        locations.check_valid_from(valid_from, today)
    for valid_from in (date(1999, 12, 31), today + timedelta(days=731)):
        with pytest.raises(RuleBroken) as refused:
            locations.check_valid_from(valid_from, today)
        assert refused.value.code == "valid_from_out_of_range"


def test_a_policy_is_a_pdf():
    locations.check_policy_file("application/pdf")
    with pytest.raises(RuleBroken) as refused:
        locations.check_policy_file("image/png")
    assert refused.value.code == "not_a_pdf" and refused.value.errors[0]["loc"] == ["body", "attachment_id"]


def test_a_policys_pdf_is_for_the_locations_people_and_the_admins():
    owner = locations.policy_owner("loc-zonnebloem", "pedagogical", "2026.1")
    assert owner == "loc-zonnebloem:pedagogical:2026.1"
    assert locations.policy_readable("parent", {"loc-zonnebloem"}, owner)
    assert locations.policy_readable("admin", (), owner)
    assert not locations.policy_readable("manager", {"loc-elders"}, owner)


@dataclass
class Span:
    weekday: int
    open: str
    close: str


def test_opening_hours_are_kept_per_weekday_in_the_order_of_the_day():
    spans = [Span(2, "07:30", "18:30"), Span(1, "12:30", "18:00"), Span(1, "07:30", "12:00")]
    assert locations.opening_hours(spans) == [{"weekday": 1, "open": "07:30", "close": "12:00"},
                                              {"weekday": 1, "open": "12:30", "close": "18:00"},
                                              {"weekday": 2, "open": "07:30", "close": "18:30"}]
