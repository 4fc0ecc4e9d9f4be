from __future__ import annotations

from checks.context import Context
from checks.spec import Outcome, check, failed, passed
from wizard.model.errors import CloudError


@check("gcp_to_aws.caller_identity", "Call sts:GetCallerIdentity with the returned credentials",
       requires=("gcp_to_aws.assume_role",), timeout_s=20, causes=("trust-policy-denies",), live=True)
def caller_identity(ctx: Context) -> Outcome:
    """What it checks: the credentials AWS returned work: GetCallerIdentity names the role's session
    (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION).

    Why it fails: practically never once AssumeRoleWithWebIdentity succeeded; a region without STS enabled.

    How to fix: see AWS's message.
    """
    session = ctx.need("gcp_to_aws:session")
    try:
        out = ctx.services.workload.caller_identity_with_session(session)
    except CloudError as e:
        return failed("trust-policy-denies", f"GetCallerIdentity failed: {e.code}: {e.message[:200]}",
                      {"error": e.code})
    return passed(f"{out['Arn']}", {"arn": out["Arn"], "account": out["Account"]})
