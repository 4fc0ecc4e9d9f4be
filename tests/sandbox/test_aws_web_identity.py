"""AssumeRoleWithWebIdentity with real boto3: Google ID tokens and the EKS issuer."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from wizard.sandbox import identities as ids
from wizard.sandbox.keys import SigningKey, _rsa

WORKLOAD = ids.AWS_ACCOUNTS["workload"]
AUDIENCE = "https://example.com/aud"
WORKLOAD_SA = f"{ids.WORKLOAD_SA_ID}@{ids.PROJECT_ID}.iam.gserviceaccount.com"
EKS_HOST = ids.EKS_ISSUER.removeprefix("https://")
EKS_PROVIDER_ARN = f"arn:aws:iam::{WORKLOAD}:oidc-provider/{EKS_HOST}"


def admin(endpoints, service):
    a = endpoints["aws"]["admin"]
    return boto3.client(service, endpoint_url=endpoints["aws"]["endpoint_url"], region_name="us-east-1",
                        aws_access_key_id=a["access_key_id"], aws_secret_access_key=a["secret_access_key"])


def anonymous_sts(endpoints):
    # AssumeRoleWithWebIdentity is unsigned; botocore still wants some credentials configured
    return boto3.client("sts", endpoint_url=endpoints["aws"]["endpoint_url"], region_name="us-east-1",
                        aws_access_key_id="unused", aws_secret_access_key="unused")


def google_role(endpoints, name, conditions, max_session=3600):
    doc = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": "accounts.google.com"},
        "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": conditions}}]}
    admin(endpoints, "iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(doc),
                                        MaxSessionDuration=max_session)
    return f"arn:aws:iam::{WORKLOAD}:role/{name}"


def unique_id(sandbox):
    return sandbox.google.find_service_account(WORKLOAD_SA).unique_id


def correct_conditions(sandbox):
    uid = unique_id(sandbox)
    return {"accounts.google.com:aud": uid, "accounts.google.com:oaud": AUDIENCE, "accounts.google.com:sub": uid}


def assume(endpoints, role_arn, token, session="app1", **kw):
    return anonymous_sts(endpoints).assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName=session, WebIdentityToken=token, **kw)


def code_of(exc):
    r = exc.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def test_google_id_token_with_correct_trust_policy(sandbox, endpoints):
    role = google_role(endpoints, "gcp-reader", correct_conditions(sandbox))
    out = assume(endpoints, role, sandbox.mint_google_id_token(WORKLOAD_SA, AUDIENCE))
    uid = unique_id(sandbox)
    assert out["Provider"] == "accounts.google.com"
    assert out["Audience"] == uid  # azp, not the requested audience (cloud-facts §1.7)
    assert out["SubjectFromWebIdentityToken"] == uid
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{WORKLOAD}:assumed-role/gcp-reader/app1"
    assert out["AssumedRoleUser"]["AssumedRoleId"].startswith("AROA")
    c = out["Credentials"]
    who = boto3.client("sts", endpoint_url=endpoints["aws"]["endpoint_url"], region_name="us-east-1",
                       aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                       aws_session_token=c["SessionToken"]).get_caller_identity()
    assert who["Arn"] == f"arn:aws:sts::{WORKLOAD}:assumed-role/gcp-reader/app1"


def test_the_aud_trap_is_access_denied(sandbox, endpoints):
    # what the console wizard writes: the chosen audience under `:aud`, which AWS compares to azp
    role = google_role(endpoints, "trap", {"accounts.google.com:aud": AUDIENCE})
    with pytest.raises(ClientError) as exc:
        assume(endpoints, role, sandbox.mint_google_id_token(WORKLOAD_SA, AUDIENCE))
    assert code_of(exc) == ("AccessDenied", 403)
    assert exc.value.response["Error"]["Message"] == "Not authorized to perform sts:AssumeRoleWithWebIdentity"


def test_token_signed_by_another_key_is_invalid(sandbox, endpoints):
    role = google_role(endpoints, "gcp-reader", correct_conditions(sandbox))
    genuine = sandbox.mint_google_id_token(WORKLOAD_SA, AUDIENCE)
    import jwt

    claims = jwt.decode(genuine, options={"verify_signature": False})
    forged = SigningKey(sandbox.keys.google.kid, _rsa()).sign(claims)  # same kid, wrong key
    with pytest.raises(ClientError) as exc:
        assume(endpoints, role, forged)
    assert code_of(exc) == ("InvalidIdentityToken", 400)


def test_expired_token(sandbox, endpoints):
    role = google_role(endpoints, "gcp-reader", correct_conditions(sandbox))
    token = sandbox.mint_google_id_token(WORKLOAD_SA, AUDIENCE)
    sandbox.set_knobs(clock_offset_s=2 * 3600)
    with pytest.raises(ClientError) as exc:
        assume(endpoints, role, token)
    assert code_of(exc) == ("ExpiredTokenException", 400)
    assert exc.value.response["Error"]["Message"].startswith("Token expired: current date/time ")


def test_missing_role_is_access_denied_not_no_such_entity(sandbox, endpoints):
    with pytest.raises(ClientError) as exc:
        assume(endpoints, f"arn:aws:iam::{WORKLOAD}:role/does-not-exist",
               sandbox.mint_google_id_token(WORKLOAD_SA, AUDIENCE))
    assert code_of(exc) == ("AccessDenied", 403)


def test_duration_over_the_role_maximum(sandbox, endpoints):
    role = google_role(endpoints, "gcp-reader", correct_conditions(sandbox))
    with pytest.raises(ClientError) as exc:
        assume(endpoints, role, sandbox.mint_google_id_token(WORKLOAD_SA, AUDIENCE), DurationSeconds=7200)
    assert code_of(exc) == ("ValidationError", 400)
    longer = google_role(endpoints, "gcp-long", correct_conditions(sandbox), max_session=7200)
    out = assume(endpoints, longer, sandbox.mint_google_id_token(WORKLOAD_SA, AUDIENCE), DurationSeconds=7200)
    lifetime = out["Credentials"]["Expiration"].timestamp() - sandbox.clock.now()
    assert 7100 < lifetime <= 7200


def test_session_name_pattern(sandbox, endpoints):
    role = google_role(endpoints, "gcp-reader", correct_conditions(sandbox))
    with pytest.raises(ClientError) as exc:
        assume(endpoints, role, sandbox.mint_google_id_token(WORKLOAD_SA, AUDIENCE), session="has space")
    assert code_of(exc) == ("ValidationError", 400)


# -- EKS service-account tokens through an IAM OIDC provider ---------------------------------------
def eks_role(endpoints, name="eks-billing", sub="system:serviceaccount:apps:billing"):
    doc = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": EKS_PROVIDER_ARN},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{EKS_HOST}:aud": "sts.amazonaws.com", f"{EKS_HOST}:sub": sub}}}]}
    admin(endpoints, "iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(doc))
    return f"arn:aws:iam::{WORKLOAD}:role/{name}"


def add_eks_provider(endpoints):
    admin(endpoints, "iam").create_open_id_connect_provider(
        Url=ids.EKS_ISSUER, ClientIDList=["sts.amazonaws.com"], ThumbprintList=["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"])


def eks_token(endpoints):
    with open(endpoints["aws"]["eks"]["token_file"]) as fh:
        return fh.read()


def test_eks_token_through_an_iam_oidc_provider(endpoints):
    add_eks_provider(endpoints)
    out = assume(endpoints, eks_role(endpoints), eks_token(endpoints), session="billing")
    assert out["Provider"] == EKS_PROVIDER_ARN
    assert out["Audience"] == "sts.amazonaws.com"
    assert out["SubjectFromWebIdentityToken"] == "system:serviceaccount:apps:billing"
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{WORKLOAD}:assumed-role/eks-billing/billing"


def test_eks_token_without_an_oidc_provider(endpoints):
    with pytest.raises(ClientError) as exc:
        assume(endpoints, eks_role(endpoints), eks_token(endpoints))
    assert code_of(exc) == ("InvalidIdentityToken", 400)
    assert exc.value.response["Error"]["Message"] == f"No OpenIDConnect provider found in your account for {ids.EKS_ISSUER}"


def test_eks_token_for_another_audience(sandbox, endpoints):
    add_eks_provider(endpoints)
    token = sandbox.aws.write_eks_token(audience="//iam.googleapis.com/projects/1/x")
    with pytest.raises(ClientError) as exc:
        assume(endpoints, eks_role(endpoints), token)
    assert code_of(exc) == ("InvalidIdentityToken", 400)
    assert exc.value.response["Error"]["Message"] == "Incorrect token audience"


def test_eks_token_for_another_service_account(endpoints):
    add_eks_provider(endpoints)
    with pytest.raises(ClientError) as exc:
        assume(endpoints, eks_role(endpoints, sub="system:serviceaccount:apps:other"), eks_token(endpoints))
    assert code_of(exc) == ("AccessDenied", 403)


def test_eks_token_file_looks_projected(sandbox, endpoints):
    import os
    import stat

    import jwt

    path = endpoints["aws"]["eks"]["token_file"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    token = eks_token(endpoints)
    assert jwt.get_unverified_header(token)["kid"] == sandbox.keys.eks.kid
    claims = jwt.decode(token, sandbox.keys.eks.public_key, algorithms=["RS256"], audience="sts.amazonaws.com")
    assert claims["iss"] == ids.EKS_ISSUER
    assert claims["sub"] == "system:serviceaccount:apps:billing"
    assert claims["kubernetes.io"]["serviceaccount"]["name"] == "billing"
    assert claims["exp"] - claims["iat"] == 24 * 3600


def test_raw_get_query_form_and_unsigned_calls(sandbox, endpoints):
    """The form used in the wild: a plain GET with every parameter in the query (cloud-facts §1.7)."""
    import requests

    role = google_role(endpoints, "gcp-reader", correct_conditions(sandbox))
    params = {"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15", "DurationSeconds": "3600",
              "RoleSessionName": "app1", "RoleArn": role,
              "WebIdentityToken": sandbox.mint_google_id_token(WORKLOAD_SA, AUDIENCE)}
    r = requests.get(endpoints["aws"]["endpoint_url"] + "/", params=params)
    assert r.status_code == 200, r.text
    assert "<Provider>accounts.google.com</Provider>" in r.text
    unsigned = requests.get(endpoints["aws"]["endpoint_url"] + "/",
                            params={"Action": "GetCallerIdentity", "Version": "2011-06-15"})
    assert unsigned.status_code == 403 and "<Code>MissingAuthenticationToken</Code>" in unsigned.text
