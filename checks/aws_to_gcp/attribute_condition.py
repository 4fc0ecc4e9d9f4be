from __future__ import annotations

from checks import mapping_steps
from checks.aws_to_gcp.attribute_mapping import assertion
from checks.context import Context
from checks.spec import Outcome, check
from wizard.model import cel
from wizard.model import identifiers as ids
from wizard.model.errors import InputError


@check("aws_to_gcp.attribute_condition", "Evaluate the provider's attribute condition on the caller",
       requires=("aws_to_gcp.attribute_mapping",), timeout_s=10, causes=("attribute-condition-rejects",))
def attribute_condition(ctx: Context) -> Outcome:
    """What it checks: the provider's attribute condition evaluated locally on the caller's assertion and
    mapped attributes, as STS evaluates it; when it is false, the failing sub-expressions.

    Why it fails: the condition pins other roles or accounts, a renamed role, a case mismatch, or an
    attribute the mapping does not set: 'unauthorized_client: The given credential is rejected by the
    attribute condition.' (M11).

    How to fix: allow the caller's role (add it to xwiz.toml's roles and apply, or update the condition).
    """
    a = assertion(ctx)
    provider = ctx.need("aws_to_gcp:provider")
    old = provider.get("attributeCondition")
    try:
        allow = f"assertion.arn.startsWith({cel.cel_string(ids.assumed_role_arn(a['arn']).session_prefix)})"
    except InputError:
        allow = f"assertion.arn == {cel.cel_string(a['arn'])}"
    widened = f"({old}) || {allow}" if old else allow
    return mapping_steps.condition(ctx, "aws_to_gcp", a, widened)
