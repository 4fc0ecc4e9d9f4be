"""The cause-code catalogue: every root cause the doctor can name, with its cloud-facts entries
(M01–M34), an explanation, and a remediation whose commands fix it (gcloud, aws, xwiz).

Codes are stable and kebab-case; a code is never reused for another meaning (design.md). A
remediation is a template: `{name}` fields are filled from what the failing check found (its
`fix` values) and the doctor's inputs; a field nobody knows stays a visible `<NAME>` placeholder.
Values go into commands shell-quoted, so a command can be pasted as printed.
"""

from __future__ import annotations

import shlex
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .spec import Remediation


@dataclass(frozen=True)
class Cause:
    code: str
    title: str
    misconfigs: tuple[str, ...]
    explanation: str
    remediation: str
    commands: tuple[str, ...]
    severity: str = "fail"
    """The status a check reports with this cause: fail, or warn for fragile-but-working setups."""


_POOL_FLAGS = "--location=global --project={project}"
_PROVIDER_FLAGS = "--workload-identity-pool={pool} --location=global --project={project}"
_SA_BIND = ("gcloud iam service-accounts add-iam-policy-binding {service_account} --project={project} "
            "--role=roles/iam.workloadIdentityUser --member={member}")
_SA_UNBIND = ("gcloud iam service-accounts remove-iam-policy-binding {service_account} --project={project} "
              "--role=roles/iam.workloadIdentityUser --member={bad_member}")
_CRED_CONFIG = ("gcloud iam workload-identity-pools create-cred-config "
                "projects/{project_number}/locations/global/workloadIdentityPools/{pool}/providers/{provider} "
                "--service-account={service_account} --aws --enable-imdsv2 --output-file={cred_config}")
_TRUST = "aws iam update-assume-role-policy --role-name {role_name} --policy-document {trust_policy}"

CAUSES: tuple[Cause, ...] = (
    # -- the workload's AWS identity --------------------------------------------------------------
    Cause("aws-credentials-missing", "No AWS credentials that google-auth can use", ("M15", "M18", "M33"),
          "google-auth's AWS source reads AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from the environment, else the "
          "EC2 instance metadata service at the configuration's `url`. It knows nothing of profiles, ECS/Fargate "
          "container credentials or EKS web identity: there it fails with 'Unable to retrieve AWS role name'.",
          "Give the instance a role (instance profile), or, on ECS/EKS/with profiles, use xwiz's boto3-backed "
          "supplier (wizard.runtime.aws_supplier.BotoSupplier) instead of the credential_source; then check "
          "that the configuration's metadata URLs are the instance metadata service's.",
          ("aws ec2 associate-iam-instance-profile --instance-id {instance_id} "
           "--iam-instance-profile Name={instance_profile}",
           _CRED_CONFIG)),
    Cause("aws-credentials-invalid", "AWS rejects the workload's credentials", ("M18",),
          "GetCallerIdentity with the credentials google-auth would use was refused (InvalidClientTokenId, "
          "SignatureDoesNotMatch, ExpiredToken). Stale AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN "
          "variables win over the instance metadata service silently; Google STS then relays the same error "
          "as 'Received invalid AWS response of type InvalidClientTokenId'.",
          "Remove the stale variables so the instance role is used (or export a matching, current set), then "
          "confirm with GetCallerIdentity.",
          ("unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN", "aws sts get-caller-identity")),
    Cause("imdsv2-required", "The instance requires IMDSv2 but the configuration does not use it", ("M13",),
          "With HttpTokens=required the instance metadata service answers 401 to requests without a session "
          "token; a credential configuration written without --enable-imdsv2 has no imdsv2_session_token_url, "
          "so google-auth fails with 'Unable to retrieve AWS role name'.",
          "Regenerate the credential configuration with IMDSv2 on (xwiz does by default), or add "
          "\"imdsv2_session_token_url\": \"http://169.254.169.254/latest/api/token\" to its credential_source.",
          (_CRED_CONFIG, "xwiz apply --force")),
    Cause("cred-config-imdsv2-missing", "The credential configuration does not use IMDSv2", ("M13",),
          "It works only while the instance still allows IMDSv1; the day HttpTokens becomes required, every "
          "token exchange fails with 'Unable to retrieve AWS role name'.",
          "Regenerate the configuration with --enable-imdsv2 (xwiz's default, imdsv2 = true in xwiz.toml).",
          (_CRED_CONFIG, "xwiz apply --force"), severity="warn"),
    Cause("region-unresolved", "No AWS region for the subject token", ("M17",),
          "google-auth takes the region from AWS_REGION, then AWS_DEFAULT_REGION, then the configuration's "
          "region_url (the instance's availability zone). With none it fails with 'Unable to determine AWS "
          "region'; a wrong one signs for the wrong regional STS endpoint.",
          "Export the workload's region, or restore region_url in the credential configuration.",
          ("export AWS_REGION={region}", _CRED_CONFIG)),
    Cause("clock-skew", "The local clock is off", ("M19",),
          "SigV4 signatures and OIDC tokens carry timestamps: AWS rejects a signature more than 5 minutes off, "
          "Google rejects ID tokens 'issued at ... stale to sign-in' and lifetimes that look longer than 3600 s. "
          "The doctor compares the local clock with the Date headers of Google and AWS.",
          "Synchronise the clock with NTP.",
          ("sudo timedatectl set-ntp true", "sudo chronyc makestep")),
    # -- the Google side -------------------------------------------------------------------------------
    Cause("api-disabled", "A required Google API is disabled in the pool's project", ("M10",),
          "The exchange needs iam, cloudresourcemanager, iamcredentials and sts enabled in the project that "
          "owns the pool; a disabled one answers 403 SERVICE_DISABLED ('Security Token Service API has not "
          "been used in project N before or it is disabled').",
          "Enable the missing APIs in the pool's project.",
          ("gcloud services enable {apis} --project={project}",)),
    Cause("audience-malformed", "The audience is not the provider's full resource name", ("M05",),
          "Google STS wants //iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/"
          "providers/PROVIDER; an https:// URL, a pool path, a doubled prefix or an empty value gets "
          "'Invalid value for \"audience\"'.",
          "Regenerate the credential configuration for the provider (or set audience to {audience}).",
          (_CRED_CONFIG,)),
    Cause("project-id-not-number", "A project ID is used where the project number belongs", ("M06",),
          "Workload Identity Federation names projects by number in audiences and principals. An audience "
          "with the project ID gets 'invalid_target'; a principal with it is accepted by setIamPolicy and "
          "then never matches.",
          "Look up the number and use it.",
          ("gcloud projects describe {project} --format='value(projectNumber)'", _CRED_CONFIG)),
    Cause("pool-missing", "The workload identity pool does not exist", ("M07",),
          "STS answers 'invalid_target ... the pool or provider is disabled or deleted or ... doesn't exist'.",
          "Create the pool (xwiz apply creates pool, provider and bindings from xwiz.toml).",
          ("gcloud iam workload-identity-pools create {pool} " + _POOL_FLAGS, "xwiz apply")),
    Cause("pool-disabled", "The workload identity pool is disabled", ("M07",),
          "A disabled pool refuses every exchange with 'invalid_target', and tokens it issued stop working.",
          "Enable the pool.",
          ("gcloud iam workload-identity-pools update {pool} " + _POOL_FLAGS + " --no-disabled",)),
    Cause("pool-deleted", "The workload identity pool is deleted (soft-deleted for 30 days)", ("M07",),
          "A deleted pool refuses exchanges with 'invalid_target'; its ID stays taken for 30 days, so creating "
          "it again fails with 409 'Requested entity already exists'. Undelete it instead.",
          "Undelete the pool.",
          ("gcloud iam workload-identity-pools undelete {pool} " + _POOL_FLAGS,)),
    Cause("provider-missing", "The pool has no such provider", ("M07",),
          "STS answers 'invalid_target' for an audience naming a provider that does not exist.",
          "Create the provider (xwiz apply creates it from xwiz.toml).",
          ("gcloud iam workload-identity-pools providers create-aws {provider} " + _PROVIDER_FLAGS
           + " --account-id={account}", "xwiz apply")),
    Cause("provider-wrong-type", "The provider is of the wrong type for this workload", ("M07",),
          "An AWS workload needs an AWS provider (aws.accountId); an EKS pod's token needs an OIDC provider "
          "(oidc.issuerUri). A provider's type cannot be changed.",
          "Create a provider of the right type under a new ID and point the credential configuration at it.",
          ("xwiz apply",)),
    Cause("provider-disabled", "The provider is disabled", ("M07",),
          "A disabled provider refuses exchanges with 'invalid_target' within about a second.",
          "Enable the provider.",
          ("gcloud iam workload-identity-pools providers update-{provider_kind} {provider} " + _PROVIDER_FLAGS
           + " --no-disabled",)),
    Cause("provider-deleted", "The provider is deleted (soft-deleted for 30 days)", ("M07",),
          "A deleted provider refuses exchanges with 'invalid_target'; recreating it under the same ID fails "
          "with 409 for 30 days.",
          "Undelete the provider.",
          ("gcloud iam workload-identity-pools providers undelete {provider} " + _PROVIDER_FLAGS,)),
    Cause("provider-account-mismatch", "The provider trusts another AWS account than the caller's", ("M12",),
          "An AWS provider accepts only subject tokens signed by its aws.accountId; the workload's "
          "GetCallerIdentity names another account (cross-account role chains end in the last role's account).",
          "Point the provider at the caller's account, or add a provider for that account.",
          ("gcloud iam workload-identity-pools providers update-aws {provider} " + _PROVIDER_FLAGS
           + " --account-id={caller_account}",
           "xwiz onboard --account-id {caller_account}")),
    Cause("attribute-mapping-invalid", "The attribute mapping fails on the caller's assertion", ("M11",),
          "An expression of the provider's attribute mapping could not be evaluated (or google.subject came out "
          "empty): STS refuses the exchange.",
          "Fix the mapping (the default AWS mapping needs none).",
          ("gcloud iam workload-identity-pools providers update-{provider_kind} {provider} " + _PROVIDER_FLAGS
           + " --attribute-mapping={mapping}",)),
    Cause("attribute-condition-rejects", "The provider's attribute condition rejects the caller", ("M11",),
          "STS evaluated the condition on this caller to false: 'unauthorized_client: The given credential is "
          "rejected by the attribute condition.' The evidence names the failing sub-expression.",
          "Allow the caller's role in the condition (add the role to xwiz.toml and apply, or update it).",
          ("gcloud iam workload-identity-pools providers update-{provider_kind} {provider} " + _PROVIDER_FLAGS
           + " --attribute-condition={condition}",)),
    Cause("subject-too-long", "google.subject is longer than 127 bytes", ("M26",),
          "STS refuses a mapped subject over 127 bytes ('The size of mapped attribute exceeds the 127 bytes "
          "limit'); long role or session names do it.",
          "Map google.subject to a shorter expression (e.g. the default AWS mapping's, or the role without "
          "the session).",
          ("gcloud iam workload-identity-pools providers update-{provider_kind} {provider} " + _PROVIDER_FLAGS
           + " --attribute-mapping={mapping}",)),
    Cause("principal-not-arn", "The binding's aws_role is not an assumed-role ARN", ("M01",),
          "The default mapping sets attribute.aws_role to arn:aws:sts::ACCOUNT:assumed-role/ROLE; a binding "
          "on attribute.aws_role/ROLE-NAME is accepted by setIamPolicy and never matches: 403 "
          "iam.serviceAccounts.getAccessToken.",
          "Bind the principalSet with the assumed-role ARN and remove the wrong member.",
          (_SA_BIND, _SA_UNBIND)),
    Cause("principal-iam-role-arn", "The binding names the IAM role ARN, not the assumed-role ARN", ("M02",),
          "The assertion carries the STS session ARN (arn:aws:sts::A:assumed-role/R/SESSION), never "
          "arn:aws:iam::A:role/R, so the member never matches.",
          "Bind the principalSet with the assumed-role ARN and remove the wrong member.",
          (_SA_BIND, _SA_UNBIND)),
    Cause("principal-role-path", "The binding includes the role's path", ("M03",),
          "Assumed-role ARNs carry the role name only (arn:aws:sts::A:assumed-role/R), never its path "
          "(role/team/app/R), so the member never matches.",
          "Bind the principalSet without the path and remove the wrong member.",
          (_SA_BIND, _SA_UNBIND)),
    Cause("principal-instance-session", "The binding names one EC2 instance's session", ("M04",),
          "principal://…/subject/arn:aws:sts::A:assumed-role/R/i-0abc… matches only this instance; after a "
          "replacement or a scale-out the new instance gets 403.",
          "Bind every session of the role (the aws_role principalSet) and remove the instance member.",
          (_SA_BIND, _SA_UNBIND), severity="warn"),
    Cause("principal-malformed", "A federated member is malformed", ("M31",),
          "A member for this pool does not follow principal://…/subject/S, principalSet://…/attribute.NAME/V, "
          "…/group/G or …/*: a misspelt type, a provider path, an invalid pool ID. It never matches.",
          "Replace it with a member built from its parts.",
          (_SA_BIND, _SA_UNBIND)),
    Cause("binding-missing", "The service account does not trust the federated identity", ("M08",),
          "No member of roles/iam.workloadIdentityUser on the service account matches the principal the "
          "exchange produces: 403 'Permission iam.serviceAccounts.getAccessToken denied'. Granting "
          "TokenCreator to the service account itself, or roles at project level, does not help.",
          "Bind the federated principal on the service account.",
          (_SA_BIND, "xwiz apply")),
    Cause("binding-propagating", "The binding exists but IAM has not propagated it yet", ("M09",),
          "The policy matches statically, yet generateAccessToken is still denied: IAM changes typically "
          "propagate in 2 minutes and can take 7 minutes or longer.",
          "Wait and retry; the doctor can retry for you.",
          ("xwiz doctor --wait 420",)),
    Cause("service-account-missing", "The service account does not exist", ("M28",),
          "generateAccessToken answers 'Not found; Gaia id not found for email …' for a typo, another project "
          "or a deleted account.",
          "Create it (or fix the email) and bind the federated principal again.",
          ("gcloud iam service-accounts create {service_account_id} --project={project}", "xwiz apply")),
    Cause("impersonation-rejected", "generateAccessToken refused the federated token", ("M27", "M29"),
          "IAM Credentials refused the request for a reason other than a missing binding (scopes, lifetime, "
          "a disabled service account); the evidence carries its message.",
          "Fix what the message names and run the doctor again.",
          ("gcloud iam service-accounts describe {service_account} --project={project}",)),
    Cause("sts-exchange-rejected", "Google STS refused the exchange", ("M16",),
          "STS answered with an error the doctor has no more specific code for; the evidence carries its "
          "OAuth error and description.",
          "Fix what the message names; regenerating the credential configuration fixes hand-edited ones.",
          (_CRED_CONFIG,)),
    Cause("oidc-issuer-mismatch", "The token's issuer is not the provider's issuer", ("M25",),
          "Google compares the token's iss with the provider's issuerUri exactly: 'The issuer in ID Token … "
          "does not match the expected one in config' (region, cluster ID, trailing slash).",
          "Set the provider's issuer to the cluster's.",
          ("aws eks describe-cluster --name {cluster} --region {region} --query cluster.identity.oidc.issuer "
           "--output text",
           "gcloud iam workload-identity-pools providers update-oidc {provider} " + _PROVIDER_FLAGS
           + " --issuer-uri={issuer}")),
    Cause("oidc-audience-mismatch", "The token's audience is not allowed by the provider", ("M25",),
          "IRSA tokens carry aud sts.amazonaws.com; a provider whose allowedAudiences lack it (empty means only "
          "its own resource URL) answers 'The audience in ID Token [...] does not match the expected audience.'",
          "Allow the token's audience on the provider (or mount a token with the provider's audience).",
          ("gcloud iam workload-identity-pools providers update-oidc {provider} " + _PROVIDER_FLAGS
           + " --allowed-audiences={allowed_audiences}",)),
    Cause("oidc-token-unreadable", "The pod's token file is missing or not a JWT", ("M25",),
          "google-auth reads the subject token from credential_source.file ('File … was not found').",
          "Mount the projected service account token at the configured path (IRSA does it for annotated "
          "service accounts), or point the configuration at it.",
          ("kubectl annotate serviceaccount -n {namespace} {ksa} eks.amazonaws.com/role-arn={role_arn}",)),
    Cause("oidc-token-expired", "The pod's token has expired", ("M19",),
          "Projected tokens are refreshed by the kubelet; an expired one means the file is stale (or the clock "
          "is off).",
          "Restart the pod so the kubelet projects a fresh token, and check the clock.",
          ("kubectl rollout restart deployment -n {namespace} {deployment}",)),
    Cause("cred-config-invalid", "The credential configuration is not what gcloud would write", ("M33", "M34"),
          "A hand-edited or stale file: wrong token_url, metadata URLs, impersonation URL, subject token type "
          "or keys google-auth does not read for workload pools.",
          "Regenerate it.",
          (_CRED_CONFIG, "xwiz apply --force")),
    Cause("target-api-denied", "The service account's token is refused by the target API", ("M29", "M32"),
          "The exchange works; the call to the target API failed (the service account lacks a role there, or "
          "the API does not accept this kind of token).",
          "Grant the service account the role the API needs.",
          ("gcloud projects add-iam-policy-binding {project} --member=serviceAccount:{service_account} "
           "--role={role}",)),
    # -- Google Cloud → AWS ----------------------------------------------------------------------------
    Cause("id-token-unavailable", "No Google ID token for the service account", ("M24",),
          "The metadata server (on Google Cloud) or generateIdToken (elsewhere; needs "
          "iam.serviceAccounts.getOpenIdToken) did not return an ID token.",
          "Run on a VM/pod with the service account attached, or grant yourself the OpenID Token Creator role.",
          ("gcloud iam service-accounts add-iam-policy-binding {service_account} --project={project} "
           "--role=roles/iam.serviceAccountOpenIdTokenCreator --member=user:$(gcloud config get account)",)),
    Cause("token-creator-missing", "You may not mint ID tokens for the service account", ("M24",),
          "Away from its metadata server, the service account's ID token comes from generateIdToken, which "
          "needs iam.serviceAccounts.getOpenIdToken on the service account. The basic roles Owner and Editor "
          "do not include it: even a project owner needs the OpenID Token Creator (or Token Creator) role "
          "granted explicitly.",
          "Grant the identity you run as roles/iam.serviceAccountOpenIdTokenCreator on the service account "
          "(xwiz apply does it for a [[gcp_to_aws]] profile that impersonates), or run on a VM/pod with the "
          "service account attached.",
          ("gcloud iam service-accounts add-iam-policy-binding {service_account} --project={project} "
           "--role=roles/iam.serviceAccountOpenIdTokenCreator --member={member}",)),
    Cause("role-missing", "The AWS role does not exist", (),
          "AssumeRoleWithWebIdentity answers AccessDenied for a role that does not exist, the same as for one "
          "that does not trust the token.",
          "Create the role with the trust policy xwiz builds (xwiz apply does).",
          ("aws iam create-role --role-name {role_name} --assume-role-policy-document {trust_policy}",
           "xwiz apply")),
    Cause("trust-policy-aud-is-azp", "accounts.google.com:aud holds the requested audience", ("M20",),
          "For service-account ID tokens (which carry azp) AWS compares accounts.google.com:aud with azp — the "
          "numeric uniqueId — and :oaud with the token's aud. The AWS console's Audience box writes the "
          "audience into :aud, so the role can never be assumed: AccessDenied.",
          "Put the uniqueId in :aud and :sub, the audience in :oaud.",
          (_TRUST,)),
    Cause("trust-policy-aud-is-email", "accounts.google.com:aud holds the service account's email", ("M21",),
          "azp is the numeric uniqueId in ID tokens from the metadata server and generateIdToken; the email "
          "appears only in tokens minted from keys.",
          "Use the uniqueId.", (_TRUST,)),
    Cause("trust-policy-aud-not-unique-id", "accounts.google.com:aud is another service account's id", ("M20",),
          "The :aud value does not match this service account's uniqueId (the azp of its tokens).",
          "Use this service account's uniqueId.", (_TRUST,)),
    Cause("trust-policy-sub-not-unique-id", "accounts.google.com:sub is not the service account's uniqueId",
          ("M21",),
          "The sub of a service account's ID token is its numeric uniqueId; an email there never matches (and "
          "emails can be freed and reused).",
          "Pin :sub to the uniqueId.", (_TRUST,)),
    Cause("trust-policy-missing-sub", "The trust policy does not pin accounts.google.com:sub", ("M23",),
          "Audiences are chosen by the caller: without :sub, any Google identity that can mint a token for the "
          "audience can assume the role.",
          "Add :sub = the service account's uniqueId.", (_TRUST,), severity="warn"),
    Cause("trust-policy-not-google", "The statement trusts another identity provider", (),
          "It uses accounts.google.com condition keys but its Principal is not {\"Federated\": "
          "\"accounts.google.com\"}, so Google ID tokens are not trusted by it.",
          "Trust accounts.google.com.", (_TRUST,)),
    Cause("trust-policy-oidc-provider-for-google", "An IAM OIDC provider is used for accounts.google.com",
          ("M22",),
          "AWS says not to create an IAM OIDC provider for Google: Google is built in as "
          "\"accounts.google.com\". With one, tokens are checked against its client-ID list "
          "('Incorrect token audience').",
          "Trust \"accounts.google.com\" and delete the OIDC provider.",
          (_TRUST, "aws iam delete-open-id-connect-provider --open-id-connect-provider-arn {oidc_provider_arn}")),
    Cause("trust-policy-no-google-statement", "No statement lets Google service accounts assume the role", (),
          "No Allow statement names Principal {\"Federated\": \"accounts.google.com\"} with "
          "sts:AssumeRoleWithWebIdentity.",
          "Add xwiz's statement (xwiz apply merges it into the existing policy).", (_TRUST, "xwiz apply")),
    Cause("id-token-audience-mismatch", "The ID token's audience is not the policy's :oaud", ("M24",),
          "The token is requested for one audience and the trust policy's accounts.google.com:oaud names "
          "another: AccessDenied.",
          "Request the token for the policy's audience, or change :oaud to the audience the workload requests.",
          (_TRUST,)),
    Cause("trust-policy-denies", "AWS refuses AssumeRoleWithWebIdentity", ("M20", "M24"),
          "AWS answered AccessDenied / InvalidIdentityToken and the static analysis found no more specific "
          "cause; the evidence holds AWS's message and the local evaluation.",
          "Rebuild the trust policy with xwiz.", (_TRUST, "xwiz apply")),
)

BY_CODE: dict[str, Cause] = {c.code: c for c in CAUSES}


class _Fields(dict):
    """format_map fields: known values shell-quoted for commands, unknown ones as <NAME>."""

    def __init__(self, values: Mapping[str, Any], quote: bool) -> None:
        super().__init__()
        self.values = values
        self.quote = quote

    def __missing__(self, key: str) -> str:
        value = self.values.get(key)
        if value is None or value == "":
            return f"<{key.upper()}>"
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        text = str(value)
        return shlex.quote(text) if self.quote else text


def fill(template: str, values: Mapping[str, Any], *, quote: bool = False) -> str:
    return string.Formatter().vformat(template, (), _Fields(values, quote))


def remediation(code: str, values: Mapping[str, Any]) -> Remediation:
    cause = BY_CODE[code]
    return Remediation(fill(cause.remediation, values),
                       tuple(fill(c, values, quote=True) for c in cause.commands))


def get(code: str) -> Cause:
    return BY_CODE[code]
