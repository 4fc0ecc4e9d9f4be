from __future__ import annotations

from checks.context import Context
from checks.google_steps import cannot_read
from checks.spec import Outcome, check, failed, passed
from wizard.model.errors import PermissionDeniedError, UnauthenticatedError


@check("gcp_to_aws.service_account", "Look up the service account and its uniqueId",
       provides=("gcp_to_aws:unique_id",), causes=("service-account-missing",))
def service_account(ctx: Context) -> Outcome:
    """What it checks: the service account exists; its numeric uniqueId is what AWS sees as the ID
    token's sub and azp (and so what the trust policy must pin).

    Why it fails: a typo or a deleted account (M28).

    How to fix: create it, or fix the email.
    """
    t = ctx.inputs.gcp_to_aws
    try:
        found = ctx.services.gcp.get_service_account(t.service_account)
    except (PermissionDeniedError, UnauthenticatedError) as e:
        return cannot_read(f"service account {t.service_account}", e)
    if found is None:
        return failed("service-account-missing", f"service account {t.service_account} does not exist",
                      {"email": t.service_account})
    return passed(f"{t.service_account} has uniqueId {found.get('uniqueId')}",
                  {"email": t.service_account, "unique_id": found.get("uniqueId")},
                  provide={"gcp_to_aws:unique_id": found.get("uniqueId")})
