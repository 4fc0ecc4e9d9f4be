"""A run killed half-way (SIGKILL), run again, ends where an uninterrupted run ends: nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from wizard.engine.onboarding import Onboarder
from wizard.model.onboarding import parse_journal
from wizard.model.spec import load_spec

from .helpers import account_ids, apply_base, pool_state, requests, services_for

N = 40
ROOT = Path(__file__).resolve().parents[2]


def _entries(path: Path):
    return sorted((e.account_id, e.provider, tuple(r.arn for r in e.roles)) for e in load_spec(path).aws_to_gcp)


def test_killed_run_resumes_to_the_same_state(sandbox, tmp_path):
    # the reference: one uninterrupted run
    ref_dir = tmp_path / "ref"
    ref_dir.mkdir()
    ref_spec = apply_base(sandbox, ref_dir)
    services = services_for(sandbox)
    assert Onboarder(services, load_spec(ref_spec), spec_path=ref_spec).run(requests(N)).ok
    reference = pool_state(services)
    reference_entries = _entries(ref_spec)

    sandbox.reset("empty")
    work = tmp_path / "work"
    work.mkdir()
    spec = apply_base(sandbox, work)
    accounts = work / "accounts.csv"
    accounts.write_text("account_id,roles\n" + "".join(f"{a},app\n" for a in account_ids(N)))
    journal = work / ".xwiz-onboard.journal"
    sandbox.set_knobs(latency_ms=30)
    env = {**os.environ, "XWIZ_SANDBOX": str(sandbox.directory / "endpoints.json"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "wizard.cli.main", "onboard", "-f", str(spec), "--from",
                             str(accounts), "--concurrency", "4"], env=env, cwd=work,
                            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "onboard.stderr", "w"))
    killed_at = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        killed_at = len(parse_journal(journal.read_text())) if journal.exists() else 0
        if killed_at >= 10:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, ("the run finished before it could be killed: "
                                                 + (tmp_path / "onboard.stderr").read_text()[-2000:])
    assert 10 <= killed_at < N
    assert len(load_spec(spec).aws_to_gcp) == 1  # the spec is updated at the end only

    sandbox.set_knobs(latency_ms=0)
    events = []
    resumed = Onboarder(services, load_spec(spec), spec_path=spec).run(requests(N), on_event=events.append)
    assert resumed.ok
    skipped = sum(1 for r in resumed.results if r.status == "unchanged")
    assert skipped >= killed_at  # the journaled accounts were only re-verified
    assert pool_state(services) == reference
    assert _entries(spec) == reference_entries
    records = [line for line in journal.read_text().splitlines() if line.strip()]
    assert sorted(parse_journal(journal.read_text())) == sorted(account_ids(N))
    assert len(records) <= N + 1  # each account once (plus at most one line cut by the kill)
