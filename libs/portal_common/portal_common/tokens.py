"""Access tokens: Ed25519-signed JWTs (EdDSA), algorithm pinned, `iss`/`aud`/`exp` required.

The auth service signs (`TokenSigner`); every service verifies (`TokenVerifier`) with public keys
only, so no request needs a call to another service. Keys are selected by `kid`, which allows
rotation: publish the new public key, then start signing with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from . import clock, ids
from .authz import TOKEN_LEEWAY_SECONDS, Principal
from .settings import Settings, SettingsError, get_settings

ALGORITHM = "EdDSA"
LEEWAY_SECONDS = TOKEN_LEEWAY_SECONDS
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "tid", "role"]


class InvalidToken(Exception):
    """The token is missing, malformed, expired, or not ours."""


def generate_keypair() -> tuple[str, str]:
    """A fresh Ed25519 key pair as (private PEM, public PEM): the local stack and tests use it."""
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private_pem, public_pem


@dataclass(frozen=True)
class TokenVerifier:
    keys: dict[str, Ed25519PublicKey]
    issuer: str
    audience: str

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("malformed token") from exc
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("algorithm not allowed")
        key = self.keys.get(header.get("kid", ""))
        if key is None:
            raise InvalidToken("unknown key")
        try:
            # Time claims are checked below against the business clock, not PyJWT's wall clock: the
            # local stack's dev clock and the tests move time, and tokens must follow it both ways.
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": REQUIRED_CLAIMS, "verify_exp": False, "verify_nbf": False,
                         "verify_iat": False},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        now = clock.utcnow().timestamp()
        try:
            expires, not_before = float(claims["exp"]), float(claims.get("nbf", claims["iat"]))
        except (TypeError, ValueError) as exc:
            raise InvalidToken("time claims malformed") from exc
        if now > expires + LEEWAY_SECONDS:
            raise InvalidToken("expired")
        if now + LEEWAY_SECONDS < not_before:
            raise InvalidToken("not yet valid")
        try:
            return Principal.from_claims(claims)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidToken("claims malformed") from exc


@dataclass(frozen=True)
class TokenSigner:
    private_key: Ed25519PrivateKey
    kid: str
    issuer: str
    audience: str
    ttl_seconds: int

    def sign(self, principal: Principal, extra: dict[str, Any] | None = None) -> str:
        issued = clock.utcnow()
        claims: dict[str, Any] = {
            **principal.to_claims(),
            "iss": self.issuer,
            "aud": self.audience,
            "iat": int(issued.timestamp()),
            "nbf": int(issued.timestamp()),
            "exp": int((issued + timedelta(seconds=self.ttl_seconds)).timestamp()),
            "jti": ids.new_id(),
        }
        if extra:
            claims.update(extra)
        return jwt.encode(claims, self.private_key, algorithm=ALGORITHM, headers={"kid": self.kid})


def _load_public_keys(settings: Settings) -> dict[str, Ed25519PublicKey]:
    if not settings.jwt_public_keys:
        raise SettingsError("PORTAL_JWT_PUBLIC_KEYS is not set: no token can be verified")
    keys: dict[str, Ed25519PublicKey] = {}
    for kid, pem in json.loads(settings.jwt_public_keys).items():
        key = serialization.load_pem_public_key(pem.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise SettingsError(f"key {kid!r} is not an Ed25519 public key")
        keys[kid] = key
    return keys


@lru_cache(maxsize=1)
def get_verifier() -> TokenVerifier:
    settings = get_settings()
    return TokenVerifier(_load_public_keys(settings), settings.jwt_issuer, settings.jwt_audience)


@lru_cache(maxsize=1)
def get_signer() -> TokenSigner:
    settings = get_settings()
    if not settings.jwt_private_key:
        raise SettingsError("PORTAL_JWT_PRIVATE_KEY is not set: this service cannot sign tokens")
    key = serialization.load_pem_private_key(settings.jwt_private_key.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SettingsError("PORTAL_JWT_PRIVATE_KEY is not an Ed25519 private key")
    return TokenSigner(key, settings.jwt_kid, settings.jwt_issuer, settings.jwt_audience, settings.access_token_ttl)


def reset_keys() -> None:
    get_verifier.cache_clear()
    get_signer.cache_clear()
