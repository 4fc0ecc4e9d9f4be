from __future__ import annotations

from checks.context import Context
from checks.spec import Outcome, check, failed, passed


@check("aws_to_gcp.provider_account", "Compare the provider's AWS account with the caller's",
       requires=("aws_to_gcp.provider", "aws_to_gcp.caller_identity"), causes=("provider-account-mismatch",))
def provider_account(ctx: Context) -> Outcome:
    """What it checks: the provider's aws.accountId equals the Account GetCallerIdentity returned.

    Why it fails: the provider was made for another account, or the workload runs as a role of another
    account (cross-account chains end in the last role's account, M12); STS then refuses the token.

    How to fix: point the provider at the caller's account, or add a provider for it (xwiz onboard).
    """
    provider = ctx.need("aws_to_gcp:provider")
    caller = ctx.need("aws_to_gcp:caller")
    expected = (provider.get("aws") or {}).get("accountId")
    evidence = {"provider_account": expected, "caller_account": caller.get("Account"), "caller_arn": caller.get("Arn")}
    if expected != caller.get("Account"):
        return failed("provider-account-mismatch", f"the provider trusts account {expected}, the caller is in "
                      f"account {caller.get('Account')}", evidence, fix={"caller_account": caller.get("Account")})
    return passed(f"the provider trusts account {expected}, the caller's", evidence)
