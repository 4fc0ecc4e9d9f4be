"""The emulated iamcredentials.googleapis.com: service-account impersonation (cloud-facts §1.6, §3.2).

`generateAccessToken` is the second hop of workload identity federation: the federated principal
must hold `iam.serviceAccounts.getAccessToken` on the service account (roles/iam.workloadIdentityUser),
as IAM Credentials sees the policy after the propagation-delay knob.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from ..errors_google import GoogleError, invalid_argument, not_found, permission_denied, service_disabled
from ..http import Call, Route
from .auth import CLOUD_PLATFORM, FederatedPrincipal, ServiceAccountPrincipal
from .state import ServiceAccount

SERVICE = "iamcredentials.googleapis.com"
MAX_LIFETIME_S = 3600
_LIFETIME = re.compile(r"^([0-9]+)(?:\.([0-9]{1,9}))?s$")
_SCOPE = re.compile(r"^(https://www\.googleapis\.com/auth/[A-Za-z0-9._/-]+|openid|email|profile)$")


def routes() -> list[Route]:
    base = "v1/projects/{projectsId}/serviceAccounts/{serviceAccountsId}"
    prefix = "iamcredentials.projects.serviceAccounts"
    return [
        Route("POST", f"{base}:generateAccessToken", f"{prefix}.generateAccessToken", generate_access_token),
        Route("POST", f"{base}:generateIdToken", f"{prefix}.generateIdToken", generate_id_token),
    ]


def _invalid_request() -> GoogleError:
    # C3 verbatim (google-github-actions/auth TROUBLESHOOTING.md)
    return invalid_argument("Request contains an invalid argument.")


def _target(call: Call, permission: str) -> ServiceAccount:
    """The service account named in the path, after the checks IAM Credentials makes before doing anything."""
    sb = call.sandbox
    if call.params["projectsId"] != "-":
        # synthetic message: the docs say "The `-` wildcard character is required; replacing it with a
        # project ID is invalid." — the error Google answers with is not captured
        raise invalid_argument("The `-` wildcard character is required for the project ID.")
    ref = urllib.parse.unquote(call.params["serviceAccountsId"])  # `@` may arrive as %40
    sa = sb.google.find_service_account(ref)
    if sa is None:
        raise not_found(f"Not found; Gaia id not found for email {ref}")  # C2 (cloud-facts §3.2)
    project = sb.google.project(sa.project_id)
    if not project.is_enabled(SERVICE):
        raise service_disabled(SERVICE, project.number)  # C6
    principal = call.principal
    if isinstance(principal, FederatedPrincipal) and not _pool_active(call, principal):
        # "Credentials issued for a deleted pool do not grant access to resources" (disc:iam.v1, cloud-facts §2.5)
        raise permission_denied(permission)
    if not sb.google_auth.has_permission(principal, permission, project, sa, propagated=True):
        raise permission_denied(permission)  # C1
    if sa.disabled:
        # synthetic: the text for a disabled service account is not captured
        raise GoogleError(400, f"Service account {sa.email} is disabled.", "FAILED_PRECONDITION")
    return sa


def _pool_active(call: Call, principal: FederatedPrincipal) -> bool:
    pool = call.sandbox.google.pool_by_number(principal.project_number, principal.pool_id)
    return pool is not None and pool.state == "ACTIVE" and not pool.disabled


def _no_delegates(body: dict[str, Any]) -> None:
    if body.get("delegates"):
        # synthetic: delegation chains are not modelled by the sandbox; refuse rather than allow them all
        raise invalid_argument("Delegation chains are not supported by the xwiz sandbox.")


def parse_lifetime(value: Any) -> int:
    if value is None or value == "":
        return MAX_LIFETIME_S
    m = _LIFETIME.match(str(value))
    if not m:
        # synthetic wording in Google's style for a malformed google.protobuf.Duration
        raise invalid_argument(f"Invalid value at 'lifetime' (type.googleapis.com/google.protobuf.Duration), "
                               f"Field 'lifetime', Illegal duration format; duration must end with 's'")
    seconds = int(m.group(1)) + (1 if m.group(2) and int(m.group(2)) > 0 else 0)
    if seconds <= 0:
        raise invalid_argument("Lifetime of access token must be larger then zero.")  # C4, verbatim typo "then"
    if seconds > MAX_LIFETIME_S:
        raise invalid_argument("can not have lifetimes of more than 1 hour. Use the Org Policy Constraint "
                               "constraints/iam.allowServiceAccountCredentialLifetimeExtension to allow up to "
                               "12 hours.")  # C4 second message
    return seconds


def parse_scopes(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise _invalid_request()  # C3: no scopes (M27)
    scopes = [s for s in value if isinstance(s, str) and s]
    if not scopes:
        return (CLOUD_PLATFORM,)  # `[""]` defaults to cloud-platform (measured, cloud-facts §1.6)
    if not all(_SCOPE.match(s) for s in scopes):
        raise _invalid_request()  # bogus scope → 400 INVALID_ARGUMENT (cloud-facts §1.6)
    return tuple(scopes)


def generate_access_token(call: Call) -> dict[str, Any]:
    body = call.json()  # google-cloud-iam's `$alt=json;enum-encoding=int` query is ignored, as Google does
    sa = _target(call, "iam.serviceAccounts.getAccessToken")
    _no_delegates(body)
    scopes = parse_scopes(body.get("scope"))
    lifetime = parse_lifetime(body.get("lifetime"))
    sb = call.sandbox
    token, expires_in = sb.google_auth.issue(ServiceAccountPrincipal(sa.email), scopes, lifetime)
    # google-auth parses expireTime with "%Y-%m-%dT%H:%M:%SZ": no fractional seconds
    return {"accessToken": token, "expireTime": sb.clock.iso_aws(sb.clock.now() + expires_in)}


def generate_id_token(call: Call) -> dict[str, Any]:
    body = call.json()
    sa = _target(call, "iam.serviceAccounts.getOpenIdToken")
    _no_delegates(body)
    audience = body.get("audience")
    if not isinstance(audience, str) or not audience:
        raise _invalid_request()  # audience is required (disc:iamcredentials.v1); Google's generic text
    include_email = bool(body.get("includeEmail", False))
    return {"token": call.sandbox.mint_google_id_token(sa.email, audience, include_email=include_email)}
