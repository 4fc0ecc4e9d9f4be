from __future__ import annotations

from checks import mapping_steps
from checks.context import Context
from checks.redact import SHOWN_CLAIMS
from checks.spec import Outcome, check


@check("eks_to_gcp.attribute_mapping", "Evaluate the provider's attribute mapping on the token's claims",
       requires=("eks_to_gcp.provider", "eks_to_gcp.token_file"), provides=("eks_to_gcp:mapped",), timeout_s=10,
       causes=("attribute-mapping-invalid",))
def attribute_mapping(ctx: Context) -> Outcome:
    """What it checks: the provider's attribute mapping evaluated on the token's claims (OIDC providers have
    no default: google.subject must be mapped, e.g. to assertion.sub = system:serviceaccount:NS:NAME).

    Why it fails: no mapping, or an expression that fails on these claims.

    How to fix: map google.subject=assertion.sub.
    """
    claims = ctx.need("eks_to_gcp:claims")
    shown = {k: claims[k] for k in SHOWN_CLAIMS if k in claims}
    return mapping_steps.mapping(ctx, "eks_to_gcp", claims, None, shown)
