"""The action catalogue and the one policy check: 403 for a role, 404 for an unrelated object."""

from __future__ import annotations

import re

import pytest

from portal_common import errors
from portal_common.authz import (
    ACTIONS,
    Action,
    Principal,
    Relation,
    Role,
    Target,
    _catalogue,
    authorize,
    check_role,
)

T1, T2 = "t1", "t2"


def who(role: Role, tenant: str = T1, children=(), groups=(), locations=(), user: str = "u") -> Principal:
    return Principal(tenant, user, role, frozenset(children), frozenset(groups), frozenset(locations))


# Child c1 is in group g1 at location l1; child c2 in group g2 at location l2 (same tenant).
PARENT_C1 = who(Role.PARENT, children=["c1"], groups=["g1"], locations=["l1"])
PARENT_C2 = who(Role.PARENT, children=["c2"], groups=["g2"], locations=["l2"])
PARENT_C1_T2 = who(Role.PARENT, tenant=T2, children=["c1"], groups=["g1"], locations=["l1"])
STAFF_G1 = who(Role.STAFF, groups=["g1"], locations=["l1"])
STAFF_G2_AT_L1 = who(Role.STAFF, groups=["g2"], locations=["l1"])  # same location, another group
MANAGER_L1 = who(Role.MANAGER, locations=["l1"])
MANAGER_L2 = who(Role.MANAGER, locations=["l2"])
MANAGER_L1_T2 = who(Role.MANAGER, tenant=T2, locations=["l1"])
ADMIN = who(Role.ADMIN)
ADMIN_T2 = who(Role.ADMIN, tenant=T2)

CHILD_C1 = Target.child(T1, "c1", groups=["g1"], locations=["l1"])
GROUP_G1 = Target.group(T1, "g1", "l1")
LOCATION_L1 = Target.location(T1, "l1")
ORG = Target.organisation(T1)

OK, FORBIDDEN, NOT_FOUND = "ok", 403, 404

MATRIX = [
    # action, principal, target, expected
    ("child.timeline.read", PARENT_C1, CHILD_C1, OK),
    ("child.timeline.read", PARENT_C2, CHILD_C1, NOT_FOUND),          # another family
    ("child.timeline.read", PARENT_C1_T2, CHILD_C1, NOT_FOUND),       # same ids, another tenant
    ("child.timeline.read", STAFF_G1, CHILD_C1, OK),
    ("child.timeline.read", STAFF_G2_AT_L1, CHILD_C1, NOT_FOUND),     # staff: own groups only
    ("child.timeline.read", MANAGER_L1, CHILD_C1, OK),
    ("child.timeline.read", MANAGER_L2, CHILD_C1, NOT_FOUND),
    ("child.timeline.read", MANAGER_L1_T2, CHILD_C1, NOT_FOUND),
    ("child.timeline.read", ADMIN, CHILD_C1, OK),
    ("child.timeline.read", ADMIN_T2, CHILD_C1, NOT_FOUND),
    ("child.timeline.read", PARENT_C1, Target.group(T1, "g1", "l1"), NOT_FOUND),  # no child id: no relation
    ("child.consents.update", PARENT_C1, CHILD_C1, OK),
    ("child.consents.update", STAFF_G1, CHILD_C1, FORBIDDEN),         # role first, even when related
    ("child.consents.update", ADMIN, CHILD_C1, FORBIDDEN),
    ("child.request.decide", PARENT_C1, CHILD_C1, FORBIDDEN),
    ("child.request.decide", STAFF_G1, CHILD_C1, OK),
    ("child.request.decide", STAFF_G2_AT_L1, CHILD_C1, NOT_FOUND),
    ("child.export.create", PARENT_C1, CHILD_C1, OK),
    ("child.export.create", MANAGER_L1, CHILD_C1, FORBIDDEN),
    ("group.planning.read", STAFF_G1, GROUP_G1, OK),
    ("group.planning.read", STAFF_G2_AT_L1, GROUP_G1, NOT_FOUND),
    ("group.planning.read", MANAGER_L1, GROUP_G1, OK),                # manager by location
    ("group.planning.read", MANAGER_L2, GROUP_G1, NOT_FOUND),
    ("group.planning.read", PARENT_C1, GROUP_G1, FORBIDDEN),
    ("group.planning.read", ADMIN_T2, GROUP_G1, NOT_FOUND),
    ("group.photo.read", PARENT_C1, GROUP_G1, OK),                    # the group of one's child
    ("group.photo.read", PARENT_C2, GROUP_G1, NOT_FOUND),
    ("location.manage", MANAGER_L1, LOCATION_L1, OK),
    ("location.manage", MANAGER_L2, LOCATION_L1, NOT_FOUND),
    ("location.manage", MANAGER_L1_T2, LOCATION_L1, NOT_FOUND),
    ("location.manage", STAFF_G1, LOCATION_L1, FORBIDDEN),
    ("location.manage", ADMIN, LOCATION_L1, OK),
    ("location.news.read", PARENT_C1, LOCATION_L1, OK),
    ("location.news.read", PARENT_C2, LOCATION_L1, NOT_FOUND),
    ("directory.manage", ADMIN, ORG, OK),
    ("directory.manage", ADMIN_T2, ORG, NOT_FOUND),
    ("directory.manage", MANAGER_L1, ORG, FORBIDDEN),
    ("directory.read", MANAGER_L1, ORG, OK),
    ("directory.read", MANAGER_L1_T2, ORG, NOT_FOUND),
    ("organisation.news.read", PARENT_C1, ORG, OK),
    ("organisation.news.read", PARENT_C1_T2, ORG, NOT_FOUND),
    ("me.read", PARENT_C1, None, OK),
    ("me.read", ADMIN_T2, None, OK),
    ("family.documents.read", PARENT_C1, None, OK),
    ("family.documents.read", STAFF_G1, None, FORBIDDEN),
    ("upload.read", PARENT_C1, None, FORBIDDEN),
]


@pytest.mark.parametrize("action,principal,target,expected", MATRIX,
                         ids=[f"{a}-{p.role}-{p.tenant}-{i}" for i, (a, p, _, _) in enumerate(MATRIX)])
def test_policy_matrix(action, principal, target, expected):
    if expected == OK:
        authorize(principal, action, target)
        return
    with pytest.raises(errors.Problem) as info:
        authorize(principal, action, target)
    assert info.value.status == expected
    # Not yours looks exactly like not there.
    if expected == NOT_FOUND:
        assert info.value.to_dict() == errors.NotFound().to_dict()


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_every_action_is_well_formed(name):
    action = ACTIONS[name]
    assert action.name == name
    assert re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", name)
    assert isinstance(action.relation, Relation)
    assert action.roles and action.roles <= set(Role)
    assert action.description.strip()


@pytest.mark.parametrize("name", sorted(n for n, a in ACTIONS.items() if a.relation is not Relation.SELF))
def test_object_scoped_actions_need_a_target(name):
    role = sorted(ACTIONS[name].roles)[0]
    with pytest.raises(errors.Problem) as info:
        authorize(who(Role(role), children=["c1"], groups=["g1"], locations=["l1"]), name, None)
    assert info.value.status == 500 and info.value.code == "authorization_target_missing"


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_roles_outside_the_action_are_forbidden(name):
    for role in set(Role) - ACTIONS[name].roles:
        with pytest.raises(errors.Forbidden) as info:
            check_role(who(role), name)
        assert info.value.code == "action_not_allowed"


@pytest.mark.parametrize("name", sorted(n for n, a in ACTIONS.items() if a.relation is not Relation.SELF))
def test_nobody_reaches_another_tenant(name):
    action = ACTIONS[name]
    target = Target(T2, "c1", frozenset({"g1"}), frozenset({"l1"}))
    for role in action.roles:
        with pytest.raises(errors.NotFound):
            authorize(who(role, children=["c1"], groups=["g1"], locations=["l1"]), name, target)


def test_unknown_action_is_an_error():
    with pytest.raises(KeyError):
        authorize(ADMIN, "child.everything.delete", CHILD_C1)


def test_catalogue_refuses_duplicates():
    a = Action("x.read", Relation.SELF, frozenset({Role.ADMIN}), "x")
    with pytest.raises(ValueError, match="duplicate"):
        _catalogue(a, a)


def test_principal_claims_round_trip():
    principal = Principal(T1, "u1", Role.MANAGER, frozenset({"c1"}), frozenset({"g1", "g2"}), frozenset({"l1"}),
                          "en", "s1")
    claims = principal.to_claims()
    assert claims["sub"] == "u1" and claims["tid"] == T1 and claims["role"] == "manager"
    assert claims["groups"] == ["g1", "g2"]
    assert Principal.from_claims(claims) == principal


def test_principal_defaults_from_minimal_claims():
    principal = Principal.from_claims({"sub": "u1", "tid": T1, "role": "parent"})
    assert principal.children == frozenset() and principal.language == "nl"


def test_unknown_role_in_claims_is_refused():
    with pytest.raises(ValueError):
        Principal.from_claims({"sub": "u1", "tid": T1, "role": "root"})
