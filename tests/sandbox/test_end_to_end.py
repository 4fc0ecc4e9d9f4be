"""The sandbox's promise, end to end, with unmodified clients only.

Set up through the public admin APIs (googleapiclient from the shipped discovery documents, boto3),
then use it the way a workload does: google-auth reads a gcloud-format credential configuration
and fetches AWS credentials from the EC2 metadata service (v1 and v2) or the environment; an EKS pod
reads its projected token file; a Google Cloud workload gets an ID token from the GCE metadata
server and trades it for AWS credentials with boto3.
"""

from __future__ import annotations

import json

import boto3
import google.auth.aws
import google.auth.identity_pool
import pytest
import requests
from google.auth import exceptions as gexc
from google.auth.transport.requests import Request

from .google_admin_clients import cached, wait

POOL, AWS_PROVIDER, EKS_PROVIDER = "e2e-pool", "aws-workload", "eks-demo"
SA_ID = "e2e-runner"
SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]


def _setup_google(endpoints) -> str:
    """Enable the APIs, create the pool, both providers and the SA, bind the ARN-form principalSet."""
    gcp = endpoints["gcp"]
    project, number = gcp["project_id"], gcp["project_number"]
    su = cached("serviceusage", "v1", endpoints)
    op = su.services().batchEnable(parent=f"projects/{project}", body={"serviceIds": [
        "iam.googleapis.com", "cloudresourcemanager.googleapis.com", "iamcredentials.googleapis.com",
        "sts.googleapis.com"]}).execute()
    wait(op, lambda name: su.operations().get(name=name))
    iam = cached("iam", "v1", endpoints)
    pools = iam.projects().locations().workloadIdentityPools()
    wait(pools.create(parent=f"projects/{project}/locations/global", workloadIdentityPoolId=POOL,
                      body={"displayName": "e2e"}).execute(), lambda n: pools.operations().get(name=n))
    providers = pools.providers()
    parent = f"projects/{project}/locations/global/workloadIdentityPools/{POOL}"
    wait(providers.create(parent=parent, workloadIdentityPoolProviderId=AWS_PROVIDER, body={
        "aws": {"accountId": endpoints["aws"]["accounts"]["workload"]},
        "attributeCondition": "assertion.arn.startsWith('arn:aws:sts::111122223333:assumed-role/xwiz-ec2-app/')",
    }).execute(), lambda n: providers.operations().get(name=n))
    wait(providers.create(parent=parent, workloadIdentityPoolProviderId=EKS_PROVIDER, body={
        "oidc": {"issuerUri": endpoints["aws"]["eks"]["issuer"], "allowedAudiences": ["sts.amazonaws.com"]},
        "attributeMapping": {"google.subject": "assertion.sub"},
    }).execute(), lambda n: providers.operations().get(name=n))
    sa = iam.projects().serviceAccounts().create(name=f"projects/{project}", body={"accountId": SA_ID}).execute()
    pool_path = f"iam.googleapis.com/projects/{number}/locations/global/workloadIdentityPools/{POOL}"
    members = [f"principalSet://{pool_path}/attribute.aws_role/arn:aws:sts::111122223333:assumed-role/xwiz-ec2-app",
               f"principal://{pool_path}/subject/{endpoints['aws']['eks']['kubernetes_service_account']}"]
    resource = f"projects/{project}/serviceAccounts/{sa['email']}"
    policy = iam.projects().serviceAccounts().getIamPolicy(resource=resource).execute()
    policy["bindings"] = [{"role": "roles/iam.workloadIdentityUser", "members": members}]
    iam.projects().serviceAccounts().setIamPolicy(resource=resource, body={"policy": policy}).execute()
    return sa["email"]


def _aws_config(endpoints, email: str, *, imdsv2: bool) -> dict:
    """Exactly what `gcloud iam workload-identity-pools create-cred-config --aws [--enable-imdsv2]` writes,
    with the sandbox's URLs in place of Google's and of 169.254.169.254."""
    gcp, imds = endpoints["gcp"], endpoints["aws"]["imds_url"]
    source = {
        "environment_id": "aws1",
        "region_url": f"{imds}/latest/meta-data/placement/availability-zone",
        "url": f"{imds}/latest/meta-data/iam/security-credentials",
        "regional_cred_verification_url": "https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15",
    }
    if imdsv2:
        source["imdsv2_session_token_url"] = f"{imds}/latest/api/token"
    return {
        "universe_domain": gcp["universe_domain"],
        "type": "external_account",
        "audience": f"//iam.googleapis.com/projects/{gcp['project_number']}/locations/global/"
                    f"workloadIdentityPools/{POOL}/providers/{AWS_PROVIDER}",
        "subject_token_type": "urn:ietf:params:aws:token-type:aws4_request",
        "token_url": gcp["sts_token_url"],
        "credential_source": source,
        "service_account_impersonation_url": f"{gcp['iamcredentials']}v1/projects/-/serviceAccounts/{email}"
                                             ":generateAccessToken",
    }


def _token_works(sandbox, creds) -> None:
    """The impersonated token is a real sandbox token for the service account."""
    creds.refresh(Request())
    info = sandbox.google_auth.lookup(creds.token)
    assert info is not None and info.principal.email.startswith(SA_ID + "@")


@pytest.fixture
def federation(sandbox, endpoints, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
                 "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    return _setup_google(endpoints)


@pytest.mark.parametrize("imdsv2", [True, False], ids=["imdsv2", "imdsv1"])
def test_google_auth_aws_credentials_through_imds(sandbox, endpoints, federation, imdsv2):
    config = _aws_config(endpoints, federation, imdsv2=imdsv2)
    creds = google.auth.aws.Credentials.from_info(config, scopes=SCOPES)
    _token_works(sandbox, creds)
    log = [r for r in requests.get(endpoints["control_url"] + "/requests", timeout=5).json()["requests"]
           if r["listener"] == "imds"]
    assert any(r["method"] == "PUT" and r["path"] == "/latest/api/token" for r in log) == imdsv2


def test_imdsv2_required_refuses_a_v1_config_and_accepts_v2(sandbox, endpoints, federation):
    sandbox.set_knobs(imdsv2_required=True)
    v1 = google.auth.aws.Credentials.from_info(_aws_config(endpoints, federation, imdsv2=False), scopes=SCOPES)
    # M13: the region is read first, so without AWS_REGION that is the call that gets the 401
    with pytest.raises(gexc.RefreshError, match="Unable to retrieve AWS region"):
        v1.refresh(Request())
    v2 = google.auth.aws.Credentials.from_info(_aws_config(endpoints, federation, imdsv2=True), scopes=SCOPES)
    _token_works(sandbox, v2)


def test_google_auth_aws_credentials_from_environment_keys(sandbox, endpoints, federation, monkeypatch):
    imds = endpoints["aws"]["imds_url"]
    token = requests.put(f"{imds}/latest/api/token", headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"},
                         timeout=5).text
    role = requests.get(f"{imds}/latest/meta-data/iam/security-credentials/",
                        headers={"X-aws-ec2-metadata-token": token}, timeout=5).text.strip()
    keys = requests.get(f"{imds}/latest/meta-data/iam/security-credentials/{role}",
                        headers={"X-aws-ec2-metadata-token": token}, timeout=5).json()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", keys["Token"])
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    sandbox.request_log.clear()
    creds = google.auth.aws.Credentials.from_info(_aws_config(endpoints, federation, imdsv2=True), scopes=SCOPES)
    _token_works(sandbox, creds)
    # environment keys win: google-auth never asks the metadata service (cloud-facts §4.2)
    assert not [r for r in sandbox.request_log.items() if r.listener == "imds"]


def test_identity_pool_with_the_eks_token_file(sandbox, endpoints, federation):
    gcp = endpoints["gcp"]
    config = {
        "universe_domain": gcp["universe_domain"],
        "type": "external_account",
        "audience": f"//iam.googleapis.com/projects/{gcp['project_number']}/locations/global/"
                    f"workloadIdentityPools/{POOL}/providers/{EKS_PROVIDER}",
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": gcp["sts_token_url"],
        "credential_source": {"file": endpoints["aws"]["eks"]["token_file"], "format": {"type": "text"}},
        "service_account_impersonation_url": f"{gcp['iamcredentials']}v1/projects/-/serviceAccounts/{federation}"
                                             ":generateAccessToken",
    }
    _token_works(sandbox, google.auth.identity_pool.Credentials.from_info(config, scopes=SCOPES))


def test_boto3_assume_role_with_web_identity_from_a_metadata_id_token(sandbox, endpoints, federation):
    aws = endpoints["aws"]
    audience = "https://xwiz.example/gcp-to-aws"
    email = endpoints["gcp"]["workload_service_account"]
    meta = f"http://{endpoints['gcp']['metadata_host']}/computeMetadata/v1/instance/service-accounts/default"
    id_token = requests.get(f"{meta}/identity", params={"audience": audience, "format": "full"},
                            headers={"Metadata-Flavor": "Google"}, timeout=5).text
    unique_id = cached("iam", "v1", endpoints).projects().serviceAccounts().get(
        name=f"projects/-/serviceAccounts/{email}").execute()["uniqueId"]
    admin = boto3.Session(aws_access_key_id=aws["admin"]["access_key_id"],
                          aws_secret_access_key=aws["admin"]["secret_access_key"], region_name=aws["region"])
    iam = admin.client("iam", endpoint_url=aws["endpoint_url"])
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": "accounts.google.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"accounts.google.com:aud": unique_id, "accounts.google.com:oaud": audience,
                                       "accounts.google.com:sub": unique_id}}}]}
    iam.create_role(RoleName="gcp-reader", AssumeRolePolicyDocument=json.dumps(trust))
    anonymous = boto3.client("sts", endpoint_url=aws["endpoint_url"], region_name=aws["region"],
                             aws_access_key_id="unused", aws_secret_access_key="unused")
    out = anonymous.assume_role_with_web_identity(
        RoleArn="arn:aws:iam::111122223333:role/gcp-reader", RoleSessionName="e2e", WebIdentityToken=id_token)
    assert out["Audience"] == unique_id and out["SubjectFromWebIdentityToken"] == unique_id
    creds = out["Credentials"]
    sts = boto3.client("sts", endpoint_url=aws["endpoint_url"], region_name=aws["region"],
                       aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"])
    assert sts.get_caller_identity()["Arn"] == "arn:aws:sts::111122223333:assumed-role/gcp-reader/e2e"

    # the console wizard's trap: the audience under accounts.google.com:aud is compared with azp (M20)
    trap = json.loads(json.dumps(trust))
    trap["Statement"][0]["Condition"]["StringEquals"] = {"accounts.google.com:aud": audience}
    iam.update_assume_role_policy(RoleName="gcp-reader", PolicyDocument=json.dumps(trap))
    with pytest.raises(anonymous.exceptions.ClientError) as exc:
        anonymous.assume_role_with_web_identity(RoleArn="arn:aws:iam::111122223333:role/gcp-reader",
                                                RoleSessionName="e2e", WebIdentityToken=id_token)
    assert exc.value.response["Error"]["Code"] == "AccessDenied"
    assert "Not authorized to perform sts:AssumeRoleWithWebIdentity" in exc.value.response["Error"]["Message"]
