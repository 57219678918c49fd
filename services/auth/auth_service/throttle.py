"""Throttling of sign-in and account-recovery attempts, in fixed windows counted in DynamoDB.

Each operation has counters of its own (the scope in the key), so one cannot use up another's:
`login` (sign-in and the current password of a change), `recovery_request` (forgot-password and
resend-activation together: both send mail to the account), `activation_link` and `reset_link`.

Sign-in and recovery requests (`Throttle`) are designed so that an attacker cannot lock the real user out:
- failures are counted per source address, per (account, source address) and per account;
- a source address is slowed after many failures on any account, and after a few on one account;
- failures on one account from many addresses (a distributed attack) never block an address that
  has not failed on that account itself: the real user, on their own device, still gets in, while
  every attacking address is held to a single failure per window.
Unknown accounts are counted exactly like known ones, so throttling reveals nothing either.

Link uses (`FailureThrottle`) are checked first and counted only when they fail: a valid link always
works, whoever shares its address; an address that keeps presenting invalid links is answered 429
instead of 422 for the rest of the window. (No account is known before a link is found valid, so these
count per address only; guessing 256 random bits is hopeless anyway, the counter holds back a client
that keeps trying.)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from auth_service.store import ThrottleItem
from portal_common import clock, errors

WINDOW_SECONDS = 15 * 60


@dataclass(frozen=True)
class Limits:
    per_address: int = 30            # failures from one address, any account
    per_account_address: int = 5     # failures on one account from one address
    account_under_attack: int = 20   # failures on one account from all addresses …
    per_address_under_attack: int = 1  # … after which each failing address gets one failure per window


LOGIN = Limits()
RECOVERY_REQUESTS = Limits(per_address=10, per_account_address=3, account_under_attack=10,
                           per_address_under_attack=1)
INVALID_LINKS_PER_ADDRESS = 10


def _key(scope: str, *parts: str) -> str:
    return f"_THROTTLE#{scope}#" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _window() -> tuple[str, int]:
    now = int(clock.utcnow().timestamp())
    start = now - now % WINDOW_SECONDS
    return str(start), start + WINDOW_SECONDS - now


class Throttle:
    def __init__(self, name: str, limits: Limits) -> None:
        self.name = name
        self.limits = limits

    def _keys(self, account: str, address: str) -> dict[str, str]:
        return {
            "address": _key(self.name, "address", address),
            "account_address": _key(self.name, "account_address", account, address),
            "account": _key(self.name, "account", account),
        }

    def check(self, account: str, address: str) -> int:
        """Raise 429 with Retry-After when this address may not try this account now (one BatchGet).

        Returns this address's failures on this account in the current window.
        """
        window, retry_after = _window()
        keys = self._keys(account, address)
        counts = dict.fromkeys(keys, 0)
        by_pk = {pk: name for name, pk in keys.items()}
        for item in ThrottleItem.batch_get([(pk, window) for pk in keys.values()]):
            counts[by_pk[item.pk]] = int(item.count)
        limits = self.limits
        blocked = (
            counts["address"] >= limits.per_address
            or counts["account_address"] >= limits.per_account_address
            or (counts["account"] >= limits.account_under_attack
                and counts["account_address"] >= limits.per_address_under_attack)
        )
        if blocked:
            raise errors.TooManyRequests(retry_after)
        return counts["account_address"]

    def failed(self, account: str, address: str) -> None:
        window, _ = _window()
        expires = int(window) + 2 * WINDOW_SECONDS
        for pk in self._keys(account, address).values():
            ThrottleItem(pk, window).update(actions=[ThrottleItem.count.add(1), ThrottleItem.expires_at.set(expires)])

    def succeeded(self, account: str, address: str) -> None:
        """A success clears this address's failures on the account (typos do not pile up)."""
        window, _ = _window()
        ThrottleItem(self._keys(account, address)["account_address"], window).delete()


class FailureThrottle:
    """Failures of one operation per source address, counted after the fact (link uses)."""

    def __init__(self, name: str, per_address: int) -> None:
        self.name = name
        self.per_address = per_address

    def failed(self, address: str) -> None:
        """Count a failure (one UpdateItem); 429 with Retry-After from the failure past the limit on."""
        window, retry_after = _window()
        counter = ThrottleItem(_key(self.name, "address", address), window)
        expires = int(window) + 2 * WINDOW_SECONDS
        counter.update(actions=[ThrottleItem.count.add(1), ThrottleItem.expires_at.set(expires)])
        if int(counter.count) > self.per_address:
            raise errors.TooManyRequests(retry_after)
