"""A throw-away PortalApp with one endpoint of every kind (used by the service and OpenAPI tests)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from portal_common import domain, errors
from portal_common.authz import Target
from portal_common.clock import AMSTERDAM
from portal_common.parsing import Body, Out, Query
from portal_common.service import PortalApp, Req

# The "store" of the fake service: child → (tenant, groups, locations).
CHILDREN = {"c1": ("t1", ["g1"], ["l1"]), "c2": ("t1", ["g2"], ["l2"]), "c9": ("t2", ["g9"], ["l9"])}
ITEMS = [f"item-{i}" for i in range(7)]


class DeviceIn(Body):
    token: str = Field(min_length=1, max_length=40)
    platform: str = Field(pattern="^(ios|android|web)$")


class DeviceOut(Out):
    id: str
    platform: str


class PageQuery(Query):
    limit: int = Field(default=3, ge=1, le=100)
    cursor: str | None = None


def build_app() -> tuple[PortalApp, list[str]]:
    app = PortalApp("pctest")
    reached: list[str] = []

    @app.endpoint("/public", "GET", public=True, summary="A public page")
    def public(req: Req) -> dict[str, Any]:
        reached.append("public")
        return {"hello": "world", "lang": req.lang}

    @app.endpoint("/me", "GET", action="me.read")
    def me(req: Req) -> dict[str, Any]:
        reached.append("me")
        return {"user_id": req.principal.user_id, "tenant": req.principal.tenant, "lang": req.lang}

    @app.endpoint("/children/{child_id}", "GET", action="child.timeline.read")
    def child(req: Req, child_id: str) -> dict[str, Any]:
        reached.append("child")
        found = CHILDREN.get(child_id)
        if found is None:
            raise errors.NotFound()
        tenant, groups, locations = found
        req.authorize(Target.child(tenant, child_id, groups, locations))
        return {"child_id": child_id, "diary": f"diary of {child_id}"}

    @app.endpoint("/forgetful/{child_id}", "GET", action="child.timeline.read")
    def forgetful(req: Req, child_id: str) -> dict[str, Any]:
        reached.append("forgetful")
        return {"child_id": child_id, "diary": f"diary of {child_id}"}

    @app.endpoint("/children/{child_id}/decision", "POST", action="child.request.decide")
    def decide(req: Req, child_id: str) -> None:
        reached.append("decide")
        req.authorize(Target.child("t1", child_id, ["g1"], ["l1"]))

    @app.endpoint("/devices", "POST", action="me.devices.register", body=DeviceIn, response=DeviceOut,
                  status=201, max_body=256)
    def register_device(req: Req) -> DeviceOut:
        reached.append("devices")
        return DeviceOut(id="d-1", platform=req.body.platform)

    @app.endpoint("/items", "GET", action="conversations.list", query=PageQuery)
    def items(req: Req) -> dict[str, Any]:
        reached.append("items")
        position = req.page_position(req.query.cursor)
        start = position["offset"] if position else 0
        end = start + req.query.limit
        return req.page_body(ITEMS[start:end], {"offset": end} if end < len(ITEMS) else None)

    @app.endpoint("/conflict", "POST", public=True)
    def conflict(req: Req) -> None:
        raise errors.Conflict("request is no longer pending")

    @app.endpoint("/rule", "POST", public=True, also=(409, 422))
    def rule(req: Req) -> None:
        # A rule deep below the route says no, knowing nothing of HTTP.
        raise domain.RuleBroken("day_closed", errors=[{"loc": ["body", "days", 0], "msg": "closed"}])

    @app.endpoint("/stale", "POST", public=True, also=(409,))
    def stale(req: Req) -> None:
        raise domain.StateConflict("not_pending")

    @app.endpoint("/slow-down", "GET", public=True)
    def slow_down(req: Req) -> None:
        raise errors.TooManyRequests(42)

    @app.endpoint("/boom", "GET", public=True)
    def boom(req: Req) -> None:
        raise RuntimeError("database password is hunter2")

    @app.endpoint("/crash", "GET", action="me.read")
    def crash(req: Req) -> None:
        reached.append("crash")
        raise KeyError("the secret key of child c2")

    @app.endpoint("/mixed", "GET", public=True)
    def mixed(req: Req) -> dict[str, Any]:
        # What a list view naturally returns: response models and instants inside a plain dict.
        return {"items": [DeviceOut(id="d-1", platform="ios")],
                "at": datetime(2026, 3, 3, 9, 0, tzinfo=AMSTERDAM), "next_cursor": None}

    @app.endpoint("/nothing", "DELETE", action="me.sessions.revoke")
    def nothing(req: Req) -> None:
        reached.append("nothing")

    return app, reached
