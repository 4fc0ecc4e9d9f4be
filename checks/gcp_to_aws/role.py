from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from checks.context import Context
from checks.google_steps import cannot_read
from checks.spec import Outcome, check, failed, passed
from wizard.model import trustpolicy
from wizard.model.errors import CloudError, PermissionDeniedError, UnauthenticatedError


def fixed_policy_json(ctx: Context, existing=None, drop: set[int] | None = None) -> str | None:
    """The trust policy that works: xwiz's statement merged in, statements with problems dropped."""
    t = ctx.inputs.gcp_to_aws
    uid = ctx.get("gcp_to_aws:unique_id") or (ctx.get("gcp_to_aws:claims") or {}).get("sub")
    if not uid:
        return None
    try:
        statement = trustpolicy.build_statement(uid, t.audience)
        kept = None
        if existing is not None:
            statements = [s for i, s in enumerate(trustpolicy.policy_statements(existing)) if i not in (drop or set())]
            kept = {**trustpolicy.parse_policy(existing), "Statement": statements} if statements else None
        return trustpolicy.merge(kept, statement).document
    except trustpolicy.TrustPolicyError:
        return None


@check("gcp_to_aws.role", "Look up the AWS role", provides=("gcp_to_aws:role", "gcp_to_aws:oidc_providers"),
       causes=("role-missing",))
def role(ctx: Context) -> Outcome:
    """What it checks: the role exists (iam:GetRole) and reads its trust policy.

    Why it fails: the role was never created, or is in another account; AssumeRoleWithWebIdentity then
    says AccessDenied, exactly as for a role that does not trust the token.

    How to fix: create the role with xwiz's trust policy (xwiz apply).
    """
    t = ctx.inputs.gcp_to_aws
    aws = ctx.services.aws
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="xwiz-iam") as pool:
        # the account's OIDC providers (for the trust-policy lint) in the same round trip
        providers = pool.submit(aws.list_open_id_connect_providers)
        try:
            found = aws.get_role(t.role_name)
        except (PermissionDeniedError, UnauthenticatedError) as e:
            return cannot_read(f"role {t.role_name}", e)
        try:
            oidc = providers.result()
        except CloudError:
            oidc = None
    if found is None:
        ctx.wait_for("gcp_to_aws.service_account", 20)
        return failed("role-missing", f"role {t.role_name} does not exist in account {t.account_id}",
                      {"role_arn": t.role_arn}, fix={"trust_policy": fixed_policy_json(ctx)})
    return passed(f"role {found.get('Arn')} exists", {"role_arn": found.get("Arn"),
                                                      "max_session_duration": found.get("MaxSessionDuration")},
                  provide={"gcp_to_aws:role": found, "gcp_to_aws:oidc_providers": oidc})
