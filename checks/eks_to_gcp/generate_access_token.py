from __future__ import annotations

from checks import google_steps
from checks.eks_to_gcp.sts_exchange import impersonation_email
from checks.context import Context
from checks.spec import Outcome, check


@check("eks_to_gcp.generate_access_token", "Impersonate the service account with the federated token",
       requires=("eks_to_gcp.sts_exchange",), provides=("eks_to_gcp:access_token",), timeout_s=30, waits=True,
       causes=("binding-missing", "binding-propagating", "service-account-missing", "api-disabled",
               "impersonation-rejected", "principal-not-arn", "principal-iam-role-arn", "principal-role-path",
               "principal-malformed", "project-id-not-number"), live=True)
def generate_access_token(ctx: Context) -> Outcome:
    """What it checks: generateAccessToken on the service account, authenticated with the federated token
    STS issued — the call google-auth makes when the configuration has service_account_impersonation_url.

    Why it fails: 403 'Permission iam.serviceAccounts.getAccessToken denied' when no member of the
    service account's policy matches (M01–M04, M08, M31) — or when one does but IAM has not propagated
    it yet (binding-propagating, M09); 404 for a missing account (M28).

    How to fix: bind the principal the remediation names; for propagation, wait (xwiz doctor --wait 420
    retries until it passes).
    """
    return google_steps.generate_access_token(ctx, "eks_to_gcp", impersonation_email(ctx, "eks_to_gcp"))
