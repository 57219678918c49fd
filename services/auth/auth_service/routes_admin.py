"""The directory's admin API, part two: people. Guardians, staff, managers, admins and activation.

A guardian (parent or partner, each with an own login) is invited linked to one or more children:
the account starts `invited` and its activation e-mail is scheduled 6 weeks before the earliest
placement starts (at once when that moment has passed). Staff are invited with their groups,
managers with their locations, admins by admins only. Managers act on the people of their own
locations (`location.manage`); anything else answers 404, a role that may not act 403.
"""

from __future__ import annotations

from typing import Any

from auth_service import activation
from auth_service.api import (
    GuardianIn,
    InvitedOut,
    ManagerLocationsIn,
    StaffGroupsIn,
    StaffIn,
    UserOut,
    UsersPage,
    UsersQuery,
)
from auth_service.directory import Directory, valid_id
from auth_service.routes_directory import any_of, child_location, known_group, managed_locations, new_id, paging
from auth_service.store import UserItem
from portal_common import clock, errors, store
from portal_common.authz import Role, Target
from portal_common.service import PortalApp, Req


def _user(tenant: str, user_id: str, role: str | None = None) -> UserItem:
    """A user of this tenant (with this role), or 404."""
    try:
        user = UserItem.get(store.key(tenant, "USER", valid_id(user_id)), "USER")
    except UserItem.DoesNotExist:
        raise errors.NotFound() from None
    if role is not None and user.role != role:
        raise errors.NotFound()
    return user


def _email_free(directory: Directory, tenant: str, email: str) -> None:
    if directory.user_by_email(tenant, email):
        raise errors.Conflict(code="email_in_use", errors=[{"loc": ["body", "email"], "msg": "already in use"}])


def _known_location(directory: Directory, tenant: str, location_id: str) -> None:
    try:
        directory.location(tenant, location_id)
    except errors.NotFound:
        raise errors.Unprocessable(code="unknown_location", errors=[{"loc": ["body", "location_ids"],
                                                                     "msg": "no such location"}]) from None


def _one_of_mine(tenant: str, location_ids: set[str]) -> list[Target]:
    """The locations a manager must run to act; an organisation-wide act (no location) is for admins."""
    return [Target.location(tenant, loc) for loc in sorted(location_ids)] or [Target.organisation(tenant)]


def user_out(u: UserItem) -> UserOut:
    return UserOut(id=u.user_id, name=u.name, email=u.email, role=u.role, status=u.status, language=u.language,
                   group_ids=sorted(u.groups or ()), location_ids=sorted(u.locations or ()))


def register(app: PortalApp, directory: Directory) -> None:
    @app.endpoint("/admin/guardians", "POST", action="location.manage", body=GuardianIn, response=InvitedOut,
                  status=201, summary="Invite a parent or partner: linked to children, activation e-mail scheduled")
    def create_guardian(req: Req) -> InvitedOut:
        tenant, body = req.principal.tenant, req.body
        child_ids = list(dict.fromkeys(body.child_ids))
        starts = []
        for child_id in child_ids:
            req.authorize(Target.location(tenant, child_location(directory, tenant, child_id)))
            starts += [p.start for p in directory.placements(tenant, child_id)]
        _email_free(directory, tenant, body.email)
        user_id = new_id("user")
        directory.create_user(tenant, user_id, email=body.email, name=body.name, role="parent", language=body.language)
        for child_id in child_ids:
            directory.link_guardian(tenant, child_id, user_id)
        due = activation.activation_due(tenant, min(starts))
        activation.schedule(tenant, user_id, due)
        return InvitedOut(id=user_id, status="invited", activation_due=due.isoformat())

    @app.endpoint("/admin/children/{child_id}/guardians/{user_id}", "PUT", action="location.manage", status=204,
                  summary="Link an existing parent account to (another) child")
    def link_guardian(req: Req, child_id: str, user_id: str) -> None:
        tenant = req.principal.tenant
        req.authorize(Target.location(tenant, child_location(directory, tenant, child_id)))
        user = _user(tenant, user_id)
        if user.role != "parent":
            raise errors.Unprocessable(code="not_a_parent", detail="only parent accounts can be guardians")
        directory.link_guardian(tenant, child_id, user_id)

    @app.endpoint("/admin/children/{child_id}/guardians/{user_id}", "DELETE", action="location.manage", status=204,
                  summary="Unlink a guardian from a child (the child leaves their next token)")
    def unlink_guardian(req: Req, child_id: str, user_id: str) -> None:
        tenant = req.principal.tenant
        req.authorize(Target.location(tenant, child_location(directory, tenant, child_id)))
        directory.unlink_guardian(tenant, child_id, valid_id(user_id))

    @app.endpoint("/admin/staff", "POST", action="location.manage", body=StaffIn, response=InvitedOut, status=201,
                  summary="Invite a staff member (their groups), a manager (their locations) or an admin (admins only)")
    def create_staff(req: Req) -> InvitedOut:
        tenant, body = req.principal.tenant, req.body
        if body.role != "staff" and req.principal.role is not Role.ADMIN:
            raise errors.Forbidden(code="admin_only")
        if body.role != "staff" and body.group_ids:
            raise errors.Unprocessable(code="groups_for_staff_only", errors=[{"loc": ["body", "group_ids"],
                                                                            "msg": "only staff work in groups"}])
        if body.role != "manager" and body.location_ids:
            raise errors.Unprocessable(code="locations_for_managers_only", errors=[
                {"loc": ["body", "location_ids"], "msg": "staff follow their groups' locations"}])
        groups = [known_group(directory, req.principal, g) for g in body.group_ids]
        locations = set(body.location_ids) | {g.location_id for g in groups}
        for target in _one_of_mine(tenant, locations):
            req.authorize(target)
        for location_id in body.location_ids:
            _known_location(directory, tenant, location_id)
        _email_free(directory, tenant, body.email)
        user_id = new_id("user")
        directory.create_user(tenant, user_id, email=body.email, name=body.name, role=body.role,
                              language=body.language, groups=set(body.group_ids), locations=locations)
        due = clock.now()  # staff need their account at once
        activation.schedule(tenant, user_id, due)
        return InvitedOut(id=user_id, status="invited", activation_due=due.isoformat())

    @app.endpoint("/admin/staff/{user_id}/groups", "PUT", action="location.manage", body=StaffGroupsIn, status=204,
                  summary="Set the groups a staff member works in")
    def set_staff_groups(req: Req, user_id: str) -> None:
        tenant = req.principal.tenant
        user = _user(tenant, user_id, role="staff")
        groups = [known_group(directory, req.principal, g) for g in dict.fromkeys(req.body.group_ids)]
        # Both the locations the staff member leaves and the ones they join must be the caller's.
        for target in _one_of_mine(tenant, set(user.locations or ()) | {g.location_id for g in groups}):
            req.authorize(target)
        directory.set_staff_groups(tenant, user, groups)

    @app.endpoint("/admin/managers/{user_id}/locations", "PUT", action="directory.manage", body=ManagerLocationsIn,
                  status=204, summary="Set the locations a manager runs (admins only)")
    def set_manager_locations(req: Req, user_id: str) -> None:
        tenant = req.principal.tenant
        req.authorize(Target.organisation(tenant))
        user = _user(tenant, user_id, role="manager")
        for location_id in req.body.location_ids:
            _known_location(directory, tenant, location_id)
        directory.set_manager_locations(tenant, user, set(req.body.location_ids))

    @app.endpoint("/admin/users", "GET", action="directory.read", query=UsersQuery, response=UsersPage,
                  summary="People by role and id, optionally of one role (a manager: the staff and managers of "
                          "their locations), paged")
    def list_users(req: Req) -> dict[str, Any]:
        tenant, role = req.principal.tenant, req.query.role
        req.authorize(Target.organisation(tenant))
        scope = managed_locations(req)
        if scope == set() or (scope is not None and role in ("parent", "admin")):
            return req.page_body([], None)
        condition = any_of(UserItem.locations, scope) if scope else None
        result = UserItem.gsi2.query(store.key(tenant, "USERS"),
                                     UserItem.gsi2sk.startswith(f"{role}#") if role else None,
                                     **paging(req, filter_condition=condition))
        return req.page_body([user_out(u) for u in result], result.last_evaluated_key)

    @app.endpoint("/admin/users/{user_id}/activation", "POST", action="directory.manage", status=202,
                  summary="Send an invited account's activation e-mail again (409 once it is active)")
    def resend_activation(req: Req, user_id: str) -> dict[str, str]:
        tenant = req.principal.tenant
        req.authorize(Target.organisation(tenant))
        _user(tenant, user_id)
        if not activation.send_activation(tenant, user_id):
            raise errors.Conflict(code="not_invited", detail="the account is not waiting for activation")
        return {"status": "sent"}
