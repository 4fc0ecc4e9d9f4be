"""`[[gcp_to_aws]]` through plan and apply against the sandbox, and the written profile used by boto3."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from wizard.engine import gcp_to_aws
from wizard.engine.applier import Applier
from wizard.engine.planner import Planner
from wizard.model import trustpolicy as tp
from wizard.sandbox import identities as ids

from .conftest import (ACCOUNT, AUDIENCE, SECOND, WORKLOAD_SA, admin_iam, enable_apis, entry, spec_of,
                       unique_id)

EC2_STATEMENT = {"Sid": "Ec2", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                 "Action": "sts:AssumeRole"}


def plan_apply(services, spec, base, *, force=False):
    planner = Planner(services, spec, base)
    plan = planner.plan()
    result = Applier(services, planner, force=force).apply(plan)
    return plan, result


def trust_policy(sandbox, role="gcp-app", account=ACCOUNT) -> dict:
    doc = admin_iam(sandbox, account).get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    return json.loads(doc) if isinstance(doc, str) else doc


def caller_arn(profile="gcp-app") -> str:
    return boto3.Session(profile_name=profile).client("sts").get_caller_identity()["Arn"]


def test_applied_profile_gives_a_fresh_boto3_session_the_role(sandbox, services, workload_env):
    spec = spec_of(entry(policies=("arn:aws:iam::aws:policy/AdministratorAccess",)))
    plan, result = plan_apply(services, spec, workload_env)
    assert result.ok, result.failed
    assert [s.id for s in plan.steps if s.changes] == [
        "apis", f"role:{ACCOUNT}:gcp-app", f"role_policies:{ACCOUNT}:gcp-app", "aws_profile:gcp-app"]

    # the real `xwiz aws-credentials` runs as botocore's credential_process, token from the metadata server
    assert caller_arn().startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/gcp-app/")

    policy = trust_policy(sandbox)
    uid = unique_id(sandbox)
    assert policy["Statement"] == [tp.build_statement(uid, AUDIENCE)]
    assert admin_iam(sandbox).list_attached_role_policies(RoleName="gcp-app")["AttachedPolicies"][0][
        "PolicyArn"] == "arn:aws:iam::aws:policy/AdministratorAccess"
    config = (workload_env / "aws" / "config").read_text()
    assert "credential_process = xwiz aws-credentials --role-arn arn:aws:iam::111122223333:role/gcp-app" in config
    assert "--service-account" not in config  # this machine's metadata server *is* the service account

    again = Planner(services, spec, workload_env).plan()
    assert not again.has_changes, [(s.id, s.action) for s in again.steps if s.changes]


def test_merge_keeps_the_roles_other_statements_and_shows_the_json_change(sandbox, services, workload_env):
    enable_apis(sandbox)
    admin_iam(sandbox).create_role(RoleName="gcp-app", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [EC2_STATEMENT]}))
    spec = spec_of(entry())
    planner = Planner(services, spec, workload_env)
    plan = planner.plan()
    step = plan.step(f"trust_policy:{ACCOUNT}:gcp-app")
    assert step.action == "update"
    added = [line for line in step.diff if line.startswith("+")]
    assert any('"accounts.google.com:oaud": "https://gcp-app.example.com"' in line for line in added)
    assert not [line for line in step.diff if line.startswith("-")]  # nothing of the old policy goes
    assert Applier(services, planner).apply(plan).ok

    statements = trust_policy(sandbox)["Statement"]
    assert statements[0] == EC2_STATEMENT
    assert statements[1]["Sid"] == tp.statement_sid(unique_id(sandbox))
    assert caller_arn().startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/gcp-app/")


def test_second_service_account_gets_its_own_statement_and_impersonates(sandbox, services, workload_env):
    """A service account this machine is not: the profile mints its token with generateIdToken, and the
    identity xwiz acts as (the sandbox admin) is granted the OpenID token creator role on it."""
    enable_apis(sandbox)
    with sandbox.lock:
        project = sandbox.google.projects[ids.PROJECT_ID]
        other = sandbox.google.add_service_account(project, "batch-runner", now=sandbox.clock.now()).email
    spec = spec_of(entry(), entry(service_account=other, profile="batch", audience="batch-aud"))
    plan, result = plan_apply(services, spec, workload_env)
    assert result.ok, result.failed
    creator = plan.step(f"token_creator:{other}")
    admin = sandbox.endpoints["gcp"]["admin_service_account"]
    assert creator.diff == (f"+ roles/iam.serviceAccountOpenIdTokenCreator: serviceAccount:{admin}",)
    assert f"token_creator:{WORKLOAD_SA}" not in [s.id for s in plan.steps]

    sids = [s["Sid"] for s in trust_policy(sandbox)["Statement"]]
    assert sids == [tp.statement_sid(unique_id(sandbox)), tp.statement_sid(unique_id(sandbox, other))]
    with sandbox.lock:
        bindings = sandbox.google.find_service_account(other).policy.bindings
    assert {"role": "roles/iam.serviceAccountOpenIdTokenCreator", "members": [f"serviceAccount:{admin}"]} in bindings
    assert f"--service-account {other}" in (workload_env / "aws" / "config").read_text()
    assert caller_arn("batch").startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/gcp-app/")
    assert caller_arn("gcp-app").startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/gcp-app/")
    assert not Planner(services, spec, workload_env).plan().has_changes


def test_the_token_creator_grant_is_what_lets_the_impersonating_profile_work(sandbox, services, workload_env):
    """Being the project's owner is not enough to mint another account's ID tokens: without the
    grant the plan made, the profile fails naming the missing role; planning again restores it."""
    from botocore.exceptions import CredentialRetrievalError

    enable_apis(sandbox)
    with sandbox.lock:
        project = sandbox.google.projects[ids.PROJECT_ID]
        other = sandbox.google.add_service_account(project, "batch-runner", now=sandbox.clock.now()).email
    spec = spec_of(entry(service_account=other, profile="batch", audience="batch-aud"))
    plan, result = plan_apply(services, spec, workload_env)
    assert result.ok, result.failed
    assert caller_arn("batch").startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/gcp-app/")

    # revoke it through the IAM API, as `gcloud iam service-accounts remove-iam-policy-binding` would
    policy = services.gcp.get_service_account_policy(other)
    policy["bindings"] = [b for b in policy.get("bindings", []) if b["role"] != gcp_to_aws.TOKEN_CREATOR]
    services.gcp.set_service_account_policy(other, policy)
    for cached in (workload_env / "cache").rglob("*.json"):
        cached.unlink()  # the profile's cached credentials would hide the refusal
    with pytest.raises(CredentialRetrievalError) as refused:
        caller_arn("batch")
    assert gcp_to_aws.TOKEN_CREATOR in str(refused.value)
    assert "Owner/Editor do not include iam.serviceAccounts.getOpenIdToken" in str(refused.value)

    again, result = plan_apply(services, spec, workload_env)
    assert again.step(f"token_creator:{other}").action == "update" and result.ok
    assert caller_arn("batch").startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/gcp-app/")


def test_role_in_another_account_is_made_through_organization_access_role(sandbox, services, workload_env):
    enable_apis(sandbox)
    spec = spec_of(entry(account_id=SECOND, role_name="gcp-reader"))
    plan, result = plan_apply(services, spec, workload_env)
    assert result.ok, result.failed
    assert plan.step(f"role:{SECOND}:gcp-reader").action == "create"
    assert trust_policy(sandbox, "gcp-reader", SECOND)["Statement"][0]["Sid"] == tp.statement_sid(unique_id(sandbox))
    assert caller_arn().startswith(f"arn:aws:sts::{SECOND}:assumed-role/gcp-reader/")


def test_console_wizard_aud_trap_is_refused_by_aws_and_by_xwiz(sandbox, services, workload_env):
    """The AWS console's Google role puts the audience in :aud, which STS compares with azp."""
    enable_apis(sandbox)
    trap = {"Effect": "Allow", "Principal": {"Federated": "accounts.google.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"accounts.google.com:aud": AUDIENCE}}}
    original = {"Version": "2012-10-17", "Statement": [trap]}
    admin_iam(sandbox).create_role(RoleName="gcp-app", AssumeRolePolicyDocument=json.dumps(original))

    # the sandbox (like AWS) refuses the metadata server's token for that role
    token = sandbox.mint_google_id_token(WORKLOAD_SA, AUDIENCE)
    sts = boto3.client("sts", region_name="us-east-1", config=Config(signature_version=UNSIGNED))
    with pytest.raises(sts.exceptions.ClientError) as denied:
        sts.assume_role_with_web_identity(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/gcp-app", RoleSessionName="trap",
                                          WebIdentityToken=token)
    assert denied.value.response["Error"]["Code"] == "AccessDenied"

    # xwiz will not write a policy that still holds it, not even with its own correct statement added
    with pytest.raises(gcp_to_aws.TrustPolicyRefused, match="aud trap"):
        Planner(services, spec_of(entry()), workload_env).plan()
    assert trust_policy(sandbox) == original


def test_trap_in_xwiz_own_statement_is_repaired(sandbox, services, workload_env):
    """Someone hand-edited xwiz's statement into the trap: it is xwiz's, so apply puts it right."""
    enable_apis(sandbox)
    uid = unique_id(sandbox)
    broken = tp.build_statement(uid, AUDIENCE)
    broken["Condition"]["StringEquals"]["accounts.google.com:aud"] = AUDIENCE
    admin_iam(sandbox).create_role(RoleName="gcp-app", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [EC2_STATEMENT, broken]}))
    plan, result = plan_apply(services, spec_of(entry()), workload_env)
    assert plan.step(f"trust_policy:{ACCOUNT}:gcp-app").action == "update"
    assert result.ok, result.failed
    assert trust_policy(sandbox)["Statement"] == [EC2_STATEMENT, tp.build_statement(uid, AUDIENCE)]
    assert caller_arn().startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/gcp-app/")


def test_a_builder_that_produced_the_trap_is_stopped_before_any_write(sandbox, services, workload_env, monkeypatch):
    """Defence in depth: every document is linted right before IAM gets it (plan and apply)."""
    real = tp.build_statement

    def trapped(unique_id, audience, **kw):
        stmt = real(unique_id, audience, **kw)
        stmt["Condition"]["StringEquals"]["accounts.google.com:aud"] = audience
        return stmt

    enable_apis(sandbox)
    monkeypatch.setattr(tp, "build_statement", trapped)
    with pytest.raises(gcp_to_aws.TrustPolicyRefused):
        Planner(services, spec_of(entry()), workload_env).plan()

    # a plan made before the builder went wrong: apply still refuses, and no role is created
    monkeypatch.setattr(tp, "build_statement", real)
    planner = Planner(services, spec_of(entry()), workload_env)
    plan = planner.plan()
    monkeypatch.setattr(tp, "build_statement", trapped)
    result = Applier(services, planner).apply(plan)
    assert "aud trap" in result.failed[f"role:{ACCOUNT}:gcp-app"]
    assert "gcp-app" not in [r["RoleName"] for r in admin_iam(sandbox).list_roles()["Roles"]]


def test_missing_policy_arn_is_a_clear_message(sandbox, services, workload_env):
    enable_apis(sandbox)
    missing = f"arn:aws:iam::{ACCOUNT}:policy/does-not-exist"
    _, result = plan_apply(services, spec_of(entry(policies=(missing,), profile=None)), workload_env)
    message = result.failed[f"role_policies:{ACCOUNT}:gcp-app"]
    assert message.startswith(f"policy {missing} does not exist in account {ACCOUNT}")
    assert "NoSuchEntity" in message


def test_unknown_service_account_is_an_input_error(sandbox, services, workload_env):
    enable_apis(sandbox)
    spec = spec_of(entry(service_account=f"nobody-here@{ids.PROJECT_ID}.iam.gserviceaccount.com"))
    with pytest.raises(Exception, match="does not exist"):
        Planner(services, spec, workload_env).plan()


def test_profile_merge_never_clobbers_another_profile(sandbox, services, workload_env):
    enable_apis(sandbox)
    config = workload_env / "aws" / "config"
    config.parent.mkdir()
    others = "[default]\nregion = eu-west-1\n\n# team profile\n[profile ops]\nrole_arn = arn:aws:iam::1:role/ops\n"
    config.write_text(others + "\n[profile gcp-app]\nregion = us-east-1\naws_access_key_id = AKIAEXAMPLE\n")
    planner = Planner(services, spec_of(entry()), workload_env)
    plan = planner.plan()
    step = plan.step("aws_profile:gcp-app")
    assert any("apply needs --force" in w for w in step.warnings)
    assert all("AKIAEXAMPLE" not in line for line in step.diff)  # never shows a key's value
    result = Applier(services, planner).apply(plan)
    assert "--force" in result.failed["aws_profile:gcp-app"]

    assert Applier(services, Planner(services, spec_of(entry()), workload_env), force=True).apply(
        Planner(services, spec_of(entry()), workload_env).plan()).ok
    text = config.read_text()
    assert text.startswith(others)
    assert "aws_access_key_id" not in text and "credential_process = xwiz aws-credentials" in text
    assert "aws_access_key_id = AKIAEXAMPLE" in (config.parent / "config.bak").read_text()
    assert caller_arn().startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/gcp-app/")
