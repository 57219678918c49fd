"""Swap-hour rules: earning on absence (notice boundary, holidays, daylight saving), oldest-first use."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from portal_common.clock import AMSTERDAM
from tests.test_planning_opening_days import planning_module

WHOLE = {"start": "07:30", "end": "18:30"}
DAYS = {"1": WHOLE, "2": {"start": "07:30", "end": "13:00"}, "4": WHOLE}


@pytest.fixture(scope="module")
def rules(services):
    return planning_module(services, "swap_rules")


def assess(rules, day, reported_at, **kwargs):
    kwargs.setdefault("days", DAYS)
    kwargs.setdefault("contract_start", "2025-01-01")
    kwargs.setdefault("contract_end", None)
    return rules.assess_absence(day, reported_at, **kwargs)


def test_exactly_24_hours_before_care_earns_and_one_second_less_does_not(rules):
    day = date(2026, 11, 26)  # a Thursday, care 07:30-18:30
    starts = datetime(2026, 11, 26, 7, 30, tzinfo=AMSTERDAM)
    on_time = assess(rules, day, starts - timedelta(hours=24))
    assert (on_time.outcome, on_time.earned_minutes, on_time.deregistered_minutes) == ("earned", 660, 660)
    assert on_time.earned_hours == Decimal("11.00")
    assert on_time.valid_until == date(2027, 11, 26)
    assert on_time.deadline == datetime(2026, 11, 25, 7, 30, tzinfo=AMSTERDAM)
    late = assess(rules, day, starts - timedelta(hours=23, minutes=59, seconds=59))
    assert (late.outcome, late.earned_minutes, late.deregistered_minutes, late.valid_until) == ("late", 0, 660, None)
    assert late.accepted and on_time.accepted
    same_day = assess(rules, day, datetime(2026, 11, 26, 9, 0, tzinfo=AMSTERDAM))
    assert (same_day.outcome, same_day.earned_hours, same_day.deregistered_hours) == ("late", 0, Decimal("11.00"))


def test_the_notice_compares_instants_in_any_time_zone(rules):
    day = date(2026, 11, 26)
    # 06:30 UTC on the 25th is 07:30 in Amsterdam (CET): exactly 24 hours ahead.
    assert assess(rules, day, datetime(2026, 11, 25, 6, 30, tzinfo=UTC)).outcome == "earned"
    assert assess(rules, day, datetime(2026, 11, 25, 6, 30, 1, tzinfo=UTC)).outcome == "late"
    with pytest.raises(ValueError):
        assess(rules, day, datetime(2026, 11, 25, 6, 30))  # naive: refused


def test_a_holiday_earns_nothing_and_is_not_an_absence(rules):
    easter_monday = date(2026, 4, 6)
    found = assess(rules, easter_monday, datetime(2026, 3, 1, 9, 0, tzinfo=AMSTERDAM))
    assert (found.outcome, found.closed, found.earned_minutes, found.deregistered_minutes) == (
        "closed", "easter_monday", 0, 0)
    assert not found.accepted
    closing = assess(rules, date(2026, 11, 26), datetime(2026, 11, 1, 9, 0, tzinfo=AMSTERDAM),
                     location_closures={date(2026, 11, 26): "Studiedag"})
    assert (closing.outcome, closing.closed) == ("closed", "location")


def test_days_without_contracted_care_earn_nothing(rules):
    reported = datetime(2026, 11, 1, 9, 0, tzinfo=AMSTERDAM)
    assert assess(rules, date(2026, 11, 25), reported).outcome == "not_contracted"  # a Wednesday
    assert assess(rules, date(2026, 11, 26), reported, contract_end="2026-11-25").outcome == "not_contracted"
    assert assess(rules, date(2026, 11, 26), reported, contract_start="2026-11-26").outcome == "earned"


def test_the_contracted_hours_of_that_day_are_earned(rules):
    tuesday = assess(rules, date(2026, 11, 24), datetime(2026, 11, 1, 9, 0, tzinfo=AMSTERDAM))
    assert (tuesday.earned_minutes, tuesday.earned_hours) == (330, Decimal("5.50"))


def test_daylight_saving_weekend_in_spring_counts_real_hours(rules):
    # Monday 30 March 2026 07:30 CEST (05:30 UTC). With 48 hours' notice the window spans the
    # switch on Sunday: the deadline is Saturday 06:30 CET, not the wall-clock 07:30.
    settings = rules.SwapSettings(notice_hours=48)
    day = date(2026, 3, 30)
    deadline = datetime(2026, 3, 28, 6, 30, tzinfo=AMSTERDAM)
    found = assess(rules, day, deadline, settings=settings)
    assert (found.outcome, found.deadline, found.earned_minutes) == ("earned", deadline, 660)
    assert assess(rules, day, deadline + timedelta(seconds=1), settings=settings).outcome == "late"
    assert assess(rules, day, datetime(2026, 3, 28, 7, 0, tzinfo=AMSTERDAM), settings=settings).outcome == "late"
    # With the default 24 hours the deadline is Sunday 07:30 CEST (after the switch).
    default = assess(rules, day, datetime(2026, 3, 29, 7, 30, tzinfo=AMSTERDAM))
    assert default.outcome == "earned" and default.deadline.utcoffset() == timedelta(hours=2)


def test_daylight_saving_weekend_in_autumn_counts_real_hours(rules):
    # Monday 26 October 2026 07:30 CET (06:30 UTC) minus 48 real hours = Saturday 08:30 CEST.
    settings = rules.SwapSettings(notice_hours=48)
    day = date(2026, 10, 26)
    deadline = datetime(2026, 10, 24, 8, 30, tzinfo=AMSTERDAM)
    assert assess(rules, day, deadline, settings=settings).deadline == deadline
    assert assess(rules, day, deadline, settings=settings).outcome == "earned"
    assert assess(rules, day, deadline + timedelta(minutes=1), settings=settings).outcome == "late"
    friday_evening = datetime(2026, 10, 23, 20, 0, tzinfo=AMSTERDAM)
    assert assess(rules, day, friday_evening).earned_minutes == 660


def test_settings_come_from_the_organisation(rules):
    settings = rules.SwapSettings.from_mapping({"swap_hours_notice_hours": 48, "swap_hours_validity_days": 30})
    assert settings == rules.SwapSettings(48, 30)
    assert rules.SwapSettings.from_mapping({}) == rules.DEFAULTS == rules.SwapSettings(24, 365)
    found = assess(rules, date(2026, 11, 26), datetime(2026, 11, 1, tzinfo=AMSTERDAM), settings=settings)
    assert found.valid_until == date(2026, 12, 26)
    with pytest.raises(ValueError):
        rules.SwapSettings.from_mapping({"swap_hours_notice_hours": -1})


def lots(rules, *specs):
    return [rules.LotView(lot_id, until, minutes) for lot_id, until, minutes in specs]


def test_allocation_uses_the_oldest_valid_hours_first(rules):
    pool = lots(rules, ("b", date(2027, 6, 1), 660), ("a", date(2027, 3, 1), 300), ("c", date(2027, 1, 1), 120))
    assert rules.allocate(pool, date(2026, 12, 1), 660) == [("c", 120), ("a", 300), ("b", 240)]
    assert rules.allocate(pool, date(2026, 12, 1), 60) == [("c", 60)]
    # On 1 February 2027 lot c is no longer valid.
    assert rules.allocate(pool, date(2027, 2, 1), 660) == [("a", 300), ("b", 360)]
    assert rules.available_minutes(pool, date(2027, 2, 1)) == 960


def test_allocation_is_all_or_nothing(rules):
    pool = lots(rules, ("a", date(2027, 3, 1), 300), ("b", date(2027, 6, 1), 300))
    assert rules.allocate(pool, date(2026, 12, 1), 601) is None
    assert rules.allocate(pool, date(2027, 4, 1), 301) is None  # a has lapsed by then
    assert rules.allocate(pool, date(2027, 3, 1), 600) is not None  # valid_until is inclusive
    assert rules.allocate([], date(2026, 12, 1), 1) is None
    with pytest.raises(ValueError):
        rules.allocate(pool, date(2026, 12, 1), 0)


def test_allocating_several_days_gives_the_soonest_expiring_hours_to_the_earliest_day(rules):
    pool = lots(rules, ("late", date(2027, 6, 1), 660), ("soon", date(2027, 1, 10), 660))
    wanted = [(date(2027, 2, 1), 660), (date(2027, 1, 5), 660)]
    assert rules.allocate_days(pool, wanted) == [("soon", date(2027, 1, 5), 660), ("late", date(2027, 2, 1), 660)]
    assert rules.allocate_days(pool, [(date(2027, 2, 1), 660), (date(2027, 2, 2), 660)]) is None


def test_validity_is_counted_in_days_from_the_absent_day(rules):
    assert rules.valid_until(date(2026, 11, 26)) == date(2027, 11, 26)
    assert rules.valid_until(date(2027, 11, 26)) == date(2028, 11, 25)  # across 29 February 2028
    usable = rules.LotView("a", date(2027, 11, 26), 60)
    assert usable.usable_on(date(2027, 11, 26)) and not usable.usable_on(date(2027, 11, 27))
