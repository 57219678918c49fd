"""(being built: see issue 4)"""

from __future__ import annotations

from typing import Any


def register(app: Any, outbox: Any = None) -> None:
    return None
