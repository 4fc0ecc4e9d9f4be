from __future__ import annotations

from checks import google_steps
from checks.context import Context
from checks.spec import Outcome, check
from wizard.model import principals


@check("eks_to_gcp.principal_binding", "Match the federated principal against the service account's policy",
       requires=("eks_to_gcp.attribute_mapping", "eks_to_gcp.service_account"),
       provides=("eks_to_gcp:binding_match",),
       causes=("binding-missing", "principal-malformed", "project-id-not-number"))
def principal_binding(ctx: Context) -> Outcome:
    """What it checks: principal://…/subject/system:serviceaccount:NS:NAME (and the other members that
    would admit this token) against roles/iam.workloadIdentityUser on the service account.

    Why it fails: no binding for this Kubernetes service account (M08), a malformed member (M31), a project
    ID in the member (M06).

    How to fix: bind the subject principal.
    """
    t = ctx.inputs.eks_to_gcp
    mapped = ctx.get("eks_to_gcp:mapped")
    number = google_steps.number_of(ctx, "eks_to_gcp")
    subject = (mapped.subject if mapped else None) or ""
    recommended = (f"principal://{principals.IAM_HOST}/projects/{number}/locations/global/"
                   f"workloadIdentityPools/{t.pool}/subject/{subject}")
    return google_steps.principal_binding(ctx, "eks_to_gcp", recommended, None)
