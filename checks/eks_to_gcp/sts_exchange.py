from __future__ import annotations

from collections.abc import Mapping

from checks import google_steps
from checks.aws_to_gcp.sts_exchange import audience_and_url, impersonation_email
from checks.context import Context
from checks.spec import Outcome, check, skipped


@check("eks_to_gcp.sts_exchange", "Exchange the Kubernetes service account token at Google STS",
       requires=("eks_to_gcp.token_file",), provides=("eks_to_gcp:federated_token",), timeout_s=30,
       causes=("oidc-issuer-mismatch", "oidc-audience-mismatch", "attribute-condition-rejects",
               "audience-malformed", "project-id-not-number", "pool-missing", "pool-disabled", "pool-deleted",
               "provider-missing", "provider-disabled", "provider-deleted", "subject-too-long", "api-disabled",
               "clock-skew", "sts-exchange-rejected"), live=True)
def sts_exchange(ctx: Context) -> Outcome:
    """What it checks: the real exchange of the pod's token at Google STS for the configuration's audience.

    Why it fails: issuer or audience mismatch (S10, S11), JWKS unreachable (S14), a stale token (S12),
    pool/provider state (S3), condition (S1).

    How to fix: see the cause's remediation.
    """
    audience, token_url = audience_and_url(ctx, "eks_to_gcp")
    if not audience:
        return skipped("no audience is known (no credential configuration, no project number)")
    token = ctx.need("eks_to_gcp:token")
    t = ctx.inputs.eks_to_gcp
    data = t.cred_config.data if t.cred_config else None
    token_type = (data.get("subject_token_type") if isinstance(data, Mapping) else None) or google_steps.JWT_TOKEN_TYPE
    impersonating = bool(impersonation_email(ctx, "eks_to_gcp") or t.service_account)
    return google_steps.exchange_outcome(ctx, "eks_to_gcp", audience, token, token_type, token_url, impersonating)
