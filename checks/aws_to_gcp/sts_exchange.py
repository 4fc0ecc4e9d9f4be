from __future__ import annotations

from collections.abc import Mapping

from checks import google_steps
from checks.context import Context
from checks.spec import Outcome, check, failed, skipped
from wizard.model.errors import CloudError


def audience_and_url(ctx: Context, direction: str) -> tuple[str | None, str | None]:
    """What the workload sends: the configuration's audience and token_url, else the target's."""
    t = getattr(ctx.inputs, direction)
    data = t.cred_config.data if t.cred_config else None
    if isinstance(data, Mapping) and data.get("audience"):
        return str(data["audience"]), data.get("token_url")
    if t.project_number and t.pool and t.provider:
        return (f"//iam.googleapis.com/projects/{t.project_number}/locations/global/workloadIdentityPools/"
                f"{t.pool}/providers/{t.provider}"), None
    number = google_steps.number_of(ctx, direction)
    if number and t.pool and t.provider:
        return (f"//iam.googleapis.com/projects/{number}/locations/global/workloadIdentityPools/"
                f"{t.pool}/providers/{t.provider}"), None
    return None, None


@check("aws_to_gcp.sts_exchange", "Exchange the AWS subject token at Google STS",
       requires=("aws_to_gcp.caller_identity",), provides=("aws_to_gcp:federated_token",), timeout_s=30,
       causes=("attribute-condition-rejects", "audience-malformed", "project-id-not-number", "pool-missing",
               "pool-disabled", "pool-deleted", "provider-missing", "provider-disabled", "provider-deleted",
               "provider-account-mismatch", "subject-too-long", "api-disabled", "clock-skew",
               "aws-credentials-invalid", "sts-exchange-rejected"), live=True)
def sts_exchange(ctx: Context) -> Outcome:
    """What it checks: the real exchange — a GetCallerIdentity request signed by google-auth with the
    workload's credentials (the subject token) posted to Google STS for the configuration's audience.

    Why it fails: STS verifies everything the checks before it looked at: audience form (S2), pool and
    provider state (S3), the signature and account (S6, S7, S17), the mapping and condition (S1), the
    subject length, the API (S16). The cause names which.

    How to fix: see the cause's remediation.
    """
    if ctx.what_if:
        return skipped("what-if mode: the exchange is not run", blocks=False)
    audience, token_url = audience_and_url(ctx, "aws_to_gcp")
    if not audience:
        return skipped("no audience is known (no credential configuration, no project number)")
    creds = ctx.need("aws_to_gcp:aws_credentials")
    region = ctx.need("aws_to_gcp:region")
    try:
        subject_token = ctx.services.workload.aws_subject_token(creds, region, audience)
    except CloudError as e:
        return failed("sts-exchange-rejected", f"google-auth could not build the subject token: {e.message[:200]}",
                      {"audience": audience})
    ctx.secret(subject_token)
    t = ctx.inputs.aws_to_gcp
    impersonating = bool(impersonation_email(ctx, "aws_to_gcp") or t.service_account)
    return google_steps.exchange_outcome(ctx, "aws_to_gcp", audience, subject_token, google_steps.AWS_TOKEN_TYPE,
                                         token_url, impersonating)


def impersonation_email(ctx: Context, direction: str) -> str | None:
    t = getattr(ctx.inputs, direction)
    data = t.cred_config.data if t.cred_config else None
    if isinstance(data, Mapping):
        url = data.get("service_account_impersonation_url")
        if isinstance(url, str) and "/serviceAccounts/" in url:
            return url.rsplit("/serviceAccounts/", 1)[1].split(":", 1)[0]
        if data.get("type") == "external_account":
            return None
    return t.service_account
