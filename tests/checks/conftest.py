"""Doctor fixtures: a healthy setup made with the engine (xwiz.toml → plan → apply), then broken one
thing at a time through the public APIs; `doctor(...)` runs `xwiz doctor --output json` in-process."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from wizard.cli.main import cli

SA = "app-runner@xwiz-sandbox.iam.gserviceaccount.com"
POOL = "aws-pool"
AWS_PROVIDER = "aws-workload"
EKS_PROVIDER = "eks-demo"
ACCOUNT = "111122223333"
ROLE = "xwiz-ec2-app"
NUMBER = "615204081942"
PROJECT = "xwiz-sandbox"

AWS_SPEC = f'''
[gcp]
project = "{PROJECT}"
pool = "{POOL}"

[[aws_to_gcp]]
account_id = "{ACCOUNT}"
provider = "{AWS_PROVIDER}"
roles = ["{ROLE}"]
service_account = "{SA}"
create_service_account = true
'''

EKS_SPEC = f'''
[gcp]
project = "{PROJECT}"
pool = "{POOL}"

[[eks_to_gcp]]
cluster = "xwiz-demo"
region = "us-east-1"
provider = "{EKS_PROVIDER}"
kubernetes_service_accounts = ["apps/billing"]
service_account = "{SA}"
create_service_account = true
token_path = "TOKEN_PATH"
'''

_AWS_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION",
            "AWS_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_WEB_IDENTITY_TOKEN_FILE", "GOOGLE_APPLICATION_CREDENTIALS")


def services_for(sandbox):
    from wizard.cloud.endpoints import Endpoints
    from wizard.services import Services

    return Services(Endpoints.from_sandbox(sandbox.endpoints, str(sandbox.endpoints_path)))


def apply_spec(sandbox, directory: Path, text: str, force: bool = False) -> Path:
    """Write xwiz.toml and apply it with the engine, as `xwiz apply --auto-approve` would."""
    from wizard.engine.applier import Applier
    from wizard.engine.planner import Planner
    from wizard.model.spec import loads_spec

    path = directory / "xwiz.toml"
    path.write_text(text)
    spec = loads_spec(text, str(path))
    services = services_for(sandbox)
    planner = Planner(services, spec, directory)
    result = Applier(services, planner, force=force).apply(planner.plan(), on_event=lambda e: None)
    assert result.ok, result
    return path


class Doctor:
    def __init__(self, sandbox, directory: Path) -> None:
        self.sandbox = sandbox
        self.directory = directory
        self.last_output = ""

    def __call__(self, *args: str, env: dict[str, str] | None = None, output: str = "json"):
        environ = {k: None for k in _AWS_ENV}
        environ["HOME"] = str(self.directory / "home")
        environ.update(env or {})
        runner = CliRunner()
        old = os.getcwd()
        os.chdir(self.directory)
        try:
            result = runner.invoke(cli, ["doctor", "--sandbox-file", str(self.sandbox.endpoints_path),
                                         "--output", output, *args], env=environ, catch_exceptions=False)
        finally:
            os.chdir(old)
        self.last_output = result.output
        if output == "json":
            try:
                return result.exit_code, json.loads(result.output)
            except ValueError:
                raise AssertionError(f"not JSON (exit {result.exit_code}): {result.output}") from None
        return result.exit_code, result.output


@pytest.fixture
def doctor(sandbox, tmp_path):
    (tmp_path / "home").mkdir()
    return Doctor(sandbox, tmp_path)


@pytest.fixture
def aws_setup(sandbox, tmp_path):
    """A healthy AWS → Google Cloud federation for the sandbox's EC2 instance role."""
    return apply_spec(sandbox, tmp_path, AWS_SPEC)


@pytest.fixture
def eks_setup(sandbox, tmp_path):
    return apply_spec(sandbox, tmp_path, eks_spec(sandbox))


def eks_spec(sandbox) -> str:
    """The EKS entry, reading the pod token the sandbox projects (its token file)."""
    return EKS_SPEC.replace("TOKEN_PATH", sandbox.endpoints["aws"]["eks"]["token_file"])


def by_id(report: dict) -> dict[str, dict]:
    return {c["id"]: c for c in report["checks"]}


def problems(report: dict) -> dict[str, tuple[str, str | None]]:
    return {c["id"]: (c["status"], c["cause"]) for c in report["checks"] if c["status"] in ("fail", "warn", "error")}


def assert_healthy(report: dict) -> None:
    assert problems(report) == {}, json.dumps([c for c in report["checks"] if c["status"] != "pass"], indent=1)
    assert report["ok"] is True


GCE_SA = "gce-workload@xwiz-sandbox.iam.gserviceaccount.com"
G2A_ROLE = "gcp-app"
G2A_SPEC = f'''
[gcp]
project = "{PROJECT}"

[[gcp_to_aws]]
service_account = "{GCE_SA}"
account_id = "{ACCOUNT}"
role_name = "{G2A_ROLE}"
audience = "{G2A_ROLE}"
'''


@pytest.fixture
def g2a_setup(sandbox, tmp_path):
    """A healthy Google Cloud → AWS federation for the metadata server's service account."""
    return apply_spec(sandbox, tmp_path, G2A_SPEC)
