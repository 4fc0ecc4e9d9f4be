"""Apply converges: through injected faults, after being killed half-way, from a soft-deleted pool."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.sandbox.google_admin_clients import cached, wait
from wizard.sandbox import identities as ids

from .helpers import SPEC, clean_aws_env, providers, sa_members, write_spec, xwiz

ROOT = Path(__file__).resolve().parents[2]
POOL = f"projects/{ids.PROJECT_ID}/locations/global/workloadIdentityPools/aws-pool"


def _state(endpoints) -> dict:
    crm = cached("cloudresourcemanager", "v1", endpoints)
    policy = crm.projects().getIamPolicy(resource=ids.PROJECT_ID, body={}).execute()
    return {"sa_members": sorted(sa_members(endpoints)), "providers": providers(endpoints),
            "project": sorted((b["role"], tuple(sorted(b["members"]))) for b in policy.get("bindings", [])),
            "audit": sorted((c["service"], tuple(sorted(x["logType"] for x in c["auditLogConfigs"])))
                            for c in policy.get("auditConfigs", []))}


def _no_duplicates(endpoints) -> None:
    iam = cached("iam", "v1", endpoints)
    policy = iam.projects().serviceAccounts().getIamPolicy(
        resource="projects/-/serviceAccounts/app-runner@xwiz-sandbox.iam.gserviceaccount.com").execute()
    roles = [b["role"] for b in policy["bindings"]]
    assert len(roles) == len(set(roles)), roles
    for b in policy["bindings"]:
        assert len(b["members"]) == len(set(b["members"])), b
    accounts = iam.projects().serviceAccounts().list(name=f"projects/{ids.PROJECT_ID}").execute()["accounts"]
    emails = [a["email"] for a in accounts]
    assert len(emails) == len(set(emails))


@pytest.fixture
def uninterrupted(sandbox, endpoints, tmp_path, monkeypatch):
    """The state one clean apply reaches, then the sandbox back to empty."""
    clean_aws_env(monkeypatch, tmp_path, endpoints)
    base = tmp_path / "baseline"
    base.mkdir()
    assert xwiz(sandbox, "apply", "-f", str(write_spec(base)), "--auto-approve", "--no-verify").exit_code == 0
    state = _state(endpoints)
    sandbox.reset("empty")
    return state


def test_ten_percent_faults_converge_in_one_run(sandbox, endpoints, tmp_path, monkeypatch, uninterrupted):
    sandbox.set_knobs(fault_rate=0.1, seed=7)
    result = xwiz(sandbox, "apply", "-f", str(write_spec(tmp_path)), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "✓ verify aws-workload" in result.output
    sandbox.set_knobs(fault_rate=0)
    assert _state(endpoints) == uninterrupted
    _no_duplicates(endpoints)
    assert "No changes" in xwiz(sandbox, "plan", "-f", str(tmp_path / "xwiz.toml")).output


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_faults_with_other_seeds_converge_in_one_run(sandbox, endpoints, tmp_path, monkeypatch, seed):
    clean_aws_env(monkeypatch, tmp_path, endpoints)
    sandbox.set_knobs(fault_rate=0.1, seed=seed)
    result = xwiz(sandbox, "apply", "-f", str(write_spec(tmp_path)), "--auto-approve", "--no-verify")
    assert result.exit_code == 0, result.output
    sandbox.set_knobs(fault_rate=0)
    assert "No changes" in xwiz(sandbox, "plan", "-f", str(tmp_path / "xwiz.toml")).output


def test_apply_killed_half_way_then_again_converges(sandbox, endpoints, tmp_path, uninterrupted):
    sandbox.set_knobs(latency_ms=40)  # slow enough to kill it between steps
    spec = write_spec(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(XWIZ_SANDBOX=str(sandbox.endpoints_path), PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    child = subprocess.Popen([sys.executable, "-m", "wizard.cli.main", "apply", "-f", str(spec), "--auto-approve",
                              "--no-verify"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True,
                             cwd=tmp_path)
    seen = []
    deadline = time.monotonic() + 60
    for line in child.stdout:
        seen.append(line)
        if line.startswith("✓ pool:") or time.monotonic() > deadline:
            break
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert any(line.startswith("✓ pool:") for line in seen), "".join(seen)
    assert not any(line.startswith("✓ credential_config:") for line in seen), "killed too late to prove anything"
    sandbox.set_knobs(latency_ms=0)

    again = xwiz(sandbox, "apply", "-f", str(spec), "--auto-approve", "--no-verify")
    assert again.exit_code == 0, again.output
    assert _state(endpoints) == uninterrupted
    _no_duplicates(endpoints)
    assert "No changes" in xwiz(sandbox, "plan", "-f", str(spec)).output


def test_cancelled_apply_then_again_converges(sandbox, endpoints, tmp_path, uninterrupted):
    import threading

    from wizard.cloud.endpoints import Endpoints
    from wizard.engine.applier import Applier
    from wizard.engine.planner import Planner
    from wizard.model.spec import loads_spec
    from wizard.services import Services

    services = Services(Endpoints.from_sandbox(endpoints))
    planner = Planner(services, loads_spec(SPEC), tmp_path)
    cancel = threading.Event()
    finished = []

    def on_event(event):
        if event.kind == "finished":
            finished.append(event.step_id)
            if len(finished) == 2:
                cancel.set()

    first = Applier(services, planner).apply(planner.plan(), on_event=on_event, cancel=cancel)
    assert first.cancelled and not first.ok
    again = Applier(services, planner).apply(planner.plan())
    assert again.ok, again.failed
    assert _state(endpoints) == uninterrupted
    _no_duplicates(endpoints)


def test_soft_deleted_pool_is_undeleted(sandbox, endpoints, tmp_path, monkeypatch):
    clean_aws_env(monkeypatch, tmp_path, endpoints)
    spec = write_spec(tmp_path)
    assert xwiz(sandbox, "apply", "-f", str(spec), "--auto-approve", "--no-verify").exit_code == 0
    pools = cached("iam", "v1", endpoints).projects().locations().workloadIdentityPools()
    wait(pools.delete(name=POOL).execute(), lambda name: pools.operations().get(name=name))
    assert pools.get(name=POOL).execute()["state"] == "DELETED"

    plan = xwiz(sandbox, "plan", "-f", str(spec))
    assert plan.exit_code == 0
    assert "↺ undelete" in plan.output and "undelete pool aws-pool" in plan.output
    applied = xwiz(sandbox, "apply", "-f", str(spec), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "pool aws-pool was soft-deleted; undeleting it" in applied.output
    assert pools.get(name=POOL).execute()["state"] == "ACTIVE"
    assert "✓ verify aws-workload" in applied.output
    assert "No changes" in xwiz(sandbox, "plan", "-f", str(spec)).output


def test_provider_of_another_type_is_explained(sandbox, endpoints, tmp_path, monkeypatch):
    clean_aws_env(monkeypatch, tmp_path, endpoints)
    spec = write_spec(tmp_path)
    assert xwiz(sandbox, "apply", "-f", str(spec), "--auto-approve", "--no-verify").exit_code == 0
    swapped = SPEC.replace('provider = "aws-workload"', 'provider = "tmp-x"').replace(
        'provider = "eks-demo"', 'provider = "aws-workload"')
    (tmp_path / "swapped.toml").write_text(swapped)
    for command in ("plan", "apply", "export"):
        args = [command, "-f", str(tmp_path / "swapped.toml")] + (
            ["--auto-approve"] if command == "apply" else ["--format", "shell"] if command == "export" else [])
        result = xwiz(sandbox, *args)
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "eks_to_gcp.provider" in lines[0] and "already exists as an AWS provider (this entry needs OIDC)" in lines[0]
        assert "type cannot change" in lines[0]
