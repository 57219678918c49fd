"""The demo organisation seeds completely and consistently (what `make run` shows a new user)."""

from __future__ import annotations

from collections import Counter

import pytest

from infra.local import demo_data as d
from infra.local.demo import seed_demo


@pytest.fixture
def seeded(services, aws, bus):
    lines = seed_demo()
    return services, bus, lines


def test_demo_organisation_is_reachable_by_its_domain(seeded):
    services, _bus, lines = seeded
    directory = services["auth"].module.directory
    assert directory.tenant_for_domain("DEMO.ouderportaal.nl ") == d.TENANT
    assert directory.tenant_for_domain("other.ouderportaal.nl") is None
    assert "12 children" in lines[0]


def test_every_demo_login_exists_with_the_demo_password(seeded):
    services, _bus, _lines = seeded
    directory = services["auth"].module.directory
    passwords = services["auth"].module.passwords
    logins = d.logins()
    assert len(logins) == 12 + 3 + 2
    roles = Counter()
    for login in logins:
        user = directory.user_by_email(d.TENANT, login.upper())  # e-mail addresses are case-insensitive
        assert user is not None, login
        assert user.status == "active"
        assert passwords.verify_password(user.password_hash, d.PASSWORD)
        roles[user.role] += 1
    assert roles == {"parent": 12, "staff": 3, "manager": 1, "admin": 1}
    assert not passwords.verify_password(user.password_hash, "Demo-Ouderportaal-2025")


def test_families_children_and_contracts_match_the_brief(seeded):
    services, _bus, _lines = seeded
    directory = services["auth"].module.directory
    contracts = services["planning"].module.contracts
    per_parent = {n: directory.children_of_guardian(d.TENANT, f"user-parent{n}") for n in range(1, 13)}
    assert all(per_parent.values()), "every parent has a child"
    assert sorted(per_parent[1]) == sorted(per_parent[2]) == ["child-daan", "child-noor"]
    all_children = {c for kids in per_parent.values() for c in kids}
    assert len(all_children) == 12
    products = Counter()
    for child in all_children:
        [contract] = contracts.contracts_of_child(d.TENANT, child)
        products[contract.product] += 1
        if contract.product == "regular":
            assert 2 <= len(contract.days) <= 3, child
        else:
            assert contract.flex_hours_per_year > 0
        [placement] = directory.placements(d.TENANT, child)
        assert placement.group_id == contract.group_id
    assert products["flex"] >= 1
    staff_groups = {directory.user_by_email(d.TENANT, d.email(login)).groups == {group} for login, _n, group in d.STAFF}
    assert staff_groups == {True}


def test_seeding_publishes_the_directory_events_and_is_not_repeated(seeded):
    _services, bus, _lines = seeded
    placed = bus.of_type("auth.child.placed")
    assert sorted(e.payload["child_id"] for e in placed) == sorted(
        c.id for f in d.FAMILIES for c in f.children)
    assert all(e.tenant == d.TENANT for e in bus.published)
    assert len(bus.of_type("auth.guardian.linked")) == 14  # both De Vries partners are linked to both children
    before = len(bus.published)
    assert seed_demo() == ["demo data already present"]
    assert len(bus.published) == before
