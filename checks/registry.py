"""Every check, in the order the doctor shows them: an explicit tuple, so `--list-checks` is stable
and importing a check module never registers anything (checkov's anti-pattern)."""

from __future__ import annotations

from .aws_to_gcp.attribute_condition import attribute_condition as a2g_attribute_condition
from .aws_to_gcp.attribute_mapping import attribute_mapping as a2g_attribute_mapping
from .aws_to_gcp.aws_credentials import aws_credentials as a2g_aws_credentials
from .aws_to_gcp.caller_identity import caller_identity as a2g_caller_identity
from .aws_to_gcp.credential_config import credential_config as a2g_credential_config
from .aws_to_gcp.generate_access_token import generate_access_token as a2g_generate_access_token
from .aws_to_gcp.google_apis import google_apis as a2g_google_apis
from .aws_to_gcp.pool import pool as a2g_pool
from .aws_to_gcp.principal_binding import principal_binding as a2g_principal_binding
from .aws_to_gcp.provider import provider as a2g_provider
from .aws_to_gcp.provider_account import provider_account as a2g_provider_account
from .aws_to_gcp.region import region as a2g_region
from .aws_to_gcp.service_account import service_account as a2g_service_account
from .aws_to_gcp.sts_exchange import sts_exchange as a2g_sts_exchange
from .aws_to_gcp.subject_length import subject_length as a2g_subject_length
from .aws_to_gcp.target_api import target_api as a2g_target_api
from .config.clock_skew import clock_skew
from .eks_to_gcp.attribute_condition import attribute_condition as e2g_attribute_condition
from .eks_to_gcp.attribute_mapping import attribute_mapping as e2g_attribute_mapping
from .eks_to_gcp.audience import audience as e2g_audience
from .eks_to_gcp.credential_config import credential_config as e2g_credential_config
from .eks_to_gcp.generate_access_token import generate_access_token as e2g_generate_access_token
from .eks_to_gcp.google_apis import google_apis as e2g_google_apis
from .eks_to_gcp.issuer import issuer as e2g_issuer
from .eks_to_gcp.pool import pool as e2g_pool
from .eks_to_gcp.principal_binding import principal_binding as e2g_principal_binding
from .eks_to_gcp.provider import provider as e2g_provider
from .eks_to_gcp.service_account import service_account as e2g_service_account
from .eks_to_gcp.sts_exchange import sts_exchange as e2g_sts_exchange
from .eks_to_gcp.subject_length import subject_length as e2g_subject_length
from .eks_to_gcp.target_api import target_api as e2g_target_api
from .eks_to_gcp.token_file import token_file as e2g_token_file
from .gcp_to_aws.assume_role import assume_role as g2a_assume_role
from .gcp_to_aws.caller_identity import caller_identity as g2a_caller_identity
from .gcp_to_aws.id_token import id_token as g2a_id_token
from .gcp_to_aws.role import role as g2a_role
from .gcp_to_aws.service_account import service_account as g2a_service_account
from .gcp_to_aws.trust_policy import trust_policy as g2a_trust_policy
from .spec import CheckSpec

CHECKS: tuple[CheckSpec, ...] = (
    clock_skew,
    # AWS → Google Cloud, in exchange order
    a2g_aws_credentials,
    a2g_region,
    a2g_caller_identity,
    a2g_credential_config,
    a2g_google_apis,
    a2g_pool,
    a2g_provider,
    a2g_provider_account,
    a2g_attribute_mapping,
    a2g_attribute_condition,
    a2g_subject_length,
    a2g_service_account,
    a2g_principal_binding,
    a2g_sts_exchange,
    a2g_generate_access_token,
    a2g_target_api,
    # EKS pod (IRSA) → Google Cloud
    e2g_token_file,
    e2g_credential_config,
    e2g_google_apis,
    e2g_pool,
    e2g_provider,
    e2g_issuer,
    e2g_audience,
    e2g_attribute_mapping,
    e2g_attribute_condition,
    e2g_subject_length,
    e2g_service_account,
    e2g_principal_binding,
    e2g_sts_exchange,
    e2g_generate_access_token,
    e2g_target_api,
    # Google Cloud → AWS
    g2a_id_token,
    g2a_service_account,
    g2a_role,
    g2a_trust_policy,
    g2a_assume_role,
    g2a_caller_identity,
)

BY_ID: dict[str, CheckSpec] = {c.id: c for c in CHECKS}


def select(directions: tuple[str, ...]) -> tuple[CheckSpec, ...]:
    """The checks for these directions (plus the `config` group), in registry order."""
    return tuple(c for c in CHECKS if c.group == "config" or c.group in directions)
