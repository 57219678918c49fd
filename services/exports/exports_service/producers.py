"""The contract module of every service that holds a family's data (`portal_common.retention.SERVICES`): where
its `<service>.child.purged` and `<service>.personal_data.delivered` are declared, so the consumers here parse
each service's confirmation into that service's own contract."""

from __future__ import annotations

from types import ModuleType

from portal_common.contracts import auth, exports, messaging, planning, timeline
from portal_common.retention import SERVICES

_FAMILIES = {"auth": auth, "timeline": timeline, "messaging": messaging, "planning": planning, "exports": exports}
FAMILIES: dict[str, ModuleType] = {service: _FAMILIES[service] for service in SERVICES}  # a service missing: KeyError
