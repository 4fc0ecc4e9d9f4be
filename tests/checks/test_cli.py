"""`xwiz doctor` as a user meets it: inputs from xwiz.toml, a credential configuration or flags;
what-if mode; missing read permissions; --list-checks, --explain; exit codes."""

from __future__ import annotations

import json

from checks import registry
from checks.context import Context, inputs_from_cred_config
from checks.runner import run

from .conftest import ACCOUNT, AWS_PROVIDER, ROLE, SA, by_id, problems, services_for


def test_cred_config_alone_on_a_workload_host(aws_setup, doctor, tmp_path):
    config = tmp_path / f"credentials-{AWS_PROVIDER}.json"
    (tmp_path / "xwiz.toml").unlink()
    code, report = doctor("--cred-config", str(config))
    assert code == 0, problems(report)
    checks = by_id(report)
    assert checks["aws_to_gcp.pool"]["status"] == "pass"  # pool and provider come from the audience
    assert checks["aws_to_gcp.generate_access_token"]["summary"].endswith(SA)


def test_without_read_permissions_static_checks_skip_and_live_steps_still_run(aws_setup, sandbox, tmp_path):
    """On a workload host the only Google identity is the workload's own: it may read nothing."""
    import google.auth.aws

    from wizard.cloud.gcp import CLOUD_PLATFORM, GcpAdapter

    config = tmp_path / f"credentials-{AWS_PROVIDER}.json"
    workload_identity = google.auth.aws.Credentials.from_info(json.loads(config.read_text()), scopes=[CLOUD_PLATFORM])
    services = services_for(sandbox)
    services._gcp = GcpAdapter(services.endpoints.google, credentials=workload_identity)
    ctx = Context(services, inputs_from_cred_config(config), environ={}, home=tmp_path)
    report = run(registry.select(("aws_to_gcp",)), ctx)
    for cid in ("aws_to_gcp.google_apis", "aws_to_gcp.pool", "aws_to_gcp.service_account"):
        r = report.by_id(cid)
        assert r.status == "skip" and r.summary.startswith("cannot read"), (cid, r.summary)
    for cid in ("aws_to_gcp.caller_identity", "aws_to_gcp.sts_exchange", "aws_to_gcp.generate_access_token"):
        assert report.by_id(cid).status == "pass", (cid, report.by_id(cid).summary)
    assert report.exit_code == 0


def test_what_if_evaluates_mapping_condition_and_bindings_without_aws(aws_setup, doctor, sandbox):
    sandbox.request_log.clear()
    code, report = doctor("--what-if-arn", f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/any-session")
    assert code == 0, problems(report)
    # no instance metadata and no signed AWS call (only the clock check's unauthenticated GET)
    assert not [r for r in sandbox.request_log.items()
                if r.listener == "imds" or (r.listener == "aws" and r.method != "GET")]
    checks = by_id(report)
    assert checks["aws_to_gcp.principal_binding"]["status"] == "pass"
    assert checks["aws_to_gcp.sts_exchange"]["status"] == "skip"

    code, report = doctor("--what-if-arn", f"arn:aws:sts::{ACCOUNT}:assumed-role/other-role/s")
    assert code == 1
    checks = by_id(report)
    assert checks["aws_to_gcp.attribute_condition"]["cause"] == "attribute-condition-rejects"
    assert checks["aws_to_gcp.principal_binding"]["cause"] == "binding-missing"
    assert "other-role" in checks["aws_to_gcp.attribute_condition"]["remediation"]["commands"][0]


def test_list_checks_is_stable_and_complete(doctor):
    code, listing = doctor("--list-checks")
    assert code == 0
    assert [c["id"] for c in listing["checks"]] == [c.id for c in registry.CHECKS]
    code, text = doctor("--list-checks", output="text")
    assert text.splitlines()[0].startswith("config.clock_skew")


def test_explain_a_code_and_a_check(doctor):
    code, text = doctor("--explain", "principal-not-arn", output="text")
    assert code == 0 and "M01" in text and "gcloud iam service-accounts add-iam-policy-binding" in text
    code, text = doctor("--explain", "aws_to_gcp.sts_exchange", output="text")
    assert code == 0 and "What it checks" in text and "How to fix" in text


def test_usage_errors_exit_2(doctor):
    code, text = doctor(output="text")  # no xwiz.toml, no flags
    assert code == 2 and "xwiz.toml" in text
    code, text = doctor("--explain", "no-such-thing", output="text")
    assert code == 2
    code, text = doctor("--role-arn", f"arn:aws:iam::{ACCOUNT}:role/x", output="text")
    assert code == 2 and "--service-account" in text
    code, text = doctor("--what-if-arn", "not-an-arn", output="text")
    assert code == 2


def test_failure_exit_code_and_first_problem_named_in_text(aws_setup, doctor, sandbox):
    services_for(sandbox).gcp.patch_pool("xwiz-sandbox", "aws-pool", {"disabled": True}, "disabled")
    code, text = doctor(output="text")
    assert code == 1
    assert "[pool-disabled]" in text
    assert "gcloud iam workload-identity-pools update aws-pool --location=global --project=xwiz-sandbox --no-disabled" in text
    assert "First problem: aws_to_gcp.pool (pool-disabled)" in text


def test_doctor_help_imports_no_sdk():
    import subprocess
    import sys

    code = ("import sys, json; from wizard.cli.main import main\n"
            "try:\n  main(['doctor', '--help'])\nexcept SystemExit:\n  pass\n"
            "print(json.dumps([m for m in ('boto3','googleapiclient','google.auth','cel','checks.runner') "
            "if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
