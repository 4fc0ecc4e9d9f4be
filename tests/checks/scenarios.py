"""One misconfiguration per cause code, seeded through the public APIs on a healthy setup.

Each `Scenario` names the setup it breaks, how (`seed`), where the doctor must report it
(`check_id`, `status`, `cause`), and which of the remediation's commands a user would run
(`run`: command prefixes, in the remediation's order) to make the next run pass.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from tests.sandbox import google_admin_clients as gac

from .conftest import ACCOUNT, AWS_PROVIDER, EKS_PROVIDER, G2A_ROLE, GCE_SA, NUMBER, POOL, PROJECT, ROLE, SA, services_for

AWS_CONFIG = f"credentials-{AWS_PROVIDER}.json"
WIU = "roles/iam.workloadIdentityUser"
BASE = f"iam.googleapis.com/projects/{NUMBER}/locations/global/workloadIdentityPools/{POOL}"
GOOD_MEMBER = f"principalSet://{BASE}/attribute.aws_role/arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}"


@dataclass
class World:
    sb: Any
    directory: Path
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)

    @property
    def gcp(self):
        return services_for(self.sb).gcp

    @property
    def iam(self):
        import boto3

        ep = self.sb.endpoints["aws"]
        return boto3.client("iam", endpoint_url=ep["endpoint_url"], region_name=ep["region"],
                            aws_access_key_id=ep["admin"]["access_key_id"],
                            aws_secret_access_key=ep["admin"]["secret_access_key"])

    def google(self, api: str):
        return gac.cached(api, "v1", self.sb.endpoints)

    def edit_config(self, fn: Callable[[dict], None], name: str = AWS_CONFIG) -> None:
        path = self.directory / name
        data = json.loads(path.read_text())
        fn(data)
        path.write_text(json.dumps(data, indent=2))

    def edit_spec(self, old: str, new: str) -> None:
        path = self.directory / "xwiz.toml"
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new))

    def set_members(self, email: str, members: list[str]) -> None:
        policy = self.gcp.get_service_account_policy(email)
        policy["bindings"] = [b for b in policy.get("bindings", []) if b["role"] != WIU]
        if members:
            policy["bindings"].append({"role": WIU, "members": members})
        self.gcp.set_service_account_policy(email, policy)

    def patch_provider(self, provider: str, body: dict, mask: str) -> None:
        self.gcp.patch_provider(PROJECT, POOL, provider, body, mask)

    def trust(self, statement: dict) -> None:
        self.iam.update_assume_role_policy(RoleName=G2A_ROLE, PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [statement]}))

    def unique_id(self) -> str:
        return self.gcp.get_service_account(GCE_SA)["uniqueId"]


@dataclass(frozen=True)
class Scenario:
    cause: str
    setup: str  # "aws" | "eks" | "g2a"
    check_id: str
    seed: Callable[[World], None]
    run: tuple[str, ...]
    status: str = "fail"


def _google_statement(w: World, **condition) -> dict:
    return {"Effect": "Allow", "Principal": {"Federated": "accounts.google.com"},
            "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": condition}}


def _wait_propagation(w: World) -> None:
    w.sb.set_knobs(propagation_delay_s=1.5)
    w.set_members(SA, [])
    time.sleep(1.7)  # the removal has propagated; the re-grant below has not
    w.set_members(SA, [GOOD_MEMBER])


def _delete_pool(w: World) -> None:
    pools = w.google("iam").projects().locations().workloadIdentityPools()
    pools.delete(name=f"projects/{PROJECT}/locations/global/workloadIdentityPools/{POOL}").execute()


def _delete_provider(w: World, provider: str) -> None:
    providers = w.google("iam").projects().locations().workloadIdentityPools().providers()
    providers.delete(name=f"projects/{PROJECT}/locations/global/workloadIdentityPools/{POOL}/providers/{provider}"
                     ).execute()


def _delete_sa(w: World) -> None:
    w.google("iam").projects().serviceAccounts().delete(name=f"projects/{PROJECT}/serviceAccounts/{SA}").execute()


def _disable_sts(w: World) -> None:
    w.google("serviceusage").services().disable(
        name=f"projects/{PROJECT}/services/sts.googleapis.com", body={}).execute()


def _oidc_provider_for_google(w: World) -> None:
    arn = w.iam.create_open_id_connect_provider(Url="https://accounts.google.com", ClientIDList=["gcp-app"],
                                                ThumbprintList=["0" * 40])["OpenIDConnectProviderArn"]
    uid = w.unique_id()
    w.trust({"Effect": "Allow", "Principal": {"Federated": arn}, "Action": "sts:AssumeRoleWithWebIdentity",
             "Condition": {"StringEquals": {"accounts.google.com:aud": uid, "accounts.google.com:sub": uid}}})


def _impersonated_service_account(w: World) -> None:
    """The entry names an account the metadata server here is not: its ID token comes from
    generateIdToken as the sandbox admin, a project owner without the OpenID Token Creator role."""
    from wizard.model import trustpolicy as tp

    other = w.gcp.create_service_account(PROJECT, "batch-runner")
    w.trust(tp.build_statement(other["uniqueId"], G2A_ROLE))
    w.edit_spec(f'service_account = "{GCE_SA}"', f'service_account = "{other["email"]}"')


CRED_CONFIG = "gcloud iam workload-identity-pools create-cred-config"
UPDATE_AWS = "gcloud iam workload-identity-pools providers update-aws"
UPDATE_OIDC = "gcloud iam workload-identity-pools providers update-oidc"
BIND = "gcloud iam service-accounts add-iam-policy-binding"
UNBIND = "gcloud iam service-accounts remove-iam-policy-binding"
TRUST = "aws iam update-assume-role-policy"
WRONG_SECRET = "wrong/secret/key/for/the/sandbox/admin0000"

SCENARIOS: tuple[Scenario, ...] = (
    # -- the workload's AWS identity -------------------------------------------------------------
    Scenario("aws-credentials-missing", "aws", "aws_to_gcp.aws_credentials",
             lambda w: w.edit_config(lambda c: c["credential_source"].pop("url")), (CRED_CONFIG,)),
    Scenario("aws-credentials-invalid", "aws", "aws_to_gcp.caller_identity",
             lambda w: w.env.update(AWS_ACCESS_KEY_ID=w.sb.endpoints["aws"]["admin"]["access_key_id"],
                                    AWS_SECRET_ACCESS_KEY=WRONG_SECRET, AWS_REGION="us-east-1"),
             ("unset",)),
    Scenario("imdsv2-required", "aws", "aws_to_gcp.aws_credentials",
             lambda w: (w.edit_config(lambda c: c["credential_source"].pop("imdsv2_session_token_url")),
                        w.sb.set_knobs(imdsv2_required=True)), (CRED_CONFIG,)),
    Scenario("cred-config-imdsv2-missing", "aws", "aws_to_gcp.credential_config",
             lambda w: w.edit_config(lambda c: c["credential_source"].pop("imdsv2_session_token_url")),
             (CRED_CONFIG,), status="warn"),
    Scenario("region-unresolved", "aws", "aws_to_gcp.region",
             lambda w: w.edit_config(lambda c: c["credential_source"].pop("region_url")), (CRED_CONFIG,)),
    Scenario("clock-skew", "aws", "config.clock_skew", lambda w: w.sb.set_knobs(clock_offset_s=900), ("sudo",)),
    # -- the Google side ------------------------------------------------------------------------------
    Scenario("api-disabled", "aws", "aws_to_gcp.google_apis", _disable_sts, ("gcloud services enable",)),
    Scenario("audience-malformed", "aws", "aws_to_gcp.credential_config",
             lambda w: w.edit_config(lambda c: c.update(audience=c["audience"].replace("//", "https://", 1))),
             (CRED_CONFIG,)),
    Scenario("project-id-not-number", "aws", "aws_to_gcp.credential_config",
             lambda w: w.edit_config(lambda c: c.update(audience=c["audience"].replace(NUMBER, PROJECT))),
             (CRED_CONFIG,)),
    Scenario("cred-config-invalid", "aws", "aws_to_gcp.credential_config",
             lambda w: w.edit_config(lambda c: c.update(token_url=c["token_url"].replace("/v1/token", "/v1beta/token"))),
             (CRED_CONFIG,)),
    Scenario("pool-missing", "aws", "aws_to_gcp.pool",
             lambda w: w.edit_spec(f'pool = "{POOL}"', 'pool = "aws-pool-2"'), ("xwiz apply",)),
    Scenario("pool-disabled", "aws", "aws_to_gcp.pool",
             lambda w: w.gcp.patch_pool(PROJECT, POOL, {"disabled": True}, "disabled"),
             ("gcloud iam workload-identity-pools update",)),
    Scenario("pool-deleted", "aws", "aws_to_gcp.pool", _delete_pool, ("gcloud iam workload-identity-pools undelete",)),
    Scenario("provider-missing", "aws", "aws_to_gcp.provider",
             lambda w: w.edit_spec(f'provider = "{AWS_PROVIDER}"', 'provider = "aws-workload-2"'), ("xwiz apply",)),
    Scenario("provider-disabled", "aws", "aws_to_gcp.provider",
             lambda w: w.patch_provider(AWS_PROVIDER, {"disabled": True}, "disabled"), (UPDATE_AWS,)),
    Scenario("provider-deleted", "aws", "aws_to_gcp.provider", lambda w: _delete_provider(w, AWS_PROVIDER),
             ("gcloud iam workload-identity-pools providers undelete",)),
    Scenario("provider-account-mismatch", "aws", "aws_to_gcp.provider_account",
             lambda w: w.patch_provider(AWS_PROVIDER, {"aws": {"accountId": "444455556666"}}, "aws.accountId"),
             (UPDATE_AWS,)),
    Scenario("attribute-mapping-invalid", "aws", "aws_to_gcp.attribute_mapping",
             lambda w: w.patch_provider(AWS_PROVIDER, {"attributeMapping": {
                 "google.subject": "assertion.arn", "attribute.team": "assertion.tags.team"}}, "attributeMapping"),
             (UPDATE_AWS,)),
    Scenario("attribute-condition-rejects", "aws", "aws_to_gcp.attribute_condition",
             lambda w: w.patch_provider(AWS_PROVIDER, {"attributeCondition":
                                                       f"assertion.arn.startsWith('arn:aws:sts::{ACCOUNT}:assumed-role/"
                                                       "other-role/')"}, "attributeCondition"),
             (UPDATE_AWS,)),
    Scenario("subject-too-long", "aws", "aws_to_gcp.subject_length",
             lambda w: w.patch_provider(AWS_PROVIDER, {"attributeMapping": {
                 "google.subject": "assertion.arn + '/' + assertion.userid + '/' + assertion.arn",
                 "attribute.aws_role": "assertion.arn.extract('{account_arn}assumed-role/') + 'assumed-role/' + "
                                       "assertion.arn.extract('assumed-role/{role_name}/')"}}, "attributeMapping"),
             (UPDATE_AWS,)),
    Scenario("principal-not-arn", "aws", "aws_to_gcp.principal_binding",
             lambda w: w.set_members(SA, [f"principalSet://{BASE}/attribute.aws_role/{ROLE}"]), (BIND, UNBIND)),
    Scenario("principal-iam-role-arn", "aws", "aws_to_gcp.principal_binding",
             lambda w: w.set_members(SA, [f"principalSet://{BASE}/attribute.aws_role/arn:aws:iam::{ACCOUNT}:role/{ROLE}"]),
             (BIND, UNBIND)),
    Scenario("principal-role-path", "aws", "aws_to_gcp.principal_binding",
             lambda w: w.set_members(SA, [f"principalSet://{BASE}/attribute.aws_role/"
                                          f"arn:aws:iam::{ACCOUNT}:role/team/{ROLE}"]), (BIND, UNBIND)),
    Scenario("principal-instance-session", "aws", "aws_to_gcp.principal_binding",
             lambda w: w.set_members(SA, [f"principal://{BASE}/subject/arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/"
                                          f"{w.sb.endpoints['aws']['instance_id']}"]), (BIND, UNBIND), status="warn"),
    Scenario("principal-malformed", "aws", "aws_to_gcp.principal_binding",
             lambda w: w.set_members(SA, [GOOD_MEMBER.replace(f"/{POOL}/", "/AWS-POOL/")]), (BIND, UNBIND)),
    Scenario("binding-missing", "aws", "aws_to_gcp.principal_binding", lambda w: w.set_members(SA, []), (BIND,)),
    Scenario("binding-propagating", "aws", "aws_to_gcp.generate_access_token", _wait_propagation, ("xwiz doctor",)),
    Scenario("service-account-missing", "aws", "aws_to_gcp.service_account", _delete_sa,
             ("gcloud iam service-accounts create", "xwiz apply")),
    # -- EKS ------------------------------------------------------------------------------------------
    Scenario("oidc-issuer-mismatch", "eks", "eks_to_gcp.issuer",
             lambda w: w.patch_provider(EKS_PROVIDER, {"oidc": {"issuerUri": w.sb.endpoints["aws"]["eks"]["issuer"]
                                                                .replace("us-east-1", "us-west-2")}}, "oidc.issuerUri"),
             (UPDATE_OIDC,)),
    Scenario("oidc-audience-mismatch", "eks", "eks_to_gcp.audience",
             lambda w: w.patch_provider(EKS_PROVIDER, {"oidc": {"allowedAudiences": ["gcp-federation"]}},
                                        "oidc.allowedAudiences"), (UPDATE_OIDC,)),
    # -- Google Cloud → AWS ---------------------------------------------------------------------------
    Scenario("trust-policy-aud-is-azp", "g2a", "gcp_to_aws.trust_policy",
             lambda w: w.trust(_google_statement(w, **{"accounts.google.com:aud": G2A_ROLE,
                                                       "accounts.google.com:sub": w.unique_id()})), (TRUST,)),
    Scenario("trust-policy-sub-not-unique-id", "g2a", "gcp_to_aws.trust_policy",
             lambda w: w.trust(_google_statement(w, **{"accounts.google.com:aud": w.unique_id(),
                                                       "accounts.google.com:sub": GCE_SA})), (TRUST,)),
    Scenario("trust-policy-missing-sub", "g2a", "gcp_to_aws.trust_policy",
             lambda w: w.trust(_google_statement(w, **{"accounts.google.com:aud": w.unique_id(),
                                                       "accounts.google.com:oaud": G2A_ROLE})), (TRUST,),
             status="warn"),
    Scenario("trust-policy-aud-is-email", "g2a", "gcp_to_aws.trust_policy",
             lambda w: w.trust(_google_statement(w, **{"accounts.google.com:aud": GCE_SA,
                                                       "accounts.google.com:sub": w.unique_id()})), (TRUST,)),
    Scenario("trust-policy-not-google", "g2a", "gcp_to_aws.trust_policy",
             lambda w: w.trust({**_google_statement(w, **{"accounts.google.com:aud": w.unique_id(),
                                                          "accounts.google.com:sub": w.unique_id()}),
                                "Principal": {"Federated": "cognito-identity.amazonaws.com"}}), (TRUST,)),
    Scenario("trust-policy-oidc-provider-for-google", "g2a", "gcp_to_aws.trust_policy", _oidc_provider_for_google,
             (TRUST, "aws iam delete-open-id-connect-provider")),
    Scenario("id-token-audience-mismatch", "g2a", "gcp_to_aws.trust_policy",
             lambda w: w.trust(_google_statement(w, **{"accounts.google.com:aud": w.unique_id(),
                                                       "accounts.google.com:oaud": "another-audience",
                                                       "accounts.google.com:sub": w.unique_id()})), (TRUST,)),
    Scenario("token-creator-missing", "g2a", "gcp_to_aws.id_token", _impersonated_service_account, (BIND,)),
    Scenario("role-missing", "g2a", "gcp_to_aws.role", lambda w: w.iam.delete_role(RoleName=G2A_ROLE),
             ("aws iam create-role",)),
)
