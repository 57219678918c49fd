"""Opening days: Dutch national holidays from the `holidays` package, weekends, location closing days.

Also home of `planning_module`, which the other planning test files import: it loads a planning
`chalicelib` module that `app.py` does not import (yet) into the planning service's own namespace.
"""

from __future__ import annotations

from datetime import date
from types import ModuleType

import pytest


def _is_chalicelib(name: str) -> bool:
    return name == "chalicelib" or name.startswith("chalicelib.")


def planning_module(services, name: str) -> ModuleType:
    """`chalicelib.<name>` of the planning service, as its app.py imported it."""
    return getattr(services["planning"].lib, name)


@pytest.fixture(scope="module")
def od(services):
    return planning_module(services, "opening_days")


def test_the_closing_holidays_of_2025_come_from_the_package_with_both_names(od):
    found = {c.day: (c.reason, c.name_nl, c.name_en) for c in od.holidays_of_year(2025)}
    assert found == {
        date(2025, 1, 1): ("new_years_day", "Nieuwjaarsdag", "New Year's Day"),
        date(2025, 4, 21): ("easter_monday", "Tweede paasdag", "Easter Monday"),
        date(2025, 4, 26): ("kings_day", "Koningsdag", "King's Day"),  # 27 April 2025 is a Sunday
        date(2025, 5, 5): ("liberation_day", "Bevrijdingsdag", "Liberation Day"),
        date(2025, 5, 29): ("ascension_day", "Hemelvaartsdag", "Ascension Day"),
        date(2025, 6, 9): ("whit_monday", "Tweede pinksterdag", "Whit Monday"),
        date(2025, 12, 25): ("christmas_day", "Eerste kerstdag", "Christmas Day"),
        date(2025, 12, 26): ("boxing_day", "Tweede kerstdag", "Boxing Day"),
    }


def test_liberation_day_closes_only_in_lustrum_years(od):
    assert od.closed_reason(date(2025, 5, 5)) == "liberation_day"  # a Monday
    assert od.closed_reason(date(2026, 5, 5)) is None  # a Tuesday: open
    assert od.is_open(date(2026, 5, 5))
    assert od.closed_reason(date(2030, 5, 5)) == "liberation_day"  # a Sunday, but named as the holiday
    assert od.holiday(date(2030, 5, 5)).name("en") == "Liberation Day"
    assert od.closed_reason(date(2031, 5, 5)) is None
    assert od.closed_reason(date(2035, 5, 5)) == "liberation_day"


def test_moving_feasts_of_2026(od):
    assert od.closed_reason(date(2026, 4, 6)) == "easter_monday"
    assert od.closed_reason(date(2026, 5, 14)) == "ascension_day"
    assert od.closed_reason(date(2026, 5, 25)) == "whit_monday"
    assert od.closed_reason(date(2026, 4, 27)) == "kings_day"  # a Monday in 2026: no move
    assert od.closed_reason(date(2026, 4, 3)) is None  # Good Friday: the package lists it, we stay open
    assert [c.reason for c in od.holidays_of_year(2026)] == [
        "new_years_day", "easter_monday", "kings_day", "ascension_day", "whit_monday", "christmas_day",
        "boxing_day"]


def test_kings_day_moves_to_saturday_26_april_when_27_april_is_a_sunday(od):
    assert date(2025, 4, 27).isoweekday() == 7
    kings = od.closure(date(2025, 4, 26))
    assert (kings.reason, kings.name("nl"), kings.name("en-GB")) == ("kings_day", "Koningsdag", "King's Day")
    assert kings.is_holiday
    assert od.closed_reason(date(2025, 4, 27)) == "weekend"
    assert od.holiday(date(2031, 4, 26)).reason == "kings_day"  # 27 April 2031 is a Sunday too


def test_christmas_and_new_year(od):
    assert od.closed_reason(date(2026, 12, 25)) == "christmas_day"
    assert od.closed_reason(date(2026, 12, 26)) == "boxing_day"  # a Saturday: the holiday names it
    assert od.closed_reason(date(2027, 1, 1)) == "new_years_day"
    assert od.closure(date(2026, 12, 25)).as_dict() == {
        "date": "2026-12-25", "reason": "christmas_day", "name_nl": "Eerste kerstdag", "name_en": "Christmas Day"}


def test_weekends_and_a_normal_tuesday(od):
    assert od.closed_reason(date(2026, 11, 28)) == "weekend"
    assert od.closed_reason(date(2026, 11, 29)) == "weekend"
    assert od.closed_reason(date(2026, 11, 24)) is None
    assert od.closure(date(2026, 11, 24)) is None


def test_a_location_closing_day_closes_that_location_only(od):
    closures = {date(2026, 11, 24): "Studiedag"}
    assert od.closed_reason(date(2026, 11, 24), closures) == "location"
    found = od.closure(date(2026, 11, 24), closures)
    assert (found.name_nl, found.name_en, found.is_holiday) == ("Studiedag", "Studiedag", False)
    assert od.closure(date(2026, 11, 25), {date(2026, 11, 25): ""}).name("en") == "Location closing day"
    assert od.closed_reason(date(2026, 11, 24)) is None  # another location
    # A holiday keeps its own name even if the location also listed it.
    assert od.closed_reason(date(2026, 12, 25), {date(2026, 12, 25): "Kerst"}) == "christmas_day"


def test_closures_between_lists_named_closed_days_for_the_calendar(od):
    found = od.closures_between(date(2026, 4, 1), date(2026, 4, 30), {date(2026, 4, 15): "Studiedag"})
    assert [(c.day.day, c.reason) for c in found] == [(6, "easter_monday"), (15, "location"), (27, "kings_day")]
    with_weekends = od.closures_between(date(2026, 4, 1), date(2026, 4, 7), include_weekends=True)
    assert [c.day.day for c in with_weekends] == [4, 5, 6]


def test_the_year_cache_serves_repeated_lookups(od):
    od._holidays_of_year.cache_clear()
    for _ in range(3):
        od.closed_reason(date(2027, 3, 29))
    info = od._holidays_of_year.cache_info()
    assert (info.misses, info.hits) == (1, 2)


def test_a_shared_day_keeps_one_closing_reason(od):
    # 5 May 2005 was Liberation Day and Ascension Day at once; the package joins the names.
    found = od.holiday(date(2005, 5, 5))
    assert found.reason in {"liberation_day", "ascension_day"}
