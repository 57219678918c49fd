"""The requests overview (parents: their children's; staff: their group's) and the staff's group day.

Overview, newest first: every absence and extra or flex request with its status. A parent's page
merges their children's partitions (one Query per child, `REQ#` descending, so a page costs as many
Queries as the family has children however long its history); staff read one group through gsi1
(`<t>#GRP#<group>`, `REQ#` descending), optionally one status (their to-do list: `status=pending`).
A multi-child absence report shares one ULID, so items are ordered by (ULID, child) and the cursor
holds that pair: no item is skipped or repeated between pages.
"""

from __future__ import annotations

import re
from typing import Any

from planning_service import capacity, directory_copy, opening_days
from planning_service import closures as location_closures
from planning_service.api_overview import (
    BookedDay,
    ExpectedChild,
    GroupDayOut,
    GroupDayQuery,
    OverviewPage,
    OverviewQuery,
    PartPlaces,
)
from planning_service.overview import overview_item
from planning_service.store import GroupCopyItem, RequestItem
from portal_common import authz, errors, store
from portal_common.authz import Role, Target
from portal_common.service import PortalApp, Req

_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def _order(item: RequestItem) -> tuple[str, str]:
    return item.sk.removeprefix("REQ#"), item.child_id


def _child_candidates(tenant: str, child_id: str, before: tuple[str, str] | None, limit: int) -> list[RequestItem]:
    pk = store.key(tenant, "CHILD", child_id)
    condition = RequestItem.sk.startswith("REQ#") if before is None else RequestItem.sk.between(
        "REQ#", f"REQ#{before[0]}")
    found = RequestItem.query(pk, condition, scan_index_forward=False, limit=limit + 1)
    return [item for item in found if before is None or _order(item) < before]


def family_page(req: Req, child_ids: list[str], query: OverviewQuery) -> dict[str, Any]:
    position = req.page_position(query.cursor)
    before = (position["u"], position["c"]) if position else None
    candidates: list[RequestItem] = []
    for child_id in child_ids:
        candidates += _child_candidates(req.principal.tenant, child_id, before, query.limit)
    if query.status:
        candidates = [c for c in candidates if c.status == query.status]
    candidates.sort(key=_order, reverse=True)
    page = candidates[:query.limit]
    more = len(candidates) > query.limit
    last = _order(page[-1]) if page and more else None
    return req.page_body([overview_item(i) for i in page], {"u": last[0], "c": last[1]} if last else None)


def group_page(req: Req, group_id: str, query: OverviewQuery) -> dict[str, Any]:
    position = req.page_position(query.cursor)
    if position and position.get("g") != group_id:
        raise errors.BadRequest(code="cursor_of_another_list")
    tenant = req.principal.tenant
    found = RequestItem.gsi1.query(
        store.key(tenant, "GRP", group_id), RequestItem.gsi1sk.startswith("REQ#"), scan_index_forward=False,
        limit=query.limit, filter_condition=(RequestItem.status == query.status) if query.status else None,
        **({"last_evaluated_key": position["k"]} if position else {}))
    items = [overview_item(i) for i in found]
    last = found.last_evaluated_key
    return req.page_body(items, {"g": group_id, "k": last} if last else None)


def register(app: PortalApp) -> None:
    @app.endpoint("/requests", "GET", action="requests.list", query=OverviewQuery, response=OverviewPage,
                  summary="Requests overview: every absence and extra or flex request with its status, newest first")
    def overview(req: Req) -> dict[str, Any]:
        query: OverviewQuery = req.query
        principal, tenant = req.principal, req.principal.tenant
        if principal.role is Role.PARENT:
            if query.group_id:
                # A group's list is staff's (group.planning.read): a parent's role is refused with 403
                # `action_not_allowed`, as on the group's day and messaging's group inbox.
                authz.check_role(principal, "group.planning.read")
            if query.child_id:
                req.authorize(Target.child(tenant, query.child_id), action="child.calendar.read")
                return family_page(req, [query.child_id], query)
            req.authorize()
            return family_page(req, sorted(principal.children), query)
        if not query.group_id:
            raise errors.Unprocessable(code="group_id_required", errors=[
                {"loc": ["query", "group_id"], "msg": "staff name the group"}])
        location_id = _location_of(tenant, query.group_id)
        req.authorize(Target.group(tenant, query.group_id, location_id), action="group.planning.read")
        if location_id is None:
            raise errors.NotFound()
        return group_page(req, query.group_id, query)

    @app.endpoint("/groups/{group_id}/day", "GET", action="group.planning.read", query=GroupDayQuery,
                  response=GroupDayOut, summary="A group's day for staff: places per part of day, children "
                                                "expected or absent, extra and flex days")
    def group_day(req: Req, group_id: str) -> GroupDayOut:
        tenant, day = req.principal.tenant, req.query.date
        group = _group(tenant, group_id)
        req.authorize(Target.group(tenant, group_id, group.location_id if group else None))
        if group is None:
            raise errors.NotFound()
        location_id = group.location_id
        view = capacity.group_day(tenant, group_id, day, group=group)
        closed = opening_days.closure(day, location_closures.of_location(tenant, location_id, day, day))
        names = directory_copy.child_names(tenant, {e.child_id for e in view.expected} | {
            d.child_id for d in view.booked})
        return GroupDayOut(
            group_id=group_id, date=day.isoformat(), closed=closed is not None,
            closed_reason=closed.name(req.lang) if closed else None,
            places={part: PartPlaces(**numbers) for part, numbers in view.places.items()},
            children=[ExpectedChild(child_id=c.child_id, name=names.get(c.child_id), start=c.start, end=c.end,
                                    absent=c.absent) for c in view.expected],
            requests=[BookedDay(request_id=d.request_id, child_id=d.child_id, name=names.get(d.child_id),
                                kind=d.kind, status=d.status, start=d.start, end=d.end) for d in view.booked])


def _group(tenant: str, group_id: str) -> GroupCopyItem | None:
    """Planning's copy of the group (None: no such group in this tenant)."""
    if not _ID.fullmatch(group_id):
        raise errors.NotFound()  # never let "#" or odd characters into a key
    return directory_copy.group(tenant, group_id)


def _location_of(tenant: str, group_id: str) -> str | None:
    copy = _group(tenant, group_id)
    return copy.location_id if copy else None
