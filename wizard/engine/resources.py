"""What the engine wants each Google resource to look like, computed from the spec (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wizard.model import cel, principals
from wizard.model.spec import AwsToGcp, EksToGcp, FederationSpec

WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"
EKS_MAPPING = {"google.subject": "assertion.sub"}


@dataclass(frozen=True)
class DesiredProvider:
    provider_id: str
    kind: str  # "aws" | "oidc"
    body: dict[str, Any]
    """The provider resource as sent on create (no name/state)."""
    source: str
    """`aws_to_gcp[0]` etc., for messages."""


@dataclass(frozen=True)
class DesiredAccess:
    """Who gets what: the workloadIdentityUser members on each service account, and direct grants."""

    sa_members: dict[str, list[str]] = field(default_factory=dict)
    """service account email -> federated members to bind to roles/iam.workloadIdentityUser."""
    project_grants: dict[str, list[str]] = field(default_factory=dict)
    """role -> members to add on the project (service accounts' grant_roles, or direct federated access)."""
    audit_logs: bool = False


def aws_provider(entry: AwsToGcp, display: str | None = None) -> DesiredProvider:
    condition = entry.attribute_condition or cel.aws_role_condition(entry.roles)
    body: dict[str, Any] = {"displayName": display or f"AWS {entry.account_id}"[:32],
                            "aws": {"accountId": entry.account_id},
                            "attributeCondition": condition}
    return DesiredProvider(entry.provider, "aws", body, "aws_to_gcp")


def eks_provider(entry: EksToGcp, issuer: str) -> DesiredProvider:
    body: dict[str, Any] = {"displayName": (f"EKS {entry.cluster}" if entry.cluster else "EKS cluster")[:32],
                            "oidc": {"issuerUri": issuer, "allowedAudiences": list(entry.allowed_audiences)},
                            "attributeMapping": dict(EKS_MAPPING)}
    if entry.attribute_condition:
        body["attributeCondition"] = entry.attribute_condition
    return DesiredProvider(entry.provider, "oidc", body, "eks_to_gcp")


def desired_access(spec: FederationSpec, number: str) -> DesiredAccess:
    pool = spec.gcp.pool
    sa_members: dict[str, list[str]] = {}
    grants: dict[str, list[str]] = {}

    def add(d: dict[str, list[str]], key: str, values: list[str]) -> None:
        bucket = d.setdefault(key, [])
        bucket.extend(v for v in values if v not in bucket)

    for entry in spec.aws_to_gcp:
        members = [principals.aws_role_principal_set(number, pool, role) for role in entry.roles]
        _route(entry, members, sa_members, grants, add)
    for entry in spec.eks_to_gcp:
        members = [principals.kubernetes_principal(number, pool, ksa) for ksa in entry.kubernetes_service_accounts]
        _route(entry, members, sa_members, grants, add)
    return DesiredAccess(sa_members, grants, any(e.audit_logs for e in spec.aws_to_gcp))


def _route(entry, members, sa_members, grants, add) -> None:
    if entry.service_account:
        add(sa_members, entry.service_account, members)
        for role in entry.grant_roles:
            add(grants, role, [f"serviceAccount:{entry.service_account}"])
    else:
        # no service account: the federated identities get the roles directly (principal:// access)
        for role in entry.grant_roles:
            add(grants, role, members)
