from __future__ import annotations

from checks.context import Context
from checks.spec import Outcome, check, failed, passed
from wizard.model.errors import CloudError


@check("eks_to_gcp.issuer", "Compare the token's issuer with the provider's issuer",
       requires=("eks_to_gcp.token_file", "eks_to_gcp.provider"), timeout_s=20, causes=("oidc-issuer-mismatch",))
def issuer(ctx: Context) -> Outcome:
    """What it checks: the token's iss equals the provider's oidc.issuerUri exactly (and, when the cluster is
    known, the cluster's issuer from eks:DescribeCluster).

    Why it fails: another cluster or region, a trailing slash: 'The issuer in ID Token … does not match the
    expected one in config' (M25).

    How to fix: set the provider's issuer to `aws eks describe-cluster … --query cluster.identity.oidc.issuer`.
    """
    claims = ctx.need("eks_to_gcp:claims")
    provider = ctx.need("eks_to_gcp:provider")
    configured = (provider.get("oidc") or {}).get("issuerUri")
    token_iss = claims.get("iss")
    evidence = {"token_iss": token_iss, "provider_issuer_uri": configured}
    t = ctx.inputs.eks_to_gcp
    cluster_issuer = t.issuer
    if t.cluster and not cluster_issuer:
        try:
            cluster = ctx.services.aws.describe_cluster(t.cluster, t.region)
            cluster_issuer = cluster.get("identity", {}).get("oidc", {}).get("issuer")
        except CloudError as e:
            evidence["cluster_issuer_error"] = e.message[:200]
    if cluster_issuer:
        evidence["cluster_issuer"] = cluster_issuer
    if token_iss != configured:
        return failed("oidc-issuer-mismatch", f"the token's issuer {token_iss} is not the provider's {configured}",
                      evidence, fix={"issuer": cluster_issuer or token_iss})
    return passed(f"issuer {token_iss}", evidence)
