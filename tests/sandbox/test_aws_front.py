"""The AWS endpoint with real boto3: signatures checked for real, accounts, AssumeRole trust."""

from __future__ import annotations

import json
import urllib.parse

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from google.auth import aws as google_aws

from wizard.sandbox import identities as ids

WORKLOAD = ids.AWS_ACCOUNTS["workload"]
SECOND = ids.AWS_ACCOUNTS["second"]
SIGNATURE_MISMATCH = ("The request signature we calculated does not match the signature you provided. "
                      "Check your AWS Secret Access Key and signing method. Consult the service documentation "
                      "for details.")


def client(endpoints, service, key=None, secret=None, token=None):
    admin = endpoints["aws"]["admin"]
    return boto3.client(service, endpoint_url=endpoints["aws"]["endpoint_url"], region_name="us-east-1",
                        aws_access_key_id=key or admin["access_key_id"],
                        aws_secret_access_key=secret or admin["secret_access_key"], aws_session_token=token)


def error(exc: pytest.ExceptionInfo) -> tuple[str, str, int]:
    r = exc.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def test_admin_keys_are_the_workload_admin_user(endpoints):
    who = client(endpoints, "sts").get_caller_identity()
    assert who["Arn"] == f"arn:aws:iam::{WORKLOAD}:user/xwiz-admin"
    assert who["Account"] == WORKLOAD


def test_wrong_secret_is_signature_mismatch(endpoints):
    with pytest.raises(ClientError) as exc:
        client(endpoints, "sts", secret="not-the-secret").get_caller_identity()
    assert error(exc) == ("SignatureDoesNotMatch", SIGNATURE_MISMATCH, 403)


def test_unknown_key_is_invalid_client_token(endpoints):
    with pytest.raises(ClientError) as exc:
        client(endpoints, "sts", key="AKIAUNKNOWNKEY000000").get_caller_identity()
    assert error(exc) == ("InvalidClientTokenId", "The security token included in the request is invalid.", 403)


def test_errors_take_the_signed_service_protocol(endpoints):
    for service, call in (("ec2", "describe_instances"), ("eks", "list_clusters"),
                          ("organizations", "describe_organization"), ("iam", "list_roles")):
        with pytest.raises(ClientError) as exc:
            getattr(client(endpoints, service, secret="wrong"), call)()
        assert error(exc)[0] == "SignatureDoesNotMatch", service


def test_clock_skew_beyond_15_minutes_expires_the_signature(sandbox, endpoints):
    sandbox.set_knobs(clock_offset_s=20 * 60)
    with pytest.raises(ClientError) as exc:
        client(endpoints, "sts").get_caller_identity()
    code, message, status = error(exc)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    assert message.startswith("Signature expired: ") and message.endswith(" - 15 min.)")


def test_iam_role_round_trip(endpoints):
    iam = client(endpoints, "iam")
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "accounts.google.com"},
                                                   "Action": "sts:AssumeRoleWithWebIdentity"}]}
    iam.create_role(RoleName="round-trip", AssumeRolePolicyDocument=json.dumps(doc))
    role = iam.get_role(RoleName="round-trip")["Role"]
    assert role["Arn"] == f"arn:aws:iam::{WORKLOAD}:role/round-trip"
    assert role["AssumeRolePolicyDocument"] == doc


def test_seeded_instance_cluster_and_organization(endpoints):
    ec2 = client(endpoints, "ec2")
    assert ec2.describe_instances()["Reservations"][0]["Instances"][0]["InstanceId"] == ids.INSTANCE_ID
    cluster = client(endpoints, "eks").describe_cluster(name=ids.EKS_CLUSTER)["cluster"]
    assert cluster["identity"]["oidc"]["issuer"] == ids.EKS_ISSUER
    accounts = client(endpoints, "organizations").list_accounts()["Accounts"]
    assert sorted(a["Id"] for a in accounts) == sorted([WORKLOAD, SECOND])


def test_organization_role_leads_into_the_second_account(endpoints):
    creds = client(endpoints, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{SECOND}:role/OrganizationAccountAccessRole", RoleSessionName="cross")["Credentials"]
    session = (creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    who = client(endpoints, "sts", *session).get_caller_identity()
    assert who["Arn"] == f"arn:aws:sts::{SECOND}:assumed-role/OrganizationAccountAccessRole/cross"
    iam = client(endpoints, "iam", *session)
    iam.create_role(RoleName="made-in-second", AssumeRolePolicyDocument="{}")
    assert iam.get_role(RoleName="made-in-second")["Role"]["Arn"].startswith(f"arn:aws:iam::{SECOND}:")
    assert "made-in-second" not in [r["RoleName"] for r in client(endpoints, "iam").list_roles()["Roles"]]


def test_assume_role_checks_the_trust_policy(endpoints):
    # the instance role trusts ec2.amazonaws.com only
    with pytest.raises(ClientError) as exc:
        client(endpoints, "sts").assume_role(RoleArn=f"arn:aws:iam::{WORKLOAD}:role/{ids.INSTANCE_ROLE}",
                                             RoleSessionName="nope")
    code, message, status = error(exc)
    assert (code, status) == ("AccessDenied", 403)
    assert message == (f"User: arn:aws:iam::{WORKLOAD}:user/xwiz-admin is not authorized to perform: "
                       f"sts:AssumeRole on resource: arn:aws:iam::{WORKLOAD}:role/{ids.INSTANCE_ROLE}")


def test_expired_session_credentials(sandbox, endpoints):
    creds = client(endpoints, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{SECOND}:role/OrganizationAccountAccessRole", RoleSessionName="short",
        DurationSeconds=900)["Credentials"]
    sandbox.set_knobs(clock_offset_s=1000)  # within the 15-minute signing window, past the expiry
    with pytest.raises(ClientError) as exc:
        client(endpoints, "sts", creds["AccessKeyId"], creds["SecretAccessKey"],
               creds["SessionToken"]).get_caller_identity()
    assert error(exc) == ("ExpiredToken", "The security token included in the request is expired", 403)


def test_session_credentials_need_their_token(endpoints):
    creds = client(endpoints, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{SECOND}:role/OrganizationAccountAccessRole", RoleSessionName="tokenless")["Credentials"]
    with pytest.raises(ClientError) as exc:
        client(endpoints, "sts", creds["AccessKeyId"], creds["SecretAccessKey"]).get_caller_identity()
    assert error(exc)[0] == "InvalidClientTokenId"


# -- the replay Google STS performs with an AWS subject token ------------------------------------
class _Supplier(google_aws.AwsSecurityCredentialsSupplier):
    def __init__(self, key, secret, token=None):
        self.creds = google_aws.AwsSecurityCredentials(key, secret, token)

    def get_aws_security_credentials(self, context, request):
        return self.creds

    def get_aws_region(self, context, request):
        return "us-east-1"


def signed_get_caller_identity(key, secret, token=None) -> dict:
    creds = google_aws.Credentials(
        audience="//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/a",
        subject_token_type="urn:ietf:params:aws:token-type:aws4_request", token_url="http://127.0.0.1:1/v1/token",
        aws_security_credentials_supplier=_Supplier(key, secret, token), universe_domain="xwiz.test")
    return json.loads(urllib.parse.unquote(creds.retrieve_subject_token(None)))


def replay(endpoints, subject: dict) -> requests.Response:
    headers = {h["key"]: h["value"] for h in subject["headers"]}
    query = urllib.parse.urlsplit(subject["url"]).query
    return requests.post(f"{endpoints['aws']['endpoint_url']}/?{query}", headers=headers, data=b"")


def test_replayed_google_auth_subject_token_verifies(endpoints):
    admin = endpoints["aws"]["admin"]
    subject = signed_get_caller_identity(admin["access_key_id"], admin["secret_access_key"])
    r = replay(endpoints, subject)
    assert r.status_code == 200, r.text
    assert f"<Arn>arn:aws:iam::{WORKLOAD}:user/xwiz-admin</Arn>" in r.text


def test_replayed_subject_token_with_session_credentials(endpoints):
    creds = client(endpoints, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{SECOND}:role/OrganizationAccountAccessRole", RoleSessionName="replay")["Credentials"]
    subject = signed_get_caller_identity(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    r = replay(endpoints, subject)
    assert r.status_code == 200, r.text
    assert f"assumed-role/OrganizationAccountAccessRole/replay</Arn>" in r.text


def test_tampered_subject_token_signature_is_rejected(endpoints):
    admin = endpoints["aws"]["admin"]
    subject = signed_get_caller_identity(admin["access_key_id"], admin["secret_access_key"])
    for h in subject["headers"]:
        if h["key"] == "Authorization":
            sig = h["value"][-64:]
            h["value"] = h["value"][:-64] + ("0" if sig[0] != "0" else "1") + sig[1:]
    r = replay(endpoints, subject)
    assert r.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in r.text
    assert SIGNATURE_MISMATCH in r.text
