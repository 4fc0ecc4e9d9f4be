"""Test helpers for the token-exchange side of the sandbox: seed pools, providers and bindings,
and build real google-auth credentials against the sandbox.

Seeding is white-box (straight into `sb.google`), so these tests do not depend on the IAM admin API.
"""

from __future__ import annotations

import copy
import hmac
import json
from dataclasses import dataclass

import pytest
import requests
from google.auth import aws, identity_pool

from wizard.sandbox import identities as ids
from wizard.sandbox.google import sts_aws
from wizard.sandbox.google.state import Pool, PolicyVersion, Provider

NUMBER = ids.PROJECT_NUMBER
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
AWS_TOKEN_TYPE = "urn:ietf:params:aws:token-type:aws4_request"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
WORKLOAD_SA = f"{ids.WORKLOAD_SA_ID}@{ids.PROJECT_ID}.iam.gserviceaccount.com"
WORKLOAD_ACCOUNT = ids.AWS_ACCOUNTS["workload"]
SECOND_ACCOUNT = ids.AWS_ACCOUNTS["second"]


def pool_path(pool: str = "aws-pool") -> str:
    return f"projects/{NUMBER}/locations/global/workloadIdentityPools/{pool}"


def audience(pool: str = "aws-pool", provider: str = "aws-prov") -> str:
    return f"//iam.googleapis.com/{pool_path(pool)}/providers/{provider}"


def role_set(arn: str, pool: str = "aws-pool") -> str:
    return f"principalSet://iam.googleapis.com/{pool_path(pool)}/attribute.aws_role/{arn}"


# -- seeding -----------------------------------------------------------------------------------
def project(sb):
    return sb.google.projects[ids.PROJECT_ID]


def enable(sb, *services: str) -> None:
    for service in services or ("sts.googleapis.com", "iamcredentials.googleapis.com", "iam.googleapis.com"):
        project(sb).services[service] = "ENABLED"


def add_provider(sb, pool: str = "aws-pool", provider: str = "aws-prov", *, aws_account: str | None = None,
                 oidc: dict | None = None, mapping: dict | None = None, condition: str = "") -> Provider:
    with sb.lock:
        p = project(sb).pools.setdefault(pool, Pool(pool))
        prov = Provider(pool, provider, attribute_mapping=dict(mapping or {}), attribute_condition=condition,
                        aws={"accountId": aws_account} if aws_account else None, oidc=oidc)
        p.providers[provider] = prov
        return prov


def bind(sb, member: str, sa_email: str = WORKLOAD_SA, role: str = "roles/iam.workloadIdentityUser") -> None:
    """Grant `role` on the service account, as setIamPolicy would (history entry for propagation)."""
    with sb.lock:
        sa = sb.google.find_service_account(sa_email)
        for binding in sa.policy.bindings:
            if binding["role"] == role:
                binding["members"].append(member)
                break
        else:
            sa.policy.bindings.append({"role": role, "members": [member]})
        sa.history.append(PolicyVersion(sb.clock.now(), copy.deepcopy(sa.policy.bindings)))


# -- google-auth credentials ---------------------------------------------------------------------
class StaticSupplier(aws.AwsSecurityCredentialsSupplier):
    def __init__(self, creds: aws.AwsSecurityCredentials, region: str = ids.AWS_REGION) -> None:
        self.creds, self.region = creds, region

    def get_aws_security_credentials(self, context, request):
        return self.creds

    def get_aws_region(self, context, request):
        return self.region


def aws_credentials(sb, creds: aws.AwsSecurityCredentials, *, aud: str | None = None,
                    impersonate: str | None = None, region: str = ids.AWS_REGION,
                    scopes=(CLOUD_PLATFORM,)) -> aws.Credentials:
    ep = sb.endpoints["gcp"]
    kwargs = {}
    if impersonate:
        kwargs["service_account_impersonation_url"] = (
            f"{ep['iamcredentials']}v1/projects/-/serviceAccounts/{impersonate}:generateAccessToken")
    return aws.Credentials(audience=aud or audience(), subject_token_type=AWS_TOKEN_TYPE,
                           token_url=ep["sts_token_url"], aws_security_credentials_supplier=StaticSupplier(creds, region),
                           universe_domain=ids.UNIVERSE_DOMAIN, scopes=list(scopes), **kwargs)


def oidc_credentials(sb, token_file, *, aud: str, impersonate: str | None = None) -> identity_pool.Credentials:
    ep = sb.endpoints["gcp"]
    info = {"type": "external_account", "audience": aud, "subject_token_type": JWT_TOKEN_TYPE,
            "token_url": ep["sts_token_url"], "universe_domain": ids.UNIVERSE_DOMAIN,
            "credential_source": {"file": str(token_file)}}
    if impersonate:
        info["service_account_impersonation_url"] = (
            f"{ep['iamcredentials']}v1/projects/-/serviceAccounts/{impersonate}:generateAccessToken")
    return identity_pool.Credentials.from_info(info, scopes=[CLOUD_PLATFORM])


def raw_body(exc_info) -> dict:
    """google-auth's OAuthError / RefreshError carry the server's raw body as the second argument."""
    return json.loads(exc_info.value.args[1])


# -- the AWS side of the replay -----------------------------------------------------------------
def aws_front_present(sb) -> bool:
    r = requests.post(f"{sb.url('aws')}/?{sts_aws.GET_CALLER_IDENTITY_QUERY}", timeout=5)
    return not (r.status_code == 404 and "not implemented" in r.text)


@dataclass
class AwsIdentity:
    creds: aws.AwsSecurityCredentials
    arn: str
    account: str

    @property
    def role_arn(self) -> str:
        """`attribute.aws_role` under the default mapping (cloud-facts §2.1)."""
        if ":assumed-role/" not in self.arn:
            return self.arn
        return self.arn.rsplit("/", 1)[0]


# Stand-in for the emulated AWS front while it does not exist yet: the same contract (SigV4 checked
# with botocore over the signed headers, GetCallerIdentity XML or the AWS XML error).
_STANDIN = {
    WORKLOAD_ACCOUNT: ("ASIASTANDINWORKLOAD1", "standin/secret/workload/0000000000000000", "standin-session-1",
                       f"arn:aws:sts::{WORKLOAD_ACCOUNT}:assumed-role/{ids.INSTANCE_ROLE}/{ids.INSTANCE_ID}"),
    SECOND_ACCOUNT: ("ASIASTANDINSECOND001", "standin/secret/second/00000000000000000000", "standin-session-2",
                     f"arn:aws:sts::{SECOND_ACCOUNT}:assumed-role/other-role/sess"),
}

_SIG_MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your AWS "
                 "Secret Access Key and signing method. Consult the service documentation for details.")


def _aws_error(code: str, message: str) -> str:
    return (f'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
            f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>x</RequestId></ErrorResponse>")


def standin_replay(sb, signed: sts_aws.SignedRequest) -> sts_aws.CallerIdentity:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    entry = next((e for e in _STANDIN.values() if e[0] == signed.access_key_id), None)
    if entry is None:
        return sts_aws.parse_caller_identity(403, _aws_error(
            "InvalidClientTokenId", "The security token included in the request is invalid."))
    akid, secret, session, arn = entry
    headers = signed.replay_headers()
    request = AWSRequest(method="POST", url=signed.url, data=b"",
                         headers={k: v for k, v in headers.items() if k.lower() != "authorization"})
    request.context["timestamp"] = signed.header("x-amz-date")
    signer = SigV4Auth(Credentials(akid, secret, session), "sts", signed.region)
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    given = headers["Authorization"].rsplit("Signature=", 1)[1]
    if not hmac.compare_digest(expected, given):
        return sts_aws.parse_caller_identity(403, _aws_error("SignatureDoesNotMatch", _SIG_MISMATCH))
    account = arn.split(":")[4]
    return sts_aws.CallerIdentity(arn, account, f"AROASTANDIN:{arn.rsplit('/', 1)[1]}")


@pytest.fixture
def aws_identity(sandbox, monkeypatch):
    """`aws_identity(account)` → AwsIdentity with credentials the sandbox's AWS knows.

    Uses the real emulated AWS front when it serves (the instance role's session as IMDS serves it,
    or a session of the second account's OrganizationAccountAccessRole), else a stand-in replay
    with the same contract.
    """
    real = aws_front_present(sandbox)
    if not real:
        monkeypatch.setattr(sts_aws, "replay", standin_replay)

    def make(account: str = WORKLOAD_ACCOUNT) -> AwsIdentity:
        if not real:
            akid, secret, session, arn = _STANDIN[account]
            return AwsIdentity(aws.AwsSecurityCredentials(akid, secret, session), arn, account)
        world = sandbox.aws
        if account == WORKLOAD_ACCOUNT:
            c = world.issue_instance_credentials()  # what IMDS hands the EC2 instance
            akid, secret, session = c["AccessKeyId"], c["SecretAccessKey"], c["Token"]
            arn = f"arn:aws:sts::{account}:assumed-role/{ids.INSTANCE_ROLE}/{ids.INSTANCE_ID}"
        else:
            with sandbox.lock:
                s = world.create_session(f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", "xwiz-test", 3600)
            akid, secret, session, arn = s.access_key_id, s.secret_access_key, s.session_token, s.arn
        return AwsIdentity(aws.AwsSecurityCredentials(akid, secret, session), arn, account)

    make.real = real
    return make
