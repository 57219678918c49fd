"""The five services, each imported by its package name, for the local stack, the tests and the benches.

Import this only after the process environment is set (stage, endpoint, keys): the services read their
settings when they are imported. `Service.module` is the service's `<name>_service.app` (the app and what
it wires: its outbox, handlers, schedules), `Service.lib` its package (`<name>_service`).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any


@dataclass(frozen=True)
class Service:
    name: str
    module: ModuleType
    lib: ModuleType

    @property
    def app(self) -> Any:
        return self.module.app


def load() -> dict[str, Service]:
    import auth_service
    import auth_service.app
    import exports_service
    import exports_service.app
    import messaging_service
    import messaging_service.app
    import planning_service
    import planning_service.app
    import timeline_service
    import timeline_service.app

    return {
        "auth": Service("auth", auth_service.app, auth_service),
        "timeline": Service("timeline", timeline_service.app, timeline_service),
        "messaging": Service("messaging", messaging_service.app, messaging_service),
        "planning": Service("planning", planning_service.app, planning_service),
        "exports": Service("exports", exports_service.app, exports_service),
    }
