"""Onboarding against the sandbox with the real clients: providers, bindings, spec, limits, faults."""

from __future__ import annotations

import pytest

from wizard.engine.onboarding import Onboarder, OnboardOptions
from wizard.engine.planner import Planner
from wizard.model.errors import InputError
from wizard.model.onboarding import AccountRequest
from wizard.model.spec import load_spec

from .helpers import POOL, SA, account_ids, apply_base, pool_state, requests, services_for

PROJECT = "xwiz-sandbox"


@pytest.fixture
def base(sandbox, tmp_path):
    path = apply_base(sandbox, tmp_path)
    return sandbox, path, services_for(sandbox)


def onboarder(services, path, **options):
    return Onboarder(services, load_spec(path), options=OnboardOptions(**options), spec_path=path)


def test_onboards_accounts_then_a_rerun_changes_nothing(base):
    sb, path, services = base
    before = path.read_text()
    events = []
    report = onboarder(services, path).run(requests(6, roles=("app", "worker")), on_event=events.append)
    assert report.ok and report.counts() == {"done": 6} and report.spec_entries_added == 6
    providers, members = pool_state(services)
    for account in account_ids(6):
        assert providers[f"aws-{account}"][:2] == (account, "ACTIVE")
        assert f"assertion.arn.startsWith('arn:aws:sts::{account}:assumed-role/worker/')" in providers[f"aws-{account}"][2]
        assert any(m.endswith(f"/attribute.aws_role/arn:aws:sts::{account}:assumed-role/app") for m in members)
    assert path.read_text().startswith(before)  # comments and layout of the user's file kept
    assert [e.done for e in events if e.kind == "finished"][-1] == 6
    # one read-modify-write per batch, not one per account
    writes = [r for r in sb.request_log.items() if "setIamPolicy" in r.path]
    assert 1 <= len(writes) < 6

    again = onboarder(services, path).run(requests(6, roles=("app", "worker")))
    assert again.ok and again.counts() == {"unchanged": 6} and again.spec_entries_added == 0
    assert pool_state(services) == (providers, members)
    # the spec the user now has plans to nothing but the credential files onboarding leaves to `xwiz apply`
    plan = Planner(services, load_spec(path), path.parent).plan()
    assert {s.kind for s in plan.steps if s.changes} == {"credential_config"}


def test_a_provider_id_held_by_another_account_is_never_taken_over(base):
    sb, path, services = base
    target = account_ids(1)[0]
    services.gcp.create_provider(PROJECT, POOL, f"aws-{target}", {"aws": {"accountId": "999988887777"}})
    plan = onboarder(services, path).plan(requests(1))
    assert plan.accounts[0].target == f"aws-{target}-2"
    assert "used by another provider" in plan.accounts[0].warnings[0]
    assert onboarder(services, path).run(requests(1)).ok
    providers, _ = pool_state(services)
    assert providers[f"aws-{target}"][0] == "999988887777"
    assert providers[f"aws-{target}-2"][0] == target


def test_a_soft_deleted_provider_of_the_same_account_is_undeleted(base):
    sb, path, services = base
    target = account_ids(1)[0]
    pid = f"aws-{target}"
    services.gcp.create_provider(PROJECT, POOL, pid, {"aws": {"accountId": target}})
    services.gcp._call("iam", lambda c: c.projects().locations().workloadIdentityPools().providers().delete(
        name=f"projects/{PROJECT}/locations/global/workloadIdentityPools/{POOL}/providers/{pid}"))
    plan = onboarder(services, path).plan(requests(1))
    assert (plan.accounts[0].target, plan.accounts[0].action) == (pid, "undelete")
    report = onboarder(services, path).run(requests(1))
    assert report.ok and "undeleted" in report.results[0].message
    providers, _ = pool_state(services)
    assert providers[pid][:2] == (target, "ACTIVE") and providers[pid][2]  # condition set on the way


def test_the_provider_limit_fails_before_any_write(base):
    sb, path, services = base
    before = pool_state(services)
    n_requests = len(sb.request_log.items())
    with pytest.raises(InputError, match="limit of 3 providers per pool"):
        onboarder(services, path, provider_limit=3).run(requests(3))
    assert pool_state(services) == before
    after = sb.request_log.items()[n_requests:]
    writes = [r.path for r in after
              if r.method == "PATCH" or (r.method == "POST" and r.path.endswith(("/providers", ":setIamPolicy")))]
    assert not writes


def test_the_sandbox_refuses_the_201st_provider(base):
    from wizard.model.errors import InvalidRequestError
    from wizard.sandbox.google.state import Provider

    sb, path, services = base
    with sb.lock:
        pool = sb.google.project(PROJECT).pools[POOL]
        for i in range(199):
            pool.providers[f"filler-{i}"] = Provider(POOL, f"filler-{i}", aws={"accountId": "999988887777"})
    with pytest.raises(InputError, match="limit of 200"):
        onboarder(services, path).plan(requests(1))
    with pytest.raises(InvalidRequestError, match="maximum of 200"):
        services.gcp.create_provider(PROJECT, POOL, "one-too-many", {"aws": {"accountId": "999988887777"}})


def test_converges_with_a_ten_percent_fault_rate(base):
    sb, path, services = base
    expected_ids = {f"aws-{a}" for a in account_ids(20)}
    sb.set_knobs(fault_rate=0.1, seed=11)
    report = onboarder(services, path).run(requests(20))
    sb.set_knobs(fault_rate=0)
    assert report.ok, [r.message for r in report.results if r.status != "done"]
    providers, members = pool_state(services)
    assert expected_ids <= set(providers)
    assert sum(1 for m in members if "/attribute.aws_role/" in m) == 21  # the base account's role + 20
    assert len(load_spec(path).aws_to_gcp) == 21


def test_accounts_already_in_the_spec_are_verified_and_repaired(base):
    sb, path, services = base
    report = onboarder(services, path).run([AccountRequest("111122223333", ("xwiz-ec2-app",))])
    assert report.ok and report.results[0].status == "unchanged"
    other = onboarder(services, path).plan([AccountRequest("111122223333", ("other-role",))])
    assert other.accounts[0].action == "in-spec" and "other settings" in other.accounts[0].summary


def test_google_to_aws_creates_the_role_through_the_admin_role(base):
    from wizard.sandbox import identities

    sb, path, services = base
    second = identities.AWS_ACCOUNTS["second"]
    opts = dict(direction="gcp-to-aws", service_account=SA, role_name="gcp-app")
    plan = onboarder(services, path, **opts).plan([AccountRequest(second)])
    assert plan.accounts[0].action == "create"
    report = onboarder(services, path, **opts).run([AccountRequest(second)])
    assert report.ok, report.results[0].message
    trust = sb.aws.trust_policy(second, "gcp-app")
    unique_id = services.gcp.get_service_account(SA)["uniqueId"]
    assert trust["Statement"][0]["Condition"]["StringEquals"]["accounts.google.com:sub"] == unique_id
    assert load_spec(path).gcp_to_aws[0].role_arn == f"arn:aws:iam::{second}:role/gcp-app"
    again = onboarder(services, path, **opts).plan([AccountRequest(second)])
    assert again.accounts[0].action == "in-spec"


EC2_STATEMENT = {"Sid": "Ec2", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                 "Action": "sts:AssumeRole"}


def _second_account_role(services, trust: dict):
    """A role someone else made in the second account (through OrganizationAccountAccessRole)."""
    from wizard.sandbox import identities

    second = identities.AWS_ACCOUNTS["second"]
    creds = services.aws.assume_role(f"arn:aws:iam::{second}:role/OrganizationAccountAccessRole", "test")
    aws = services.aws.for_credentials(creds["Credentials"])
    aws.create_role("gcp-app", trust)
    return second, aws


def test_google_to_aws_merges_into_an_existing_role_keeping_its_statements(base):
    sb, path, services = base
    second, aws = _second_account_role(services, {"Version": "2012-10-17", "Statement": [EC2_STATEMENT]})
    opts = dict(direction="gcp-to-aws", service_account=SA, role_name="gcp-app")
    plan = onboarder(services, path, **opts).plan([AccountRequest(second)])
    assert plan.accounts[0].action == "update"
    assert any('"accounts.google.com:oaud": "gcp-app"' in line for line in plan.accounts[0].diff)
    report = onboarder(services, path, **opts).run([AccountRequest(second)])
    assert report.ok, report.results[0].message
    statements = aws.get_role("gcp-app")["AssumeRolePolicyDocument"]["Statement"]
    assert statements[0] == EC2_STATEMENT and len(statements) == 2


def test_google_to_aws_refuses_a_role_whose_trust_policy_has_the_aud_trap(base):
    """As `xwiz apply` does: a foreign statement that sets accounts.google.com:aud to the audience (the
    AWS console's trap) makes the whole document refused — at plan and at run, before any write."""
    import json

    sb, path, services = base
    unique_id = services.gcp.get_service_account(SA)["uniqueId"]
    trap = {"Sid": "FromTheConsole", "Effect": "Allow", "Principal": {"Federated": "accounts.google.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"accounts.google.com:aud": "gcp-app", "accounts.google.com:sub": unique_id}}}
    trust = {"Version": "2012-10-17", "Statement": [EC2_STATEMENT, trap]}
    second, aws = _second_account_role(services, trust)
    before = json.dumps(aws.get_role("gcp-app")["AssumeRolePolicyDocument"], sort_keys=True)
    opts = dict(direction="gcp-to-aws", service_account=SA, role_name="gcp-app")

    planned = onboarder(services, path, **opts).plan([AccountRequest(second)]).accounts[0]
    assert planned.action == "refused"
    assert "statement 1 (Sid FromTheConsole)" in planned.summary and "aud trap" in planned.summary

    events = []
    report = onboarder(services, path, **opts).run([AccountRequest(second)], on_event=events.append)
    assert not report.ok
    result = report.results[0]
    assert result.status == "failed" and "aud trap" in result.message and result.attempts == 1
    assert [e.account_id for e in events if e.kind == "failed"] == [second]
    assert json.dumps(aws.get_role("gcp-app")["AssumeRolePolicyDocument"], sort_keys=True) == before
    assert load_spec(path).gcp_to_aws == ()
