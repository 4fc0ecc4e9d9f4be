from __future__ import annotations

from checks.context import Context
from checks.spec import Outcome, check, failed, passed
from wizard.model import identifiers as ids
from wizard.model.errors import CloudError, InputError, TransientError, UnauthenticatedError


@check("aws_to_gcp.caller_identity", "Call sts:GetCallerIdentity with the workload's credentials",
       requires=("aws_to_gcp.aws_credentials", "aws_to_gcp.region"), provides=("aws_to_gcp:caller",),
       timeout_s=20, causes=("aws-credentials-invalid", "clock-skew"), live=True)
def caller_identity(ctx: Context) -> Outcome:
    """What it checks: a real GetCallerIdentity signed with the credentials google-auth will use, at the
    region's STS endpoint: the account and ARN Google STS will see in the assertion. In what-if mode the
    ARN given with --what-if-arn stands in, and AWS is not called.

    Why it fails: stale or mismatched environment keys and session token (InvalidClientTokenId,
    SignatureDoesNotMatch, ExpiredToken — M18); a clock more than 5 minutes off (M19).

    How to fix: unset the stale AWS_* variables or refresh them; synchronise the clock.
    """
    if ctx.what_if:
        arn = ctx.inputs.what_if_arn
        try:
            role = ids.assumed_role_arn(arn, field="--what-if-arn")
            account = role.account
        except InputError:
            account = arn.split(":")[4] if arn.count(":") >= 5 else None
        caller = {"Account": account, "Arn": arn, "UserId": "what-if"}
        return passed(f"what-if: {arn} (AWS was not called)", {"arn": arn, "account": account, "what_if": True},
                      provide={"aws_to_gcp:caller": caller})
    creds = ctx.need("aws_to_gcp:aws_credentials")
    region = ctx.need("aws_to_gcp:region")
    try:
        caller = ctx.services.workload.aws_caller_identity(creds, region)
    except UnauthenticatedError as e:
        cause = "clock-skew" if "expired" in e.message.lower() and "signature" in e.message.lower() \
            else "aws-credentials-invalid"
        return failed(cause, f"AWS refused the credentials: {e.code}: {e.message[:200]}",
                      {"error": e.code, "message": e.message[:300], "region": region})
    except TransientError as e:
        return failed("aws-credentials-invalid", f"AWS STS could not be reached: {e.message[:200]}",
                      {"region": region, "error": e.message[:300]})
    except CloudError as e:
        return failed("aws-credentials-invalid", f"GetCallerIdentity failed: {e.code}: {e.message[:200]}",
                      {"error": e.code, "message": e.message[:300], "region": region})
    return passed(f"{caller['Arn']} in account {caller['Account']}",
                  {"account": caller["Account"], "arn": caller["Arn"], "region": region},
                  provide={"aws_to_gcp:caller": caller})
