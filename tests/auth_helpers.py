"""Shared steps of the auth tests: the demo organisation, signing in, reading sent e-mail."""

from __future__ import annotations

import re

from infra.local import demo_data as d

DOMAIN = d.DOMAIN
PASSWORD = d.PASSWORD


def login(api, email: str, password: str = PASSWORD, organisation: str = DOMAIN, ip: str = "198.51.100.7"):
    return api.post("/auth/login", json={"organisation": organisation, "email": email, "password": password},
                    environ_overrides={"REMOTE_ADDR": ip})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sent_mail() -> list:
    from moto.ses.models import ses_backends

    return list(ses_backends["123456789012"]["eu-west-1"].sent_messages)


def link_token(message_body: str, page: str) -> str:
    match = re.search(rf"/{page}\.html#token=([A-Za-z0-9_\-]+)", message_body)
    assert match, message_body
    return match.group(1)


def seed_other_tenant(directory) -> None:
    """A second organisation whose ids deliberately mirror the demo's, to prove no route crosses tenants."""
    directory.create_organisation("other", "other.ouderportaal.nl", "Andere Opvang", {})
    directory.create_location("other", "loc-zonnebloem", "Andere locatie", address={}, contact={})
    directory.create_group("other", "grp-rupsen", "loc-zonnebloem", "Rupsen", age_from_months=0, age_to_months=48,
                           capacity={"morning": 10, "afternoon": 10})
    directory.create_child("other", "child-noor", "Noor Anders", "2024-01-01", group_id="grp-rupsen",
                           start="2025-01-01")


OTHER_DOMAIN = "other.ouderportaal.nl"
# The other organisation's people, one of each role; none of them relates to the mirrored demo ids
# (their child, group and location are their own), except the admin, who relates to everything there.
OTHER_PEOPLE = {
    "parent": "ouder@other.ouderportaal.nl",
    "staff": "pm@other.ouderportaal.nl",
    "manager": "manager@other.ouderportaal.nl",
    "admin": "admin@other.ouderportaal.nl",
}


def activate_account(tenant: str, user_id: str, password: str = PASSWORD) -> None:
    """Activate an invited account through its activation link, as seed_demo does (the e-mail skipped)."""
    from datetime import timedelta

    from auth_service import activation, tokens_store

    link = tokens_store.issue_one_time("activation", tenant, user_id, timedelta(hours=1))
    assert activation.use_link("activation", link, password, confirm=False), user_id


def seed_other_tenant_people(directory) -> dict[str, str]:
    """`seed_other_tenant`, plus a location, group and child of its own and a signed-up user of every role.

    Returns the e-mail addresses by role (sign in at OTHER_DOMAIN with the demo password)."""
    seed_other_tenant(directory)
    directory.create_location("other", "loc-anders", "Anders Centrum", address={}, contact={})
    directory.create_group("other", "grp-anders", "loc-anders", "Anders", age_from_months=0, age_to_months=48,
                           capacity={"morning": 10, "afternoon": 10})
    directory.create_child("other", "child-anders", "Ander Kind", "2024-02-02", group_id="grp-anders",
                           start="2025-01-01")
    people = {
        "parent": ("user-other-parent", "Ouder Anders", {}),
        "staff": ("user-other-staff", "Medewerker Anders", {"groups": {"grp-anders"}, "locations": {"loc-anders"}}),
        "manager": ("user-other-manager", "Manager Anders", {"locations": {"loc-anders"}}),
        "admin": ("user-other-admin", "Beheer Anders", {}),
    }
    for role, (user_id, name, scope) in people.items():
        directory.create_user("other", user_id, email=OTHER_PEOPLE[role], name=name, role=role, **scope)
        if role == "parent":
            directory.link_guardian("other", "child-anders", user_id)
        activate_account("other", user_id)
    return dict(OTHER_PEOPLE)


def demo_login_header(api, login_email: str) -> dict[str, str]:
    return bearer(login(api, login_email).json["access_token"])


def seed_second_location(directory) -> None:
    """A second demo location with its own group, child and manager: 'a manager of another location'."""
    directory.create_location("demo", "loc-elders", "Kindcentrum Elders", address={}, contact={})
    directory.create_group("demo", "grp-elders", "loc-elders", "Egeltjes", age_from_months=0, age_to_months=48,
                           capacity={"morning": 8, "afternoon": 8})
    directory.create_child("demo", "child-elders", "Eef Elders", "2024-05-05", group_id="grp-elders",
                           start="2025-09-01")
    directory.create_user("demo", "user-manager2", email="manager2@example.nl", name="Tweede Manager",
                          role="manager", locations={"loc-elders"})


def callers(tokens) -> dict[str, dict[str, str]]:
    """Minted tokens (as a sign-in would issue them) for the roles the refusal matrices try."""
    return {
        "admin": tokens.header(role="admin", user_id="user-admin"),
        "manager": tokens.header(role="manager", user_id="user-manager", locations=("loc-zonnebloem",)),
        "other_manager": tokens.header(role="manager", user_id="user-manager2", locations=("loc-elders",)),
        "parent": tokens.header(role="parent", user_id="user-parent1", children=("child-noor", "child-daan"),
                                groups=("grp-rupsen", "grp-vlinders"), locations=("loc-zonnebloem",)),
        "staff": tokens.header(role="staff", user_id="user-staff1", groups=("grp-rupsen",),
                               locations=("loc-zonnebloem",)),
        "other_tenant": tokens.header(tenant="other", role="admin", user_id="user-a2"),
    }


def run_schedule(handler):
    """Call a scheduled Lambda handler of a service's app.py with the event EventBridge would send."""
    from infra.local.schedules import scheduled_event
    from portal_common import clock

    return handler(scheduled_event("test-rule", clock.now(), region="eu-west-1", account="123456789012"), None)
