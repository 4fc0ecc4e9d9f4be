from __future__ import annotations

from checks import mapping_steps
from checks.context import Context
from checks.spec import Outcome, check
from wizard.model import cel


@check("eks_to_gcp.attribute_condition", "Evaluate the provider's attribute condition on the token",
       requires=("eks_to_gcp.attribute_mapping",), timeout_s=10, causes=("attribute-condition-rejects",))
def attribute_condition(ctx: Context) -> Outcome:
    """What it checks: the provider's attribute condition on the token's claims and mapped attributes.

    Why it fails: it pins other Kubernetes service accounts or namespaces (M11).

    How to fix: allow this service account's subject.
    """
    claims = ctx.need("eks_to_gcp:claims")
    provider = ctx.need("eks_to_gcp:provider")
    old = provider.get("attributeCondition")
    allow = f"assertion.sub == {cel.cel_string(str(claims.get('sub')))}"
    return mapping_steps.condition(ctx, "eks_to_gcp", claims, f"({old}) || {allow}" if old else allow)
