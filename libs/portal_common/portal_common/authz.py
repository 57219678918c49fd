"""Authorization: who is calling (`Principal`), the action catalogue, and the one policy check.

Every route names an action from `ACTIONS` (or is explicitly public). An action says which roles may
perform it and which relation to the target object is required. `authorize` is deny-by-default:
- a role not listed for the action → 403;
- a target in another tenant, or a child/group/location the caller has no relation to → 404, so
  nobody learns whether another family's object exists.

Relations come from the access token (see `tokens.py`): a guardian's children, and the groups and
locations those children are placed in; a staff member's groups (and their locations); a manager's
locations. No request needs to ask another service.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from . import errors


class Role(StrEnum):
    PARENT = "parent"
    STAFF = "staff"
    MANAGER = "manager"
    ADMIN = "admin"


class Relation(StrEnum):
    SELF = "self"          # the caller's own data; no target object
    TENANT = "tenant"      # anything of the caller's own organisation
    LOCATION = "location"  # a location the caller is related to
    GROUP = "group"        # a group the caller is related to
    CHILD = "child"        # a child the caller is related to


# Clock skew allowed on a token's time claims (the verifier and the views' re-check of `exp`).
TOKEN_LEEWAY_SECONDS = 5
ALL_ROLES = frozenset(Role)
STAFF_SIDE = frozenset({Role.STAFF, Role.MANAGER, Role.ADMIN})
PARENT_ONLY = frozenset({Role.PARENT})


@dataclass(frozen=True)
class Action:
    name: str
    relation: Relation
    roles: frozenset[Role]
    description: str


def _catalogue(*actions: Action) -> dict[str, Action]:
    table: dict[str, Action] = {}
    for action in actions:
        if action.name in table:
            raise ValueError(f"duplicate action {action.name}")
        table[action.name] = action
    return table


A = Action
R = Relation
# The one catalogue of everything anyone can do. Names read `<object>.<verb>`.
ACTIONS: dict[str, Action] = _catalogue(
    # auth & directory
    A("me.read", R.SELF, ALL_ROLES, "read one's own profile, children and organisation"),
    A("me.notification_settings.read", R.SELF, ALL_ROLES, "read one's notification settings"),
    A("me.notification_settings.update", R.SELF, ALL_ROLES, "change one's notification settings"),
    A("me.devices.register", R.SELF, ALL_ROLES, "register a device for push notifications"),
    A("me.sessions.revoke", R.SELF, ALL_ROLES, "sign out everywhere"),
    A("me.password.change", R.SELF, ALL_ROLES, "change one's password"),
    A("child.consents.read", R.CHILD, ALL_ROLES, "read a child's consents"),
    A("child.consents.update", R.CHILD, PARENT_ONLY, "give or withdraw a child's consents"),
    A("child.profile.read", R.CHILD, STAFF_SIDE, "read a child's directory entry: placements, guardians"),
    A("directory.read", R.TENANT, frozenset({Role.MANAGER, Role.ADMIN}), "read the organisation's directory"),
    A("directory.manage", R.TENANT, frozenset({Role.ADMIN}), "manage people, children and groups"),
    A("location.manage", R.LOCATION, frozenset({Role.MANAGER, Role.ADMIN}),
      "manage a location, its groups and capacity"),
    # planning
    A("child.calendar.read", R.CHILD, ALL_ROLES, "read a child's care calendar"),
    A("child.absence.create", R.CHILD, ALL_ROLES, "report a child absent"),
    A("child.swap_hours.read", R.CHILD, ALL_ROLES, "read a child's swap-hour balance"),
    A("child.availability.read", R.CHILD, ALL_ROLES, "see free capacity for a child on a date"),
    A("child.request.create", R.CHILD, ALL_ROLES, "request extra or flex days for a child"),
    A("child.request.cancel", R.CHILD, PARENT_ONLY, "cancel a pending request"),
    A("child.request.decide", R.CHILD, STAFF_SIDE, "approve or reject a request"),
    A("child.flex_pot.read", R.CHILD, ALL_ROLES, "read a child's flex-hours pot"),
    A("requests.list", R.SELF, ALL_ROLES, "list the requests one may see"),
    A("group.planning.read", R.GROUP, STAFF_SIDE, "see a group's day: expected children, absences, extras"),
    A("location.closures.manage", R.LOCATION, frozenset({Role.MANAGER, Role.ADMIN}), "set extra closing days"),
    A("contracts.manage", R.TENANT, frozenset({Role.ADMIN}), "manage contracts"),
    A("planning.settings.manage", R.TENANT, frozenset({Role.ADMIN}), "read and set the planning rules' numbers"),
    A("family.documents.read", R.SELF, PARENT_ONLY, "list and download one's invoices, statements and documents"),
    A("family.documents.manage", R.TENANT, frozenset({Role.ADMIN}), "produce invoices and upload family documents"),
    A("calendar_feed.manage", R.SELF, PARENT_ONLY, "create or rotate one's calendar feed"),
    # timeline
    A("group.photos.upload", R.GROUP, STAFF_SIDE, "upload photos for a group"),
    A("upload.read", R.SELF, STAFF_SIDE, "follow one's own uploads"),
    A("child.timeline.read", R.CHILD, ALL_ROLES, "read a child's timeline"),
    A("timeline.feed.read", R.SELF, ALL_ROLES, "read the merged feed of one's children"),
    A("child.photo.read", R.CHILD, ALL_ROLES, "view or download a photo of a child"),
    A("group.photo.read", R.GROUP, ALL_ROLES, "view or download an untagged group photo"),
    A("child.diary.write", R.CHILD, ALL_ROLES, "write a daily report (staff) or an own entry (parent)"),
    A("child.diary.read", R.CHILD, ALL_ROLES, "read a diary report"),
    A("group.diary.read", R.GROUP, STAFF_SIDE, "read the diary of a group's day (reports and parents' entries)"),
    A("child.photo_access.read", R.CHILD, PARENT_ONLY, "see who viewed or downloaded a child's photos"),
    # messaging
    A("conversations.list", R.SELF, ALL_ROLES, "list one's conversations"),
    # Only the child's guardians and the group's staff take part; managers and admins may read.
    A("child.conversation.start", R.CHILD, frozenset({Role.PARENT, Role.STAFF}),
      "start a conversation about a child with the staff of its current group"),
    A("child.conversation.read", R.CHILD, ALL_ROLES, "read a conversation about a child, mark it read"),
    A("child.conversation.write", R.CHILD, frozenset({Role.PARENT, Role.STAFF}),
      "send a message in a conversation about a child"),
    A("group.conversations.read", R.GROUP, STAFF_SIDE, "read a group's inbox of conversations"),
    A("messages.unread.read", R.SELF, ALL_ROLES, "read one's unread count"),
    A("location.news.read", R.LOCATION, ALL_ROLES, "read a location's news and newsletters"),
    A("organisation.news.read", R.TENANT, ALL_ROLES, "read the organisation's news and newsletters"),
    A("location.news.publish", R.LOCATION, frozenset({Role.MANAGER, Role.ADMIN}), "publish location news"),
    A("organisation.news.publish", R.TENANT, frozenset({Role.ADMIN}), "publish organisation news"),
    A("location.page.read", R.LOCATION, ALL_ROLES, "read a location's page"),
    A("location.page.manage", R.LOCATION, frozenset({Role.MANAGER, Role.ADMIN}), "edit a location's page"),
    A("attachment.upload", R.SELF, ALL_ROLES, "upload a file to attach to a message, news item or policy"),
    A("attachment.read", R.SELF, ALL_ROLES, "download an attachment of something one may read (checked per owner)"),
    # exports
    A("child.export.create", R.CHILD, PARENT_ONLY, "export a child's diary"),
    A("export.read", R.SELF, ALL_ROLES, "follow and download one's own exports"),
    A("me.personal_data.export", R.SELF, ALL_ROLES, "export one's personal data"),
    A("retention.audit.read", R.TENANT, frozenset({Role.ADMIN}), "read the audit of retention purges"),
)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, as the access token describes them."""

    tenant: str
    user_id: str
    role: Role
    children: frozenset[str] = field(default_factory=frozenset)
    groups: frozenset[str] = field(default_factory=frozenset)
    locations: frozenset[str] = field(default_factory=frozenset)
    language: str = "nl"
    session_id: str = ""
    # The token's `exp` (epoch seconds) when the principal came from a verified token. The views check it
    # again on every request: API Gateway caches the authorizer's answer per token for up to
    # AUTHORIZER_CACHE_SECONDS, and a cached answer must not carry a token past its expiry (ADR 0002).
    expires_at: float | None = field(default=None, compare=False)

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Principal:
        return cls(
            tenant=str(claims["tid"]),
            user_id=str(claims["sub"]),
            role=Role(claims["role"]),
            children=frozenset(map(str, claims.get("children", []))),
            groups=frozenset(map(str, claims.get("groups", []))),
            locations=frozenset(map(str, claims.get("locations", []))),
            language=str(claims.get("lang", "nl")),
            session_id=str(claims.get("sid", "")),
            expires_at=float(claims["exp"]) if claims.get("exp") is not None else None,
        )

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now > self.expires_at + TOKEN_LEEWAY_SECONDS

    def to_claims(self) -> dict[str, Any]:
        return {
            "sub": self.user_id,
            "tid": self.tenant,
            "role": self.role.value,
            "children": sorted(self.children),
            "groups": sorted(self.groups),
            "locations": sorted(self.locations),
            "lang": self.language,
            "sid": self.session_id,
        }


# Targets: the facts about an object that the policy needs, loaded by the view.
@dataclass(frozen=True)
class Target:
    tenant: str
    child_id: str | None = None
    group_ids: frozenset[str] = frozenset()
    location_ids: frozenset[str] = frozenset()

    @classmethod
    def child(cls, tenant: str, child_id: str, groups: Iterable[str] = (), locations: Iterable[str] = ()) -> Target:
        return cls(tenant, child_id, frozenset(groups), frozenset(locations))

    @classmethod
    def group(cls, tenant: str, group_id: str, location_id: str | None = None) -> Target:
        return cls(tenant, None, frozenset({group_id}), frozenset({location_id} if location_id else ()))

    @classmethod
    def location(cls, tenant: str, location_id: str) -> Target:
        return cls(tenant, None, frozenset(), frozenset({location_id}))

    @classmethod
    def organisation(cls, tenant: str) -> Target:
        return cls(tenant)


def is_related(principal: Principal, relation: Relation, target: Target | None) -> bool:
    if relation is Relation.SELF:
        return True
    if target is None or target.tenant != principal.tenant:
        return False
    if principal.role is Role.ADMIN or relation is Relation.TENANT:
        return True
    if relation is Relation.CHILD:
        if principal.role is Role.PARENT:
            return target.child_id is not None and target.child_id in principal.children
        if principal.role is Role.STAFF:
            return bool(target.group_ids & principal.groups)
        return bool(target.location_ids & principal.locations)
    if relation is Relation.GROUP:
        if principal.role is Role.MANAGER:
            return bool(target.location_ids & principal.locations)
        return bool(target.group_ids & principal.groups)
    if relation is Relation.LOCATION:
        return bool(target.location_ids & principal.locations)
    return False


def check_role(principal: Principal, action_name: str) -> Action:
    action = ACTIONS[action_name]
    if principal.role not in action.roles:
        raise errors.Forbidden(code="action_not_allowed")
    return action


def authorize(principal: Principal, action_name: str, target: Target | None = None) -> None:
    """Deny by default: raise 403 for a role without the action, 404 for an unrelated object."""
    action = check_role(principal, action_name)
    if action.relation is not Relation.SELF and target is None:
        raise errors.Problem(code="authorization_target_missing")
    if not is_related(principal, action.relation, target):
        raise errors.NotFound()
