from __future__ import annotations

from checks import google_steps
from checks.context import Context
from checks.spec import Outcome, check


@check("eks_to_gcp.provider", "Look up the OIDC provider", requires=("eks_to_gcp.pool",),
       provides=("eks_to_gcp:provider",),
       causes=("provider-missing", "provider-disabled", "provider-deleted", "provider-wrong-type"))
def provider(ctx: Context) -> Outcome:
    """What it checks: the provider named by the audience exists in the pool, is an OIDC provider, is not
    disabled and not soft-deleted; its account, mapping and condition go to the next checks.

    Why it fails: STS answers 'invalid_target' for a missing, disabled or deleted provider (M07).

    How to fix: create it (xwiz apply), enable it, or undelete it.
    """
    return google_steps.provider(ctx, "eks_to_gcp", "oidc")
