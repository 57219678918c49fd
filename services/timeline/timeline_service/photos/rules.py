"""Pure rules of the photo routes: through whom a photo is authorized, and what its download is called.

Whether a caller sees a photo at all is `visibility.may_see`'s decision; these come after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from portal_common import files
from portal_common.authz import Principal
from timeline_service import visibility


def authorizing_child(principal: Principal, item: visibility.Item, placements: Iterable[Any] = ()) -> str | None:
    """The child whose relation authorizes the caller's read: a guardian's own child in the photo (tagged, or
    placed in its group that day), else its first tagged child; None for a group photo (read as the group's)."""
    return visibility.via_child(principal, item, placements) or next(iter(item.child_ids), None)


def download_name(day: str, *, tagged: bool, child_name: str | None) -> str:
    """The file a downloaded photo is saved as: the caller's child (the first one shown) and the day, e.g.
    `noor-de-vries-2026-11-24.jpg`; `groep-...` for a group photo, `kind-...` when the name is not known."""
    name = "groep"
    if tagged:
        name = child_name if child_name is not None else "kind"
    return f"{files.slug(name, 'foto')}-{day}.jpg"
