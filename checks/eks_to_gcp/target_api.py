from __future__ import annotations

from checks import google_steps
from checks.context import Context
from checks.spec import Outcome, check


@check("eks_to_gcp.target_api", "Call the target API with the service account's token",
       requires=("eks_to_gcp.generate_access_token",), timeout_s=20, causes=("target-api-denied",), live=True)
def target_api(ctx: Context) -> Outcome:
    """What it checks: optionally (--call-api URL), a GET on an API with the token the workload will use.

    Why it fails: the service account lacks a role on the resource, or the API does not accept the
    token (a federated token on an API that needs a service account, M29).

    How to fix: grant the role the API needs.
    """
    return google_steps.target_api(ctx, "eks_to_gcp")
