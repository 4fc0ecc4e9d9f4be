"""The EC2 metadata service (v1 and v2), botocore's own IMDS fetcher, and the EKS issuer documents."""

from __future__ import annotations

import json

import boto3
import requests

from wizard.sandbox import identities as ids

CREDS = f"/latest/meta-data/iam/security-credentials/{ids.INSTANCE_ROLE}"


def put_token(url, ttl="300"):
    return requests.put(url + "/latest/api/token", headers={"X-aws-ec2-metadata-token-ttl-seconds": ttl})


def test_imdsv1_flow(endpoints):
    url = endpoints["aws"]["imds_url"]
    assert requests.get(url + "/latest/meta-data/placement/availability-zone").text == ids.AVAILABILITY_ZONE
    assert requests.get(url + "/latest/meta-data/placement/region").text == ids.AWS_REGION
    assert requests.get(url + "/latest/meta-data/instance-id").text == ids.INSTANCE_ID
    assert requests.get(url + "/latest/meta-data/iam/security-credentials/").text == ids.INSTANCE_ROLE
    creds = requests.get(url + CREDS).json()
    assert creds["Code"] == "Success" and creds["Type"] == "AWS-HMAC"
    assert creds["AccessKeyId"].startswith("ASIA") and creds["Token"] and creds["Expiration"].endswith("Z")
    doc = requests.get(url + "/latest/dynamic/instance-identity/document").json()
    assert doc["accountId"] == ids.AWS_ACCOUNTS["workload"] and doc["instanceId"] == ids.INSTANCE_ID
    info = requests.get(url + "/latest/meta-data/iam/info").json()
    assert info["InstanceProfileArn"].endswith(f":instance-profile/{ids.INSTANCE_ROLE}")


def test_imdsv2_flow(endpoints):
    url = endpoints["aws"]["imds_url"]
    token = put_token(url)
    assert token.status_code == 200 and token.text
    assert token.headers["X-aws-ec2-metadata-token-ttl-seconds"] == "300"
    h = {"X-aws-ec2-metadata-token": token.text}
    assert requests.get(url + "/latest/meta-data/iam/security-credentials", headers=h).text == ids.INSTANCE_ROLE
    assert requests.get(url + CREDS, headers=h).json()["Code"] == "Success"


def test_token_endpoint_rules(sandbox, endpoints):
    url = endpoints["aws"]["imds_url"]
    get = requests.get(url + "/latest/api/token")
    assert get.status_code == 405 and get.headers["Allow"] == "OPTIONS, PUT"
    assert put_token(url, "0").status_code == 400
    assert put_token(url, "21601").status_code == 400
    assert requests.put(url + "/latest/api/token").status_code == 400
    bad = requests.get(url + CREDS, headers={"X-aws-ec2-metadata-token": "not-a-token"})
    assert bad.status_code == 401
    short = put_token(url, "1").text
    sandbox.set_knobs(clock_offset_s=5)
    assert requests.get(url + CREDS, headers={"X-aws-ec2-metadata-token": short}).status_code == 401


def test_imdsv2_required_rejects_v1(sandbox, endpoints):
    url = endpoints["aws"]["imds_url"]
    sandbox.set_knobs(imdsv2_required=True)
    assert requests.get(url + "/latest/meta-data/iam/security-credentials/").status_code == 401
    token = put_token(url).text
    ok = requests.get(url + "/latest/meta-data/iam/security-credentials/", headers={"X-aws-ec2-metadata-token": token})
    assert ok.status_code == 200


def test_credentials_are_cached_and_real(endpoints):
    url = endpoints["aws"]["imds_url"]
    first, second = requests.get(url + CREDS).json(), requests.get(url + CREDS).json()
    assert first["AccessKeyId"] == second["AccessKeyId"]
    sts = boto3.client("sts", endpoint_url=endpoints["aws"]["endpoint_url"], region_name="us-east-1",
                       aws_access_key_id=first["AccessKeyId"], aws_secret_access_key=first["SecretAccessKey"],
                       aws_session_token=first["Token"])
    arn = f"arn:aws:sts::{ids.AWS_ACCOUNTS['workload']}:assumed-role/{ids.INSTANCE_ROLE}/{ids.INSTANCE_ID}"
    assert sts.get_caller_identity()["Arn"] == arn


def test_botocore_fetches_instance_credentials(endpoints, monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoints["aws"]["imds_url"])
    session = boto3.Session(region_name="us-east-1")
    creds = session.get_credentials()
    assert creds.method == "iam-role"
    who = session.client("sts", endpoint_url=endpoints["aws"]["endpoint_url"]).get_caller_identity()
    assert who["Arn"].endswith(f":assumed-role/{ids.INSTANCE_ROLE}/{ids.INSTANCE_ID}")


def test_eks_issuer_documents(sandbox, endpoints):
    local = endpoints["aws"]["eks"]["issuer_local_url"]
    config = requests.get(local + "/.well-known/openid-configuration").json()
    assert config["issuer"] == ids.EKS_ISSUER
    assert config["jwks_uri"] == ids.EKS_ISSUER + "/keys"
    keys = requests.get(sandbox.resolve_url(config["jwks_uri"])).json()["keys"]
    assert [k["kid"] for k in keys] == [sandbox.keys.eks.kid]
    assert json.loads(json.dumps(keys[0]))["kty"] == "RSA"
