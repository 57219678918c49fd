"""The rules of a personal-data export, as pure functions: whose parts count, when all are in, what the
archive is called and says first, which entries are compressed, and when a packing step stops.

The services, the language and the moment come in as arguments; nothing here reads the store or the clock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

TEXT_SUFFIXES = (".json", ".txt", ".html", ".csv")  # deflated; photos and PDFs are stored as they are

README = {
    "nl": ("Uw persoonsgegevens uit het ouderportaal, opgevraagd op {day}.\n\n"
           "Per onderdeel een map, met JSON-bestanden (leesbaar in elke teksteditor) en de bestanden zelf:\n"
           "- auth/: uw account, uw kinderen, plaatsingen, toestemmingen, apparaten en sessies\n"
           "- timeline/: foto's (volledige grootte), dagboek en wie de foto's van uw kind bekeek\n"
           "- messaging/: gesprekken met de groep, bijlagen, meldingsinstellingen\n"
           "- planning/: contracten, aanvragen, ruiluren, facturen en jaaropgaven\n"
           "- exports/: de exports die u eerder opvroeg\n"),
    "en": ("Your personal data from the parent portal, requested on {day}.\n\n"
           "One folder per part, with JSON files (readable in any text editor) and the files themselves:\n"
           "- auth/: your account, your children, placements, consents, devices and sessions\n"
           "- timeline/: photos (full size), diary and who viewed your child's photos\n"
           "- messaging/: conversations with the group, attachments, notification settings\n"
           "- planning/: contracts, requests, swap hours, invoices and annual statements\n"
           "- exports/: the exports you asked for before\n"),
}


def file_name(language: str, today: date) -> str:
    """The archive's name, in the language of the request."""
    return f"{'personal-data' if language == 'en' else 'persoonsgegevens'}-{today.isoformat()}.zip"


def counts_as_part(service: str, source: str, services: Sequence[str]) -> bool:
    """A part counts when a service holding a family's data says it delivered its own (the event's source)."""
    return service in services and source == service


def all_parts_in(done: int, services: Sequence[str]) -> bool:
    """Every service's part is in: the packing may start."""
    return done >= len(services)


def readme_name(language: str) -> str:
    return "README.txt" if language == "en" else "LEESMIJ.txt"


def readme(language: str | None, requested_on: date) -> bytes:
    """The first entry of the archive: what is in it, in the language of the request (Dutch by default)."""
    return README["en" if language == "en" else "nl"].format(day=requested_on).encode()


def compressed(path: str) -> bool:
    return path.endswith(TEXT_SUFFIXES)


def zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    """An entry's time in the ZIP (its local wall-clock time: ZIP has no time zone)."""
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def step_over(position: int, entries: int, written: int, out_of_time: Callable[[], bool]) -> bool:
    """A packing step stops when every entry is written, or when its time is up after at least one entry (so
    every step moves on and the packing always ends). The time is asked only once an entry is written."""
    return position >= entries or (written > 0 and out_of_time())
