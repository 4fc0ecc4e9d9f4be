from __future__ import annotations

from checks.context import Context
from checks.gcp_to_aws.role import fixed_policy_json
from checks.spec import Outcome, check, failed, passed
from wizard.model import trustpolicy
from wizard.model.errors import CloudError

_ORDER = ("trust-policy-oidc-provider-for-google", "trust-policy-not-google", "trust-policy-aud-is-azp",
          "trust-policy-aud-not-unique-id", "trust-policy-sub-not-unique-id", "id-token-audience-mismatch",
          "trust-policy-no-google-statement", "trust-policy-missing-sub", "trust-policy-aud-is-email")


@check("gcp_to_aws.trust_policy", "Evaluate the role's trust policy with AWS's rules for Google tokens",
       requires=("gcp_to_aws.role",), provides=("gcp_to_aws:trust_evaluation",), timeout_s=20,
       causes=_ORDER + ("trust-policy-denies",))
def trust_policy(ctx: Context) -> Outcome:
    """What it checks: the trust policy evaluated locally for the ID token's claims with AWS's Google key
    mapping (accounts.google.com:aud is azp when set, :oaud is aud, :sub is sub), and linted: the aud trap,
    emails instead of the uniqueId, a missing :sub, another principal, an IAM OIDC provider for Google.

    Why it fails: the AWS console writes the audience into :aud, which a service-account token compares with
    its azp (M20); :sub holds the email (M21); :oaud differs from the requested audience (M24); a Google OIDC
    provider (M22). A missing :sub is a warning (M23): anyone in Google who can mint a token for the
    audience could assume the role.

    How to fix: the remediation holds the corrected policy document (xwiz's statement, the broken one dropped).
    """
    t = ctx.inputs.gcp_to_aws
    role = ctx.need("gcp_to_aws:role")
    policy = role.get("AssumeRolePolicyDocument")
    ctx.wait_for("gcp_to_aws.id_token", 20)
    ctx.wait_for("gcp_to_aws.service_account", 20)
    claims = ctx.get("gcp_to_aws:claims") or {}
    uid = ctx.get("gcp_to_aws:unique_id") or claims.get("sub")
    if not claims and uid:
        claims = {"iss": "https://accounts.google.com", "aud": t.audience, "azp": uid, "sub": uid}
    providers = ctx.get("gcp_to_aws:oidc_providers")
    if providers is None:
        try:
            providers = ctx.services.aws.list_open_id_connect_providers()
        except CloudError:
            providers = []
    findings = trustpolicy.lint(policy, unique_id=uid, email=t.service_account, audience=t.audience,
                                oidc_providers=providers)
    evaluation = trustpolicy.evaluate(policy, claims) if claims else None
    evidence = {"claims": {k: claims.get(k) for k in ("aud", "azp", "sub", "email") if k in claims},
                "findings": [{"code": f.code, "severity": f.severity, "summary": f.summary, "field": f.field}
                             for f in findings]}
    if evaluation is not None:
        evidence["evaluation"] = {"allowed": evaluation.allowed, "reason": evaluation.reason,
                                  "matched_sid": evaluation.matched_sid}
    bad = {f.statement_index for f in findings if f.statement_index is not None}
    oidc = next((f.evidence.get("provider") for f in findings if f.code == "trust-policy-oidc-provider-for-google"
                 and f.evidence.get("provider")), None)
    fix = {"trust_policy": fixed_policy_json(ctx, policy, bad), "oidc_provider_arn": oidc}
    provide = {"gcp_to_aws:trust_evaluation": evaluation}
    denied = evaluation is not None and not evaluation.allowed
    for code in _ORDER:
        for f in findings:
            # a warning-level finding is the explanation when the token is in fact refused
            if f.code == code and (f.severity == "fail" or denied):
                return failed(code, f.summary, evidence, fix=fix, provide=provide)
    if denied:
        return failed("trust-policy-denies", evaluation.reason, evidence, fix=fix, provide=provide)
    for code in _ORDER:
        for f in findings:
            if f.code == code:
                return Outcome("warn", f.summary, code, evidence, provide, fix)
    return passed(evaluation.reason if evaluation else "the trust policy has no problem xwiz knows of", evidence,
                  provide=provide)
