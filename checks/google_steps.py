"""The Google Cloud half of AWS → Google Cloud and EKS → Google Cloud, shared by both check groups:
the four APIs, pool, provider, service account, the binding the exchange needs, the STS exchange
and generateAccessToken. Each function takes the context and the direction (`aws_to_gcp` or
`eks_to_gcp`) and returns an `Outcome`; values go to the context under `<direction>:<name>`.

Static reads that the caller may not be allowed to make (a workload host rarely has
`iam.workloadIdentityPools.get`) are `skip`ped with the reason and do not block the live steps.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from wizard.model import cel, principals
from wizard.model import identifiers as ids
from wizard.model.errors import (
    ApiDisabledError,
    CloudError,
    NotFoundError,
    PermissionDeniedError,
    TransientError,
    UnauthenticatedError,
    XwizError,
)

from .context import Context, GoogleTarget
from .redact import token_facts
from .spec import Outcome, failed, passed, skipped

FOUR_APIS = ("iam.googleapis.com", "cloudresourcemanager.googleapis.com", "iamcredentials.googleapis.com",
             "sts.googleapis.com")
TRUSTING_ROLES = ("roles/iam.workloadIdentityUser", "roles/iam.serviceAccountTokenCreator")
GET_ACCESS_TOKEN = "iam.serviceAccounts.getAccessToken"
IAM_SCOPE = "https://www.googleapis.com/auth/iam"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
AWS_TOKEN_TYPE = "urn:ietf:params:aws:token-type:aws4_request"
# parse_member finding codes that explain a binding that never matches, most specific first
_MEMBER_CAUSES = ("principal-not-arn", "principal-role-path", "principal-iam-role-arn", "project-id-not-number",
                  "principal-malformed")


def key(direction: str, name: str) -> str:
    return f"{direction}:{name}"


def target(ctx: Context, direction: str) -> GoogleTarget:
    return getattr(ctx.inputs, direction)


def project_of(t: GoogleTarget) -> str | None:
    return t.project or t.project_number


def cannot_read(what: str, error: XwizError) -> Outcome:
    """A static read refused for lack of permission: skip with the reason, let the live steps run."""
    reason = getattr(error, "message", str(error))
    return skipped(f"cannot read {what}: {reason[:200]}", {"reason": reason[:300]}, blocks=False)


def number_of(ctx: Context, direction: str) -> str | None:
    t = target(ctx, direction)
    if t.project_number:
        return t.project_number
    ctx.wait_for(f"{direction}.google_apis", 30)
    return ctx.get(key(direction, "project_number"))


# -------------------------------------------------------------------------------- static reads
def google_apis(ctx: Context, direction: str) -> Outcome:
    t = target(ctx, direction)
    project = project_of(t)
    if not project:
        return skipped("no project is known (xwiz.toml [gcp] project, or the configuration's audience)",
                       blocks=False)
    try:
        number, states = ctx.services.gcp.service_states(project, list(FOUR_APIS))
    except (PermissionDeniedError, UnauthenticatedError) as e:
        return cannot_read(f"the APIs of project {project}", e)
    disabled = [s for s in FOUR_APIS if states.get(s) != "ENABLED"]
    evidence = {"project": project, "project_number": number, "services": {s: states.get(s) for s in FOUR_APIS}}
    provide = {key(direction, "project_number"): number} if number else {}
    if disabled:
        return failed("api-disabled", f"{', '.join(disabled)} {'is' if len(disabled) == 1 else 'are'} disabled "
                      f"in project {project}", evidence, fix={"apis": disabled, "project": project},
                      provide=provide)
    return passed(f"the four APIs are enabled in project {project} ({number})", evidence, provide=provide)


def _api_off(error: ApiDisabledError) -> Outcome:
    return skipped(f"{error.api or 'an API'} is disabled, so this cannot be read (see google_apis)",
                   {"api": error.api})


def pool(ctx: Context, direction: str) -> Outcome:
    t = target(ctx, direction)
    project = project_of(t)
    if not (project and t.pool):
        return skipped("no pool is known", blocks=False)
    try:
        found = ctx.services.gcp.get_pool(project, t.pool)
    except ApiDisabledError as e:
        return _api_off(e)
    except (PermissionDeniedError, UnauthenticatedError) as e:
        return cannot_read(f"pool {t.pool}", e)
    evidence = {"pool": t.pool, "project": project}
    if found is None:
        return failed("pool-missing", f"pool {t.pool} does not exist in project {project}", evidence)
    evidence.update(state=found.get("state"), disabled=bool(found.get("disabled")))
    if found.get("state") == "DELETED":
        return failed("pool-deleted", f"pool {t.pool} is deleted (it can be undeleted for 30 days)", evidence)
    if found.get("disabled"):
        return failed("pool-disabled", f"pool {t.pool} is disabled", evidence)
    return passed(f"pool {t.pool} exists and is enabled", evidence, provide={key(direction, "pool"): found})


def provider(ctx: Context, direction: str, kind: str) -> Outcome:
    t = target(ctx, direction)
    project = project_of(t)
    if not (project and t.pool and t.provider):
        return skipped("no provider is known", blocks=False)
    try:
        found = ctx.services.gcp.get_provider(project, t.pool, t.provider)
    except ApiDisabledError as e:
        return _api_off(e)
    except NotFoundError:
        found = None
    except (PermissionDeniedError, UnauthenticatedError) as e:
        return cannot_read(f"provider {t.provider}", e)
    evidence: dict[str, Any] = {"provider": t.provider, "pool": t.pool}
    if found is None:
        return failed("provider-missing", f"pool {t.pool} has no provider {t.provider}", evidence)
    actual = "aws" if found.get("aws") else "oidc" if found.get("oidc") else "other"
    evidence.update(state=found.get("state"), disabled=bool(found.get("disabled")), type=actual,
                    attribute_condition=found.get("attributeCondition"),
                    attribute_mapping=found.get("attributeMapping") or "default")
    if actual == "aws":
        evidence["account_id"] = found["aws"].get("accountId")
    if actual == "oidc":
        evidence["issuer_uri"] = found["oidc"].get("issuerUri")
        evidence["allowed_audiences"] = list(found["oidc"].get("allowedAudiences") or [])
    if found.get("state") == "DELETED":
        return failed("provider-deleted", f"provider {t.provider} is deleted (it can be undeleted for 30 days)",
                      evidence, fix={"provider_kind": actual})
    if found.get("disabled"):
        return failed("provider-disabled", f"provider {t.provider} is disabled", evidence,
                      fix={"provider_kind": actual})
    if actual != kind:
        return failed("provider-wrong-type", f"provider {t.provider} is an {actual} provider; this workload needs "
                      f"an {kind} provider", evidence)
    return passed(f"provider {t.provider} ({actual}) exists and is enabled", evidence,
                  provide={key(direction, "provider"): found})


def service_account(ctx: Context, direction: str) -> Outcome:
    t = target(ctx, direction)
    email = t.service_account
    if not email:
        return skipped("no service account to impersonate: the federated identity is used directly", blocks=False)
    try:
        found = ctx.services.gcp.get_service_account(email)
    except ApiDisabledError as e:
        return _api_off(e)
    except (PermissionDeniedError, UnauthenticatedError) as e:
        return cannot_read(f"service account {email}", e)
    if found is None:
        return failed("service-account-missing", f"service account {email} does not exist", {"email": email})
    evidence = {"email": email, "unique_id": found.get("uniqueId"), "disabled": bool(found.get("disabled"))}
    if found.get("disabled"):
        return failed("impersonation-rejected", f"service account {email} is disabled", evidence,
                      remediation=None, fix={"service_account": email})
    return passed(f"service account {email} exists", evidence, provide={key(direction, "service_account"): found})


# --------------------------------------------------------------------------------- the binding
def expected_members(number: str, pool_id: str, mapped: cel.MappingResult) -> list[str]:
    """Every member that would admit this identity, as IAM matches them."""
    base = f"iam.googleapis.com/projects/{number}/locations/global/workloadIdentityPools/{pool_id}"
    out = []
    if mapped.subject:
        out.append(f"principal://{base}/subject/{mapped.subject}")
    for name, value in mapped.attributes.items():
        scope, _, attr = name.partition(".")
        values = value if isinstance(value, list) else [value]
        if scope == "attribute":
            out.extend(f"principalSet://{base}/attribute.{attr}/{v}" for v in values)
        elif name == "google.groups":
            out.extend(f"principalSet://{base}/group/{v}" for v in values)
    out.append(f"principalSet://{base}/*")
    return out


def principal_binding(ctx: Context, direction: str, recommended: str, account_id: str | None) -> Outcome:
    """Compare the principal(s) the exchange will produce with the service account's policy members."""
    t = target(ctx, direction)
    email = t.service_account
    if not email:
        return skipped("no service account: nothing to bind", blocks=False)
    mapped = ctx.get(key(direction, "mapped"))
    number = number_of(ctx, direction)
    if mapped is None or not number or not t.pool:
        return skipped("the mapped attributes or the project number are unknown, so the binding cannot be "
                       "compared", blocks=False)
    try:
        policy = ctx.services.gcp.get_service_account_policy(email)
    except ApiDisabledError as e:
        return _api_off(e)
    except NotFoundError:
        return skipped(f"service account {email} does not exist (see service_account)")
    except (PermissionDeniedError, UnauthenticatedError) as e:
        return cannot_read(f"the IAM policy of {email}", e)
    expected = expected_members(number, t.pool, mapped)
    members = [(b.get("role"), m) for b in policy.get("bindings", []) if b.get("role") in TRUSTING_ROLES
               and not b.get("condition") for m in b.get("members", [])]
    matching = [m for _, m in members if m in expected]
    evidence: dict[str, Any] = {"service_account": email, "expected_any_of": expected,
                                "trusted_members": sorted({m for _, m in members})}
    if matching:
        robust = [m for m in matching if not (m.startswith("principal://") and ids.is_instance_session(m))]
        if not robust:
            return Outcome("warn", f"only the member {matching[0]} admits this caller: it names one EC2 instance's "
                           "session and stops matching when the instance is replaced", "principal-instance-session",
                           {**evidence, "matching": matching}, {key(direction, "binding_match"): matching[0]},
                           {"member": recommended, "bad_member": matching[0], "service_account": email})
        return passed(f"{robust[0]} is bound to roles/iam.workloadIdentityUser on {email}",
                      {**evidence, "matching": matching}, provide={key(direction, "binding_match"): robust[0]})
    findings = []
    for _, member in members:
        parsed = principals.parse_member(member, project_number=number, account_id=account_id)
        if not parsed.federated and parsed.kind != principals.OTHER:
            continue
        ours = parsed.pool is None or parsed.pool.lower() == t.pool.lower()
        for f in parsed.findings:
            if ours:
                findings.append((member, f))
    evidence["findings"] = [{"member": m, "code": f.code, "summary": f.summary} for m, f in findings]
    fix = {"member": recommended, "service_account": email}
    for code in _MEMBER_CAUSES:
        for member, f in findings:
            if f.code == code:
                return failed(code, f"{member} never matches: {f.summary}", evidence,
                              fix={**fix, "bad_member": member})
    return failed("binding-missing", f"no member of roles/iam.workloadIdentityUser on {email} matches this "
                  f"caller; expected {recommended}", evidence, fix=fix)


# -------------------------------------------------------------------------------- live steps
def sts_error_outcome(ctx: Context, direction: str, error: CloudError, evidence: dict[str, Any]) -> Outcome:
    """Name the root cause of an STS refusal (cloud-facts §3.1 S1–S17)."""
    message = error.message or ""
    code = error.code or ""
    evidence = {**evidence, "error": code, "error_description": message[:400]}
    summary = f"STS refused the exchange: {code}: {message[:200]}"
    t = target(ctx, direction)
    if isinstance(error, ApiDisabledError):
        return failed("api-disabled", summary, evidence, fix={"apis": [error.api or "sts.googleapis.com"]})
    if "rejected by the attribute condition" in message:
        return failed("attribute-condition-rejects", summary, evidence)
    if 'Invalid value for "audience"' in message:
        return failed("audience-malformed", summary, evidence)
    if code == "invalid_target":
        audience = evidence.get("audience", "")
        parts = str(audience).split("/")
        if "projects" in parts and not parts[parts.index("projects") + 1].isdigit():
            return failed("project-id-not-number", summary, evidence)
        return failed(_missing_pool_or_provider(ctx, direction, t), summary, evidence)
    if "does not match the provider" in message or ("AWS account" in message and "does not match" in message):
        return failed("provider-account-mismatch", summary, evidence)
    if "exceeds the 127 bytes" in message:
        return failed("subject-too-long", summary, evidence)
    if "The audience in ID Token" in message:
        return failed("oidc-audience-mismatch", summary, evidence)
    if "The issuer in ID Token" in message:
        return failed("oidc-issuer-mismatch", summary, evidence)
    if "stale to sign-in" in message or "Signature expired" in message or "expired" in message.lower():
        return failed("clock-skew", summary, evidence)
    if "InvalidClientTokenId" in message or "SignatureDoesNotMatch" in message:
        return failed("aws-credentials-invalid", summary, evidence)
    return failed("sts-exchange-rejected", summary, evidence)


def _missing_pool_or_provider(ctx: Context, direction: str, t: GoogleTarget) -> str:
    """S3 covers a missing, disabled or deleted pool or provider: ask which (best effort)."""
    for check_id in (f"{direction}.pool", f"{direction}.provider"):
        r = ctx.wait_for(check_id, 10)
        if r is not None and r.status == "fail" and r.cause:
            return r.cause
    return "provider-missing"


def exchange_outcome(ctx: Context, direction: str, audience: str, subject_token: str, token_type: str,
                     token_url: str | None, impersonating: bool) -> Outcome:
    scopes = [IAM_SCOPE] if impersonating else [CLOUD_PLATFORM]
    evidence: dict[str, Any] = {"audience": audience, "subject_token_type": token_type, "scope": scopes[0],
                                "subject_token_length": len(subject_token)}
    if token_url:
        evidence["token_url"] = token_url
    try:
        out = ctx.services.workload.sts_exchange(audience, subject_token, token_type, scopes, token_url)
    except TransientError as e:
        return failed("sts-exchange-rejected", f"could not reach STS: {e.message[:200]}", evidence)
    except CloudError as e:
        return sts_error_outcome(ctx, direction, e, evidence)
    token = out.get("access_token") or ""
    ctx.secret(token)
    evidence["federated_token"] = {"length": len(token), "expires_in": out.get("expires_in"),
                                   "token_type": out.get("token_type"),
                                   "issued_token_type": out.get("issued_token_type")}
    return passed(f"STS issued a federated token ({len(token)} characters, expires in {out.get('expires_in')} s)",
                  evidence, provide={key(direction, "federated_token"): token})


def generate_access_token(ctx: Context, direction: str, impersonation_email: str | None) -> Outcome:
    """generateAccessToken as the federated principal; with --wait, retry through IAM propagation."""
    token = ctx.need(key(direction, "federated_token"))
    if not impersonation_email:
        return skipped("the configuration does not impersonate a service account: the federated token is the "
                       "credential", blocks=False)
    email = impersonation_email
    deadline = time.monotonic() + max(0.0, ctx.inputs.wait_s)
    attempts = 0
    delay = 1.0
    while True:
        attempts += 1
        try:
            out = ctx.services.workload.generate_access_token(email, token, [CLOUD_PLATFORM])
        except PermissionDeniedError as e:
            outcome = _denied(ctx, direction, email, e, attempts)
            if outcome.cause != "binding-propagating" or time.monotonic() + delay > deadline \
                    or ctx.cancelled.is_set():
                return outcome
            time.sleep(delay)
            delay = min(delay * 1.5, 15.0)
            continue
        except NotFoundError as e:
            return failed("service-account-missing", f"generateAccessToken: {e.message[:200]}",
                          {"service_account": email, "error": e.message[:300]})
        except ApiDisabledError as e:
            return failed("api-disabled", f"generateAccessToken: {e.message[:200]}", {"api": e.api},
                          fix={"apis": [e.api or "iamcredentials.googleapis.com"]})
        except CloudError as e:
            return failed("impersonation-rejected", f"generateAccessToken: {e.message[:200]}",
                          {"service_account": email, "status": e.status, "error": e.message[:300]},
                          fix={"service_account": email})
        access = out["access_token"]
        ctx.secret(access)
        waited = f" after {attempts} attempts" if attempts > 1 else ""
        return passed(f"got an access token for {email}{waited}",
                      {"service_account": email, "access_token": {"length": len(access),
                                                                  "expire_time": out.get("expire_time")},
                       "attempts": attempts},
                      provide={key(direction, "access_token"): access})


def _denied(ctx: Context, direction: str, email: str, error: PermissionDeniedError, attempts: int) -> Outcome:
    evidence = {"service_account": email, "error": error.message[:300], "permission": error.permission,
                "attempts": attempts}
    binding = ctx.wait_for(f"{direction}.principal_binding", 30)
    if binding is not None and binding.status in ("pass", "warn"):
        wait = ctx.inputs.wait_s
        more = (f" (still denied after waiting {wait:.0f} s)" if wait else
                "; run again with --wait 420 to retry until it propagates")
        return failed("binding-propagating", f"the policy admits this caller but generateAccessToken is still "
                      f"denied: IAM has not propagated the binding yet{more}", evidence)
    if binding is not None and binding.status == "fail" and binding.cause:
        return failed(binding.cause, f"403 {GET_ACCESS_TOKEN} denied: {binding.summary}", evidence,
                      remediation=binding.remediation)
    return failed("binding-missing", f"403 {GET_ACCESS_TOKEN} denied on {email}", evidence,
                  fix={"service_account": email})


def target_api(ctx: Context, direction: str) -> Outcome:
    url = ctx.inputs.call_api
    if not url:
        return skipped("no target API to call (pass --call-api URL)", blocks=False)
    token = ctx.get(key(direction, "access_token")) or ctx.get(key(direction, "federated_token"))
    if not token:
        return skipped("no token to call it with")
    try:
        answer = ctx.services.workload.call_api(url, token)
    except TransientError as e:
        return failed("target-api-denied", f"GET {url} failed: {e.message[:200]}", {"url": url})
    evidence = {"url": url, "status": answer.status}
    if 200 <= answer.status < 300:
        return passed(f"GET {url} answered {answer.status}", evidence)
    return failed("target-api-denied", f"GET {url} answered {answer.status}", {**evidence,
                  "body": answer.text[:300]})


def token_evidence(token: str) -> Mapping[str, Any]:
    return token_facts(token)
