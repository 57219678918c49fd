"""An access token stops working at its `exp`, even when API Gateway answers from its authorizer cache
(security review, finding 6).

API Gateway caches the authorizer's answer per token (`AUTHORIZER_CACHE_SECONDS`) and then calls the view
with the cached context, without running the authorizer again. The views re-check the token's `exp`
carried in that context, so a cached answer cannot stretch a token past its expiry.
"""

from __future__ import annotations

import json
from datetime import timedelta

from portal_common import clock as _clock
from portal_common import tokens as _tokens
from portal_common.authz import TOKEN_LEEWAY_SECONDS


def _as_api_gateway_would_with_a_cached_answer(app, token: str) -> dict:
    """The context the authorizer produced for `token`, as API Gateway replays it from its cache."""
    from chalice.app import AuthRequest

    request = AuthRequest("TOKEN", f"Bearer {token}", "arn:aws:execute-api:eu-west-1:1:api/api/GET/me")
    return app._token_authorizer.func(request).to_dict(request)["context"]


def test_a_cached_authorizer_answer_does_not_outlive_the_token(services, api, clock, tokens):
    app = services["auth"].app
    principal = tokens.principal(user_id="user-parent1", children=("child-noor",))
    token = tokens.mint(principal)
    cached = _as_api_gateway_would_with_a_cached_answer(app, token)
    assert json.loads(cached["claims"])["exp"] > _clock.utcnow().timestamp()

    def caller_seen_by_the_view():
        # chalice's test client runs the authorizer itself; replay the cached context as API Gateway does.
        request = type("CachedRequest", (), {"context": {"authorizer": cached}})()
        return app._principal_of(request)

    assert caller_seen_by_the_view() is not None
    clock.advance(timedelta(seconds=_tokens.get_signer().ttl_seconds + TOKEN_LEEWAY_SECONDS + 1))
    assert caller_seen_by_the_view() is None  # no principal: the view answers 401, cache or no cache
    answer = api.get("/auth/me", headers={"Authorization": f"Bearer {token}"})  # without a cache: denied too
    assert answer.status_code == 401 and answer.json["code"] == "unauthorized"
