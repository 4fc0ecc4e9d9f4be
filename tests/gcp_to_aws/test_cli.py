"""`xwiz plan` / `xwiz apply` with a `[[gcp_to_aws]]` entry, through the CLI."""

from __future__ import annotations

import json

import boto3
from click.testing import CliRunner

from wizard.cli.main import cli

from tests.checks.canary import assert_no_secrets

from .conftest import ACCOUNT, AUDIENCE, WORKLOAD_SA, admin_iam, entry, spec_text


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_apply_writes_a_profile_that_works_without_any_sandbox_environment(sandbox, workload_env, monkeypatch):
    spec_file = workload_env / "xwiz.toml"
    spec_file.write_text(spec_text(entry()))
    sandbox_file = str(sandbox.endpoints_path)
    plan = invoke("plan", "-f", str(spec_file), "--sandbox-file", sandbox_file)
    assert plan.exit_code == 0 and "create IAM role gcp-app" in plan.output
    applied = invoke("apply", "--auto-approve", "-f", str(spec_file), "--sandbox-file", sandbox_file)
    assert applied.exit_code == 0, applied.output
    assert "Apply complete." in applied.output
    # verify ran the written profile's credential_process: the assumed role, never a key
    assert ("✓ verify gcp-app (profile gcp-app): the AWS profile works: AWS_PROFILE=gcp-app aws sts "
            f"get-caller-identity is arn:aws:sts::{ACCOUNT}:assumed-role/gcp-app/") in applied.output
    [cached] = (workload_env / "cache" / "xwiz" / "aws-credentials").glob("*.json")
    role_keys = json.loads(cached.read_text())
    assert_no_secrets(sandbox, applied.output, tuple(role_keys[k] for k in ("AccessKeyId", "SecretAccessKey",
                                                                             "SessionToken")))
    next_steps = applied.output[applied.output.index("Next steps for role"):]
    assert f"AWS profile gcp-app is in {workload_env / 'aws' / 'config'}" in next_steps
    assert "try it:  AWS_PROFILE=gcp-app aws sts get-caller-identity" in next_steps
    assert (f"check it: xwiz doctor --role-arn arn:aws:iam::{ACCOUNT}:role/gcp-app --service-account {WORKLOAD_SA} "
            f"--audience {AUDIENCE}") in next_steps

    config = (workload_env / "aws" / "config").read_text()
    assert f"--sandbox-file {sandbox_file}" in config
    # everything the profile needs is in it: the sandbox file (metadata host, STS) and the endpoint
    for name in ("XWIZ_SANDBOX", "GCE_METADATA_HOST", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name)
    arn = boto3.Session(profile_name="gcp-app").client("sts").get_caller_identity()["Arn"]
    assert arn.startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/gcp-app/")
    assert "No changes" in invoke("plan", "-f", str(spec_file), "--sandbox-file", sandbox_file).output


def test_plan_refuses_the_aud_trap_in_one_line(sandbox, workload_env):
    admin_iam(sandbox).create_role(RoleName="gcp-app", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": "accounts.google.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"accounts.google.com:aud": AUDIENCE}}}]}))
    from .conftest import enable_apis

    enable_apis(sandbox)
    spec_file = workload_env / "xwiz.toml"
    spec_file.write_text(spec_text(entry()))
    result = CliRunner().invoke(cli, ["apply", "--auto-approve", "-f", str(spec_file),
                                      "--sandbox-file", str(sandbox.endpoints_path)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("xwiz:")]
    assert len(lines) == 1 and "the aud trap (M20)" in lines[0]


def test_without_a_profile_verify_says_so_and_next_steps_give_the_credential_process(sandbox, workload_env):
    spec_file = workload_env / "xwiz.toml"
    spec_file.write_text(spec_text(entry(profile=None)))
    applied = invoke("apply", "--auto-approve", "-f", str(spec_file), "--sandbox-file", str(sandbox.endpoints_path))
    assert applied.exit_code == 0, applied.output
    assert "- verify gcp-app: no AWS profile was written for it" in applied.output
    assert (f"credential_process = xwiz aws-credentials --role-arn arn:aws:iam::{ACCOUNT}:role/gcp-app "
            f"--audience {AUDIENCE}") in applied.output
    assert f"check it: xwiz doctor --role-arn arn:aws:iam::{ACCOUNT}:role/gcp-app" in applied.output
