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
