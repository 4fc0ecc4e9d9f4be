from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from checks.context import Context
from checks.redact import jwt_claims, token_facts
from checks.spec import Outcome, check, failed, passed
from wizard.model.errors import CloudError, PermissionDeniedError

GET_OPEN_ID_TOKEN = "iam.serviceAccounts.getOpenIdToken"


@check("gcp_to_aws.id_token", "Get a Google ID token for the service account",
       provides=("gcp_to_aws:id_token", "gcp_to_aws:claims"), timeout_s=20,
       causes=("id-token-unavailable", "token-creator-missing"),
       live=True)
def id_token(ctx: Context) -> Outcome:
    """What it checks: an ID token for the audience, from the metadata server when its default service
    account is this one (as the workload gets it), else from generateIdToken with your credentials; shows
    aud, azp, sub, email, exp — never the token.

    Why it fails: no metadata server here and no iam.serviceAccounts.getOpenIdToken on the service account
    (M24) — being the project's Owner or Editor does not give it.

    How to fix: run on the workload, or grant yourself the OpenID Token Creator role on the account.
    """
    t = ctx.inputs.gcp_to_aws
    workload = ctx.services.workload
    source = "generateIdToken"
    metadata_email = None
    try:
        # ask the metadata server for its account and a token side by side: the token is used only if
        # the account is this one (one round trip instead of two on the workload)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="xwiz-metadata") as pool:
            speculative = pool.submit(workload.metadata_id_token, t.audience)
            metadata_email = workload.metadata_email()
            on_metadata = metadata_email == t.service_account
            token = None
            if on_metadata:
                source = "metadata server"
                token = speculative.result()
        if token is None:
            token = ctx.services.gcp.generate_id_token(t.service_account, t.audience, include_email=True)
    except CloudError as e:
        if (isinstance(e, PermissionDeniedError) and source == "generateIdToken"
                and GET_OPEN_ID_TOKEN in (e.permission or e.message)):
            member = ctx.services.gcp.caller_member(metadata_email)
            return failed("token-creator-missing",
                          f"generateIdToken for {t.service_account} was refused: "
                          f"{member or 'the identity you run as'} lacks {GET_OPEN_ID_TOKEN} on it (the OpenID "
                          f"Token Creator role; project Owner/Editor do not include it)",
                          {"source": source, "audience": t.audience, "member": member, "error": e.message[:300]},
                          fix={"service_account": t.service_account, "member": member})
        return failed("id-token-unavailable", f"{source} gave no ID token for {t.service_account}: "
                      f"{e.message[:200]}", {"source": source, "audience": t.audience, "error": e.message[:300]})
    ctx.secret(token)
    claims = jwt_claims(token) or {}
    facts = token_facts(token, claims)
    return passed(f"an ID token from the {source}: aud {claims.get('aud')}, azp {claims.get('azp')}, "
                  f"sub {claims.get('sub')}", {"source": source, "requested_audience": t.audience, "token": facts},
                  provide={"gcp_to_aws:id_token": token, "gcp_to_aws:claims": claims})
