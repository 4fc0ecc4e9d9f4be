from __future__ import annotations

from checks import google_steps
from checks.context import Context
from checks.spec import Outcome, check


@check("eks_to_gcp.pool", "Look up the workload identity pool", provides=("eks_to_gcp:pool",),
       causes=("pool-missing", "pool-disabled", "pool-deleted"))
def pool(ctx: Context) -> Outcome:
    """What it checks: the pool exists, is not disabled, and is not soft-deleted.

    Why it fails: STS answers 'invalid_target … the pool or provider is disabled or deleted or … doesn't
    exist' for all three (M07); a deleted pool keeps its ID for 30 days.

    How to fix: create it, enable it (update --no-disabled) or undelete it.
    """
    return google_steps.pool(ctx, "eks_to_gcp")
