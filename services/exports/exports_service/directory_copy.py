"""The exports service's copy of auth's facts: children's names (archive file names) and placements (the
periods a diary export may cover), kept from auth's events by the shared keeper (newest event wins)."""

from __future__ import annotations

from exports_service.store import ChildCopyItem, PlacementCopyItem
from portal_common.directory_copies import DirectoryCopies

COPIES = DirectoryCopies(ChildCopyItem, PlacementCopyItem)
placements = COPIES.placements
child_name = COPIES.child_name
HANDLERS = COPIES.handlers
