from __future__ import annotations

from checks.context import Context
from checks.spec import Outcome, check, failed, passed
from wizard.model.errors import CloudError

SESSION_NAME = "xwiz-doctor"


@check("gcp_to_aws.assume_role", "Call AssumeRoleWithWebIdentity with the ID token",
       requires=("gcp_to_aws.id_token",), provides=("gcp_to_aws:session",), timeout_s=30,
       causes=("role-missing", "trust-policy-denies", "trust-policy-aud-is-azp", "trust-policy-sub-not-unique-id",
               "trust-policy-not-google", "trust-policy-oidc-provider-for-google", "id-token-audience-mismatch",
               "clock-skew"), live=True)
def assume_role(ctx: Context) -> Outcome:
    """What it checks: the real sts:AssumeRoleWithWebIdentity with the ID token (no AWS credentials needed).

    Why it fails: AccessDenied 'Not authorized to perform sts:AssumeRoleWithWebIdentity' for a missing role
    or a trust policy that does not admit the token (M20–M24); InvalidIdentityToken; ExpiredTokenException.
    The cause comes from the static analysis of the role and its policy.

    How to fix: see the cause's remediation.
    """
    t = ctx.inputs.gcp_to_aws
    token = ctx.need("gcp_to_aws:id_token")
    try:
        out = ctx.services.workload.assume_role_with_web_identity(t.role_arn, token, SESSION_NAME)
    except CloudError as e:
        evidence = {"role_arn": t.role_arn, "error": e.code, "message": e.message[:300]}
        if e.code == "ExpiredTokenException":
            return failed("clock-skew", f"AWS says the token expired: {e.message[:200]}", evidence)
        for check_id in ("gcp_to_aws.role", "gcp_to_aws.trust_policy"):
            r = ctx.wait_for(check_id, 30)
            if r is not None and r.status == "fail" and r.cause:
                return failed(r.cause, f"{e.code}: {e.message[:160]} — {r.summary[:200]}", evidence,
                              remediation=r.remediation)
        return failed("trust-policy-denies", f"{e.code}: {e.message[:200]}", evidence)
    creds = out.get("Credentials", {})
    ctx.secret(creds.get("AccessKeyId"), creds.get("SecretAccessKey"), creds.get("SessionToken"))
    user = out.get("AssumedRoleUser", {})
    return passed(f"assumed {user.get('Arn')}", {"assumed_role_arn": user.get("Arn"),
                                                  "audience": out.get("Audience"),
                                                  "subject": out.get("SubjectFromWebIdentityToken"),
                                                  "expiration": str(creds.get("Expiration"))},
                  provide={"gcp_to_aws:session": creds})
