from __future__ import annotations

from checks.context import Context
from checks.spec import Outcome, check, failed, passed


@check("eks_to_gcp.audience", "Compare the token's audience with the provider's allowed audiences",
       requires=("eks_to_gcp.token_file", "eks_to_gcp.provider"), timeout_s=5, causes=("oidc-audience-mismatch",))
def audience(ctx: Context) -> Outcome:
    """What it checks: one of the token's aud values is in the provider's allowedAudiences (empty means only
    the provider's own //iam.googleapis.com/… and https://iam.googleapis.com/… names).

    Why it fails: IRSA tokens carry aud sts.amazonaws.com; a provider that does not allow it answers 'The
    audience in ID Token [...] does not match the expected audience.' (M25).

    How to fix: add the token's audience to allowedAudiences, or mount a token for the provider's audience.
    """
    claims = ctx.need("eks_to_gcp:claims")
    provider = ctx.need("eks_to_gcp:provider")
    aud = claims.get("aud")
    token_aud = [aud] if isinstance(aud, str) else list(aud or [])
    allowed = list((provider.get("oidc") or {}).get("allowedAudiences") or [])
    name = provider.get("name", "")
    accepted = allowed or [f"//iam.googleapis.com/{name}", f"https://iam.googleapis.com/{name}"]
    evidence = {"token_aud": token_aud, "allowed_audiences": allowed, "accepted": accepted}
    if not set(token_aud) & set(accepted):
        return failed("oidc-audience-mismatch", f"the token's audience {token_aud} is not allowed by the provider "
                      f"({accepted})", evidence, fix={"allowed_audiences": ",".join(sorted(set(allowed) | set(token_aud)))})
    return passed(f"audience {sorted(set(token_aud) & set(accepted))[0]} is allowed", evidence)
