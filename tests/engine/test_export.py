"""`xwiz export`: the plan as gcloud commands or Terraform, correctly quoted, with no credentials for --all."""

from __future__ import annotations

import shlex

from click.testing import CliRunner

from wizard.cli.main import cli
from wizard.model.cel import aws_role_condition
from wizard.model.identifiers import assumed_role_arn

from .helpers import SA, SPEC, clean_aws_env, write_spec, xwiz

NUMBER = "615204081942"


def _offline(args):
    """No sandbox, no Google credentials: anything that tried a cloud call would fail."""
    return CliRunner().invoke(cli, args, env={"XWIZ_SANDBOX": None,
                                              "GOOGLE_APPLICATION_CREDENTIALS": "/nonexistent"})


def _commands(script: str) -> list[list[str]]:
    return [shlex.split(c) for c in script.replace("\\\n", " ").splitlines()
            if c.strip() and not c.lstrip().startswith("#") and not c.startswith(("set ", "ISSUER_"))]


def test_shell_all_needs_no_credentials_and_quotes_correctly(tmp_path):
    spec = write_spec(tmp_path)
    result = _offline(["export", "-f", str(spec), "--format", "shell", "--all", "--project-number", NUMBER])
    assert result.exit_code == 0, result.output
    commands = _commands(result.stdout)
    create_aws = next(c for c in commands if c[:5] == ["gcloud", "iam", "workload-identity-pools", "providers",
                                                       "create-aws"])
    condition = aws_role_condition([assumed_role_arn("xwiz-ec2-app", "111122223333"),
                                    assumed_role_arn("arn:aws:iam::111122223333:role/team/worker")])
    assert f"--attribute-condition={condition}" in create_aws  # survives the shell's quoting intact
    assert "--account-id=111122223333" in create_aws and "--location=global" in create_aws
    create_oidc = next(c for c in commands if "create-oidc" in c)
    assert "--allowed-audiences=sts.amazonaws.com" in create_oidc
    assert "--attribute-mapping=google.subject=assertion.sub" in create_oidc
    assert "aws eks describe-cluster --name xwiz-demo" in result.stdout  # the issuer is looked up by the script
    bindings = [c for c in commands if c[:4] == ["gcloud", "iam", "service-accounts", "add-iam-policy-binding"]]
    assert len(bindings) == 3 and all("--role=roles/iam.workloadIdentityUser" in c for c in bindings)
    assert any(f"--member=principalSet://iam.googleapis.com/projects/{NUMBER}/locations/global/workloadIdentityPools/"
               "aws-pool/attribute.aws_role/arn:aws:sts::111122223333:assumed-role/worker" in c for c in bindings)
    cred = [c for c in commands if "create-cred-config" in c]
    assert ["--aws", "--enable-imdsv2"] == [f for f in cred[0] if f in ("--aws", "--enable-imdsv2")]
    assert f"--service-account={SA}" in cred[0] and "--output-file=credentials-aws-workload.json" in cred[0]
    assert "--credential-source-type=text" in cred[1]
    assert ["gcloud", "services", "enable", "iam.googleapis.com"] == commands[0][:4]


def test_terraform_all_has_every_resource(tmp_path):
    spec = write_spec(tmp_path)
    result = _offline(["export", "-f", str(spec), "--format", "terraform", "--all", "--project-number", NUMBER])
    assert result.exit_code == 0, result.output
    tf = result.stdout
    for resource in ("google_project_service", "google_iam_workload_identity_pool",
                     "google_iam_workload_identity_pool_provider", "google_service_account",
                     "google_service_account_iam_member", "google_project_iam_member",
                     "google_project_iam_audit_config", 'data "aws_eks_cluster"'):
        assert resource in tf, resource
    assert 'account_id = "111122223333"' in tf
    assert "issuer_uri        = data.aws_eks_cluster." in tf
    assert "attribute_condition" in tf and "assertion.arn.startsWith('arn:aws:sts::111122223333:assumed-role/" in tf
    assert tf.count("{") == tf.count("}")


def test_export_without_number_and_without_credentials_is_an_error_not_a_crash(tmp_path):
    result = _offline(["export", "-f", str(write_spec(tmp_path)), "--format", "shell", "--all"])
    assert result.exit_code in (1, 2)
    assert "internal error" not in result.output and len(result.stderr.strip().splitlines()) == 1


def test_changes_only_follow_the_plan(sandbox, endpoints, tmp_path, monkeypatch):
    clean_aws_env(monkeypatch, tmp_path, endpoints)
    spec = write_spec(tmp_path)
    before = xwiz(sandbox, "export", "-f", str(spec), "--format", "shell")
    assert before.exit_code == 0, before.output
    assert "workload-identity-pools create aws-pool" in before.stdout
    assert xwiz(sandbox, "apply", "-f", str(spec), "--auto-approve", "--no-verify").exit_code == 0

    after = xwiz(sandbox, "export", "-f", str(spec), "--format", "shell")
    assert after.exit_code == 0
    assert _commands(after.stdout) == []  # nothing left to do

    wider = SPEC.replace('roles = ["xwiz-ec2-app", ', 'roles = ["xwiz-ec2-app", "deployer", ')
    write_spec(tmp_path, wider)
    changes = _commands(xwiz(sandbox, "export", "-f", str(spec), "--format", "shell").stdout)
    verbs = [c[3:5] if c[3] == "providers" else c[2:4] for c in changes]
    assert verbs == [["providers", "update-aws"], ["service-accounts", "add-iam-policy-binding"]], changes
    assert changes[1][-1].endswith("assumed-role/deployer")
    tf = xwiz(sandbox, "export", "-f", str(spec), "--format", "terraform").stdout
    assert "import {" in tf and "google_iam_workload_identity_pool_provider.aws_workload" in tf
    assert tf.count('resource "google_service_account_iam_member"') == 1
