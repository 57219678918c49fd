"""The directory's admin API: locations, groups, children and placements, guardians, staff.

Admins manage their whole organisation; managers the groups and children of their own locations
(the `location.manage` action with the location as target). Every change other services need is
published through the outbox by `Directory`.
"""

from __future__ import annotations

from chalicelib import activation
from chalicelib.api import (
    ChildIn,
    ChildOut,
    Created,
    GroupIn,
    GuardianIn,
    InvitedOut,
    LocationIn,
    PageQuery,
    PlacementEndIn,
    PlacementIn,
    PlacementOut,
    Ref,
    StaffGroupsIn,
    StaffIn,
)
from chalicelib.directory import Directory
from chalicelib.store import ChildItem, GroupItem, GuardianLinkItem, LocationItem, UserItem
from portal_common import errors, ids, store
from portal_common.authz import Role, Target
from portal_common.service import PortalApp, Req


def _new_id(kind: str) -> str:
    return f"{kind}-{ids.new_id().lower()}"


def _group_or_404(directory: Directory, tenant: str, group_id: str) -> GroupItem:
    try:
        return directory.group(tenant, group_id)
    except GroupItem.DoesNotExist:
        raise errors.Unprocessable(code="unknown_group", errors=[{"loc": ["body", "group_id"],
                                                                  "msg": "no such group"}]) from None


def register(app: PortalApp, directory: Directory) -> None:
    @app.endpoint("/admin/locations", "POST", action="directory.manage", body=LocationIn, response=Created,
                  status=201, summary="Add a location")
    def create_location(req: Req) -> Created:
        tenant = req.principal.tenant
        req.authorize(Target.organisation(tenant))
        location_id = _new_id("loc")
        directory.create_location(tenant, location_id, req.body.name, address=req.body.address,
                                  contact=req.body.contact)
        return Created(id=location_id)

    @app.endpoint("/admin/locations", "GET", action="directory.read", summary="The organisation's locations")
    def list_locations(req: Req) -> dict:
        tenant = req.principal.tenant
        req.authorize(Target.organisation(tenant))
        items = LocationItem.query(store.key(tenant, "ORG"), LocationItem.sk.startswith("LOC#"))
        return {"items": [{"id": i.location_id, "name": i.name, "address": i.address, "contact": i.contact}
                          for i in items]}

    @app.endpoint("/admin/groups", "POST", action="location.manage", body=GroupIn, response=Created, status=201,
                  summary="Add a group to a location")
    def create_group(req: Req) -> Created:
        tenant, body = req.principal.tenant, req.body
        req.authorize(Target.location(tenant, body.location_id))
        try:
            LocationItem.get(store.key(tenant, "ORG"), f"LOC#{body.location_id}")
        except LocationItem.DoesNotExist:
            raise errors.NotFound() from None
        group_id = _new_id("grp")
        directory.create_group(tenant, group_id, body.location_id, body.name, age_from_months=body.age_from_months,
                               age_to_months=body.age_to_months, capacity=dict(body.capacity))
        return Created(id=group_id)

    @app.endpoint("/admin/groups/{group_id}", "PUT", action="location.manage", body=GroupIn, response=Created,
                  summary="Change a group's name, age range or capacity per part of day")
    def update_group(req: Req, group_id: str) -> Created:
        tenant, body = req.principal.tenant, req.body
        try:
            group = directory.group(tenant, group_id)
        except GroupItem.DoesNotExist:
            raise errors.NotFound() from None
        req.authorize(Target.location(tenant, group.location_id))
        if body.location_id != group.location_id:
            raise errors.Unprocessable(code="group_location_fixed", errors=[
                {"loc": ["body", "location_id"], "msg": "a group stays at its location"}])
        group.name, group.capacity = body.name, dict(body.capacity)
        group.age_from_months, group.age_to_months = body.age_from_months, body.age_to_months
        directory.save_group(tenant, group)
        return Created(id=group_id)

    @app.endpoint("/admin/children", "POST", action="location.manage", body=ChildIn, response=Created, status=201,
                  summary="Register a child with its first placement")
    def create_child(req: Req) -> Created:
        tenant, body = req.principal.tenant, req.body
        group = _group_or_404(directory, tenant, body.group_id)
        req.authorize(Target.location(tenant, group.location_id))
        child_id = _new_id("child")
        directory.create_child(tenant, child_id, body.name, body.birth_date, group_id=body.group_id,
                               start=body.start, end=body.end)
        return Created(id=child_id)

    @app.endpoint("/admin/children", "GET", action="directory.read", query=PageQuery,
                  summary="The organisation's children, alphabetically, paged with limit and cursor")
    def list_children(req: Req) -> dict:
        tenant = req.principal.tenant
        req.authorize(Target.organisation(tenant))
        position = req.page_position(req.query.cursor)
        kwargs = {"limit": req.query.limit}
        if position:
            kwargs["last_evaluated_key"] = position
        page = ChildItem.gsi2.query(store.key(tenant, "CHILDREN"), **kwargs)
        items = [{"id": c.child_id, "name": c.name, "birth_date": c.birth_date} for c in page]
        return req.page_body(items, page.last_evaluated_key)

    @app.endpoint("/admin/children/{child_id}", "GET", action="child.profile.read", response=ChildOut,
                  summary="A child's directory entry: placements over time and guardians")
    def get_child(req: Req, child_id: str) -> ChildOut:
        tenant = req.principal.tenant
        req.authorize(directory.child_target(tenant, child_id))
        child = ChildItem.get(store.key(tenant, "CHILD", child_id), "CHILD")
        links = GuardianLinkItem.query(store.key(tenant, "CHILD", child_id),
                                       GuardianLinkItem.sk.startswith("GUARDIAN#"))
        user_keys = [(store.key(tenant, "USER", link.user_id), "USER") for link in links]
        guardians = [Ref(id=u.user_id, name=u.name) for u in UserItem.batch_get(user_keys)] if user_keys else []
        placements = [PlacementOut(group_id=p.group_id, location_id=p.location_id, start=p.start, end=p.end)
                      for p in directory.placements(tenant, child_id)]
        return ChildOut(id=child_id, name=child.name, birth_date=child.birth_date, placements=placements,
                        guardians=sorted(guardians, key=lambda g: g.name))

    @app.endpoint("/admin/children/{child_id}/placements", "POST", action="location.manage", body=PlacementIn,
                  response=Created, status=201, summary="Place a child in a group from a date (a move ends the "
                  "current placement the day before)")
    def place_child(req: Req, child_id: str) -> Created:
        tenant, body = req.principal.tenant, req.body
        current = directory.child_target(tenant, child_id)
        group = _group_or_404(directory, tenant, body.group_id)
        req.authorize(Target.location(tenant, next(iter(current.location_ids))))
        req.authorize(Target.location(tenant, group.location_id))
        directory.place_child(tenant, child_id, body.group_id, body.start, body.end)
        return Created(id=f"{body.start}")

    @app.endpoint("/admin/children/{child_id}/placements/{start}", "PUT", action="location.manage",
                  body=PlacementEndIn, response=PlacementOut, summary="Change a placement's end date")
    def set_placement_end(req: Req, child_id: str, start: str) -> PlacementOut:
        tenant = req.principal.tenant
        req.authorize(Target.location(tenant, next(iter(directory.child_target(tenant, child_id).location_ids))))
        p = directory.set_placement_end(tenant, child_id, start, req.body.end)
        return PlacementOut(group_id=p.group_id, location_id=p.location_id, start=p.start, end=p.end)

    @app.endpoint("/admin/guardians", "POST", action="location.manage", body=GuardianIn, response=InvitedOut,
                  status=201, summary="Invite a parent or partner: linked to children, activation e-mail scheduled")
    def create_guardian(req: Req) -> InvitedOut:
        tenant, body = req.principal.tenant, req.body
        starts = []
        for child_id in body.child_ids:
            req.authorize(Target.location(tenant, next(iter(directory.child_target(tenant, child_id).location_ids))))
            starts += [p.start for p in directory.placements(tenant, child_id)]
        if directory.user_by_email(tenant, body.email):
            raise errors.Conflict(code="email_in_use", errors=[{"loc": ["body", "email"], "msg": "already in use"}])
        user_id = _new_id("user")
        directory.create_user(tenant, user_id, email=body.email, name=body.name, role="parent", language=body.language)
        for child_id in body.child_ids:
            directory.link_guardian(tenant, child_id, user_id)
        due = activation.activation_due(tenant, min(starts))
        activation.schedule(tenant, user_id, due)
        return InvitedOut(id=user_id, status="invited", activation_due=due.isoformat())

    @app.endpoint("/admin/children/{child_id}/guardians/{user_id}", "PUT", action="location.manage", status=204,
                  summary="Link an existing parent account to (another) child")
    def link_guardian(req: Req, child_id: str, user_id: str) -> None:
        tenant = req.principal.tenant
        req.authorize(Target.location(tenant, next(iter(directory.child_target(tenant, child_id).location_ids))))
        try:
            user = UserItem.get(store.key(tenant, "USER", user_id), "USER")
        except UserItem.DoesNotExist:
            raise errors.NotFound() from None
        if user.role != "parent":
            raise errors.Unprocessable(code="not_a_parent", detail="only parent accounts can be guardians")
        directory.link_guardian(tenant, child_id, user_id)

    @app.endpoint("/admin/staff/{user_id}/groups", "PUT", action="location.manage", body=StaffGroupsIn, status=204,
                  summary="Set the groups a staff member works in")
    def set_staff_groups(req: Req, user_id: str) -> None:
        tenant = req.principal.tenant
        try:
            user = UserItem.get(store.key(tenant, "USER", user_id), "USER")
        except UserItem.DoesNotExist:
            raise errors.NotFound() from None
        if user.role != "staff":
            raise errors.NotFound()
        groups = [_group_or_404(directory, tenant, g) for g in req.body.group_ids]
        # Both the locations the staff member leaves and the ones they join must be the caller's.
        for location_id in sorted(set(user.locations or ()) | {g.location_id for g in groups}):
            req.authorize(Target.location(tenant, location_id))
        directory.set_staff_groups(tenant, user, groups)

    @app.endpoint("/admin/children/{child_id}/guardians/{user_id}", "DELETE", action="location.manage", status=204,
                  summary="Unlink a guardian from a child")
    def unlink_guardian(req: Req, child_id: str, user_id: str) -> None:
        tenant = req.principal.tenant
        req.authorize(Target.location(tenant, next(iter(directory.child_target(tenant, child_id).location_ids))))
        directory.unlink_guardian(tenant, child_id, user_id)

    @app.endpoint("/admin/staff", "POST", action="location.manage", body=StaffIn, response=InvitedOut, status=201,
                  summary="Invite a staff member (their groups), a manager (their locations) or an admin")
    def create_staff(req: Req) -> InvitedOut:
        tenant, body = req.principal.tenant, req.body
        if body.role != "staff" and req.principal.role is not Role.ADMIN:
            raise errors.Forbidden(code="admin_only")
        groups = [_group_or_404(directory, tenant, g) for g in body.group_ids]
        locations = set(body.location_ids) | {g.location_id for g in groups}
        for location_id in sorted(locations) or [None]:
            req.authorize(Target.location(tenant, location_id) if location_id else Target.organisation(tenant))
        if directory.user_by_email(tenant, body.email):
            raise errors.Conflict(code="email_in_use", errors=[{"loc": ["body", "email"], "msg": "already in use"}])
        user_id = _new_id("user")
        directory.create_user(tenant, user_id, email=body.email, name=body.name, role=body.role,
                              language=body.language, groups=set(body.group_ids), locations=locations)
        due = activation.activation_due(tenant, "1970-01-01")  # staff: at once
        activation.schedule(tenant, user_id, due)
        return InvitedOut(id=user_id, status="invited", activation_due=due.isoformat())

    @app.endpoint("/admin/users/{user_id}/activation", "POST", action="directory.manage", status=202,
                  summary="Send an invited account's activation e-mail again")
    def resend_activation(req: Req, user_id: str) -> dict:
        tenant = req.principal.tenant
        req.authorize(Target.organisation(tenant))
        if not activation.send_activation(tenant, user_id):
            raise errors.Conflict(code="not_invited", detail="the account is not waiting for activation")
        return {"status": "sent"}

