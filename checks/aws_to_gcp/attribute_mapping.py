from __future__ import annotations

from checks import mapping_steps
from checks.context import Context
from checks.spec import Outcome, check
from wizard.model import cel


def assertion(ctx: Context) -> dict[str, str]:
    """What Google STS builds from the verified GetCallerIdentity answer (cloud-facts §2.1)."""
    caller = ctx.need("aws_to_gcp:caller")
    return {"arn": caller["Arn"], "account": caller["Account"], "userid": caller.get("UserId", "")}


@check("aws_to_gcp.attribute_mapping", "Evaluate the provider's attribute mapping on the caller's ARN",
       requires=("aws_to_gcp.provider", "aws_to_gcp.caller_identity"), provides=("aws_to_gcp:mapped",),
       timeout_s=10, causes=("attribute-mapping-invalid",))
def attribute_mapping(ctx: Context) -> Outcome:
    """What it checks: the provider's attribute mapping (Google's default AWS mapping when it has none)
    evaluated locally on the caller's real ARN: google.subject and attribute.aws_role as STS will set them.

    Why it fails: an expression fails on this assertion or google.subject comes out empty.

    How to fix: fix the mapping; the default AWS mapping needs no configuration.
    """
    a = assertion(ctx)
    return mapping_steps.mapping(ctx, "aws_to_gcp", a, cel.DEFAULT_AWS_MAPPING, a)
