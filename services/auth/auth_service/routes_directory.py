"""The directory's admin API, part one: locations, groups, children and their placements over time.

Admins manage their whole organisation (`directory.read` / `directory.manage`); managers the
locations they run and those locations' groups and children (`location.manage` with the location as
target; another location's object answers 404, another tenant's too). Lists are ordered by name
(children) or id (locations, groups), not newest first; a manager's lists hold their locations only.
Every change other services need is published through the outbox by `Directory`.
"""

from __future__ import annotations

from typing import Any

from auth_service.api import (
    ChildIn,
    ChildOut,
    ChildrenPage,
    ChildUpdateIn,
    Created,
    GroupIn,
    GroupOut,
    GroupsPage,
    GroupsQuery,
    LocationIn,
    LocationOut,
    LocationsPage,
    PageQuery,
    PlacementEndIn,
    PlacementIn,
    PlacementOut,
    Ref,
)
from auth_service.directory import Directory, valid_id
from auth_service.store import ChildItem, GroupItem, GuardianLinkItem, LocationItem, PlacementItem, UserItem
from portal_common import clock, errors, ids, store
from portal_common.authz import Principal, Role, Target
from portal_common.service import PortalApp, Req


def new_id(kind: str) -> str:
    return f"{kind}-{ids.new_id().lower()}"


def managed_locations(req: Req) -> set[str] | None:
    """None for an admin (the whole tenant); a manager's own locations otherwise."""
    return None if req.principal.role is Role.ADMIN else set(req.principal.locations)


def known_group(directory: Directory, principal: Principal, group_id: str) -> GroupItem:
    """A group named in a body. Unknown to an admin (the whole organisation is theirs): 422, the body breaks a
    rule. Unknown to anyone else: 404, the same answer as a group at a location that is not theirs, so a
    manager cannot tell another location's group ids from made-up ones."""
    try:
        return directory.group(principal.tenant, group_id)
    except GroupItem.DoesNotExist:
        if principal.role is not Role.ADMIN:
            raise errors.NotFound() from None
        raise errors.Unprocessable(code="unknown_group", errors=[{"loc": ["body", "group_id"],
                                                                  "msg": "no such group"}]) from None


def child_location(directory: Directory, tenant: str, child_id: str) -> str:
    """The location of a child's current placement (404 for an unknown child)."""
    return next(iter(directory.child_target(tenant, valid_id(child_id)).location_ids))


def any_of(attribute: Any, values: set[str]) -> Any:
    """A filter: the set attribute holds one of the values."""
    condition = None
    for value in sorted(values):
        clause = attribute.contains(value)
        condition = clause if condition is None else condition | clause
    return condition


def paging(req: Req, **kwargs: Any) -> dict[str, Any]:
    position = req.page_position(req.query.cursor)
    return {"limit": req.query.limit, **({"last_evaluated_key": position} if position else {}), **kwargs}


def location_out(item: LocationItem) -> LocationOut:
    return LocationOut(id=item.location_id, name=item.name, address=item.address or {}, contact=item.contact or {},
                       team=item.team or [], registration_number=item.registration_number)


def group_out(item: GroupItem, children: list[Ref] | None = None) -> GroupOut:
    return GroupOut(id=item.group_id, location_id=item.location_id, name=item.name,
                    age_from_months=int(item.age_from_months), age_to_months=int(item.age_to_months),
                    capacity={k: int(v) for k, v in (item.capacity or {}).items()}, children=children)


def placement_out(p: PlacementItem) -> PlacementOut:
    return PlacementOut(id=p.start, group_id=p.group_id, location_id=p.location_id, start=p.start, end=p.end)


def register(app: PortalApp, directory: Directory) -> None:
    # -- locations ------------------------------------------------------------------------------
    @app.endpoint("/admin/locations", "POST", action="directory.manage", body=LocationIn, response=Created,
                  status=201, summary="Add a location (address, contact details, team)")
    def create_location(req: Req) -> Created:
        tenant, body = req.principal.tenant, req.body
        req.authorize(Target.organisation(tenant))
        location_id = new_id("loc")
        directory.create_location(tenant, location_id, body.name, address=body.address.model_dump(exclude_none=True),
                                  contact=body.contact.model_dump(exclude_none=True),
                                  team=[m.model_dump() for m in body.team],
                                  registration_number=body.registration_number)
        return Created(id=location_id)

    @app.endpoint("/admin/locations", "GET", action="directory.read", query=PageQuery, response=LocationsPage,
                  summary="The organisation's locations by id (a manager: their own), paged")
    def list_locations(req: Req) -> dict[str, Any]:
        tenant = req.principal.tenant
        req.authorize(Target.organisation(tenant))
        scope = managed_locations(req)
        if scope == set():
            return req.page_body([], None)
        result = LocationItem.query(store.key(tenant, "ORG"), LocationItem.sk.startswith("LOC#"), **paging(
            req, filter_condition=LocationItem.location_id.is_in(*sorted(scope)) if scope else None))
        return req.page_body([location_out(i) for i in result], result.last_evaluated_key)

    @app.endpoint("/admin/locations/{location_id}", "GET", action="location.manage", response=LocationOut,
                  summary="A location with its address, contact details and team")
    def get_location(req: Req, location_id: str) -> LocationOut:
        req.authorize(Target.location(req.principal.tenant, valid_id(location_id)))
        return location_out(directory.location(req.principal.tenant, location_id))

    @app.endpoint("/admin/locations/{location_id}", "PUT", action="location.manage", body=LocationIn,
                  response=LocationOut, summary="Change a location's name, address, contact details or team")
    def update_location(req: Req, location_id: str) -> LocationOut:
        tenant, body = req.principal.tenant, req.body
        req.authorize(Target.location(tenant, valid_id(location_id)))
        location = directory.location(tenant, location_id)
        location.name = body.name
        location.address = body.address.model_dump(exclude_none=True)
        location.contact = body.contact.model_dump(exclude_none=True)
        location.team = [m.model_dump() for m in body.team]
        location.registration_number = body.registration_number
        directory.save_location(tenant, location, LocationItem.pk.exists())
        return location_out(location)

    # -- groups ---------------------------------------------------------------------------------
    @app.endpoint("/admin/groups", "POST", action="location.manage", body=GroupIn, response=Created, status=201,
                  summary="Add a group to a location: age range and capacity per part of day")
    def create_group(req: Req) -> Created:
        tenant, body = req.principal.tenant, req.body
        req.authorize(Target.location(tenant, body.location_id))
        directory.location(tenant, body.location_id)
        group_id = new_id("grp")
        directory.create_group(tenant, group_id, body.location_id, body.name, age_from_months=body.age_from_months,
                               age_to_months=body.age_to_months, capacity=dict(body.capacity))
        return Created(id=group_id)

    @app.endpoint("/admin/groups", "GET", action="directory.read", query=GroupsQuery, response=GroupsPage,
                  summary="Groups by id, optionally of one location (a manager: their locations'), paged")
    def list_groups(req: Req) -> dict[str, Any]:
        tenant, location_id = req.principal.tenant, req.query.location_id
        req.authorize(Target.organisation(tenant))
        scope = managed_locations(req)
        if location_id is not None:
            if scope is not None and location_id not in scope:
                raise errors.NotFound()
            result = GroupItem.gsi1.query(store.key(tenant, "LOC", location_id), GroupItem.gsi1sk.startswith("GRP#"),
                                          **paging(req))
        elif scope == set():
            return req.page_body([], None)
        else:
            result = GroupItem.query(store.key(tenant, "ORG"), GroupItem.sk.startswith("GRP#"), **paging(
                req, filter_condition=GroupItem.location_id.is_in(*sorted(scope)) if scope else None))
        return req.page_body([group_out(g) for g in result], result.last_evaluated_key)

    @app.endpoint("/admin/groups/{group_id}", "GET", action="location.manage", response=GroupOut,
                  summary="A group with the children placed in it today")
    def get_group(req: Req, group_id: str) -> GroupOut:
        tenant = req.principal.tenant
        try:
            group = directory.group(tenant, valid_id(group_id))
        except GroupItem.DoesNotExist:
            raise errors.NotFound() from None
        req.authorize(Target.location(tenant, group.location_id))
        today = clock.today().isoformat()
        placed = {p.child_id for p in PlacementItem.gsi1.query(store.key(tenant, "GRP", group_id),
                                                               PlacementItem.gsi1sk.startswith("PLC#"))
                  if p.start <= today and (p.end is None or p.end >= today)}
        children = ChildItem.batch_get([(store.key(tenant, "CHILD", c), "CHILD") for c in sorted(placed)])
        refs = sorted((Ref(id=c.child_id, name=c.name) for c in children), key=lambda r: r.name.lower())
        return group_out(group, refs)

    @app.endpoint("/admin/groups/{group_id}", "PUT", action="location.manage", body=GroupIn, response=GroupOut,
                  summary="Change a group's name, age range or capacity per part of day")
    def update_group(req: Req, group_id: str) -> GroupOut:
        tenant, body = req.principal.tenant, req.body
        try:
            group = directory.group(tenant, valid_id(group_id))
        except GroupItem.DoesNotExist:
            raise errors.NotFound() from None
        req.authorize(Target.location(tenant, group.location_id))
        if body.location_id != group.location_id:
            raise errors.Unprocessable(code="group_location_fixed", errors=[
                {"loc": ["body", "location_id"], "msg": "a group stays at its location"}])
        group.name, group.capacity = body.name, dict(body.capacity)
        group.age_from_months, group.age_to_months = body.age_from_months, body.age_to_months
        directory.save_group(tenant, group, GroupItem.pk.exists())
        return group_out(group)

    # -- children and placements ----------------------------------------------------------------
    @app.endpoint("/admin/children", "POST", action="location.manage", body=ChildIn, response=Created, status=201,
                  summary="Register a child with its first placement")
    def create_child(req: Req) -> Created:
        tenant, body = req.principal.tenant, req.body
        group = known_group(directory, req.principal, body.group_id)
        req.authorize(Target.location(tenant, group.location_id))
        child_id = new_id("child")
        directory.create_child(tenant, child_id, body.name, body.birth_date, group_id=body.group_id,
                               start=body.start, end=body.end)
        return Created(id=child_id)

    @app.endpoint("/admin/children", "GET", action="directory.read", query=PageQuery, response=ChildrenPage,
                  summary="The organisation's children alphabetically (a manager: those ever placed at "
                          "their locations), paged with limit and cursor")
    def list_children(req: Req) -> dict[str, Any]:
        tenant = req.principal.tenant
        req.authorize(Target.organisation(tenant))
        scope = managed_locations(req)
        if scope == set():
            return req.page_body([], None)
        condition = any_of(ChildItem.location_ids, scope) if scope else None
        result = ChildItem.gsi2.query(store.key(tenant, "CHILDREN"), **paging(req, filter_condition=condition))
        items = [{"id": c.child_id, "name": c.name, "birth_date": c.birth_date} for c in result]
        return req.page_body(items, result.last_evaluated_key)

    def child_out(tenant: str, child_id: str) -> ChildOut:
        child = ChildItem.get(store.key(tenant, "CHILD", child_id), "CHILD")
        links = GuardianLinkItem.query(store.key(tenant, "CHILD", child_id),
                                       GuardianLinkItem.sk.startswith("GUARDIAN#"))
        user_keys = [(store.key(tenant, "USER", link.user_id), "USER") for link in links]
        guardians = [Ref(id=u.user_id, name=u.name) for u in UserItem.batch_get(user_keys)] if user_keys else []
        placements = [placement_out(p) for p in directory.placements(tenant, child_id)]
        return ChildOut(id=child_id, name=child.name, birth_date=child.birth_date, placements=placements,
                        guardians=sorted(guardians, key=lambda g: g.name))

    @app.endpoint("/admin/children/{child_id}", "GET", action="child.profile.read", response=ChildOut,
                  summary="A child's directory entry: placements over time and guardians")
    def get_child(req: Req, child_id: str) -> ChildOut:
        tenant = req.principal.tenant
        req.authorize(directory.child_target(tenant, valid_id(child_id)))
        return child_out(tenant, child_id)

    @app.endpoint("/admin/children/{child_id}", "PUT", action="location.manage", body=ChildUpdateIn,
                  response=ChildOut, summary="Correct a child's name or birth date")
    def update_child(req: Req, child_id: str) -> ChildOut:
        tenant = req.principal.tenant
        req.authorize(Target.location(tenant, child_location(directory, tenant, child_id)))
        directory.update_child(tenant, child_id, req.body.name, req.body.birth_date)
        return child_out(tenant, child_id)

    @app.endpoint("/admin/children/{child_id}/placements", "POST", action="location.manage", body=PlacementIn,
                  response=Created, status=201, summary="Place a child in a group from a date (a move ends the "
                  "current placement the day before); the id is the start date")
    def place_child(req: Req, child_id: str) -> Created:
        tenant, body = req.principal.tenant, req.body
        current = child_location(directory, tenant, child_id)
        group = known_group(directory, req.principal, body.group_id)
        req.authorize(Target.location(tenant, current))
        req.authorize(Target.location(tenant, group.location_id))
        directory.place_child(tenant, child_id, body.group_id, body.start, body.end)
        return Created(id=body.start)

    @app.endpoint("/admin/children/{child_id}/placements/{placement_id}", "PUT", action="location.manage",
                  body=PlacementEndIn, response=PlacementOut,
                  summary="Contract dates changed: a placement's end (null: open-ended) and optionally its start")
    def change_placement(req: Req, child_id: str, placement_id: str) -> PlacementOut:
        tenant, body = req.principal.tenant, req.body
        req.authorize(Target.location(tenant, child_location(directory, tenant, child_id)))
        placement = directory.change_placement(tenant, child_id, valid_id(placement_id),
                                               body.start or placement_id, body.end)
        return placement_out(placement)
