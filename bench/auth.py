"""Auth figures: sign-in latency (the argon2 cost), token verification, DynamoDB calls per request."""

from __future__ import annotations

import statistics
import time

from bench.inprocess import demo_system
from portal_common import tokens
from portal_common.testing.calls import count_calls, total

DEMO_PASSWORD = "Demo-Ouderportaal-2026"  # noqa: S105 - the documented demo password


def _login(client, n: int):
    return client.post("/auth/login", json={"organisation": "demo.ouderportaal.nl",
                                            "email": f"parent{n}@demo.ouderportaal.nl", "password": DEMO_PASSWORD},
                       environ_overrides={"REMOTE_ADDR": f"192.0.2.{n}"})


def _timed(fn, runs: int) -> list[float]:
    times = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    print("== auth (in-process over moto; moto adds its own latency to every DynamoDB call) ==")
    with demo_system() as client:
        logins = _timed(lambda i: _login(client, i % 12 + 1), 24)
        with count_calls() as calls:
            pair = _login(client, 1).json
        print(f"  login p50                     {statistics.median(logins) * 1000:7.1f} ms "
              f"(p90 {statistics.quantiles(logins, n=10)[-1] * 1000:.1f} ms; argon2id t=3 m=64MiB p=4)")
        print(f"  DynamoDB calls per login      {total(calls, 'dynamodb'):4d}  {dict(calls)}")

        refresh_token = pair["refresh_token"]
        with count_calls() as calls:
            answer = client.post("/auth/refresh", json={"refresh_token": refresh_token}).json
        print(f"  DynamoDB calls per refresh    {total(calls, 'dynamodb'):4d}  {dict(calls)}")
        refresh_token = answer["refresh_token"]

        def refresh(_i: int) -> None:
            nonlocal refresh_token
            refresh_token = client.post("/auth/refresh", json={"refresh_token": refresh_token}).json["refresh_token"]

        print(f"  refresh p50                   {statistics.median(_timed(refresh, 30)) * 1000:7.1f} ms")
        headers = {"Authorization": f"Bearer {answer['access_token']}"}
        with count_calls() as calls:
            client.get("/auth/me", headers=headers)
        print(f"  DynamoDB calls per me         {total(calls, 'dynamodb'):4d}  {dict(calls)}")
        mes = _timed(lambda _i: client.get("/auth/me", headers=headers), 30)
        print(f"  me p50                        {statistics.median(mes) * 1000:7.1f} ms")

        verifier = tokens.get_verifier()
        token = answer["access_token"]
        runs = 3000
        start = time.perf_counter()
        for _ in range(runs):
            verifier.verify(token)
        print(f"  token verification            {(time.perf_counter() - start) / runs * 1e6:7.1f} µs per token")
