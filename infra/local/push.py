"""Push on the local stack: SNS platform applications in moto, and what was pushed (`GET /dev/push.json`).

moto accepts platform applications without real APNs/FCM credentials and keeps every message published
to a platform endpoint, so a device registered with any token (`POST /auth/me/devices`) gets an
endpoint, and the notifications messaging pushes to it can be read back here. moto keeps no send time,
so messages are listed per device in the order they were sent.
"""

from __future__ import annotations

import json
from typing import Any

PLATFORMS = {"apns": "APNS", "fcm": "GCM"}


def provision(sns: Any) -> dict[str, str]:
    """Create one platform application per platform; returns `PORTAL_PUSH_APPLICATIONS`' value."""
    return {name: sns.create_platform_application(Name=f"local-{name}", Platform=platform, Attributes={})[
        "PlatformApplicationArn"] for name, platform in PLATFORMS.items()}


def _text(message: str) -> str:
    try:
        return str(json.loads(message).get("default", message))
    except (ValueError, AttributeError):
        return message


def sent_pushes() -> list[dict[str, Any]]:
    """Every device endpoint moto knows, with the user it belongs to and the texts pushed to it."""
    from moto.sns.models import sns_backends

    found = []
    for account_id in list(sns_backends.keys()):
        for region, backend in list(sns_backends[account_id].items()):
            for arn, endpoint in list(backend.platform_endpoints.items()):
                found.append({"endpoint_arn": arn, "user_id": endpoint.custom_user_data, "region": region,
                              "platform": endpoint.application.platform, "enabled": endpoint.enabled,
                              "pushes": [_text(m) for m in list(endpoint.messages.values())]})
    return found
