"""The world the authorization gates probe: the demo with its photos, diaries, messages and documents, a
second location with its own manager, a second organisation with a signed-up user of every role, and
the victim's objects (Sanne's family: Noor in Rupsen, Daan in Vlinders) found in it at run time.

Everybody signs in for real (`POST /auth/login`); the facts the gates reason with (role, children,
groups, locations) are read from the access token the sign-in issued.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import requests

from infra.local import demo_data as d
from portal_common.authz import Principal, Relation, Role, Target
from tests.auth_helpers import (
    OTHER_DOMAIN,
    OTHER_PEOPLE,
    activate_account,
    bearer,
    login,
    seed_other_tenant_people,
    seed_second_location,
)

PDF = b"%PDF-1.4\n% matrix probe\n%%EOF\n"
OWNER = "owner"  # a victim only its owner(s) may reach: an export, an upload, a device, a family's invoice
# Ids the other organisation deliberately shares with the demo (tests/auth_helpers.py seed_other_tenant).
MIRRORED = frozenset({"child-noor", "grp-rupsen", "loc-zonnebloem"})
# Everything that names the victim family: none of it may reach a caller who is not related to them.
FAMILY_STRINGS = ("Sanne de Vries", "Mark de Vries", "Noor de Vries", "Daan de Vries", "parent1@demo",
                  "parent2@demo", "user-parent1", "user-parent2", "child-noor", "child-daan")


@dataclass(frozen=True)
class Caller:
    name: str
    column: str
    headers: dict[str, str]
    principal: Principal


@dataclass(frozen=True)
class Victim:
    """One real object of the victim's, as a value for a path parameter (or body/query field) `param`.

    `level` is the relation that reaches it on its own (a photo: CHILD for a tagged one, GROUP for a group
    photo; OWNER for what only its owners reach); `targets` are its facts for `authz.is_related`.
    `where` restricts it to routes whose "service path" starts with it (ids of one kind of document)."""

    param: str
    value: str
    label: str
    level: Relation | str
    targets: tuple[Target, ...] = ()
    owners: frozenset[str] = frozenset()
    where: str = ""


def claims_of(headers: dict[str, str]) -> Principal:
    token = headers["Authorization"].split()[1]
    payload = token.split(".")[1]
    return Principal.from_claims(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def sign_in(api, email: str, organisation: str = d.DOMAIN, n: int = 0) -> dict[str, str]:
    answer = login(api, email, organisation=organisation, ip=f"198.51.100.{10 + n}")
    assert answer.status_code == 200, (email, answer.json)
    return bearer(answer.json["access_token"])


def _ok(answer, *statuses):
    assert answer.status_code in (statuses or (200, 201, 202)), (answer.status_code, answer.get_data(as_text=True))
    return answer.json


def _attachment(api, headers) -> str:
    form = _ok(api.post("/messaging/attachments", headers=headers,
                        json={"file_name": "probe.pdf", "content_type": "application/pdf", "size": len(PDF)}))
    sent = requests.post(form["url"], data=form["fields"], files={"file": ("probe.pdf", PDF)}, timeout=10)
    assert sent.status_code in (200, 204), sent.text
    _ok(api.post(f"/messaging/attachments/{form['attachment_id']}/complete", headers=headers))
    return form["attachment_id"]


def seed(api, services) -> None:
    """The demo (already seeded by the `world` fixture) with its history, plus the two foreign places."""
    from infra.local.demo_messaging import seed_messaging
    from infra.local.demo_photos import seed_photos

    directory = services["auth"].module.directory
    seed_second_location(directory)
    activate_account("demo", "user-manager2")
    seed_other_tenant_people(directory)
    [photos] = seed_photos(days=2)
    assert "published" in photos, photos
    seed_messaging(api)
    planning = services["planning"]
    for month in ("2025-12", "2026-10"):  # an annual statement sums the year's invoices
        planning.lib.invoicing.execute(planning.module.outbox, d.TENANT, "invoices", month)
    planning.lib.invoicing.execute(planning.module.outbox, d.TENANT, "annual_statements", "2025")


def _child(child_id: str, group_id: str) -> Target:
    return Target.child(d.TENANT, child_id, {group_id}, {d.LOCATION_ID})


NOOR, DAAN = _child("child-noor", "grp-rupsen"), _child("child-daan", "grp-vlinders")
RUPSEN, VLINDERS = (Target.group(d.TENANT, g, d.LOCATION_ID) for g in ("grp-rupsen", "grp-vlinders"))
ZONNEBLOEM = Target.location(d.TENANT, d.LOCATION_ID)
SANNE = frozenset({"user-parent1"})
GUARDIANS = frozenset({"user-parent1", "user-parent2"})


def _photo_victims(services) -> list[Victim]:
    """A photo tagging Noor or Daan and an untagged group photo, of Rupsen and of Vlinders."""
    timeline = services["timeline"].lib
    found: dict[tuple[str, str], Victim] = {}
    for item in timeline.photos.store.PhotoItem.scan():  # test set-up only: the photos the demo published
        if item.photo_id is None or item.group_id not in ("grp-rupsen", "grp-vlinders"):
            continue
        tagged = sorted(item.child_ids)
        if not tagged:
            found.setdefault(("group", item.group_id), Victim(
                "photo_id", item.photo_id, f"group photo of {item.group_id}", Relation.GROUP,
                (Target.group(d.TENANT, item.group_id, d.LOCATION_ID),)))
        elif {"child-noor", "child-daan"} & set(tagged):
            found.setdefault(("child", item.group_id), Victim(
                "photo_id", item.photo_id, f"photo tagging {tagged} in {item.group_id}", Relation.CHILD,
                tuple(_child(c, item.group_id) for c in tagged)))
    assert len(found) == 4, found
    return list(found.values())


def victims(api, services) -> dict[str, list[Victim]]:
    """The victim's objects by parameter name, created or looked up as their legitimate users would."""
    sanne, staff1, admin = (sign_in(api, d.email(w), n=i) for i, w in enumerate(("parent1", "staff1", "admin")))
    v: dict[str, list[Victim]] = {
        "child_id": [Victim("child_id", "child-noor", "Noor", Relation.CHILD, (NOOR,)),
                     Victim("child_id", "child-daan", "Daan", Relation.CHILD, (DAAN,))],
        "group_id": [Victim("group_id", "grp-rupsen", "Rupsen", Relation.GROUP, (RUPSEN,)),
                     Victim("group_id", "grp-vlinders", "Vlinders", Relation.GROUP, (VLINDERS,))],
        "location_id": [Victim("location_id", d.LOCATION_ID, "Zonnebloem", Relation.LOCATION, (ZONNEBLOEM,))],
        "photo_id": _photo_victims(services),
    }
    # Diary: Noor's report of today, Sanne's own entry of yesterday, Daan's report.
    diary = []
    for child, target in (("child-noor", NOOR), ("child-daan", DAAN)):
        for entry in _ok(api.get(f"/timeline/children/{child}/diary", headers=sanne))["items"]:
            kinds = {x.label.split()[0] for x in diary if x.targets == (target,)}
            if entry["kind"] not in kinds:
                diary.append(Victim("diary_id", entry["id"], f"{entry['kind']} of {child}", Relation.CHILD,
                                    (target,)))
    v["diary_id"] = diary
    # Conversations: the demo's about Noor; one about Daan with an attachment, started here.
    attached = _attachment(api, sanne)
    daan_conv = _ok(api.post("/messaging/conversations", headers=sanne,
                             json={"child_id": "child-daan", "text": "Daan neemt morgen zijn knuffel mee.",
                                   "attachment_ids": [attached]}))
    noor_conv = next(c for c in _ok(api.get("/messaging/conversations", headers=sanne))["items"]
                     if c["child"]["id"] == "child-noor")
    v["conversation_id"] = [Victim("conversation_id", noor_conv["id"], "Noor's conversation", Relation.CHILD, (NOOR,)),
                            Victim("conversation_id", daan_conv["id"], "Daan's conversation", Relation.CHILD, (DAAN,))]
    loose = _attachment(api, sanne)  # uploaded, attached to nothing yet: only Sanne reaches it
    manager = sign_in(api, d.email("manager"), n=3)
    page = _ok(api.get(f"/messaging/locations/{d.LOCATION_ID}", headers=manager))
    policy_pdf = page["policies"]["safety_health"][0]["attachment"]["id"]
    news = _ok(api.get(f"/messaging/news?location_id={d.LOCATION_ID}", headers=manager))["items"]
    news_pdf = next(a["id"] for n in news for a in n.get("attachments", []))
    v["attachment_id"] = [
        Victim("attachment_id", attached, "attachment in Daan's conversation", Relation.CHILD, (DAAN,),
               where="messaging /attachments/{attachment_id}"),
        Victim("attachment_id", news_pdf, "PDF of a Zonnebloem news item", Relation.LOCATION, (ZONNEBLOEM,),
               where="messaging /attachments/{attachment_id}"),
        Victim("attachment_id", policy_pdf, "policy PDF of Zonnebloem", Relation.LOCATION, (ZONNEBLOEM,),
               where="messaging /attachments/{attachment_id}"),
        Victim("attachment_id", loose, "Sanne's unattached upload", OWNER, owners=SANNE),
    ]
    v["publication_id"] = [
        *(Victim("publication_id", n["id"], f"news {n['title']!r}", Relation.LOCATION, (ZONNEBLOEM,),
                 where="messaging /news/") for n in news),
        *(Victim("publication_id", n["id"], f"newsletter {n['title']!r}", Relation.LOCATION, (ZONNEBLOEM,),
                 where="messaging /newsletters/")
          for n in _ok(api.get(f"/messaging/newsletters?location_id={d.LOCATION_ID}", headers=manager))["items"]),
    ]
    # Planning: an extra day asked for Noor (pending), Daan reported absent; Noor's invoice, statement, document.
    extra = _ok(api.post("/planning/requests", headers=sanne, json={
        "child_id": "child-noor", "days": [{"date": "2026-12-08", "start": "07:30", "end": "13:00"}],
        "payment": "invoice"}))
    absence = _ok(api.post("/planning/absences", headers=sanne, json={
        "child_ids": ["child-daan"], "from": "2026-12-04", "to": "2026-12-04", "reason": "sick"}))
    absence_id = absence["children"][0]["request_id"]
    v["request_id"] = [Victim("request_id", extra["id"], "Noor's extra day", Relation.CHILD, (NOOR,)),
                       Victim("request_id", absence_id, "Daan's absence", Relation.CHILD, (DAAN,))]
    docs = []
    for segment in ("invoices", "annual-statements"):
        first = _ok(api.get(f"/planning/{segment}", headers=sanne))["items"][0]
        docs.append(Victim("doc_id", first["id"], f"one of Sanne's {segment}", OWNER, owners=GUARDIANS,
                           where=f"planning /{segment}/"))
    form = _ok(api.post("/planning/admin/documents", headers=admin, json={
        "child_id": "child-noor", "title": "Getekend contract", "filename": "contract.pdf",
        "content_type": "application/pdf", "size": len(PDF)}))
    sent = requests.post(form["url"], data=form["fields"], files={"file": ("contract.pdf", PDF)}, timeout=10)
    assert sent.status_code in (200, 204), sent.text
    _ok(api.post(f"/planning/admin/documents/{form['id']}/complete", headers=admin))
    docs += [Victim("doc_id", form["id"], "Noor's signed contract", OWNER, owners=GUARDIANS,
                    where="planning /documents/"),
             Victim("doc_id", form["id"], "Noor's signed contract", Relation.CHILD, (NOOR,),
                    where="planning /admin/documents/")]
    v["doc_id"] = docs
    v["contract_id"] = [Victim("contract_id", "contract-noor", "Noor's contract", Relation.CHILD, (NOOR,)),
                        Victim("contract_id", "contract-daan", "Daan's contract", Relation.CHILD, (DAAN,))]
    v["placement_id"] = [
        Victim("placement_id", _ok(api.get(f"/auth/admin/children/{c}", headers=admin))["placements"][0]["id"],
               f"placement of {c}", Relation.CHILD, (t,)) for c, t in (("child-noor", NOOR), ("child-daan", DAAN))]
    # Owned things: Sanne's exports and device, staff1's photo upload.
    diary_export = _ok(api.post("/exports/diary", headers=sanne,
                                json={"child_id": "child-noor", "from": "2026-11-01", "to": "2026-11-24"}))
    own_data = _ok(api.post("/exports/personal-data", headers=sanne))
    v["export_id"] = [Victim("export_id", diary_export["id"], "Sanne's diary export", OWNER, owners=SANNE),
                      Victim("export_id", own_data["id"], "Sanne's personal-data export", OWNER, owners=SANNE)]
    device = _ok(api.post("/auth/me/devices", headers=sanne, json={"platform": "fcm", "token": "sanne-phone"}))
    v["device_id"] = [Victim("device_id", device["id"], "Sanne's phone", OWNER, owners=SANNE)]
    upload = _ok(api.post("/timeline/uploads", headers=staff1, json={
        "group_id": "grp-rupsen", "child_ids": ["child-noor"], "content_type": "image/jpeg", "size": 1000}))
    v["upload_id"] = [Victim("upload_id", upload["upload_id"], "staff1's upload", OWNER,
                             owners=frozenset({"user-staff1"}))]
    run = _ok(api.get("/planning/admin/billing-runs/invoices/2026-10", headers=admin))
    v["period"] = [Victim("period", run["period"], "the demo's October invoicing run", Relation.TENANT,
                          (Target.organisation(d.TENANT),))]
    # People: a route about a user names the user the route is about (a guardian, staff, a manager).
    v["user_id"] = [
        Victim("user_id", "user-parent1", "Sanne, Noor's guardian", Relation.CHILD, (NOOR,),
               where="auth /admin/children/"),
        Victim("user_id", "user-parent2", "Mark, Daan's guardian", Relation.CHILD, (DAAN,),
               where="auth /admin/children/"),
        Victim("user_id", "user-staff1", "staff1 of Rupsen", Relation.LOCATION, (ZONNEBLOEM,),
               where="auth /admin/staff/"),
        Victim("user_id", "user-manager", "the manager of Zonnebloem", Relation.LOCATION, (ZONNEBLOEM,),
               where="auth /admin/managers/"),
        Victim("user_id", "user-parent1", "Sanne", Relation.LOCATION, (ZONNEBLOEM,), where="auth /admin/users/"),
    ]
    return v


def callers(api) -> list[Caller]:
    people = [
        ("parent3 (Liam, Bijen)", "other family", d.email("parent3"), d.DOMAIN),
        ("parent4 (Yara, Rupsen)", "other family", d.email("parent4"), d.DOMAIN),
        ("staff3 (Bijen)", "other group", d.email("staff3"), d.DOMAIN),
        ("manager2 (loc-elders)", "other location", "manager2@example.nl", d.DOMAIN),
        ("parent1 Sanne", "role may not", d.email("parent1"), d.DOMAIN),
        ("staff1 (Rupsen)", "role may not", d.email("staff1"), d.DOMAIN),
        ("manager (Zonnebloem)", "role may not", d.email("manager"), d.DOMAIN),
        *((f"other {role}", "other organisation", email, OTHER_DOMAIN) for role, email in OTHER_PEOPLE.items()),
    ]
    found = []
    for n, (name, column, email, domain) in enumerate(people):
        headers = sign_in(api, email, organisation=domain, n=20 + n)
        found.append(Caller(name, column, headers, claims_of(headers)))
    return found


def is_related(caller: Principal, level: Relation | str, victim: Victim) -> bool:
    """Whether `caller` reaches `victim` at `level`, by the catalogue's rules (portal_common.authz)."""
    from portal_common import authz

    if level == OWNER:
        return caller.tenant == d.TENANT and caller.user_id in victim.owners
    return any(authz.is_related(caller, Relation(level), t) for t in victim.targets)


def is_twin(caller: Principal, values: list[str]) -> bool:
    """The other organisation's admin naming a mirrored id reaches their own organisation's object."""
    return caller.tenant != d.TENANT and caller.role is Role.ADMIN and any(v in MIRRORED for v in values)
