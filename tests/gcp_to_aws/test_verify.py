"""After apply, `verify` runs each written AWS profile as a fresh boto3 session would: the
credential_process really runs, and the outcome is the assumed-role ARN or what went wrong."""

from __future__ import annotations

import json
from types import SimpleNamespace

from wizard.engine.applier import Applier
from wizard.engine.planner import Planner
from wizard.engine.verify import verify_after_apply
from wizard.model.spec import GcpToAws
from wizard.sandbox import identities as ids

from .conftest import ACCOUNT, admin_iam, enable_apis, entry, spec_of


def _applied(services, spec, base) -> Planner:
    planner = Planner(services, spec, base)
    result = Applier(services, planner).apply(planner.plan())
    assert result.ok, result.failed
    return Planner(services, spec, base)


def test_a_fresh_token_creator_grant_is_waited_for_with_progress(sandbox, services, workload_env):
    """The profile impersonates (not the metadata server's account): its ID token needs the OpenID
    Token Creator grant apply just made, which IAM Credentials sees only once it has propagated."""
    enable_apis(sandbox)
    with sandbox.lock:
        project = sandbox.google.projects[ids.PROJECT_ID]
        other = sandbox.google.add_service_account(project, "batch-runner", now=sandbox.clock.now()).email
    sandbox.set_knobs(propagation_delay_s=1.5)
    planner = _applied(services, spec_of(entry(service_account=other, profile="batch", audience="batch-aud")),
                       workload_env)
    progress: list[str] = []
    [outcome] = verify_after_apply(services, planner, on_progress=progress.append, wait_s=30)
    assert outcome.status == "ok", outcome
    assert outcome.message.startswith("the AWS profile works after waiting")
    assert f"is arn:aws:sts::{ACCOUNT}:assumed-role/gcp-app/" in outcome.message
    assert progress and all("waiting for IAM propagation of the OpenID Token Creator grant" in p for p in progress)


def test_a_profile_the_role_no_longer_trusts_fails_with_the_doctor_command(sandbox, services, workload_env):
    planner = _applied(services, spec_of(entry()), workload_env)
    admin_iam(sandbox).update_assume_role_policy(RoleName="gcp-app", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    progress: list[str] = []
    [outcome] = verify_after_apply(services, planner, on_progress=progress.append, wait_s=30)
    assert outcome.status == "failed" and progress == []  # no waiting: AccessDenied is not propagation
    assert "the profile gives no credentials" in outcome.message and "AccessDenied" in outcome.message
    assert outcome.command.startswith(f"xwiz doctor --role-arn arn:aws:iam::{ACCOUNT}:role/gcp-app ")


def test_on_the_real_clouds_the_outcome_is_the_command_to_run_where_the_profile_is_used():
    from wizard.engine.verify import _profile_not_checked

    services = SimpleNamespace(endpoints=SimpleNamespace(is_sandbox=False))
    g2a = GcpToAws("app@p.iam.gserviceaccount.com", ACCOUNT, "gcp-app", "gcp-app", profile="gcp app")
    outcome = _profile_not_checked(services, g2a)
    assert outcome.status == "skipped" and outcome.command == "AWS_PROFILE='gcp app' aws sts get-caller-identity"
