"""Throttling of sign-in and account-recovery attempts, in fixed windows counted in DynamoDB.

Designed so that an attacker cannot lock the real user out:
- failures are counted per source address, per (account, source address) and per account;
- a source address is slowed after many failures on any account, and after a few on one account;
- failures on one account from many addresses (a distributed attack) never block an address that
  has not failed on that account itself: the real user, on their own device, still gets in, while
  every attacking address is held to a single failure per window.
Unknown accounts are counted exactly like known ones, so throttling reveals nothing either.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from chalicelib.store import ThrottleItem
from portal_common import clock, errors

WINDOW_SECONDS = 15 * 60


@dataclass(frozen=True)
class Limits:
    per_address: int = 30            # failures from one address, any account
    per_account_address: int = 5     # failures on one account from one address
    account_under_attack: int = 20   # failures on one account from all addresses …
    per_address_under_attack: int = 1  # … after which each failing address gets one failure per window


LOGIN = Limits()
RECOVERY = Limits(per_address=10, per_account_address=3, account_under_attack=10, per_address_under_attack=1)


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
