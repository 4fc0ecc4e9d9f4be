"""Shared pieces of the engine tests: the issue's spec, the CLI run in-process, a clean AWS environment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from wizard.sandbox import identities as ids

SA = f"app-runner@{ids.PROJECT_ID}.iam.gserviceaccount.com"
WORKER_ROLE_ARN = f"arn:aws:iam::{ids.AWS_ACCOUNTS['workload']}:role/team/worker"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
AWS_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
           "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
           "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_REGION", "AWS_DEFAULT_REGION", "XWIZ_SANDBOX")

SPEC = f'''
[gcp]
project = "{ids.PROJECT_ID}"
pool = "aws-pool"

[[aws_to_gcp]]
account_id = "{ids.AWS_ACCOUNTS['workload']}"
provider = "aws-workload"
roles = ["{ids.INSTANCE_ROLE}", "{WORKER_ROLE_ARN}"]
service_account = "{SA}"
create_service_account = true
grant_roles = ["roles/storage.objectViewer"]
audit_logs = true

[[eks_to_gcp]]
cluster = "{ids.EKS_CLUSTER}"
region = "{ids.AWS_REGION}"
provider = "eks-demo"
kubernetes_service_accounts = ["{ids.KUBERNETES_NAMESPACE}/{ids.KUBERNETES_SERVICE_ACCOUNT}"]
service_account = "{SA}"
'''


def write_spec(directory: Path, text: str = SPEC) -> Path:
    path = directory / "xwiz.toml"
    path.write_text(text)
    return path


def xwiz(sandbox, *args: str, env: dict[str, str] | None = None):
    """Run the real `xwiz` CLI in-process against the sandbox; returns click's Result (stdout and stderr)."""
    from wizard.cli.main import cli

    runner = CliRunner()
    return runner.invoke(cli, [*args], env={"XWIZ_SANDBOX": str(sandbox.endpoints_path), **(env or {})},
                         catch_exceptions=False)


def clean_aws_env(monkeypatch, tmp_path: Path, endpoints: dict[str, Any] | None = None) -> None:
    """No AWS keys, profiles or region from the developer's machine; IMDS = the sandbox's when given."""
    for name in AWS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", (endpoints or {}).get("aws", {}).get(
        "imds_url", "http://127.0.0.1:9"))


def sa_members(endpoints, email: str = SA) -> set[str]:
    from tests.sandbox.google_admin_clients import cached

    iam = cached("iam", "v1", endpoints)
    policy = iam.projects().serviceAccounts().getIamPolicy(resource=f"projects/-/serviceAccounts/{email}").execute()
    return {f"{b['role']} {m}" for b in policy.get("bindings", []) for m in b.get("members", [])}


def providers(endpoints) -> list[tuple[str, str]]:
    from tests.sandbox.google_admin_clients import cached

    iam = cached("iam", "v1", endpoints)
    out = iam.projects().locations().workloadIdentityPools().providers().list(
        parent=f"projects/{ids.PROJECT_ID}/locations/global/workloadIdentityPools/aws-pool", showDeleted=True).execute()
    return sorted((p["name"].rsplit("/", 1)[-1], p.get("state", "")) for p in out.get("workloadIdentityPoolProviders", []))


def worker_role_credentials(endpoints) -> dict[str, str]:
    """Create the role `team/worker` in the emulated workload account and assume it with the admin keys."""
    import boto3

    aws = endpoints["aws"]
    kw = dict(endpoint_url=aws["endpoint_url"], region_name=aws["region"],
              aws_access_key_id=aws["admin"]["access_key_id"], aws_secret_access_key=aws["admin"]["secret_access_key"])
    account = aws["accounts"]["workload"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Principal": {"AWS": f"arn:aws:iam::{account}:root"}}]}
    iam = boto3.client("iam", **kw)
    try:
        iam.create_role(RoleName="worker", Path="/team/", AssumeRolePolicyDocument=json.dumps(trust))
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    out = boto3.client("sts", **kw).assume_role(RoleArn=WORKER_ROLE_ARN, RoleSessionName="batch-7")
    return out["Credentials"]
