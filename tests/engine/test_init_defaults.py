"""`xwiz init` proposes the provider ID the wizard proposes, so a first run needs no --provider."""

from __future__ import annotations

from click.testing import CliRunner

from wizard.cli.main import cli
from wizard.model.spec import load_spec


def test_init_defaults_the_provider_to_the_account(tmp_path):
    spec_file = tmp_path / "xwiz.toml"
    out = CliRunner().invoke(cli, ["init", "-f", str(spec_file), "--project", "my-project",
                                   "--workload-identity-pool", "aws-pool", "--account-id", "111122223333",
                                   "--role-arn", "app-role"])
    assert out.exit_code == 0, out.output
    entry = load_spec(spec_file).aws_to_gcp[0]
    assert entry.provider == "aws-111122223333"
    assert entry.credential_config == "credentials-aws-111122223333.json"


def test_init_eks_defaults_the_provider_to_the_cluster(tmp_path):
    spec_file = tmp_path / "xwiz.toml"
    out = CliRunner().invoke(cli, ["init", "-f", str(spec_file), "--direction", "eks-to-gcp", "--project",
                                   "my-project", "--workload-identity-pool", "aws-pool", "--cluster", "Prod",
                                   "--region", "us-east-1", "--kubernetes-service-account", "apps/billing"])
    assert out.exit_code == 0, out.output
    assert load_spec(spec_file).eks_to_gcp[0].provider == "eks-prod"


def test_an_explicit_bad_provider_still_fails_with_one_line(tmp_path):
    out = CliRunner().invoke(cli, ["init", "-f", str(tmp_path / "x.toml"), "--project", "my-project",
                                   "--workload-identity-pool", "aws-pool", "--account-id", "111122223333",
                                   "--role-arn", "app-role", "--provider", "gcp-nope"])
    assert out.exit_code == 2
    assert "--provider" in out.output and "gcp-" in out.output


def test_endpoints_repr_carries_no_secret_key():
    from wizard.cloud.endpoints import AwsEndpoints

    assert "s3cr3t-canary" not in repr(AwsEndpoints(access_key_id="AKIAEXAMPLE", secret_access_key="s3cr3t-canary"))
