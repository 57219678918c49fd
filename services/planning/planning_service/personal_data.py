"""Planning's part of a personal-data export (the right of access, issue 8): what it holds about a
guardian and their children, readable, under `<prefix>planning/` in the exports drop box.

Consumed through `retention.personal_data_handlers` (`exports.personal_data.requested`).
- `family.json`: the guardian's name as planning holds it, their children (name, birth date, the names
  of their guardians) and the guardian's calendar feed (whether there is one, since when, which children
  it shows; never its URL or the hash of its secret).
- `contracts.json`, `requests.json` (absences, extra, flex and swap-hour requests with status, days,
  payment and decision), `swap_hours.json` (per child: balance, lots and every ledger entry),
  `flex_hours.json` (per child and year, when there is a pot), `calendar.json` (every request and
  absence day of each child, past and future).
- `invoices.json`, `annual_statements.json`, `documents.json`: the documents addressed to this guardian,
  with their lines; each PDF copied (server-side) to `files/invoices/`, `files/annual_statements/` or
  `files/documents/` under its own file name.

Only children planning's copy of auth's guardian links gives this guardian (a child in the request that
is not, or no longer, theirs is left out), and only documents addressed to them. Other people appear by
name at most: a co-guardian by name, staff as "staff". No storage keys, links or secrets. Amounts and
weekdays are also written out for the reader, in the export's language; keys are English.
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import ClientError

from planning_service import care, contracts, directory_copy, documents, flex, ledger
from planning_service.child_access import is_valid_id
from planning_service.store import (
    DayItem,
    DocumentAccessItem,
    DocumentItem,
    FeedItem,
    FlexPotItem,
    GuardianCopyItem,
    RequestItem,
)
from portal_common import clock, i18n, retention, store

log = logging.getLogger("planning.personal_data")
WEEKDAYS = {"nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
            "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")}
FOLDERS = {documents.INVOICE: "invoices", documents.STATEMENT: "annual_statements", documents.UPLOAD: "documents"}
STAFF = "staff"
MISSING = ("404", "NoSuchKey", "NotFound")  # S3's answers for an object that is not there


def _hours(minutes: Any) -> float:
    return float(care.to_hours(int(minutes or 0)))


class _Family:
    """The guardian's children (by planning's family copy) and the names of everyone in those families."""

    def __init__(self, tenant: str, user_id: str, asked: tuple[str, ...]) -> None:
        self.tenant, self.user_id = tenant, user_id
        self.links: dict[str, list[GuardianCopyItem]] = {}
        for child_id in sorted({c for c in asked if is_valid_id(c)}):
            rows = GuardianCopyItem.query(store.key(tenant, "GUARDIANS"),
                                          GuardianCopyItem.sk.startswith(f"{child_id}#"), consistent_read=True)
            linked = [g for g in rows if g.linked]
            if any(g.user_id == user_id for g in linked):
                self.links[child_id] = linked
        self.children = directory_copy.children(tenant, set(self.links))
        self.names = {g.user_id: g.name for rows in self.links.values() for g in rows if g.name}

    @property
    def child_ids(self) -> list[str]:
        return sorted(self.links)

    def child_name(self, child_id: str) -> str | None:
        child = self.children.get(child_id)
        return child.name if child else None

    def who(self, user_id: str | None) -> str | None:
        """A guardian by name; anyone else (staff, a manager, an admin) as "staff"."""
        if not user_id:
            return None
        return self.names.get(user_id) or STAFF


def _family(family: _Family) -> dict[str, Any]:
    feed = None
    try:
        item = FeedItem.get(store.key(family.tenant, "USER", family.user_id), "FEED")
        feed = {"created_at": item.created_at, "language": item.language,
                "children": [family.child_name(c) or c for c in item.children or [] if c in family.links]}
    except FeedItem.DoesNotExist:
        pass
    return {
        "guardian": {"user_id": family.user_id, "name": family.names.get(family.user_id)},
        "children": [{"child_id": c, "name": family.child_name(c),
                      "birth_date": family.children[c].birth_date if c in family.children else None,
                      "guardians": sorted(g.name for g in family.links[c] if g.name)} for c in family.child_ids],
        "calendar_feed": feed,
    }


def _contracts(family: _Family, lang: str) -> list[dict[str, Any]]:
    found = []
    for child_id in family.child_ids:
        for c in sorted(contracts.contracts_of_child(family.tenant, child_id), key=lambda c: c.start):
            group, location = directory_copy.group(family.tenant, c.group_id), directory_copy.location(
                family.tenant, c.location_id)
            found.append({
                "child_id": child_id, "child": family.child_name(child_id), "contract_id": c.contract_id,
                "product": c.product, "start": c.start, "end": c.end,
                "location": location.name if location else c.location_id, "group": group.name if group else c.group_id,
                "hourly_rate_cents": int(c.hourly_rate_cents),
                "hourly_rate": i18n.euros(int(c.hourly_rate_cents), lang),
                "care_days": [{"weekday": int(day), "day": WEEKDAYS[lang][int(day) - 1], **times}
                              for day, times in sorted((c.days or {}).items())],
                "flex_hours_per_year": int(c.flex_hours_per_year or 0)})
    return found


def _request(family: _Family, item: RequestItem) -> dict[str, Any]:
    absence = item.kind == "absence"
    days = [{"date": d["date"], "start": d["start"], "end": d["end"], "hours": _hours(d["minutes"])}
            for d in item.days or []]
    return {
        "request_id": item.request_id, "child_id": item.child_id, "child": family.child_name(item.child_id),
        "kind": item.kind, "status": item.status, "days": days, "payment": item.payment, "reason": item.reason,
        "comment": item.comment, "expires_at": item.expires_at, "requested_at": item.created_at,
        "requested_by": family.who(item.created_by), "decided_at": item.decided_at,
        "decided_by": family.who(item.decided_by), "decision_reason": item.decision_reason,
        **({"hours_deregistered": _hours(item.deregistered_min), "swap_hours_earned": _hours(item.earned_min)}
           if absence else {"hours": sum(d["hours"] for d in days)})}


def _requests(family: _Family) -> list[dict[str, Any]]:
    found = []
    for child_id in family.child_ids:
        rows = RequestItem.query(store.key(family.tenant, "CHILD", child_id), RequestItem.sk.startswith("REQ#"))
        found += [_request(family, r) for r in rows]
    return sorted(found, key=lambda r: r["requested_at"], reverse=True)


def _swap_hours(family: _Family) -> list[dict[str, Any]]:
    today = clock.today()
    found = []
    for child_id in family.child_ids:
        now = ledger.balance(family.tenant, child_id, today)
        found.append({
            "child_id": child_id, "child": family.child_name(child_id), "balance_hours": _hours(now.balance_minutes),
            "available_hours_today": _hours(now.available_minutes), "held_hours": _hours(now.held_minutes),
            "lots": [{"earned_for": lot.source, "earned_hours": _hours(lot.earned_minutes),
                      "remaining_hours": _hours(lot.remaining_minutes), "held_hours": _hours(lot.held_minutes),
                      "valid_until": lot.valid_until.isoformat()} for lot in now.lots],
            "entries": [{"kind": e.kind, "hours": _hours(e.minutes), "at": e.at.isoformat(), "ref": e.ref,
                         "valid_until": e.valid_until.isoformat() if e.valid_until else None}
                        for e in now.entries]})
    return found


def _flex_hours(family: _Family) -> list[dict[str, Any]]:
    found = []
    for child_id in family.child_ids:
        pots = list(FlexPotItem.query(store.key(family.tenant, "CHILD", child_id),
                                      FlexPotItem.sk.startswith("FLEXPOT#")))
        child_contracts = contracts.contracts_of_child(family.tenant, child_id) if pots else []
        for item in pots:
            pot = flex.read(family.tenant, child_id, int(item.year), child_contracts)
            found.append({"child_id": child_id, "child": family.child_name(child_id), "year": pot.year,
                          "total_hours": _hours(pot.total_minutes), "used_hours": _hours(pot.used_minutes),
                          "held_hours": _hours(pot.held_minutes), "available_hours": _hours(pot.available_minutes)})
    return found


def _calendar(family: _Family) -> list[dict[str, Any]]:
    found = []
    for child_id in family.child_ids:
        for d in DayItem.query(store.key(family.tenant, "CHILD", child_id), DayItem.sk.startswith("DAY#")):
            found.append({"child_id": child_id, "child": family.child_name(child_id), "date": d.date, "kind": d.kind,
                          "status": d.status, "start": d.start, "end": d.end, "hours": _hours(d.minutes),
                          "request_id": d.request_id})
    return sorted(found, key=lambda d: (d["date"], d["child_id"], d["start"]))


def _documents(part: retention.Part, family: _Family) -> dict[str, list[dict[str, Any]]]:
    """The documents addressed to the guardian, per kind, each PDF copied next to the JSON."""
    tenant, user_id, lang = family.tenant, family.user_id, part.request.language
    rows = DocumentAccessItem.query(store.key(tenant, "USER", user_id), DocumentAccessItem.sk.startswith("DOC#"))
    keys = sorted({documents.doc_key(tenant, r.doc_id) for r in rows})
    docs = [d for d in DocumentItem.batch_get(keys) if user_id in (d.guardian_ids or []) and d.status == "available"]
    names = directory_copy.child_names(tenant, {c for d in docs for c in d.child_ids or []})
    places = directory_copy.locations(tenant, {str(line["location_id"]) for d in docs for line in d.lines or []
                                               if line.get("location_id")})
    found: dict[str, list[dict[str, Any]]] = {kind: [] for kind in FOLDERS}
    used: set[str] = set()
    for doc in sorted(docs, key=lambda d: (d.period, d.created_at)):
        path = f"files/{FOLDERS[doc.kind]}/{doc.filename}"
        if path in used:  # two documents with one file name (a statement per child of the same name)
            path = f"files/{FOLDERS[doc.kind]}/{doc.doc_id}-{doc.filename}"
        try:
            part.copy(documents.bucket(), doc.s3_key, path)
            used.add(path)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in MISSING:
                raise  # anything but a missing file: the request is retried
            log.warning("a document's file is missing", extra={"doc_id": doc.doc_id})
            path = ""
        amount = None if doc.amount_cents is None else int(doc.amount_cents)
        found[doc.kind].append({
            "document_id": doc.doc_id, "number": doc.number, "title": doc.title, "period": doc.period,
            "issued_at": doc.created_at, "amount_cents": amount,
            "amount": None if amount is None else i18n.euros(amount, lang),
            "children": [{"child_id": c, "name": names.get(c)} for c in doc.child_ids or []],
            "lines": [{**{k: v for k, v in line.items() if k != "minutes"}, "hours": _hours(line.get("minutes")),
                       "location": places[line["location_id"]].name if line.get("location_id") in places else None}
                      for line in doc.lines or []],
            "file": path or None})
    return found


def write(part: retention.Part) -> None:
    """Everything planning holds about `part.request.user_id` and their children, into the drop box."""
    request = part.request
    lang = request.language if request.language in WEEKDAYS else "nl"
    if not (is_valid_id(request.tenant) and is_valid_id(request.user_id)):
        part.json("family", {"guardian": None, "children": [], "calendar_feed": None})
        for name in ("contracts", "requests", "swap_hours", "calendar", *FOLDERS.values()):
            part.json(name, [])  # an id no key of planning's can hold: nothing is held about it
        return
    family = _Family(request.tenant, request.user_id, request.child_ids)
    part.json("family", _family(family))
    part.json("contracts", _contracts(family, lang))
    part.json("requests", _requests(family))
    part.json("swap_hours", _swap_hours(family))
    pots = _flex_hours(family)
    if pots:
        part.json("flex_hours", pots)
    part.json("calendar", _calendar(family))
    for kind, items in _documents(part, family).items():
        part.json(FOLDERS[kind], items)
