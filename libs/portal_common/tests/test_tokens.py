"""Access tokens: EdDSA only, our keys only, our issuer and audience, not expired by the business clock."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pc_fakes import b64url, jwt_segment

from portal_common import settings, tokens
from portal_common.authz import Principal, Role
from portal_common.tokens import InvalidToken, TokenSigner, TokenVerifier

ISS, AUD = "ouderportaal-auth", "ouderportaal-api"
PRINCIPAL = Principal("t1", "u1", Role.STAFF, frozenset({"c1", "c2"}), frozenset({"g1"}), frozenset({"l1"}),
                      "en", "s-1")


@pytest.fixture
def keys(keypair) -> tuple[Ed25519PrivateKey, str]:
    private_pem, public_pem = keypair
    private = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(private, Ed25519PrivateKey)
    return private, public_pem


@pytest.fixture
def signer(keys, clock) -> TokenSigner:
    return TokenSigner(keys[0], "k1", ISS, AUD, 900)


@pytest.fixture
def verifier(keys) -> TokenVerifier:
    return TokenVerifier({"k1": keys[0].public_key()}, ISS, AUD)


def claims(clock, **overrides: Any) -> dict[str, Any]:
    now = int(clock.now().timestamp())
    base = {**PRINCIPAL.to_claims(), "iss": ISS, "aud": AUD, "iat": now, "nbf": now, "exp": now + 900}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def hand_signed(private: Ed25519PrivateKey, payload: dict[str, Any], kid: str = "k1") -> str:
    return jwt.encode(payload, private, algorithm="EdDSA", headers={"kid": kid})


def test_principal_round_trips(signer, verifier):
    assert verifier.verify(signer.sign(PRINCIPAL)) == PRINCIPAL


def test_signed_claims(signer, verifier, clock):
    token = signer.sign(PRINCIPAL)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA" and header["kid"] == "k1"
    payload = jwt.decode(token, options={"verify_signature": False})
    now = int(clock.now().timestamp())
    assert (payload["iss"], payload["aud"], payload["iat"], payload["exp"]) == (ISS, AUD, now, now + 900)
    assert payload["jti"]
    assert signer.sign(PRINCIPAL) != token  # a fresh jti every time


def test_verification_follows_the_business_clock_not_the_wall_clock(signer, verifier, clock):
    # The local stack moves its clock forward and tests stand it still, years away from the wall clock.
    for years in (-3, 0, 5):
        clock.set(clock.now() + timedelta(days=365 * years))
        assert verifier.verify(signer.sign(PRINCIPAL)).user_id == "u1"


def test_expired_by_the_business_clock(signer, verifier, clock):
    token = signer.sign(PRINCIPAL)
    clock.advance(timedelta(seconds=900))
    assert verifier.verify(token).user_id == "u1"
    clock.advance(timedelta(seconds=tokens.LEEWAY_SECONDS + 1))
    with pytest.raises(InvalidToken):
        verifier.verify(token)


def test_expired_when_signed(keys, verifier, clock):
    now = int(clock.now().timestamp())
    with pytest.raises(InvalidToken):
        verifier.verify(hand_signed(keys[0], claims(clock, iat=now - 4000, nbf=now - 4000, exp=now - 3000)))


def test_not_yet_valid(signer, verifier, clock):
    token = signer.sign(PRINCIPAL)
    clock.advance(timedelta(minutes=-10))
    with pytest.raises(InvalidToken):
        verifier.verify(token)


def test_alg_none_is_refused(verifier, clock):
    token = f"{jwt_segment({'alg': 'none', 'typ': 'JWT', 'kid': 'k1'})}.{jwt_segment(claims(clock))}."
    with pytest.raises(InvalidToken):
        verifier.verify(token)


@pytest.mark.parametrize("alg,digest", [("HS256", hashlib.sha256), ("HS512", hashlib.sha512)])
def test_hmac_with_the_public_key_as_secret_is_refused(keys, verifier, clock, alg, digest):
    # The classic algorithm-confusion attack: the public key is public, so an HMAC made with it is forgeable.
    public_pem = keys[1].encode()
    signing_input = f"{jwt_segment({'alg': alg, 'typ': 'JWT', 'kid': 'k1'})}.{jwt_segment(claims(clock))}"
    signature = hmac.new(public_pem, signing_input.encode(), digest).digest()
    with pytest.raises(InvalidToken):
        verifier.verify(f"{signing_input}.{b64url(signature)}")


def test_edited_payload_is_refused(signer, verifier, clock):
    header, _payload, signature = signer.sign(PRINCIPAL).split(".")
    forged = claims(clock, role="admin")
    with pytest.raises(InvalidToken):
        verifier.verify(f"{header}.{jwt_segment(forged)}.{signature}")


def test_another_key_with_our_kid_is_refused(verifier, clock):
    with pytest.raises(InvalidToken):
        verifier.verify(hand_signed(Ed25519PrivateKey.generate(), claims(clock)))


def test_es256_is_refused_even_when_otherwise_valid(verifier, clock):
    other = generate_private_key(SECP256R1())
    token = jwt.encode(claims(clock), other, algorithm="ES256", headers={"kid": "k1"})
    with pytest.raises(InvalidToken):
        verifier.verify(token)


@pytest.mark.parametrize("kid", ["k2", "", None])
def test_unknown_or_missing_kid_is_refused(keys, verifier, clock, kid):
    payload = claims(clock)
    token = (jwt.encode(payload, keys[0], algorithm="EdDSA") if kid is None
             else hand_signed(keys[0], payload, kid=kid))
    with pytest.raises(InvalidToken):
        verifier.verify(token)


def test_rotation_accepts_every_published_key(keys, clock):
    new = Ed25519PrivateKey.generate()
    verifier = TokenVerifier({"k1": keys[0].public_key(), "k2": new.public_key()}, ISS, AUD)
    assert verifier.verify(hand_signed(keys[0], claims(clock), kid="k1")).user_id == "u1"
    assert verifier.verify(hand_signed(new, claims(clock), kid="k2")).user_id == "u1"
    with pytest.raises(InvalidToken):
        verifier.verify(hand_signed(new, claims(clock), kid="k1"))


@pytest.mark.parametrize("override", [{"aud": "other-api"}, {"aud": ["other-api"]}, {"iss": "evil-auth"}])
def test_wrong_audience_or_issuer_is_refused(keys, verifier, clock, override):
    with pytest.raises(InvalidToken):
        verifier.verify(hand_signed(keys[0], claims(clock, **override)))


@pytest.mark.parametrize("missing", tokens.REQUIRED_CLAIMS)
def test_missing_required_claim_is_refused(keys, verifier, clock, missing):
    payload = claims(clock)
    del payload[missing]
    with pytest.raises(InvalidToken):
        verifier.verify(hand_signed(keys[0], payload))


@pytest.mark.parametrize("override", [{"role": "superuser"}, {"exp": "tomorrow"}, {"children": 5}])
def test_malformed_claims_are_refused(keys, verifier, clock, override):
    with pytest.raises(InvalidToken):
        verifier.verify(hand_signed(keys[0], claims(clock, **override)))


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "a.b", "....", "Bearer x", "eyJhbGciOiJFZERTQSJ9.e30.",
                                     "é.é.é"])
def test_garbage_is_refused(verifier, garbage):
    with pytest.raises(InvalidToken):
        verifier.verify(garbage)


# -- from the environment ---------------------------------------------------------------------------

def test_signer_and_verifier_from_settings(clock):
    token = tokens.get_signer().sign(PRINCIPAL)
    assert tokens.get_verifier().verify(token) == PRINCIPAL
    assert jwt.get_unverified_header(token)["kid"] == "k1"


def test_no_public_keys_means_no_verification(monkeypatch):
    monkeypatch.delenv("PORTAL_JWT_PUBLIC_KEYS")
    settings.reset_settings()
    tokens.reset_keys()
    with pytest.raises(settings.SettingsError):
        tokens.get_verifier()


def test_a_non_ed25519_public_key_is_refused(monkeypatch):
    pem = generate_private_key(SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    monkeypatch.setenv("PORTAL_JWT_PUBLIC_KEYS", json.dumps({"k1": pem}))
    settings.reset_settings()
    tokens.reset_keys()
    with pytest.raises(settings.SettingsError):
        tokens.get_verifier()


def test_no_private_key_means_no_signing(monkeypatch):
    monkeypatch.delenv("PORTAL_JWT_PRIVATE_KEY")
    settings.reset_settings()
    tokens.reset_keys()
    with pytest.raises(settings.SettingsError):
        tokens.get_signer()


@pytest.mark.parametrize("ttl", ["0", "901", "-1", "soon"])
def test_access_token_ttl_is_bounded(monkeypatch, ttl):
    monkeypatch.setenv("PORTAL_ACCESS_TOKEN_TTL", ttl)
    settings.reset_settings()
    with pytest.raises(settings.SettingsError):
        settings.get_settings()


def test_configured_ttl_is_used(monkeypatch, clock):
    monkeypatch.setenv("PORTAL_ACCESS_TOKEN_TTL", "60")
    settings.reset_settings()
    tokens.reset_keys()
    token = tokens.get_signer().sign(PRINCIPAL)
    clock.advance(timedelta(seconds=60 + tokens.LEEWAY_SECONDS + 1))
    with pytest.raises(InvalidToken):
        tokens.get_verifier().verify(token)
