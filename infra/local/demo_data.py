"""The demo organisation, declared once: the local stack seeds it, tests and benchmarks reuse it.

Logins follow one pattern so that scripts and evaluators can use them:
parent1@demo.ouderportaal.nl … parent12@, staff1@ … staff3@, manager@, admin@, all with
the password below.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TENANT = "demo"
DOMAIN = "demo.ouderportaal.nl"
ORGANISATION_NAME = "Kinderopvang Demo"
PASSWORD = "Demo-Ouderportaal-2026"  # noqa: S105 - the documented demo password, local stack only
LOCATION_ID = "loc-zonnebloem"

# Per-organisation business rules (../shared/BRIEF.md): every number is a setting.
SETTINGS = {
    "swap_hours_notice_hours": 24,
    "swap_hours_validity_days": 365,
    "request_horizon_months": 3,
    "access_after_contract_weeks": 8,
    "activation_mail_weeks_before_start": 6,
    "activation_link_hours": 72,
    "password_reset_minutes": 60,
}

LOCATION = {
    "id": LOCATION_ID,
    "name": "Kindcentrum De Zonnebloem",
    "address": {"street": "Zonnebloemlaan 12", "postcode": "3521 AB", "city": "Utrecht"},
    "contact": {"phone": "030 123 45 67", "email": "zonnebloem@demo.ouderportaal.nl"},
    "registration_number": "123456789",  # its number in the Landelijk Register Kinderopvang (made up)
}
# What invoices and annual statements say about the organisation (made-up numbers).
BILLING_PROFILE = {
    "name": "Kinderopvang Demo B.V.",
    "kvk_number": "12345678",
    "address_lines": ("Postbus 1234", "3500 AA Utrecht"),
    "iban": "NL91ABNA0417164300",
    "email": "administratie@demo.ouderportaal.nl",
    "weeks_per_year": 52,
    "payment_days": 14,
}

GROUPS = [
    {"id": "grp-rupsen", "name": "Rupsen", "age_from_months": 0, "age_to_months": 24,
     "capacity": {"morning": 12, "afternoon": 12}},
    {"id": "grp-vlinders", "name": "Vlinders", "age_from_months": 24, "age_to_months": 48,
     "capacity": {"morning": 16, "afternoon": 16}},
    {"id": "grp-bijen", "name": "Bijen", "age_from_months": 12, "age_to_months": 48,
     "capacity": {"morning": 14, "afternoon": 14}},
]

WHOLE_DAY = {"start": "07:30", "end": "18:30"}
MORNING = {"start": "07:30", "end": "13:00"}


@dataclass(frozen=True)
class DemoChild:
    id: str
    name: str
    birth_date: str
    group_id: str
    days: dict[str, dict[str, str]]  # ISO weekday → times
    start: str = "2025-09-01"
    end: str | None = None
    product: str = "regular"
    flex_hours_per_year: int = 0


@dataclass(frozen=True)
class DemoFamily:
    parents: tuple[tuple[str, str, str], ...]  # (login number, name, language)
    children: tuple[DemoChild, ...] = field(default_factory=tuple)


FAMILIES = [
    DemoFamily((("1", "Sanne de Vries", "nl"), ("2", "Mark de Vries", "nl")), (
        DemoChild("child-noor", "Noor de Vries", "2024-03-14", "grp-rupsen", {"1": WHOLE_DAY, "3": WHOLE_DAY}),
        DemoChild("child-daan", "Daan de Vries", "2022-06-02", "grp-vlinders",
                  {"1": WHOLE_DAY, "3": WHOLE_DAY, "5": MORNING}),
    )),
    DemoFamily((("3", "Emma Jansen", "en"),), (
        DemoChild("child-liam", "Liam Jansen", "2023-09-21", "grp-bijen", {"2": WHOLE_DAY, "4": WHOLE_DAY}),
    )),
    DemoFamily((("4", "Fatima El Amrani", "nl"),), (
        DemoChild("child-yara", "Yara El Amrani", "2024-01-08", "grp-rupsen", {"2": WHOLE_DAY, "5": WHOLE_DAY}),
    )),
    DemoFamily((("5", "Pieter Bakker", "nl"),), (
        DemoChild("child-sem", "Sem Bakker", "2022-11-30", "grp-vlinders", {"1": MORNING, "2": MORNING, "4": MORNING}),
    )),
    DemoFamily((("6", "Lotte Visser", "nl"),), (
        DemoChild("child-mila", "Mila Visser", "2023-05-17", "grp-bijen", {}, product="flex",
                  flex_hours_per_year=600),
    )),
    DemoFamily((("7", "Ahmed Yilmaz", "nl"),), (
        DemoChild("child-zeynep", "Zeynep Yilmaz", "2024-07-03", "grp-rupsen", {"3": WHOLE_DAY, "4": WHOLE_DAY}),
    )),
    DemoFamily((("8", "Julia Smit", "en"),), (
        DemoChild("child-finn", "Finn Smit", "2022-08-12", "grp-vlinders", {"2": WHOLE_DAY, "3": WHOLE_DAY}),
    )),
    DemoFamily((("9", "Kevin Meijer", "nl"),), (
        DemoChild("child-tess", "Tess Meijer", "2023-12-01", "grp-bijen", {"1": WHOLE_DAY, "5": WHOLE_DAY},
                  end="2027-07-31"),
    )),
    DemoFamily((("10", "Anouk de Boer", "nl"),), (
        DemoChild("child-luuk", "Luuk de Boer", "2024-02-19", "grp-rupsen", {"1": MORNING, "4": WHOLE_DAY}),
    )),
    DemoFamily((("11", "Ricardo Mulder", "nl"),), (
        DemoChild("child-sara", "Sara Mulder", "2022-10-05", "grp-vlinders", {"4": WHOLE_DAY, "5": WHOLE_DAY}),
    )),
    DemoFamily((("12", "Eva de Groot", "nl"),), (
        DemoChild("child-bram", "Bram de Groot", "2023-04-26", "grp-bijen", {"2": WHOLE_DAY, "3": WHOLE_DAY,
                                                                              "4": MORNING}),
    )),
]

STAFF = [
    ("staff1", "Ilse van Dam", "grp-rupsen"),
    ("staff2", "Joost Kramer", "grp-vlinders"),
    ("staff3", "Priya Ramdin", "grp-bijen"),
]
MANAGER = ("manager", "Marieke Hoekstra")
ADMIN = ("admin", "Office Demo Kinderopvang")
HOURLY_RATE_CENTS = 1052  # € 10,52 an hour


def email(login: str) -> str:
    return f"{login}@{DOMAIN}"


def logins() -> list[str]:
    parents = [email(f"parent{n}") for fam in FAMILIES for n, _name, _lang in fam.parents]
    return parents + [email(s[0]) for s in STAFF] + [email(MANAGER[0]), email(ADMIN[0])]
