"""`xwiz aws-credentials`, run as the real command (a subprocess), against the sandbox."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import stat
import subprocess
import sys
import time

import pytest
import requests

from wizard.model import trustpolicy as tp
from wizard.runtime import aws_credentials as rt

from .conftest import ACCOUNT, AUDIENCE, admin_iam, unique_id

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/gcp-app"


@pytest.fixture
def role(sandbox, workload_env):
    admin_iam(sandbox).create_role(RoleName="gcp-app",
                                   AssumeRolePolicyDocument=json.dumps(tp.build_policy(unique_id(sandbox), AUDIENCE)))
    return ROLE_ARN


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["xwiz", "aws-credentials", *args], capture_output=True, text=True, timeout=60,
                          env=env if env is not None else dict(os.environ))


def requests_seen(sandbox) -> list[dict]:
    return requests.get(sandbox.endpoints["control_url"] + "/requests", timeout=5).json()["requests"]


def clear_requests(sandbox) -> None:
    requests.delete(sandbox.endpoints["control_url"] + "/requests", timeout=5)


def cache_files(workload_env):
    folder = workload_env / "cache" / "xwiz" / "aws-credentials"
    return sorted(folder.glob("*.json")) if folder.exists() else []


def test_prints_credential_process_json_and_caches_it_0600(sandbox, role, workload_env):
    out = run("--role-arn", role, "--audience", AUDIENCE)
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert set(payload) == {"Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
    assert payload["Version"] == 1
    expires = dt.datetime.fromisoformat(payload["Expiration"].replace("Z", "+00:00"))
    assert expires.timestamp() > time.time() + 3000
    assert out.stderr == ""

    [cached] = cache_files(workload_env)
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600
    assert stat.S_IMODE(cached.parent.stat().st_mode) == 0o700
    assert json.loads(cached.read_text()) == payload


def test_second_call_within_validity_makes_no_network_call(sandbox, role, workload_env):
    first = run("--role-arn", role, "--audience", AUDIENCE)
    assert first.returncode == 0, first.stderr
    assert {r["listener"] for r in requests_seen(sandbox)} >= {"metadata", "aws"}
    clear_requests(sandbox)

    second = run("--role-arn", role, "--audience", AUDIENCE)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert requests_seen(sandbox) == []

    # and it would not even try: with no metadata server and no AWS reachable it still answers
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()
    env = dict(os.environ, GCE_METADATA_HOST=f"127.0.0.1:{port}", AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}")
    assert run("--role-arn", role, "--audience", AUDIENCE, env=env).stdout == first.stdout


def test_cache_hit_imports_no_sdk(sandbox, role, workload_env):
    assert run("--role-arn", role, "--audience", AUDIENCE).returncode == 0
    probe = ("import sys\nfrom wizard.cli.main import main\n"
             f"code = main(['aws-credentials', '--role-arn', {role!r}, '--audience', {AUDIENCE!r}])\n"
             "heavy = [m for m in ('boto3', 'botocore', 'google.auth', 'googleapiclient', 'urllib.request') "
             "if m in sys.modules]\n"
             "print('HEAVY', heavy, code, file=sys.stderr)\n")
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - started
    assert "HEAVY [] 0" in out.stderr, out.stderr
    assert elapsed < 2.0  # typically ~0.1 s: one file read, no SDK


def test_stale_or_foreign_cache_is_not_used(sandbox, role, workload_env):
    request = rt.CredentialRequest(role, AUDIENCE, sandbox_file=str(sandbox.endpoints_path))
    path = rt.cache_file(request)
    soon = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=200)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fake = {"Version": 1, "AccessKeyId": "ASIAFAKE", "SecretAccessKey": "x", "SessionToken": "y", "Expiration": soon}
    rt.write_cache(path, fake)
    out = run("--role-arn", role, "--audience", AUDIENCE)
    assert json.loads(out.stdout)["AccessKeyId"] != "ASIAFAKE"  # within 5 minutes of expiry: fetched again

    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rt.write_cache(path, fake | {"Expiration": later})
    os.chmod(path, 0o644)  # readable by others: not trusted
    assert json.loads(run("--role-arn", role, "--audience", AUDIENCE).stdout)["AccessKeyId"] != "ASIAFAKE"


def test_trust_policy_refusal_is_one_clear_line(sandbox, role, workload_env):
    out = run("--role-arn", role, "--audience", "some-other-audience", "--no-cache")
    assert out.returncode == 1
    assert out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"xwiz aws-credentials: AWS refused AssumeRoleWithWebIdentity on {role} (AccessDenied")
    assert "eyJ" not in out.stderr  # never a token
    assert cache_files(workload_env) == []


def test_no_metadata_server_says_what_to_do(sandbox, role, workload_env):
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()
    out = run("--role-arn", role, "--audience", AUDIENCE, env=dict(os.environ, GCE_METADATA_HOST=f"127.0.0.1:{port}"))
    assert out.returncode == 1
    assert len(out.stderr.splitlines()) == 1
    assert "is not reachable" in out.stderr and "--service-account" in out.stderr


def test_bad_flags_exit_2(workload_env):
    out = run("--role-arn", "arn:aws:iam::12:role/x")
    assert out.returncode == 2 and "is not an IAM role ARN" in out.stderr
    out = run("--role-arn", ROLE_ARN, "--session-name", "a")
    assert out.returncode == 2 and "--session-name" in out.stderr


def test_impersonation_with_service_account(sandbox, workload_env):
    """--service-account: the ID token comes from generateIdToken with ADC (the sandbox admin here)."""
    from wizard.cloud.endpoints import Endpoints
    from wizard.sandbox import identities as ids
    from wizard.services import Services

    from .conftest import enable_apis

    enable_apis(sandbox)
    with sandbox.lock:
        project = sandbox.google.projects[ids.PROJECT_ID]
        other = sandbox.google.add_service_account(project, "batch-runner", now=sandbox.clock.now())
    admin_iam(sandbox).create_role(RoleName="batch", AssumeRolePolicyDocument=json.dumps(
        tp.build_policy(other.unique_id, "batch-aud")))
    args = ("--role-arn", f"arn:aws:iam::{ACCOUNT}:role/batch", "--audience", "batch-aud",
            "--service-account", other.email)

    # the admin is the project's owner, and still may not mint the account's ID tokens
    admin = f"serviceAccount:{sandbox.endpoints['gcp']['admin_service_account']}"
    out = run(*args)
    assert out.returncode != 0 and out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert (f"gcloud iam service-accounts add-iam-policy-binding {other.email} --member={admin} "
            f"--role=roles/iam.serviceAccountOpenIdTokenCreator") in out.stderr

    gcp = Services(Endpoints.from_sandbox(sandbox.endpoints)).gcp
    policy = gcp.get_service_account_policy(other.email)
    policy.setdefault("bindings", []).append({"role": "roles/iam.serviceAccountOpenIdTokenCreator",
                                              "members": [admin]})
    gcp.set_service_account_policy(other.email, policy)
    out = run(*args)
    assert out.returncode == 0, out.stderr
    assert any(r["listener"] == "iamcredentials" and r["path"].endswith(":generateIdToken")
               for r in requests_seen(sandbox))
    assert not any(r["listener"] == "metadata" for r in requests_seen(sandbox))
