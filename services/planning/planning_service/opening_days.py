"""Opening days of a location: Dutch national holidays, weekends and the location's own closing days.

Pure: no I/O. Holiday dates come from the `holidays` package (`country_holidays("NL")`), never from a
hand-written table; this module only *selects* the days on which a location closes (BRIEF, feature 12):

| key | Dutch | English |
|---|---|---|
| `new_years_day` | Nieuwjaarsdag | New Year's Day |
| `easter_monday` | Tweede paasdag | Easter Monday |
| `kings_day` | Koningsdag | King's Day (26 April when 27 April is a Sunday) |
| `liberation_day` | Bevrijdingsdag | Liberation Day (closed only in lustrum years: 2025, 2030, …) |
| `ascension_day` | Hemelvaartsdag | Ascension Day |
| `whit_monday` | Tweede pinksterdag | Whit Monday (the package says "Pentecost Monday") |
| `christmas_day` | Eerste kerstdag | Christmas Day |
| `boxing_day` | Tweede kerstdag | Boxing Day (the package says "Second Day of Christmas") |

What the package does that matters here (holidays 0.109):
- it also lists Good Friday, Easter Sunday and Whit Sunday as public holidays; Good Friday is a
  normal opening day for us, the Sundays are weekend anyway, so the list above is a whitelist;
- it already leaves Liberation Day out of the public holidays outside lustrum years (and lists it
  every year in its `optional` category); we filter on `year % 5 == 0` ourselves as well, so a change
  in the package cannot open or close a location unnoticed;
- without `language=` it follows the process locale (LANG), not its Dutch default, so the language
  is always passed; two holidays on one date (5 May 2005 was also Ascension Day) come back as one
  name joined with "; ", in a different order per language, hence `get_list` and matching by name.

A closed day's reason is a key: a holiday key above, `location` (a closing day the location set, with
the manager's own description) or `weekend`. A holiday wins over the others when they coincide.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType

WEEKEND = "weekend"
LOCATION = "location"
LUSTRUM = 5

# Holiday key → (the package's Dutch name, its en_US name). Dutch names are the package's source
# strings, so they identify a holiday whatever the translations do; both are checked by the tests.
CLOSING_HOLIDAYS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "new_years_day": ("Nieuwjaarsdag", "New Year's Day"),
    "easter_monday": ("Tweede paasdag", "Easter Monday"),
    "kings_day": ("Koningsdag", "King's Day"),
    "liberation_day": ("Bevrijdingsdag", "Liberation Day"),
    "ascension_day": ("Hemelvaartsdag", "Ascension Day"),
    "whit_monday": ("Tweede pinksterdag", "Pentecost Monday"),
    "christmas_day": ("Eerste kerstdag", "Christmas Day"),
    "boxing_day": ("Tweede kerstdag", "Second Day of Christmas"),
})
_KEY_BY_DUTCH = {nl: key for key, (nl, _en) in CLOSING_HOLIDAYS.items()}
# What a parent reads for the package's English names that differ from British usage.
_ENGLISH_DISPLAY = {"whit_monday": "Whit Monday", "boxing_day": "Boxing Day"}
_WEEKEND_NAMES = ("Weekend", "Weekend")
_LOCATION_NAMES = ("Sluitingsdag locatie", "Location closing day")


@dataclass(frozen=True)
class Closure:
    """Why a location is closed on a day, with names in Dutch and English."""

    day: date
    reason: str  # a holiday key, "location" or "weekend"
    name_nl: str
    name_en: str

    @property
    def is_holiday(self) -> bool:
        return self.reason in CLOSING_HOLIDAYS

    def name(self, language: str = "nl") -> str:
        return self.name_en if language.lower().startswith("en") else self.name_nl

    def as_dict(self) -> dict[str, str]:
        return {"date": self.day.isoformat(), "reason": self.reason, "name_nl": self.name_nl,
                "name_en": self.name_en}


def is_lustrum(year: int) -> bool:
    """Liberation Day is a day off once every five years (2025, 2030, …)."""
    return year % LUSTRUM == 0


@lru_cache(maxsize=64)
def _holidays_of_year(year: int) -> Mapping[date, Closure]:
    import holidays  # ~70 ms to import, ~40 ms a year: paid on first use, not on every cold start

    dutch = holidays.country_holidays("NL", years=year, language="nl")
    english = holidays.country_holidays("NL", years=year, language="en_US")
    found: dict[date, Closure] = {}
    for day in sorted(dutch):
        english_names = set(english.get_list(day))
        for name in dutch.get_list(day):
            key = _KEY_BY_DUTCH.get(name)
            if key is None:
                continue
            if key == "liberation_day" and not is_lustrum(year):
                continue
            package_en = CLOSING_HOLIDAYS[key][1]
            if package_en not in english_names:  # a renamed translation: fail loudly, never guess
                raise RuntimeError(f"holidays package gives no English name {package_en!r} on {day}")
            if day not in found:  # the first closing holiday of the day names it
                found[day] = Closure(day, key, name, _ENGLISH_DISPLAY.get(key, package_en))
    return MappingProxyType(found)


def holidays_of_year(year: int) -> list[Closure]:
    """The closing holidays of a year, in date order (cached per year)."""
    return list(_holidays_of_year(year).values())


def holiday(day: date) -> Closure | None:
    """The closing holiday on `day`, if any."""
    return _holidays_of_year(day.year).get(day)


def closure(day: date, location_closures: Mapping[date, str] = MappingProxyType({})) -> Closure | None:
    """Why a location is closed on `day` (holiday, its own closing day, weekend), or None when open.

    `location_closures` maps the location's extra closing days to the manager's description.
    """
    found = holiday(day)
    if found is not None:
        return found
    if day in location_closures:
        text = location_closures[day] or ""
        return Closure(day, LOCATION, text or _LOCATION_NAMES[0], text or _LOCATION_NAMES[1])
    if day.isoweekday() >= 6:
        return Closure(day, WEEKEND, *_WEEKEND_NAMES)
    return None


def closed_reason(day: date, location_closures: Mapping[date, str] = MappingProxyType({})) -> str | None:
    """The reason key a location is closed on `day` (a holiday key, "location", "weekend") or None."""
    found = closure(day, location_closures)
    return found.reason if found else None


def is_open(day: date, location_closures: Mapping[date, str] = MappingProxyType({})) -> bool:
    return closure(day, location_closures) is None


def days_between(start: date, end: date) -> Iterator[date]:
    """Every date from `start` to `end`, both inclusive."""
    for offset in range((end - start).days + 1):
        yield start + timedelta(days=offset)


def closures_between(start: date, end: date, location_closures: Mapping[date, str] = MappingProxyType({}),
                     *, include_weekends: bool = False) -> list[Closure]:
    """The closed days in a range (both ends inclusive), for the calendar; weekends only on request."""
    found = []
    for day in days_between(start, end):
        reason = closure(day, location_closures)
        if reason is not None and (include_weekends or reason.reason != WEEKEND):
            found.append(reason)
    return found
