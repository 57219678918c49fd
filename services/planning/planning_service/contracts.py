"""Contracts per child: the repository functions the admin API and the demo seeding use."""

from __future__ import annotations

from datetime import date
from typing import Any

from planning_service.store import ContractItem, TenantItem
from portal_common import store

PRODUCTS = ("regular", "flex")
OPEN_END = "9999-12-31"  # the index sort key of a contract without an end


def contract_item(tenant: str, contract_id: str, *, child_id: str, product: str, location_id: str,
                  group_id: str, start: str, end: str | None, hourly_rate_cents: int,
                  days: dict[str, dict[str, str]], flex_hours_per_year: int = 0) -> ContractItem:
    """A contract as stored: in the child's partition, and in its group's through gsi1."""
    if product not in PRODUCTS:
        raise ValueError(f"unknown product {product!r}")
    return ContractItem(
        store.key(tenant, "CHILD", child_id), f"CONTRACT#{start}#{contract_id}",
        contract_id=contract_id, child_id=child_id, product=product, location_id=location_id, group_id=group_id,
        start=start, end=end, hourly_rate_cents=hourly_rate_cents, days=days,
        flex_hours_per_year=flex_hours_per_year,
        gsi1pk=store.key(tenant, "GRP", group_id), gsi1sk=f"CONTRACT#{start}#{contract_id}",
        gsi2pk=store.key(tenant, "CONTRACTS"), gsi2sk=f"{end or OPEN_END}#{contract_id}",
    )


def tenant_item(tenant: str) -> TenantItem:
    """Saved with every new contract (idempotent), so the monthly billing job knows the organisation."""
    return TenantItem("_TENANTS", tenant, tenant=tenant)


def running_between(tenant: str, start: date, end: date) -> list[ContractItem]:
    """Every contract of the organisation that runs on some day of [start, end], in one paged Query of
    the tenant-wide index (sorted by end: those that ended before `start` are never read)."""
    found = ContractItem.gsi2.query(store.key(tenant, "CONTRACTS"), ContractItem.gsi2sk >= start.isoformat())
    return [c for c in found if c.start <= end.isoformat()]


def create_contract(tenant: str, contract_id: str, **terms: Any) -> ContractItem:
    """Store a new contract without publishing (the demo seeding; the admin API publishes its events)."""
    item = contract_item(tenant, contract_id, **terms)
    item.save(ContractItem.pk.does_not_exist())
    tenant_item(tenant).save()
    return item


def contracts_of_child(tenant: str, child_id: str) -> list[ContractItem]:
    return list(ContractItem.query(store.key(tenant, "CHILD", child_id), ContractItem.sk.startswith("CONTRACT#")))


def describe(item: ContractItem) -> dict[str, Any]:
    return {"id": item.contract_id, "product": item.product, "start": item.start, "end": item.end,
            "days": item.days, "group_id": item.group_id}
