from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from checks.context import Context
from checks.spec import Outcome, check, failed, passed, skipped
from wizard.model.errors import CloudError

TOLERANCE_S = 60  # Google's OIDC tolerance; AWS allows 5 minutes


@check("config.clock_skew", "Compare the local clock with Google's and AWS's", timeout_s=10,
       causes=("clock-skew",))
def clock_skew(ctx: Context) -> Outcome:
    """What it checks: the local clock against the Date header of Google STS and of AWS STS.

    Why it fails: SigV4 signatures and OIDC tokens are timestamped: AWS refuses a request more than 5
    minutes off, Google an ID token 'issued at … stale to sign-in' and a lifetime that looks longer than
    3600 s (M19). A clock more than 60 s off is reported.

    How to fix: synchronise the clock with NTP.
    """
    ep = ctx.services.endpoints
    urls = {"google": ep.google.sts, "aws": ep.aws.endpoint_url or "https://sts.amazonaws.com/"}

    def date(url):
        try:
            return ctx.services.workload.server_date(url)
        except CloudError:
            return None

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="xwiz-clock") as pool:
        futures = {name: pool.submit(date, url) for name, url in urls.items()}
        local_before = ctx.clock()
        dates = {name: f.result() for name, f in futures.items()}
    local = (local_before + ctx.clock()) / 2
    skews = {name: round(d - local, 1) for name, d in dates.items() if d is not None}
    if not skews:
        return skipped("neither Google nor AWS could be reached to read their clocks", blocks=False)
    evidence = {"skew_s": skews, "tolerance_s": TOLERANCE_S}
    worst = max(skews, key=lambda n: abs(skews[n]))
    if abs(skews[worst]) > TOLERANCE_S:
        ahead = "behind" if skews[worst] > 0 else "ahead of"
        return failed("clock-skew", f"the local clock is {abs(skews[worst]):.0f} s {ahead} {worst}'s", evidence)
    return passed(f"the local clock is within {max(abs(s) for s in skews.values()):.0f} s of Google's and AWS's",
                  evidence)
