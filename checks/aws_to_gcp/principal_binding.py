from __future__ import annotations

from checks import google_steps
from checks.context import Context
from checks.spec import Outcome, check
from wizard.model import principals


@check("aws_to_gcp.principal_binding", "Match the federated principal against the service account's policy",
       requires=("aws_to_gcp.attribute_mapping", "aws_to_gcp.service_account"),
       provides=("aws_to_gcp:binding_match",),
       causes=("binding-missing", "principal-not-arn", "principal-iam-role-arn", "principal-role-path",
               "principal-instance-session", "principal-malformed", "project-id-not-number"))
def principal_binding(ctx: Context) -> Outcome:
    """What it checks: the principals this caller will be after the exchange (principal://…/subject/<ARN>,
    principalSet://…/attribute.aws_role/<assumed-role ARN>, …/*) against the members of
    roles/iam.workloadIdentityUser (and TokenCreator) on the service account.

    Why it fails: setIamPolicy accepts members that never match: a role name instead of the assumed-role
    ARN (M01), the IAM role ARN (M02), a role path (M03), the project ID (M06), a malformed member (M31),
    or no binding at all (M08). Binding one EC2 instance's session works only until the instance is
    replaced (M04, a warning).

    How to fix: bind the aws_role principalSet (the remediation has the exact member) and remove the wrong one.
    """
    t = ctx.inputs.aws_to_gcp
    mapped = ctx.get("aws_to_gcp:mapped")
    number = google_steps.number_of(ctx, "aws_to_gcp")
    role = (mapped.attributes.get("attribute.aws_role") if mapped else None) or ""
    recommended = (f"principalSet://{principals.IAM_HOST}/projects/{number}/locations/global/"
                   f"workloadIdentityPools/{t.pool}/attribute.aws_role/{role}")
    caller = ctx.get("aws_to_gcp:caller") or {}
    return google_steps.principal_binding(ctx, "aws_to_gcp", recommended, caller.get("Account") or t.account_id)
