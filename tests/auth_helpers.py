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
