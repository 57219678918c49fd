"""An organisation's planning settings: every number of the planning rules, with our defaults.

The BRIEF leaves these numbers to each organisation. They live in one item per tenant
(`<t>#ORG` / `SETTINGS`); a missing item or key means the default below. Reading them is one GetItem.

| key | default | meaning |
|---|---|---|
| `swap_hours_notice_hours` | 24 | an absence earns swap hours when reported this many hours before care starts |
| `swap_hours_validity_days` | 365 | earned swap hours stay valid this many days after the absent day |
| `request_min_days_ahead` | 1 | extra days can be requested from this many days ahead (1: tomorrow) |
| `request_max_days_ahead` | 92 | … up to this many days ahead (about 3 months) |
| `request_max_days` | 20 | at most this many days in one request |
| `absence_max_days` | 60 | at most this many days in one absence report |
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from planning_service.store import SettingsItem
from planning_service.swap_rules import SwapSettings
from portal_common import store


@dataclass(frozen=True)
class PlanningSettings:
    swap_hours_notice_hours: int = 24
    swap_hours_validity_days: int = 365
    request_min_days_ahead: int = 1
    request_max_days_ahead: int = 92
    request_max_days: int = 20
    absence_max_days: int = 60

    @property
    def swap(self) -> SwapSettings:
        return SwapSettings(self.swap_hours_notice_hours, self.swap_hours_validity_days)

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> PlanningSettings:
        known = {f.name for f in fields(cls)}
        return cls(**{k: int(v) for k, v in values.items() if k in known})


DEFAULTS = PlanningSettings()


def load(tenant: str) -> PlanningSettings:
    try:
        item = SettingsItem.get(store.key(tenant, "ORG"), "SETTINGS")
    except SettingsItem.DoesNotExist:
        return DEFAULTS
    return PlanningSettings.from_mapping(item.values or {})


def save(tenant: str, values: PlanningSettings) -> None:
    SettingsItem(store.key(tenant, "ORG"), "SETTINGS", values=values.as_dict()).save()
