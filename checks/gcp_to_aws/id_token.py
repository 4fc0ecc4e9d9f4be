from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from checks.context import Context
from checks.redact import jwt_claims, token_facts
from checks.spec import Outcome, check, failed, passed
from wizard.model.errors import CloudError


@check("gcp_to_aws.id_token", "Get a Google ID token for the service account",
       provides=("gcp_to_aws:id_token", "gcp_to_aws:claims"), timeout_s=20, causes=("id-token-unavailable",),
       live=True)
def id_token(ctx: Context) -> Outcome:
    """What it checks: an ID token for the audience, from the metadata server when its default service
    account is this one (as the workload gets it), else from generateIdToken with your credentials; shows
    aud, azp, sub, email, exp — never the token.

    Why it fails: no metadata server here and no iam.serviceAccounts.getOpenIdToken on the service account
    (M24).

    How to fix: run on the workload, or grant yourself the OpenID Token Creator role on the account.
    """
    t = ctx.inputs.gcp_to_aws
    workload = ctx.services.workload
    source = "generateIdToken"
    try:
        # ask the metadata server for its account and a token side by side: the token is used only if
        # the account is this one (one round trip instead of two on the workload)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="xwiz-metadata") as pool:
            speculative = pool.submit(workload.metadata_id_token, t.audience)
            on_metadata = workload.metadata_email() == t.service_account
            token = None
            if on_metadata:
                source = "metadata server"
                token = speculative.result()
        if token is None:
            token = ctx.services.gcp.generate_id_token(t.service_account, t.audience, include_email=True)
    except CloudError as e:
        return failed("id-token-unavailable", f"{source} gave no ID token for {t.service_account}: "
                      f"{e.message[:200]}", {"source": source, "audience": t.audience, "error": e.message[:300]})
    ctx.secret(token)
    claims = jwt_claims(token) or {}
    facts = token_facts(token, claims)
    return passed(f"an ID token from the {source}: aud {claims.get('aud')}, azp {claims.get('azp')}, "
                  f"sub {claims.get('sub')}", {"source": source, "requested_audience": t.audience, "token": facts},
                  provide={"gcp_to_aws:id_token": token, "gcp_to_aws:claims": claims})
