from __future__ import annotations

from checks import google_steps
from checks.context import Context
from checks.spec import Outcome, check


@check("eks_to_gcp.google_apis", "Check that the four APIs are enabled in the pool's project",
       provides=("eks_to_gcp:project_number",), causes=("api-disabled",))
def google_apis(ctx: Context) -> Outcome:
    """What it checks: iam, cloudresourcemanager, iamcredentials and sts are ENABLED in the project that
    owns the pool (Service Usage batchGet, which also resolves the project number).

    Why it fails: an API is disabled: STS or IAM Credentials then answer 403 SERVICE_DISABLED
    ('Security Token Service API has not been used in project N before or it is disabled', M10).

    How to fix: gcloud services enable the missing APIs in the pool's project.
    """
    return google_steps.google_apis(ctx, "eks_to_gcp")
