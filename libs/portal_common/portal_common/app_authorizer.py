"""The token authorizer of a `PortalApp`: API Gateway's built-in authorizer verifies the bearer token, and
every view reads the caller from its context (checking the token's `exp` again: ADR 0002)."""

from __future__ import annotations

import json
from typing import Any

from chalice import AuthResponse, Chalice

from . import clock
from .authz import Principal

AUTHORIZER_NAME = "token"
# API Gateway caches an authorizer's answer per token. Set explicitly (its default is 300 s): at most a
# minute of a revoked key or a changed policy, and never past the token's own `exp`, which every view
# checks again (`Principal.expired`). ADR 0002 says why 60 s rather than 0.
AUTHORIZER_CACHE_SECONDS = 60


class TokenAuthorizer(Chalice):
    """The authorizer part of `PortalApp`."""

    # -- authentication ----------------------------------------------------------------------
    def _make_authorizer(self) -> Any:
        @self.authorizer(name=AUTHORIZER_NAME, ttl_seconds=AUTHORIZER_CACHE_SECONDS)
        def token_authorizer(auth_request: Any) -> AuthResponse:
            from .tokens import InvalidToken, get_verifier  # keeps PyJWT off public-only cold paths

            deny = AuthResponse(routes=[], principal_id="anonymous")
            raw = (auth_request.token or "").strip()
            scheme, _, token = raw.partition(" ")
            if scheme.lower() != "bearer" or not token or len(token) > 8192:
                return deny
            try:
                principal = get_verifier().verify(token.strip())
            except InvalidToken:
                return deny
            # Authorizer context values must be strings: the claims travel as one JSON string.
            claims = {**principal.to_claims(), "exp": principal.expires_at}
            return AuthResponse(routes=["*"], principal_id=principal.user_id, context={"claims": json.dumps(claims)})

        return token_authorizer

    def _principal_of(self, request: Any) -> Principal | None:
        context = (request.context or {}).get("authorizer") or {}
        raw = context.get("claims")
        if not raw:
            return None
        principal = Principal.from_claims(json.loads(raw))
        if principal.expired(clock.utcnow().timestamp()):
            return None  # a cached authorizer answer outliving the token: 401 like any expired token
        return principal
