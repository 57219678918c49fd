"""Seed the demo organisation into the running local stack, through the services' own flows.

Accounts are created as the admin API creates them (invited, no password) and then activated through
an activation link, exactly as a parent would; only the e-mail in between is skipped.
"""

from __future__ import annotations

from datetime import timedelta

from infra.local import demo_data as d


def seed_demo() -> list[str]:
    # Imported here, after the environment is set: the services read their settings at import.
    from auth_service import activation, tokens_store
    from auth_service.app import directory
    from planning_service import billing_profile, contracts


    if directory.tenant_for_domain(d.DOMAIN):
        return ["demo data already present"]

    t = d.TENANT

    def activate(user_id: str) -> None:
        link = tokens_store.issue_one_time("activation", t, user_id, timedelta(hours=1))
        assert activation.use_link("activation", link, d.PASSWORD, confirm=False), user_id

    directory.create_organisation(t, d.DOMAIN, d.ORGANISATION_NAME, d.SETTINGS)
    directory.create_location(t, d.LOCATION_ID, d.LOCATION["name"], address=d.LOCATION["address"],
                              contact=d.LOCATION["contact"], registration_number=d.LOCATION["registration_number"])
    billing_profile.save(t, billing_profile.BillingProfile(**d.BILLING_PROFILE))
    for g in d.GROUPS:
        directory.create_group(t, g["id"], d.LOCATION_ID, g["name"], age_from_months=g["age_from_months"],
                               age_to_months=g["age_to_months"], capacity=g["capacity"])
    for number, (login, name, group) in enumerate(d.STAFF, start=1):
        directory.create_user(t, f"user-staff{number}", email=d.email(login), name=name, role="staff",
                              groups={group}, locations={d.LOCATION_ID}, is_demo=True)
        activate(f"user-staff{number}")
    directory.create_user(t, "user-manager", email=d.email(d.MANAGER[0]), name=d.MANAGER[1], role="manager",
                          locations={d.LOCATION_ID}, is_demo=True)
    directory.create_user(t, "user-admin", email=d.email(d.ADMIN[0]), name=d.ADMIN[1], role="admin", is_demo=True)
    activate("user-manager")
    activate("user-admin")
    for family in d.FAMILIES:
        for child in family.children:
            directory.create_child(t, child.id, child.name, child.birth_date, group_id=child.group_id,
                                   start=child.start, end=child.end)
            contracts.create_contract(
                t, f"contract-{child.id.removeprefix('child-')}", child_id=child.id, product=child.product,
                location_id=d.LOCATION_ID, group_id=child.group_id, start=child.start, end=child.end,
                hourly_rate_cents=d.HOURLY_RATE_CENTS, days=child.days, flex_hours_per_year=child.flex_hours_per_year)
        for number, name, language in family.parents:
            user_id = f"user-parent{number}"
            directory.create_user(t, user_id, email=d.email(f"parent{number}"), name=name, role="parent",
                                  language=language, is_demo=True)
            for child in family.children:
                directory.link_guardian(t, child.id, user_id)
            activate(user_id)
    children = sum(len(f.children) for f in d.FAMILIES)
    return [f"demo organisation {d.DOMAIN}: 1 location, {len(d.GROUPS)} groups, {children} children, "
            f"{len(d.logins())} logins (password {d.PASSWORD})"]
