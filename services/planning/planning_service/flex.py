"""Flex care: the flex-hours pot per child and calendar year, and the deadline for requesting days.

A flex contract gives `flex_hours_per_year`; the pot of a year is that share of it the contract covers
(pro rata by days: a contract from 1 July holds about half), summed over the year's flex contracts, in
whole minutes. A new pot starts on 1 January. Days of month M can be requested until the start of
month M-1 (Europe/Amsterdam): on 24 November the first month still open is January.

Flex requests use the pot instead of the swap-hour ledger: the hold, the spend (approval) and the
release (rejection, cancellation, expiry) are relative updates in the same DynamoDB transaction as the
request's own status change, so a request and its hours can never disagree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from planning_service.store import ContractItem, FlexPotItem
from portal_common import errors, store


@dataclass(frozen=True)
class Pot:
    year: int
    total_minutes: int
    held_minutes: int
    used_minutes: int

    @property
    def available_minutes(self) -> int:
        return self.total_minutes - self.held_minutes - self.used_minutes


def pot_total(flex_contracts: list[ContractItem], year: int) -> int:
    """Minutes of flex care the contracts give in `year`, pro rata for part of a year."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    days_in_year = (last - first).days + 1
    total = 0
    for contract in flex_contracts:
        start = max(first, date.fromisoformat(contract.start))
        end = min(last, date.fromisoformat(contract.end)) if contract.end else last
        if end < start:
            continue
        covered = (end - start).days + 1
        minutes = int(contract.flex_hours_per_year or 0) * 60
        total += (minutes * covered * 2 + days_in_year) // (2 * days_in_year)  # rounded half up
    return total


def flex_contracts(child_contracts: list[ContractItem]) -> list[ContractItem]:
    return [c for c in child_contracts if c.product == "flex"]


def first_open_month(today: date) -> date:
    """The first month whose days can still be requested: M with M-1 not yet begun."""
    month = today.month + 2
    return date(today.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def _key(tenant: str, child_id: str, year: int) -> tuple[str, str]:
    return store.key(tenant, "CHILD", child_id), f"FLEXPOT#{year}"


def read(tenant: str, child_id: str, year: int, contracts: list[ContractItem]) -> Pot:
    total = pot_total(flex_contracts(contracts), year)
    try:
        item = FlexPotItem.get(*_key(tenant, child_id, year), consistent_read=True)
    except FlexPotItem.DoesNotExist:
        return Pot(year, total, 0, 0)
    return Pot(year, total, int(item.held_min), int(item.used_min))


def per_year(lines: list[dict[str, Any]]) -> dict[int, int]:
    minutes: dict[int, int] = defaultdict(int)
    for line in lines:
        minutes[int(line["date"][:4])] += int(line["minutes"])
    return dict(minutes)


def stage_hold(ch: Any, tenant: str, child_id: str, lines: list[dict[str, Any]],
               contracts: list[ContractItem]) -> None:
    """Add the pot holds of a request's days to a transaction, or 422 when a year's pot is short."""
    for year, wanted in sorted(per_year(lines).items()):
        total = pot_total(flex_contracts(contracts), year)
        pk, sk = _key(tenant, child_id, year)
        try:
            item = FlexPotItem.get(pk, sk, consistent_read=True)
        except FlexPotItem.DoesNotExist:
            item = None
        held, used = (int(item.held_min), int(item.used_min)) if item else (0, 0)
        if total - held - used < wanted:
            raise errors.Unprocessable(code="not_enough_flex_hours", errors=[
                {"loc": ["body", "days"], "msg": f"{year}: {wanted} minutes asked, {total - held - used} left"}])
        if item is None:
            ch.save(FlexPotItem(pk, sk, year=year, total_min=total, free_min=total - wanted, held_min=wanted,
                                used_min=0), FlexPotItem.pk.does_not_exist())
            continue
        delta = total - int(item.total_min)  # the contracts changed since the pot was last written
        ch.update(FlexPotItem(pk, sk), [FlexPotItem.total_min.set(total),
                                        FlexPotItem.free_min.set(FlexPotItem.free_min + (delta - wanted)),
                                        FlexPotItem.held_min.set(FlexPotItem.held_min + wanted)],
                  condition=(FlexPotItem.total_min == int(item.total_min))
                  & (FlexPotItem.free_min >= wanted - delta))


def stage_settle(ch: Any, tenant: str, child_id: str, lines: list[dict[str, Any]], *, spend: bool) -> None:
    """Turn a request's held pot minutes into used ones (approval) or free ones (the rest)."""
    for year, minutes in sorted(per_year(lines).items()):
        pk, sk = _key(tenant, child_id, year)
        target = FlexPotItem.used_min if spend else FlexPotItem.free_min
        ch.update(FlexPotItem(pk, sk), [FlexPotItem.held_min.set(FlexPotItem.held_min - minutes),
                                        target.set(target + minutes)],
                  condition=FlexPotItem.held_min >= minutes)
