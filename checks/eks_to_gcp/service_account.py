from __future__ import annotations

from checks import google_steps
from checks.context import Context
from checks.spec import Outcome, check


@check("eks_to_gcp.service_account", "Look up the service account to impersonate",
       provides=("eks_to_gcp:service_account",), causes=("service-account-missing", "impersonation-rejected"))
def service_account(ctx: Context) -> Outcome:
    """What it checks: the service account in the impersonation URL exists and is enabled.

    Why it fails: a typo, another project, or a deleted account: generateAccessToken answers 'Not found;
    Gaia id not found for email …' (M28).

    How to fix: create the account (or fix the email) and bind the federated principal on it.
    """
    return google_steps.service_account(ctx, "eks_to_gcp")
