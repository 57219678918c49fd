"""What invoices and annual statements say about the organisation, and the billing numbers.

One item per tenant (`<t>#ORG` / `BILLING`), set by an admin. Billing runs refuse to start without a
name on it: an invoice without its issuer is no invoice.

| key | default | meaning |
|---|---|---|
| `name` | "" | the legal name on invoices and statements |
| `kvk_number` | "" | Chamber of Commerce number |
| `address_lines` | [] | postal address, one line each |
| `iban` | "" | the account parents pay to |
| `email` | "" | where parents ask about their invoice |
| `weeks_per_year` | 52 | contracted weeks billed per year (the yearly amount is weekly hours x this x rate) |
| `payment_days` | 14 | an invoice is due this many days after its date |
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from planning_service.store import BillingProfileItem
from portal_common import store


@dataclass(frozen=True)
class BillingProfile:
    name: str = ""
    kvk_number: str = ""
    address_lines: tuple[str, ...] = field(default_factory=tuple)
    iban: str = ""
    email: str = ""
    weeks_per_year: int = 52
    payment_days: int = 14

    @property
    def complete(self) -> bool:
        return bool(self.name.strip())

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["address_lines"] = list(self.address_lines)
        return values


def _key(tenant: str) -> tuple[str, str]:
    return store.key(tenant, "ORG"), "BILLING"


def load(tenant: str) -> BillingProfile:
    try:
        stored = BillingProfileItem.get(*_key(tenant), consistent_read=True).values or {}
    except BillingProfileItem.DoesNotExist:
        stored = {}
    known = {f.name for f in fields(BillingProfile)}
    values = {k: v for k, v in stored.items() if k in known}
    if "address_lines" in values:
        values["address_lines"] = tuple(values["address_lines"])
    return BillingProfile(**values)


def save(tenant: str, profile: BillingProfile) -> None:
    BillingProfileItem(*_key(tenant), values=profile.as_dict()).save()
