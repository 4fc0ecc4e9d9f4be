"""Fixtures for the Google Cloud → AWS journey: a workload environment pointed at the sandbox.

The sandbox's GCE metadata server is the workload's ID-token source (GCE_METADATA_HOST, and
google-auth's module constant, which it reads once at import); AWS_CONFIG_FILE and the xwiz cache
live in tmp_path; `xwiz` is on PATH so botocore's credential_process runs the real command.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import boto3
import pytest
from google.auth.compute_engine import _metadata

from wizard.cloud.endpoints import Endpoints
from wizard.model.spec import loads_spec
from wizard.sandbox import identities as ids
from wizard.services import Services

WORKLOAD_SA = f"{ids.WORKLOAD_SA_ID}@{ids.PROJECT_ID}.iam.gserviceaccount.com"
ACCOUNT = ids.AWS_ACCOUNTS["workload"]
SECOND = ids.AWS_ACCOUNTS["second"]
AUDIENCE = "https://gcp-app.example.com"


@pytest.fixture
def workload_env(sandbox, tmp_path, monkeypatch):
    ep = sandbox.endpoints
    host = ep["gcp"]["metadata_host"]
    monkeypatch.setenv("GCE_METADATA_HOST", host)
    monkeypatch.setenv("GCE_METADATA_IP", host)
    monkeypatch.setattr(_metadata, "_GCE_METADATA_HOST", host)
    monkeypatch.setenv("XWIZ_SANDBOX", str(sandbox.endpoints_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws" / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws" / "credentials"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", ep["aws"]["endpoint_url"])
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                 "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def services(sandbox):
    return Services(Endpoints.from_sandbox(sandbox.endpoints))


def spec_text(*entries: str, project: str = ids.PROJECT_ID) -> str:
    return f'[gcp]\nproject = "{project}"\n' + "".join(f"\n[[gcp_to_aws]]\n{e.strip()}\n" for e in entries)


def entry(service_account: str = WORKLOAD_SA, account_id: str = ACCOUNT, role_name: str = "gcp-app",
          audience: str = AUDIENCE, profile: str | None = "gcp-app", policies: tuple[str, ...] = (),
          session_duration: int | None = None) -> str:
    lines = [f'service_account = "{service_account}"', f'account_id = "{account_id}"',
             f'role_name = "{role_name}"', f'audience = "{audience}"']
    if profile:
        lines.append(f'profile = "{profile}"')
    if policies:
        lines.append("policies = [" + ", ".join(f'"{p}"' for p in policies) + "]")
    if session_duration:
        lines.append(f"session_duration = {session_duration}")
    return "\n".join(lines)


def spec_of(*entries: str):
    return loads_spec(spec_text(*entries))


def admin_iam(sandbox, account: str = ACCOUNT):
    """boto3 IAM as the sandbox admin (the second account through OrganizationAccountAccessRole)."""
    ep = sandbox.endpoints["aws"]
    kw = dict(endpoint_url=ep["endpoint_url"], region_name="us-east-1",
              aws_access_key_id=ep["admin"]["access_key_id"], aws_secret_access_key=ep["admin"]["secret_access_key"])
    if account == ACCOUNT:
        return boto3.client("iam", **kw)
    creds = boto3.client("sts", **kw).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="test")["Credentials"]
    return boto3.client("iam", endpoint_url=ep["endpoint_url"], region_name="us-east-1",
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


def enable_apis(sandbox) -> None:
    with sandbox.lock:
        project = sandbox.google.projects[ids.PROJECT_ID]
        for api in ("iam.googleapis.com", "iamcredentials.googleapis.com", "cloudresourcemanager.googleapis.com",
                    "sts.googleapis.com"):
            project.services[api] = "ENABLED"


def unique_id(sandbox, email: str = WORKLOAD_SA) -> str:
    with sandbox.lock:
        return sandbox.google.find_service_account(email).unique_id
