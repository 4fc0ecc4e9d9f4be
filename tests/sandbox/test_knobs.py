"""Knobs a test or a demo turns through the control endpoint, seen from a real client."""

from __future__ import annotations

import time
from collections import Counter

import requests


def _control(endpoints, path, body=None):
    url = endpoints["control_url"] + path
    r = requests.post(url, json=body or {}, timeout=10) if body is not None else requests.get(url, timeout=10)
    return r


def test_injected_latency_is_seen_by_a_client(sandbox, endpoints):
    url = endpoints["gcp"]["serviceusage"] + "v1/projects/xwiz-sandbox/services/iam.googleapis.com"
    assert _control(endpoints, "/knobs", {"latency_ms": 100}).status_code == 200
    started = time.perf_counter()
    requests.get(url, timeout=10)
    assert time.perf_counter() - started >= 0.1
    _control(endpoints, "/knobs", {"latency_ms": 0})


def test_fault_rate_yields_429_503_and_resets(sandbox, endpoints):
    _control(endpoints, "/knobs", {"fault_rate": 0.3, "seed": 7})
    url = endpoints["gcp"]["serviceusage"] + "v1/projects/xwiz-sandbox/services/iam.googleapis.com"
    outcomes = Counter()
    for _ in range(120):
        try:
            outcomes[requests.get(url, timeout=5).status_code] += 1
        except requests.ConnectionError:
            outcomes["reset"] += 1
    faults = outcomes[429] + outcomes[503] + outcomes["reset"]
    assert outcomes[429] and outcomes[503], outcomes
    assert 0.15 * 120 <= faults <= 0.45 * 120, outcomes


def test_fault_bodies_are_the_real_shapes(sandbox, endpoints):
    sandbox.set_knobs(fault_rate=1.0, seed=3)
    url = endpoints["gcp"]["serviceusage"] + "v1/projects/xwiz-sandbox/services/iam.googleapis.com"
    seen = {}
    for _ in range(40):
        try:
            r = requests.get(url, timeout=5)
        except requests.ConnectionError:
            continue
        seen[r.status_code] = r.json()["error"]["status"]
    assert seen.get(429) == "RESOURCE_EXHAUSTED" and seen.get(503) == "UNAVAILABLE"


def test_control_rejects_unknown_knobs_and_scenarios(sandbox, endpoints):
    r = _control(endpoints, "/knobs", {"latency": 5})
    assert r.status_code == 400 and "unknown knob 'latency'" in r.json()["error"]
    r = _control(endpoints, "/reset", {"scenario": "nope"})
    assert r.status_code == 400 and "unknown scenario" in r.json()["error"]


def test_request_log_records_paths_but_no_secrets(sandbox, endpoints):
    requests.get(endpoints["gcp"]["iam"] + "v1/projects/xwiz-sandbox/serviceAccounts",
                 headers={"Authorization": "Bearer ya29.not-a-real-token"}, timeout=5)
    log = _control(endpoints, "/requests").json()["requests"]
    assert any(item["listener"] == "iam" and item["path"].endswith("/serviceAccounts") for item in log)
    assert "ya29" not in str(log)
