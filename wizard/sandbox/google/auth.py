"""Who is calling: sandbox-issued access tokens, service-account keys, and IAM permission checks.

Every admin call must carry a token this sandbox issued (or a self-signed JWT of a service account
key it knows), else 401 — real Google refuses anonymous admin calls, and a sandbox that accepted
them would hide a client that forgot its credentials.
"""

from __future__ import annotations

import fnmatch
import secrets
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors_google import GoogleError, permission_denied, unauthenticated

if TYPE_CHECKING:
    from werkzeug.wrappers import Request

    from ..core import Sandbox
    from .state import Project, ServiceAccount

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
IAM_SCOPE = "https://www.googleapis.com/auth/iam"


@dataclass(frozen=True)
class ServiceAccountPrincipal:
    email: str

    @property
    def member(self) -> str:
        return f"serviceAccount:{self.email}"


@dataclass(frozen=True)
class FederatedPrincipal:
    """An identity from a workload identity pool, as STS minted it."""

    project_number: str
    pool_id: str
    subject: str
    attributes: tuple[tuple[str, Any], ...] = ()
    groups: tuple[str, ...] = ()

    @property
    def pool_path(self) -> str:
        return f"projects/{self.project_number}/locations/global/workloadIdentityPools/{self.pool_id}"

    @property
    def member(self) -> str:
        return f"principal://iam.googleapis.com/{self.pool_path}/subject/{self.subject}"


Principal = ServiceAccountPrincipal | FederatedPrincipal


@dataclass
class TokenInfo:
    principal: Principal
    scopes: tuple[str, ...]
    expires_at: float
    kind: str = "access"  # access | federated


def member_matches(member: str, principal: Principal) -> bool:
    """Does a policy member name this principal? Rules of disc:iam.v1 `Binding.members` (cloud-facts §1.4)."""
    if isinstance(principal, ServiceAccountPrincipal):
        return member == principal.member
    prefix_set = f"principalSet://iam.googleapis.com/{principal.pool_path}/"
    if member == f"principal://iam.googleapis.com/{principal.pool_path}/subject/{principal.subject}":
        return True
    if not member.startswith(prefix_set):
        return False
    rest = member[len(prefix_set):]
    if rest == "*":
        return True
    if rest.startswith("group/"):
        return rest[len("group/"):] in principal.groups
    if rest.startswith("attribute."):
        name, sep, value = rest[len("attribute."):].partition("/")
        if not sep:
            return False
        for attr_name, attr_value in principal.attributes:
            if attr_name != name:
                continue
            values = attr_value if isinstance(attr_value, (list, tuple)) else [attr_value]
            return any(str(v) == value for v in values)
    return False


# The permissions of the predefined roles the sandbox knows. Patterns use fnmatch.
# Source: Google's predefined roles reference (https://cloud.google.com/iam/docs/understanding-roles);
# trimmed to the permissions these APIs check.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "roles/owner": ("*",),
    "roles/editor": ("iam.*", "serviceusage.*", "resourcemanager.projects.get"),
    "roles/viewer": ("*.get", "*.list", "serviceusage.services.get", "serviceusage.services.list"),
    "roles/iam.securityReviewer": ("*.getIamPolicy", "*.get", "*.list"),
    "roles/iam.workloadIdentityPoolAdmin": ("iam.workloadIdentityPools.*", "iam.workloadIdentityPoolProviders.*"),
    "roles/iam.workloadIdentityPoolViewer": ("iam.workloadIdentityPools.get", "iam.workloadIdentityPools.list",
                                             "iam.workloadIdentityPoolProviders.get",
                                             "iam.workloadIdentityPoolProviders.list"),
    "roles/iam.serviceAccountAdmin": ("iam.serviceAccounts.create", "iam.serviceAccounts.delete",
                                      "iam.serviceAccounts.get", "iam.serviceAccounts.list",
                                      "iam.serviceAccounts.update", "iam.serviceAccounts.undelete",
                                      "iam.serviceAccounts.getIamPolicy", "iam.serviceAccounts.setIamPolicy"),
    "roles/iam.serviceAccountViewer": ("iam.serviceAccounts.get", "iam.serviceAccounts.list"),
    "roles/iam.workloadIdentityUser": ("iam.serviceAccounts.get", "iam.serviceAccounts.list",
                                       "iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.getOpenIdToken"),
    "roles/iam.serviceAccountTokenCreator": ("iam.serviceAccounts.get", "iam.serviceAccounts.getAccessToken",
                                             "iam.serviceAccounts.getOpenIdToken", "iam.serviceAccounts.signBlob",
                                             "iam.serviceAccounts.signJwt", "iam.serviceAccounts.implicitDelegation"),
    "roles/iam.serviceAccountOpenIdTokenCreator": ("iam.serviceAccounts.getOpenIdToken",),
    "roles/serviceusage.serviceUsageAdmin": ("serviceusage.services.*", "serviceusage.operations.*"),
    "roles/serviceusage.serviceUsageViewer": ("serviceusage.services.get", "serviceusage.services.list"),
    "roles/serviceusage.serviceUsageConsumer": ("serviceusage.services.use",),
    "roles/resourcemanager.projectIamAdmin": ("resourcemanager.projects.getIamPolicy",
                                              "resourcemanager.projects.setIamPolicy"),
    "roles/browser": ("resourcemanager.projects.get",),
}


# Permissions a role's patterns would match but the real role does not hold. The basic roles
# Owner and Editor do not let a principal create short-lived credentials for a service account:
# whoever calls generateAccessToken / generateIdToken / signBlob / signJwt — a project owner too —
# needs roles/iam.serviceAccountTokenCreator (or roles/iam.serviceAccountOpenIdTokenCreator for ID
# tokens) granted explicitly. Sources: "Use service account impersonation", Required roles
# (https://cloud.google.com/docs/authentication/use-service-account-impersonation); "Roles for
# service account authentication" (https://cloud.google.com/iam/docs/service-account-permissions:
# "To complete these tasks, you need the Service Account Token Creator role on the service
# account"); a service account with a key even needs it on itself (GH:google-github-actions/auth#58).
# A sandbox that let the owner mint tokens would hide a flow that forgot the grant.
_TOKEN_MINTING = ("iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.getOpenIdToken",
                  "iam.serviceAccounts.signBlob", "iam.serviceAccounts.signJwt",
                  "iam.serviceAccounts.implicitDelegation")
ROLE_EXCLUSIONS: dict[str, frozenset[str]] = {
    "roles/owner": frozenset(_TOKEN_MINTING),
    "roles/editor": frozenset(_TOKEN_MINTING),
}


def role_grants(role: str, permission: str) -> bool:
    if permission in ROLE_EXCLUSIONS.get(role, ()):
        return False
    return any(fnmatch.fnmatchcase(permission, pattern) for pattern in ROLE_PERMISSIONS.get(role, ()))


def bindings_grant(bindings: list[dict[str, Any]], principal: Principal, permission: str) -> bool:
    for binding in bindings:
        if binding.get("condition"):
            continue  # conditional role bindings are not modelled: they grant nothing here
        if not role_grants(binding.get("role", ""), permission):
            continue
        if any(member_matches(m, principal) for m in binding.get("members", [])):
            return True
    return False


class GoogleAuth:
    """Token registry and permission checks for the emulated Google APIs."""

    def __init__(self, sandbox: "Sandbox") -> None:
        self.sandbox = sandbox
        self._tokens: dict[str, TokenInfo] = {}
        self._lock = threading.Lock()
        self.service_account_keys: dict[str, tuple[str, Any]] = {}
        """key id -> (service account email, public key object), for JWT-bearer grants and self-signed JWTs."""

    # -- issuing -----------------------------------------------------------------------------
    def issue(self, principal: Principal, scopes: tuple[str, ...] | list[str], lifetime_s: int = 3600,
              kind: str = "access") -> tuple[str, int]:
        """A new opaque access token; returns (token, expires_in)."""
        # The prefix marks sandbox tokens so canary tests can spot one that leaked into output.
        token = f"ya29.xwiz-sbx.{secrets.token_urlsafe(40)}"
        with self._lock:
            self._tokens[token] = TokenInfo(principal, tuple(scopes), self.sandbox.clock.now() + lifetime_s, kind)
        return token, lifetime_s

    def lookup(self, token: str) -> TokenInfo | None:
        with self._lock:
            info = self._tokens.get(token)
        if info is None or info.expires_at <= self.sandbox.clock.now():
            return None
        return info

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()

    # -- checking ----------------------------------------------------------------------------
    def token_info_for_request(self, request: "Request") -> TokenInfo:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthenticated()
        token = token.strip()
        info = self.lookup(token)
        if info is not None:
            return info
        info = self._self_signed_jwt(token)
        if info is not None:
            return info
        raise unauthenticated()

    def principal_for_request(self, request: "Request") -> Principal:
        return self.token_info_for_request(request).principal

    def _self_signed_jwt(self, token: str) -> TokenInfo | None:
        """A service-account key's self-signed JWT, which Google APIs accept as a bearer token."""
        if token.count(".") != 2:
            return None
        import jwt

        try:
            header = jwt.get_unverified_header(token)
            entry = self.service_account_keys.get(header.get("kid", ""))
            if entry is None:
                return None
            email, public_key = entry
            claims = jwt.decode(token, public_key, algorithms=["RS256"], options={"verify_aud": False},
                                leeway=60)
        except jwt.PyJWTError:
            return None
        if claims.get("iss") != email or claims.get("sub") != email:
            return None
        now = self.sandbox.clock.now()
        exp = float(claims.get("exp", 0))
        if exp <= now or exp - float(claims.get("iat", now)) > 3600 + 60:
            return None
        scope = claims.get("scope", CLOUD_PLATFORM)
        return TokenInfo(ServiceAccountPrincipal(email), tuple(str(scope).split()), exp)

    def has_permission(self, principal: Principal, permission: str, project: "Project",
                       service_account: "ServiceAccount | None" = None, *, propagated: bool = False) -> bool:
        """Project policy, plus the service account's own policy when the resource is one.

        `propagated=True` reads the service account's policy as IAM Credentials sees it, after the
        propagation delay knob (cloud-facts M09: ~70 s measured, up to 7 min documented).
        """
        if bindings_grant(project.policy.bindings, principal, permission):
            return True
        if service_account is not None:
            if propagated:
                bindings = service_account.effective_bindings(self.sandbox.clock.now(),
                                                              self.sandbox.knobs.propagation_delay_s)
            else:
                bindings = service_account.policy.bindings
            if bindings_grant(bindings, principal, permission):
                return True
        return False

    def require(self, principal: Principal, permission: str, project: "Project",
                service_account: "ServiceAccount | None" = None, resource: str = "") -> None:
        if not self.has_permission(principal, permission, project, service_account):
            raise permission_denied(permission, resource)


def oauth_error(error: str, description: str, status: int = 400) -> GoogleError:
    # oauth2.googleapis.com/token answers in the OAuth shape; GoogleApp turns StsError into that.
    from ..errors_google import StsError

    return StsError(error, description, status)  # type: ignore[return-value]
