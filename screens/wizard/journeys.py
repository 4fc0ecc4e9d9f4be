"""The journeys as data: which steps, in which order, and how a finished draft becomes a spec.

The spec is built with `spec_from_flags`, the code `xwiz init` uses, so the TUI and the CLI accept
and refuse exactly the same values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wizard.model.spec import FederationSpec, spec_from_flags

from ..context import Draft
from .aws_step import AwsStep
from .eks_step import EksStep
from .gcp_to_aws_step import GcpToAwsStep
from .google_step import GoogleStep, ProjectStep
from .provider_step import ProviderStep
from .service_account_step import ServiceAccountStep

_GCP = ("project", "pool")
_FIELDS = {
    "aws-to-gcp": _GCP + ("account_id", "provider", "roles", "service_account", "create_service_account",
                          "grant_roles", "credential_config", "attribute_condition"),
    "eks-to-gcp": _GCP + ("cluster", "region", "provider", "kubernetes_service_accounts", "allowed_audiences",
                          "service_account", "create_service_account", "grant_roles", "credential_config"),
    "gcp-to-aws": ("project", "service_account", "account_id", "role_name", "audience", "policies", "profile"),
}


@dataclass(frozen=True)
class Journey:
    key: str
    title: str
    direction: str
    steps: tuple[type, ...]

    def build_spec(self, draft: Draft) -> FederationSpec:
        values: dict[str, Any] = {k: draft.get(k) for k in _FIELDS[self.direction]}
        if values.get("create_service_account") is False:
            values["create_service_account"] = None  # the flag's "not given"
        return spec_from_flags(self.direction, **values)

    def initial_draft(self, spec: FederationSpec | None) -> Draft:
        """Start from the loaded xwiz.toml's first entry of this direction, when there is one."""
        if spec is None:
            return Draft()
        values: dict[str, Any] = {"project": spec.gcp.project, "pool": spec.gcp.pool}
        section = {"aws-to-gcp": spec.aws_to_gcp, "eks-to-gcp": spec.eks_to_gcp,
                   "gcp-to-aws": spec.gcp_to_aws}[self.direction]
        if section:
            entry = section[0]
            for name in _FIELDS[self.direction]:
                if hasattr(entry, name):
                    value = getattr(entry, name)
                    if name == "roles":
                        value = [r.role_name if r.account == entry.account_id else r.arn for r in value]
                        values["_roles"] = entry.roles
                    elif name == "kubernetes_service_accounts":
                        value = [str(k) for k in value]
                    elif isinstance(value, tuple):
                        value = list(value)
                    values[name] = value
        return Draft().with_values(**{k: v for k, v in values.items() if v is not None})


JOURNEYS = {
    "aws-to-gcp": Journey("aws-to-gcp", "AWS role → Google Cloud", "aws-to-gcp",
                          (GoogleStep, AwsStep, ProviderStep, ServiceAccountStep)),
    "eks-to-gcp": Journey("eks-to-gcp", "EKS pod → Google Cloud", "eks-to-gcp",
                          (GoogleStep, EksStep, ServiceAccountStep)),
    "gcp-to-aws": Journey("gcp-to-aws", "Google Cloud → AWS", "gcp-to-aws", (ProjectStep, GcpToAwsStep)),
}
