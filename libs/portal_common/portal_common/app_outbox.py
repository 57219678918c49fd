"""The transactional outbox of a `PortalApp` and its relay, every minute, of what a crash left behind."""

from __future__ import annotations

from typing import Any

from chalice import Chalice


class OutboxRelay(Chalice):
    """The publishing part of `PortalApp` (which sets `service`)."""

    service: str

    def publishes(self) -> Any:
        """Give this service a transactional outbox, relayed every minute for what a crash left behind."""
        from chalice import Rate

        from .outbox import Outbox

        self.outbox = Outbox(self.service)

        @self.schedule(Rate(1, unit=Rate.MINUTES), name="relay_outbox")
        def relay_outbox(event: Any) -> int:
            return self.outbox.relay()

        return self.outbox
