"""The directory: organisations, locations, groups, children, placements, people.

Repository functions used by the admin API and the demo seeding. Every change that other services
must know about is staged in the outbox in the same transaction as the change itself.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError

from auth_service.store import (
    AccessEndItem,
    ChildItem,
    ConsentItem,
    ContractCopyItem,
    DomainItem,
    EmailClaimItem,
    GroupItem,
    GuardianLinkItem,
    LocationItem,
    OrganisationItem,
    PlacementItem,
    UserItem,
)
from portal_common import clock, errors, ids, store
from portal_common.authz import Target
from portal_common.contracts import auth as auth_events
from portal_common.outbox import Changes, Outbox

SOURCE = "auth"
DEFAULT_ACCESS_WEEKS = 8
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def valid_id(value: str) -> str:
    """An id from a URL path, or 404: a key part never holds the separator or odd characters."""
    if not _ID.fullmatch(value or ""):
        raise errors.NotFound()
    return value


def current_placement(placements: list[PlacementItem], today: date) -> PlacementItem | None:
    """The placement covering today; else the latest one started; else the first one to come."""
    ordered = sorted(placements, key=lambda p: p.start)
    covering = [p for p in ordered if p.start <= today.isoformat() and (p.end is None or p.end >= today.isoformat())]
    if covering:
        return covering[-1]
    started = [p for p in ordered if p.start <= today.isoformat()]
    return started[-1] if started else (ordered[0] if ordered else None)


def access_until(periods: list[Any], weeks: int) -> str | None:
    """Guardians keep access until `weeks` after the last period ends (None: no end yet).

    The periods are the child's contracts (planning's, copied from its events) when it has any, its
    placements otherwise: a contract is what a family signs and ends.
    """
    if not periods or any(p.end is None for p in periods):
        return None
    last_end = max(date.fromisoformat(p.end) for p in periods if p.end)
    return (last_end + timedelta(weeks=weeks)).isoformat()


def apply_access(link: GuardianLinkItem, placements: list[PlacementItem], weeks: int,
                 periods: list[Any] | None = None) -> None:
    current = current_placement(placements, clock.today())
    link.group_ids = {current.group_id} if current else None
    link.location_ids = {current.location_id} if current else None
    link.access_until = access_until(periods or placements, weeks)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _changes(outbox: Outbox, tenant: str) -> Changes:
    return Changes(outbox, tenant, SOURCE)


def user_changed(user: UserItem) -> auth_events.UserChanged:
    """The account's contact record for messaging (who gets notifications, where, in which language).
    Emit it with every change of a user's name, e-mail address, language or status."""
    return auth_events.UserChanged(user_id=user.user_id, name=user.name, email=user.email, language=user.language,
                                   role=user.role, status=user.status)


class Directory:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def changes(self, tenant: str) -> Changes:
        return _changes(self.outbox, tenant)

    # -- organisation ----------------------------------------------------------------------
    def create_organisation(self, tenant: str, domain: str, name: str, settings: dict[str, Any]) -> None:
        ch = self.changes(tenant)
        ch.save(DomainItem(f"_DOMAIN#{domain.lower()}", "_", tenant=tenant), DomainItem.pk.does_not_exist())
        ch.save(OrganisationItem(store.key(tenant, "ORG"), "ORG", name=name, domain=domain.lower(), settings=settings),
                OrganisationItem.pk.does_not_exist())
        ch.emit(auth_events.OrganisationChanged(name=name, domain=domain.lower()))
        ch.commit()

    def tenant_for_domain(self, domain: str) -> str | None:
        try:
            return DomainItem.get(f"_DOMAIN#{domain.strip().lower()}", "_").tenant
        except DomainItem.DoesNotExist:
            return None

    def create_location(self, tenant: str, location_id: str, name: str, *, address: dict[str, Any],
                        contact: dict[str, Any], team: list[dict[str, str]] | None = None,
                        registration_number: str | None = None) -> None:
        location = LocationItem(store.key(tenant, "ORG"), f"LOC#{location_id}", location_id=location_id, name=name,
                                address=address, contact=contact, team=team or [],
                                registration_number=registration_number)
        self.save_location(tenant, location, LocationItem.pk.does_not_exist())

    def save_location(self, tenant: str, location: LocationItem, condition: Any = None) -> None:
        """Store a location and tell the other services (messaging shows its page)."""
        ch = self.changes(tenant)
        ch.save(location, condition)
        ch.emit(auth_events.LocationChanged(location_id=location.location_id, name=location.name,
                                            address=dict(location.address or {}), contact=dict(location.contact or {}),
                                            team=list(location.team or []),
                                            registration_number=location.registration_number))
        ch.commit()

    def location(self, tenant: str, location_id: str) -> LocationItem:
        """A location of this tenant, or 404."""
        try:
            return LocationItem.get(store.key(tenant, "ORG"), f"LOC#{valid_id(location_id)}")
        except LocationItem.DoesNotExist:
            raise errors.NotFound() from None

    def create_group(self, tenant: str, group_id: str, location_id: str, name: str, *, age_from_months: int,
                     age_to_months: int, capacity: dict[str, int]) -> None:
        group = GroupItem(store.key(tenant, "ORG"), f"GRP#{group_id}", group_id=group_id, location_id=location_id,
                          name=name, age_from_months=age_from_months, age_to_months=age_to_months,
                          capacity=capacity, gsi1pk=store.key(tenant, "LOC", location_id), gsi1sk=f"GRP#{group_id}")
        self.save_group(tenant, group, GroupItem.pk.does_not_exist())

    def save_group(self, tenant: str, group: GroupItem, condition: Any = None) -> None:
        """Store a group and tell planning its capacity per part of day."""
        ch = self.changes(tenant)
        ch.save(group, condition)
        ch.emit(auth_events.GroupChanged(group_id=group.group_id, location_id=group.location_id, name=group.name,
                                         capacity={k: int(v) for k, v in (group.capacity or {}).items()}))
        ch.commit()

    def group(self, tenant: str, group_id: str) -> GroupItem:
        return GroupItem.get(store.key(tenant, "ORG"), f"GRP#{group_id}")

    # -- children --------------------------------------------------------------------------
    def create_child(self, tenant: str, child_id: str, name: str, birth_date: str, *, group_id: str,
                     start: str, end: str | None = None) -> None:
        group = self.group(tenant, group_id)
        ch = self.changes(tenant)
        pk = store.key(tenant, "CHILD", child_id)
        ch.save(ChildItem(pk, "CHILD", child_id=child_id, name=name, birth_date=birth_date,
                          location_ids={group.location_id},
                          gsi2pk=store.key(tenant, "CHILDREN"), gsi2sk=f"{name.lower()}#{child_id}"),
                ChildItem.pk.does_not_exist())
        ch.save(PlacementItem(pk, f"PLC#{start}#{group_id}", child_id=child_id, group_id=group_id,
                              location_id=group.location_id, start=start, end=end,
                              gsi1pk=store.key(tenant, "GRP", group_id), gsi1sk=f"PLC#{start}#{child_id}"))
        ch.emit(auth_events.ChildPlaced(child_id=child_id, child_name=name, birth_date=birth_date,
                                        group_id=group_id, location_id=group.location_id, start=start, end=end))
        ch.commit()
        if end is not None:  # a contract with an end from the start: the access-window job must find it
            self.refresh_links(tenant, child_id)

    def placements(self, tenant: str, child_id: str) -> list[PlacementItem]:
        return list(PlacementItem.query(store.key(tenant, "CHILD", child_id), PlacementItem.sk.startswith("PLC#")))

    # -- people ----------------------------------------------------------------------------
    def create_user(self, tenant: str, user_id: str, *, email: str, name: str, role: str, language: str = "nl",
                    password_hash: str | None = None, groups: set[str] | None = None,
                    locations: set[str] | None = None, is_demo: bool = False) -> None:
        email = normalise_email(email)
        ch = self.changes(tenant)
        user = UserItem(store.key(tenant, "USER", user_id), "USER", user_id=user_id, email=email, name=name,
                        role=role, language=language, password_hash=password_hash,
                        status="active" if password_hash else "invited", groups=groups or None,
                        locations=locations or None, is_demo=is_demo, created_at=clock.now().isoformat(),
                        gsi1pk=store.key(tenant, "EMAIL", email), gsi1sk="USER",
                        gsi2pk=store.key(tenant, "USERS"), gsi2sk=f"{role}#{user_id}")
        ch.save(user, UserItem.pk.does_not_exist())
        ch.emit(user_changed(user))
        # One account per address and tenant, even when two admins invite the same parent at once.
        ch.save(EmailClaimItem(store.key(tenant, "EMAIL", email), "CLAIM", user_id=user_id),
                EmailClaimItem.pk.does_not_exist())
        if role in ("staff", "manager"):
            ch.emit(auth_events.StaffAssigned(user_id=user_id, role=role, group_ids=sorted(groups or ()),
                                              location_ids=sorted(locations or ()), user_name=name))
        try:
            ch.commit()
        except TransactWriteError as exc:
            if any(r is not None and r.code == "ConditionalCheckFailed" for r in exc.cancellation_reasons or ()):
                raise errors.Conflict(code="email_in_use", errors=[{"loc": ["body", "email"],
                                                                    "msg": "already in use"}]) from None
            raise

    def user_by_email(self, tenant: str, email: str) -> UserItem | None:
        if store.SEPARATOR in email:
            return None  # no account can hold such an address (it cannot be part of a key)
        for item in UserItem.gsi1.query(store.key(tenant, "EMAIL", normalise_email(email)), limit=1):
            return item
        return None

    def link_guardian(self, tenant: str, child_id: str, user_id: str) -> None:
        child = ChildItem.get(store.key(tenant, "CHILD", child_id), "CHILD")
        ch = self.changes(tenant)
        link = GuardianLinkItem(store.key(tenant, "CHILD", child_id), f"GUARDIAN#{user_id}", child_id=child_id,
                                user_id=user_id, child_name=child.name, gsi1pk=store.key(tenant, "USER", user_id),
                                gsi1sk=f"CHILD#{child_id}")
        placements = self.placements(tenant, child_id)
        apply_access(link, placements, self.access_weeks(tenant), self.contract_periods(tenant, child_id) or placements)
        ch.save(link)
        user = UserItem.get(store.key(tenant, "USER", user_id), "USER")
        ch.emit(auth_events.GuardianLinked(child_id=child_id, user_id=user_id, user_name=user.name))
        ch.commit()

    def refresh_links(self, tenant: str, child_id: str) -> None:
        """Copy the child's current placement and access window onto every guardian link."""
        placements = self.placements(tenant, child_id)
        periods = self.contract_periods(tenant, child_id) or placements
        weeks = self.access_weeks(tenant)
        for link in GuardianLinkItem.query(store.key(tenant, "CHILD", child_id),
                                           GuardianLinkItem.sk.startswith("GUARDIAN#")):
            apply_access(link, placements, weeks, periods)
            link.save()
        # The access-window job finds children whose window closes through this index row.
        until = access_until(periods, weeks)
        row = AccessEndItem(store.key(tenant, "CHILD", child_id), "ACCESS_END")
        if until is None:
            row.delete()
            return
        pending = AccessEndItem(row.pk, row.sk, child_id=child_id, access_until=until, gsi1pk="_ACCESS_END",
                                gsi1sk=f"{until}#{tenant}#{child_id}")
        try:  # a window the job already closed stays closed unless its last day moved
            pending.save(condition=AccessEndItem.pk.does_not_exist() | AccessEndItem.closed_at.does_not_exist()
                         | (AccessEndItem.access_until != until))
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise

    def contract_periods(self, tenant: str, child_id: str) -> list[ContractCopyItem]:
        return list(ContractCopyItem.query(store.key(tenant, "CHILD", child_id),
                                           ContractCopyItem.sk.startswith("CONTRACT#")))

    def access_weeks(self, tenant: str) -> int:
        org = OrganisationItem.get(store.key(tenant, "ORG"), "ORG")
        return int(org.settings.get("access_after_contract_weeks", DEFAULT_ACCESS_WEEKS))

    def children_of_guardian(self, tenant: str, user_id: str) -> list[str]:
        return [link.child_id for link in GuardianLinkItem.gsi1.query(store.key(tenant, "USER", user_id),
                                                                      GuardianLinkItem.gsi1sk.startswith("CHILD#"))]

    # -- administration ------------------------------------------------------------------------
    def child_target(self, tenant: str, child_id: str) -> Target:
        """The authorization facts of a child: its current group and location (404 when unknown)."""
        current = current_placement(self.placements(tenant, child_id), clock.today())
        if current is None:
            raise errors.NotFound()
        return Target.child(tenant, child_id, {current.group_id}, {current.location_id})

    def place_child(self, tenant: str, child_id: str, group_id: str, start: str, end: str | None) -> None:
        """A new placement; an open placement that started earlier ends the day before (a move)."""
        group = self.group(tenant, group_id)
        child = ChildItem.get(store.key(tenant, "CHILD", child_id), "CHILD")
        ch = self.changes(tenant)
        for earlier in self.placements(tenant, child_id):
            if earlier.start >= start:
                raise errors.Conflict(code="placement_overlaps", detail="a placement starts on or after that date")
            if earlier.end is None or earlier.end >= start:
                earlier.end = (date.fromisoformat(start) - timedelta(days=1)).isoformat()
                ch.save(earlier)
                ch.emit(auth_events.PlacementChanged(child_id=child_id, group_id=earlier.group_id,
                                                     location_id=earlier.location_id, start=earlier.start,
                                                     end=earlier.end))
        ch.save(PlacementItem(store.key(tenant, "CHILD", child_id), f"PLC#{start}#{group_id}", child_id=child_id,
                              group_id=group_id, location_id=group.location_id, start=start, end=end,
                              gsi1pk=store.key(tenant, "GRP", group_id), gsi1sk=f"PLC#{start}#{child_id}"))
        ch.emit(auth_events.ChildPlaced(child_id=child_id, child_name=child.name, birth_date=child.birth_date,
                                        group_id=group_id, location_id=group.location_id, start=start, end=end))
        child.location_ids = set(child.location_ids or ()) | {group.location_id}
        ch.save(child)
        ch.commit()
        self.refresh_links(tenant, child_id)

    def set_placement_end(self, tenant: str, child_id: str, start: str, end: str | None) -> PlacementItem:
        """The contract's end moved: guardians' access window follows."""
        return self.change_placement(tenant, child_id, start, start, end)

    def change_placement(self, tenant: str, child_id: str, start: str, new_start: str,
                         end: str | None) -> PlacementItem:
        """Contract dates changed: a placement's start and/or end move; guardians' access follows.

        404 for an unknown placement, 422 for an end before the start, 409 when the new dates would
        overlap another placement of the child (end that one first).
        """
        placements = self.placements(tenant, child_id)
        found = [p for p in placements if p.start == start]
        if not found:
            raise errors.NotFound()
        placement = found[0]
        if end is not None and end < new_start:
            raise errors.Unprocessable(code="end_before_start", errors=[{"loc": ["body", "end"],
                                                                        "msg": "before the placement starts"}])
        for other in placements:
            if other is not placement and overlaps(other.start, other.end, new_start, end):
                raise errors.Conflict(code="placement_overlaps", errors=[
                    {"loc": ["body"], "msg": f"overlaps the placement from {other.start}"}])
        ch = self.changes(tenant)
        if new_start != placement.start:
            ch.delete(PlacementItem(placement.pk, placement.sk))
            placement = PlacementItem(placement.pk, f"PLC#{new_start}#{placement.group_id}", child_id=child_id,
                                      group_id=placement.group_id, location_id=placement.location_id,
                                      gsi1pk=placement.gsi1pk, gsi1sk=f"PLC#{new_start}#{child_id}")
        placement.start, placement.end = new_start, end
        ch.save(placement)
        ch.emit(auth_events.PlacementChanged(child_id=child_id, group_id=placement.group_id,
                                             location_id=placement.location_id, start=new_start, end=end,
                                             previous_start=start))
        ch.commit()
        self.refresh_links(tenant, child_id)
        return placement

    def set_consents(self, tenant: str, child_id: str, user_id: str, *, photos: bool, diary: bool,
                     outings: bool) -> None:
        """A guardian's consents for a child: the current row, a history row and the event, in one transaction."""
        now = clock.now().isoformat()
        pk = store.key(tenant, "CHILD", child_id)
        values: dict[str, Any] = {"photos": photos, "diary": diary, "outings": outings}
        ch = self.changes(tenant)
        ch.save(ConsentItem(pk, "CONSENT", child_id=child_id, changed_by=user_id, changed_at=now, **values))
        ch.save(ConsentItem(pk, f"CONSENT#{now}#{ids.new_id()}", child_id=child_id, changed_by=user_id,
                            changed_at=now, **values))
        ch.emit(auth_events.ConsentsChanged(child_id=child_id, changed_by=user_id, changed_at=now, **values))
        ch.commit()

    def unlink_guardian(self, tenant: str, child_id: str, user_id: str) -> None:
        ch = self.changes(tenant)
        tx_delete = GuardianLinkItem(store.key(tenant, "CHILD", child_id), f"GUARDIAN#{user_id}")
        try:
            tx_delete.refresh(consistent_read=True)
        except GuardianLinkItem.DoesNotExist:
            raise errors.NotFound() from None
        ch.delete(tx_delete)
        ch.emit(auth_events.GuardianUnlinked(child_id=child_id, user_id=user_id))
        ch.commit()

    def set_staff_groups(self, tenant: str, user: UserItem, groups: list[GroupItem]) -> None:
        user.groups = {g.group_id for g in groups} or None
        user.locations = {g.location_id for g in groups} or None
        ch = self.changes(tenant)
        ch.save(user)
        ch.emit(auth_events.StaffAssigned(user_id=user.user_id, role=user.role, group_ids=sorted(user.groups or ()),
                                          location_ids=sorted(user.locations or ()), user_name=user.name))
        ch.commit()

    def update_child(self, tenant: str, child_id: str, name: str, birth_date: str) -> ChildItem:
        """Correct a child's name or birth date; guardian links carry the name for `me` and tokens."""
        child = ChildItem.get(store.key(tenant, "CHILD", child_id), "CHILD")
        child.name, child.birth_date, child.gsi2sk = name, birth_date, f"{name.lower()}#{child_id}"
        ch = self.changes(tenant)
        ch.save(child)
        for link in GuardianLinkItem.query(child.pk, GuardianLinkItem.sk.startswith("GUARDIAN#")):
            link.child_name = name
            ch.save(link)
        ch.emit(auth_events.ChildUpdated(child_id=child_id, child_name=name, birth_date=birth_date))
        ch.commit()
        return child

    def set_manager_locations(self, tenant: str, user: UserItem, location_ids: set[str]) -> None:
        user.locations = set(location_ids) or None
        ch = self.changes(tenant)
        ch.save(user)
        ch.emit(auth_events.StaffAssigned(user_id=user.user_id, role=user.role, group_ids=sorted(user.groups or ()),
                                          location_ids=sorted(user.locations or ()), user_name=user.name))
        ch.commit()


def overlaps(start_a: str, end_a: str | None, start_b: str, end_b: str | None) -> bool:
    """Do two date ranges (inclusive; None: open-ended) share a day?"""
    return (end_b is None or start_a <= end_b) and (end_a is None or start_b <= end_a)
