"""Ids stamped by the business clock, and the clocks themselves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from ulid import ULID

from portal_common import clock as pc_clock
from portal_common import ids


def test_new_id_is_time_sortable_by_the_business_clock(clock):
    first = ids.new_id()
    clock.advance(timedelta(milliseconds=1))
    second = ids.new_id()
    clock.set(datetime(2020, 1, 1, tzinfo=UTC))  # earlier business time: earlier id
    earlier = ids.new_id()
    assert earlier < first < second
    assert len(first) == 26


def test_new_id_carries_the_business_time(clock):
    assert ULID.from_str(ids.new_id()).datetime == clock.now().astimezone(UTC)


def test_ids_are_unique_within_one_instant(clock):
    assert len({ids.new_id() for _ in range(1000)}) == 1000


def test_random_tokens():
    token = ids.random_token()
    assert len(token) >= 43 and token != ids.random_token()
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_manual_clock_needs_aware_times():
    with pytest.raises(ValueError):
        pc_clock.ManualClock(datetime(2026, 3, 3, 9, 0))
    manual = pc_clock.ManualClock(datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    with pytest.raises(ValueError):
        manual.set(datetime(2026, 3, 3, 9, 0))
    assert manual.now().tzinfo is pc_clock.AMSTERDAM and manual.now().hour == 9


def test_set_clock_returns_the_previous_one_and_module_functions_follow_it():
    manual = pc_clock.ManualClock(datetime(2026, 3, 29, 0, 30, tzinfo=UTC))  # 01:30 CET, DST night
    previous = pc_clock.set_clock(manual)
    try:
        assert pc_clock.get_clock() is manual
        assert pc_clock.today() == date(2026, 3, 29)
        assert pc_clock.now().utcoffset() == timedelta(hours=1)
        manual.advance(timedelta(hours=1))  # 03:30 CEST: 02:30 does not exist that night
        assert pc_clock.now().utcoffset() == timedelta(hours=2) and pc_clock.now().hour == 3
        assert pc_clock.utcnow() == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
        assert pc_clock.utcnow().tzinfo is UTC
    finally:
        assert pc_clock.set_clock(previous) is manual


@pytest.mark.parametrize("start", [datetime(2026, 3, 28, 12, tzinfo=UTC),    # into summer time
                                   datetime(2026, 10, 24, 12, tzinfo=UTC)])  # into winter time
def test_advancing_a_day_over_daylight_saving_is_24_real_hours(start):
    manual = pc_clock.ManualClock(start)
    manual.advance(timedelta(hours=24))
    assert manual.now() - datetime.fromtimestamp(start.timestamp(), UTC) == timedelta(hours=24)
    assert manual.now().astimezone(UTC) == start + timedelta(hours=24)
    assert manual.now().hour != start.astimezone(pc_clock.AMSTERDAM).hour  # the wall clock shifted


def test_today_is_the_amsterdam_date(clock):
    clock.set(datetime(2026, 3, 3, 23, 30, tzinfo=UTC))  # 00:30 on the 4th in Amsterdam
    assert pc_clock.today() == date(2026, 3, 4)


def test_at_handles_daylight_saving():
    assert pc_clock.at(date(2026, 1, 15), "08:15").utcoffset() == timedelta(hours=1)
    assert pc_clock.at(date(2026, 7, 15), "08:15").utcoffset() == timedelta(hours=2)
    assert pc_clock.at(date(2026, 7, 15), "08:15").astimezone(UTC).hour == 6


def test_local_refuses_naive_times():
    with pytest.raises(ValueError):
        pc_clock.local(datetime(2026, 3, 3))
    assert pc_clock.local(datetime(2026, 3, 3, 12, tzinfo=UTC)).hour == 13


def test_offset_clock_only_moves_forward():
    offset = pc_clock.OffsetClock()
    target = offset.now() + timedelta(days=2)
    moved = offset.move_to(target)
    assert moved >= target
    with pytest.raises(ValueError):
        offset.move_to(target - timedelta(days=1))
    with pytest.raises(ValueError):
        offset.move_to(datetime(2030, 1, 1))
