"""From an empty project: `xwiz apply --auto-approve`, then unmodified google-auth with each written
credential configuration gets a service-account token, then `xwiz plan` has nothing to do."""

from __future__ import annotations

import json

from google.auth import aws, identity_pool
from google.auth.transport.requests import Request

from wizard.runtime.aws_supplier import BotoSupplier, credentials_from_config
from wizard.sandbox import identities as ids

from .helpers import CLOUD_PLATFORM, SPEC, clean_aws_env, worker_role_credentials, write_spec, xwiz


def test_apply_from_empty_then_google_auth_then_no_changes(sandbox, endpoints, tmp_path, monkeypatch):
    clean_aws_env(monkeypatch, tmp_path, endpoints)
    sandbox.set_knobs(imdsv2_required=True)  # the EC2 case must work with IMDSv2 only
    spec = write_spec(tmp_path)

    result = xwiz(sandbox, "apply", "-f", str(spec), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "Apply complete." in result.output
    assert "✓ verify aws-workload" in result.output and "✓ verify eks-demo" in result.output

    # EC2: the written configuration, as is, through the sandbox IMDS (v2)
    config = json.loads((tmp_path / "credentials-aws-workload.json").read_text())
    assert "imdsv2_session_token_url" in config["credential_source"]
    ec2 = aws.Credentials.from_info(config, scopes=[CLOUD_PLATFORM])
    ec2.refresh(Request())
    assert ec2.token

    # the role with a path, as env keys of an assumed-role session (google-auth's own env source)
    keys = worker_role_credentials(endpoints)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", keys["SessionToken"])
    monkeypatch.setenv("AWS_REGION", ids.AWS_REGION)
    worker = aws.Credentials.from_info(config, scopes=[CLOUD_PLATFORM])
    worker.refresh(Request())
    assert worker.token

    # EKS: the file-sourced configuration with the pod's token (the sandbox's projected token)
    eks_config = json.loads((tmp_path / "credentials-eks-demo.json").read_text())
    eks_config["credential_source"]["file"] = endpoints["aws"]["eks"]["token_file"]
    pod = identity_pool.Credentials.from_info(eks_config, scopes=[CLOUD_PLATFORM])
    pod.refresh(Request())
    assert pod.token
    k8s = (tmp_path / "credentials-eks-demo.k8s.yaml").read_text()
    assert "kind: Secret" in k8s and '"credential-configuration.json": |' in k8s

    again = xwiz(sandbox, "plan", "-f", str(spec))
    assert again.exit_code == 0, again.output
    assert "No changes" in again.output


def test_boto_supplier_with_a_profile_of_the_role_with_a_path(sandbox, endpoints, tmp_path, monkeypatch):
    clean_aws_env(monkeypatch, tmp_path, endpoints)
    spec = write_spec(tmp_path)
    assert xwiz(sandbox, "apply", "-f", str(spec), "--auto-approve", "--no-verify").exit_code == 0
    keys = worker_role_credentials(endpoints)
    (tmp_path / "aws-credentials").write_text(
        f"[worker]\naws_access_key_id = {keys['AccessKeyId']}\naws_secret_access_key = {keys['SecretAccessKey']}\n"
        f"aws_session_token = {keys['SessionToken']}\n")
    (tmp_path / "aws-config").write_text(f"[profile worker]\nregion = {ids.AWS_REGION}\n")
    config = json.loads((tmp_path / "credentials-aws-workload.json").read_text())
    creds = credentials_from_config(config, BotoSupplier(profile_name="worker"))
    creds.refresh(Request())
    assert creds.token


def test_boto_supplier_on_ec2_instance_metadata(sandbox, endpoints, tmp_path, monkeypatch):
    """No env keys, no profile, no region: boto3 finds the instance role and the region in IMDS."""
    clean_aws_env(monkeypatch, tmp_path, endpoints)
    spec = write_spec(tmp_path)
    assert xwiz(sandbox, "apply", "-f", str(spec), "--auto-approve", "--no-verify").exit_code == 0
    config = json.loads((tmp_path / "credentials-aws-workload.json").read_text())
    supplier = BotoSupplier()
    creds = credentials_from_config(config, supplier)
    creds.refresh(Request())
    assert creds.token
    assert supplier.get_aws_region(None, None) == ids.AWS_REGION


def test_apply_waits_for_iam_propagation_and_says_so(sandbox, tmp_path, monkeypatch, endpoints):
    clean_aws_env(monkeypatch, tmp_path, endpoints)
    # 2 s: the first tries (at ~0 s and 1 s after the binding) are refused, the third (2.5 s) is not;
    # 3 s used to push it to a fourth try at 4.75 s
    sandbox.set_knobs(propagation_delay_s=2)
    result = xwiz(sandbox, "apply", "-f", str(write_spec(tmp_path)), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "waiting for IAM propagation" in result.output
    assert "s so far" in result.output
    assert "✓ verify aws-workload: the workload's exchange works after waiting" in result.output


def test_verify_gives_up_after_the_wait_and_names_the_doctor(sandbox, tmp_path, monkeypatch, endpoints):
    clean_aws_env(monkeypatch, tmp_path, endpoints)
    sandbox.set_knobs(propagation_delay_s=60)
    result = xwiz(sandbox, "apply", "-f", str(write_spec(tmp_path)), "--auto-approve", "--wait", "2")
    assert result.exit_code == 1, result.output
    assert "still 403 iam.serviceAccounts.getAccessToken" in result.output
    assert "xwiz doctor --cred-config /path/to/credentials-aws-workload.json" in result.output


def test_verify_is_skipped_without_workload_credentials(sandbox, tmp_path, monkeypatch, endpoints):
    clean_aws_env(monkeypatch, tmp_path, endpoints)
    spec = SPEC.replace(f'roles = ["{ids.INSTANCE_ROLE}", ', "roles = [").replace(
        '["apps/billing"]', '["apps/other"]')
    result = xwiz(sandbox, "apply", "-f", str(write_spec(tmp_path, spec)), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "- verify aws-workload: no workload credentials here" in result.output
    assert "- verify eks-demo: no pod token here" in result.output
    assert "on the workload: xwiz doctor --cred-config" in result.output
