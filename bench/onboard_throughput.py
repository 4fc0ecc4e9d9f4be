"""Onboarding throughput: 100 AWS accounts into one pool with 50 ms injected latency per request.

    python bench/onboard_throughput.py [--accounts 100] [--latency-ms 50] [--concurrency 8]

One run, side by side on one sandbox:
1. set-up at 0 ms: the federation of xwiz.toml applied with the engine; N member accounts created
   through the public Organizations API (`CreateAccount`) and moved into an OU; discovered with
   `ListAccountsForParent` (`xwiz onboard --organization --ou`).
2. the onboarding at `--concurrency` (default 8), then again from a fresh sandbox at concurrency 1
   (sequential). Both include planning and the spec update, as a user's run does.

The critical-path floor — no run can be faster, whatever the concurrency:

    floor = ceil(N / C) × (R × L + W)  +  S × L

* R = 2 requests on each account's longest chain: the provider `create` (an LRO) and the one
  `operations.get` poll that finds it done (the sandbox's operations finish after one poll);
* W = 0: the adapter polls an operation at once (GcpAdapter.wait_operation); it used to wait 50 ms
  first, which was counted here as a non-request part of the chain;
* ceil(N / C) waves: C accounts at a time;
* S = shared steps, once per run: the admin token (1), the planning reads, run in parallel, whose
  longest is `providers.list` with showDeleted — ceil((existing + N) / 100) pages (here 1 + N/100
  rounded up, 2 for N = 100) — and the last batch's binding read-modify-write
  (getIamPolicy + setIamPolicy = 2). Bindings of the earlier batches overlap the provider waves.
* L = the injected latency.

Goals (issue 7): wall ≤ 1.3 × floor at concurrency 8, and ≥ 6× faster than the sequential run.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL_FLOOR_RATIO = 1.3
GOAL_SPEEDUP = 6.0
POLL_WAIT_S = 0.0
CHAIN_REQUESTS = 2


def seed_accounts(sb, n: int) -> tuple[str, list[str]]:
    import boto3

    ep = sb.endpoints["aws"]
    org = boto3.client("organizations", endpoint_url=ep["endpoint_url"], region_name=ep["region"],
                       aws_access_key_id=ep["admin"]["access_key_id"],
                       aws_secret_access_key=ep["admin"]["secret_access_key"])
    root = org.list_roots()["Roots"][0]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name="bench")["OrganizationalUnit"]["Id"]
    ids = []
    for i in range(n):
        account = org.create_account(Email=f"bench-{i}@example.com", AccountName=f"bench-{i}")
        account_id = account["CreateAccountStatus"]["AccountId"]
        org.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=ou)
        ids.append(account_id)
    return ou, ids


def onboard(sb, directory: Path, accounts, concurrency: int, latency_ms: float) -> tuple[float, object]:
    from tests.onboarding.helpers import apply_base, services_for
    from wizard.engine.onboarding import Onboarder, OnboardOptions
    from wizard.model.spec import load_spec

    sb.set_knobs(latency_ms=0)
    spec_path = apply_base(sb, directory)
    services = services_for(sb)  # a fresh bundle: its token fetch is part of the measured run
    sb.set_knobs(latency_ms=latency_ms)
    onboarder = Onboarder(services, load_spec(spec_path), options=OnboardOptions(concurrency=concurrency),
                          spec_path=spec_path)
    t0 = time.perf_counter()
    report = onboarder.run(accounts)
    wall = time.perf_counter() - t0
    sb.set_knobs(latency_ms=0)
    if not report.ok:
        raise SystemExit(f"onboarding failed: {report.counts()}")
    return wall, report


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    from tests.onboarding.helpers import services_for
    from wizard.engine.onboarding import discover_organization
    from wizard.sandbox import Sandbox

    n, latency, c = args.accounts, args.latency_ms / 1000.0, args.concurrency
    sb = Sandbox.start(directory=tempfile.mkdtemp())
    try:
        t0 = time.perf_counter()
        ou, created = seed_accounts(sb, n)
        accounts = discover_organization(services_for(sb), ou, ("app",))
        assert sorted(a.account_id for a in accounts) == sorted(created), "discovery missed accounts"
        print(f"set-up: {n} accounts created with CreateAccount and found with ListAccountsForParent "
              f"in {time.perf_counter() - t0:.1f} s")

        wall_c, report = onboard(sb, Path(tempfile.mkdtemp()), accounts, c, args.latency_ms)
        sb.reset("empty")
        wall_1, _ = onboard(sb, Path(tempfile.mkdtemp()), accounts, 1, args.latency_ms)
    finally:
        sb.stop()

    list_pages = math.ceil((1 + n) / 100)
    shared = 1 + list_pages + 2
    floor = math.ceil(n / c) * (CHAIN_REQUESTS * latency + POLL_WAIT_S) + shared * latency
    ratio = wall_c / floor
    speedup = wall_1 / wall_c
    print(f"accounts {n}, latency {args.latency_ms:.0f} ms, concurrency {c}")
    print(f"floor      {floor:6.2f} s = ceil({n}/{c}) x ({CHAIN_REQUESTS} x {args.latency_ms:.0f} ms + "
          f"{POLL_WAIT_S * 1000:.0f} ms poll wait) + {shared} shared x {args.latency_ms:.0f} ms")
    print(f"c={c:<3}      {wall_c:6.2f} s   {ratio:.2f} x floor   (goal <= {GOAL_FLOOR_RATIO})  "
          f"{'ok' if ratio <= GOAL_FLOOR_RATIO else 'MISSED'}")
    print(f"sequential {wall_1:6.2f} s   {speedup:.1f} x slower than c={c}   (goal >= {GOAL_SPEEDUP})  "
          f"{'ok' if speedup >= GOAL_SPEEDUP else 'MISSED'}")
    return 0 if ratio <= GOAL_FLOOR_RATIO and speedup >= GOAL_SPEEDUP else 1


if __name__ == "__main__":
    sys.exit(main())
