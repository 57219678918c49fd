"""Contracted care: expansion into care days, real hours across daylight saving, parts of the day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from infra.local import demo_data as d
from tests.test_planning_opening_days import planning_module

WHOLE = {"start": "07:30", "end": "18:30"}
MORNING = {"start": "07:30", "end": "13:00"}


@pytest.fixture(scope="module")
def care(services):
    return planning_module(services, "care")


def test_a_year_of_a_two_day_contract_has_every_monday_and_wednesday_except_holidays(care):
    days = {"1": WHOLE, "3": WHOLE}
    found = care.care_days(days, "2026-01-01", None, date(2026, 1, 1), date(2026, 12, 31))
    mondays = sum(1 for n in range(365) if date.fromordinal(date(2026, 1, 1).toordinal() + n).isoweekday() == 1)
    wednesdays = sum(1 for n in range(365) if date.fromordinal(date(2026, 1, 1).toordinal() + n).isoweekday() == 3)
    assert (mondays, wednesdays) == (52, 52)
    # 2026 closes on Mondays for Easter Monday (6/4), King's Day (27/4) and Whit Monday (25/5); no
    # closing holiday falls on a Wednesday (Christmas is a Friday, Boxing Day a Saturday).
    assert len(found) == 52 + 52 - 3
    assert {c.day for c in found}.isdisjoint({date(2026, 4, 6), date(2026, 4, 27), date(2026, 5, 25)})
    assert all(c.minutes == 660 and c.hours == Decimal("11.00") for c in found)
    with_closed = care.care_days(days, "2026-01-01", None, date(2026, 1, 1), date(2026, 12, 31), include_closed=True)
    assert len(with_closed) == 104
    assert {c.day: c.closed for c in with_closed if c.closed} == {
        date(2026, 4, 6): "easter_monday", date(2026, 4, 27): "kings_day", date(2026, 5, 25): "whit_monday"}


def test_a_location_closing_day_is_skipped_too(care):
    days = {"2": WHOLE}
    found = care.care_days(days, "2026-11-01", None, date(2026, 11, 1), date(2026, 11, 30),
                           {date(2026, 11, 24): "Studiedag"})
    assert [c.day.day for c in found] == [3, 10, 17]


def test_contract_start_and_end_are_inclusive(care):
    days = {"1": WHOLE, "2": MORNING, "3": WHOLE, "4": WHOLE, "5": WHOLE}
    found = care.care_days(days, "2026-11-03", "2026-11-10", date(2026, 11, 1), date(2026, 11, 30))
    assert [c.day.day for c in found] == [3, 4, 5, 6, 9, 10]
    assert found[0].minutes == 330 and found[0].hours == Decimal("5.50")  # Tuesday morning
    assert care.within(date(2026, 11, 3), "2026-11-03", "2026-11-10")
    assert care.within(date(2026, 11, 10), "2026-11-03", "2026-11-10")
    assert not care.within(date(2026, 11, 2), "2026-11-03", "2026-11-10")
    assert not care.within(date(2026, 11, 11), "2026-11-03", "2026-11-10")
    assert care.care_days(days, "2026-11-03", "2026-11-10", date(2026, 12, 1), date(2026, 12, 31)) == []


def test_care_on_a_day_reports_closed_days_and_days_without_care(care):
    days = {"1": WHOLE}
    assert care.care_on(date(2026, 11, 24), days, "2026-01-01", None) is None  # a Tuesday
    monday = care.care_on(date(2026, 11, 23), days, "2026-01-01", None, contract_id="c1")
    assert (monday.start, monday.end, monday.closed, monday.contract_id) == ("07:30", "18:30", None, "c1")
    assert monday.starts_at.isoformat() == "2026-11-23T07:30:00+01:00"
    easter = care.care_on(date(2026, 4, 6), days, "2026-01-01", None)
    assert easter.closed == "easter_monday" and easter.minutes == 660


@pytest.mark.parametrize(("day", "start", "end", "expected"), [
    (date(2026, 3, 29), "07:30", "18:30", 660),   # spring forward (23-hour day), care after 03:00
    (date(2026, 3, 30), "07:30", "18:30", 660),
    (date(2026, 10, 25), "07:30", "18:30", 660),  # fall back (25-hour day)
    (date(2026, 10, 26), "07:30", "18:30", 660),
    (date(2026, 3, 29), "00:00", "12:00", 660),   # crosses 02:00 → 03:00: 11 real hours
    (date(2026, 10, 25), "00:00", "12:00", 780),  # crosses 03:00 → 02:00: 13 real hours
    (date(2026, 11, 24), "00:00", "12:00", 720),
])
def test_hours_are_real_elapsed_time_across_daylight_saving(care, day, start, end, expected):
    assert care.minutes(start, end, day) == expected
    assert care.hours(start, end, day) == Decimal(expected) / 60


def test_the_daylight_saving_weekends_expand_correctly(care):
    days = {str(n): WHOLE for n in range(1, 8)}  # even a (hypothetical) seven-day contract
    found = care.care_days(days, "2026-01-01", None, date(2026, 3, 27), date(2026, 3, 31), include_closed=True)
    assert [(c.day.day, c.minutes, c.closed) for c in found] == [
        (27, 660, None), (28, 660, "weekend"), (29, 660, "weekend"), (30, 660, None), (31, 660, None)]
    monday = found[3]
    assert monday.starts_at.utcoffset().total_seconds() == 7200  # CEST from the Sunday on
    autumn = care.care_days(days, "2026-01-01", None, date(2026, 10, 23), date(2026, 10, 27))
    assert [(c.day.day, c.minutes) for c in autumn] == [(23, 660), (26, 660), (27, 660)]
    assert autumn[1].starts_at.utcoffset().total_seconds() == 3600  # CET again


def test_parts_of_the_day(care):
    assert care.parts_of_day("07:30", "13:00") == ("morning",)
    assert care.parts_of_day("13:00", "18:30") == ("afternoon",)
    assert care.parts_of_day("07:30", "18:30") == ("morning", "afternoon")
    assert care.parts_of_day("12:30", "14:00") == ("morning", "afternoon")
    assert care.parts_of_day("08:00", "12:00") == ("morning",)
    assert care.parts_of_day("18:30", "20:00") == ()
    assert care.part_label("07:30", "18:30") == "whole_day"
    assert care.part_label("13:00", "18:30") == "afternoon"
    assert care.part_label("19:00", "20:00") is None
    assert care.PARTS["whole_day"] == ("07:30", "18:30")
    assert care.CareDay(date(2026, 11, 24), "07:30", "13:00", 330).parts == ("morning",)


@pytest.mark.parametrize(("start", "end"), [("7:30", "18:30"), ("07:30", "24:00"), ("18:30", "07:30"),
                                            ("07:30", "07:30"), ("", "18:30")])
def test_bad_times_are_refused(care, start, end):
    with pytest.raises(ValueError):
        care.minutes(start, end, date(2026, 11, 24))


def test_hours_and_minutes_convert_exactly(care):
    assert care.to_minutes(Decimal("11")) == 660
    assert care.to_minutes("5.5") == 330
    assert care.to_minutes(0.25) == 15
    assert care.to_hours(20) == Decimal("0.33")
    for bad in ("1.005", "-1", "eleven", "NaN"):
        with pytest.raises(ValueError):
            care.to_minutes(bad)


def test_expand_takes_a_contract_item_or_mapping(care):
    contract = {"id": "c-1", "days": d.FAMILIES[0].children[1].days, "start": "2026-11-01", "end": None}
    found = care.expand(contract, date(2026, 11, 23), date(2026, 11, 29))
    assert [(c.day.day, c.hours, c.contract_id) for c in found] == [
        (23, Decimal("11.00"), "c-1"), (25, Decimal("11.00"), "c-1"), (27, Decimal("5.50"), "c-1")]
    with pytest.raises(ValueError):
        care.care_days({"8": WHOLE}, "2026-01-01", None, date(2026, 1, 1), date(2026, 1, 7))
